"""`orgonaut ...`: the operator CLI. Thin: parse, call a service, print one line.

Domain commands live beside their domain (`orgonaut/<domain>/cli.py`) and are added here.
"""

from __future__ import annotations

import sys

import typer

from orgonaut import wiring
from orgonaut.ai_tooling.cli import app as ai_tooling_app
from orgonaut.api.cli import app as tokens_app
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.integrations.cli import app as secrets_app
from orgonaut.notify.cli import smtp as smtp_command
from orgonaut.rollups.cli import app as rollups_app
from orgonaut.simulator.cli import app as simulate_app

app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Orgonaut AI Tooling operator CLI.",
)
users_app = typer.Typer(no_args_is_help=True, help="Users of a tenant.")
tenants_app = typer.Typer(no_args_is_help=True, help="Tenants.")
app.add_typer(users_app, name="users")
app.add_typer(tenants_app, name="tenants")
app.add_typer(simulate_app, name="simulate")
app.add_typer(ai_tooling_app, name="ai-tooling")
app.add_typer(secrets_app, name="secrets")
app.add_typer(rollups_app, name="rollups")
app.add_typer(tokens_app, name="tokens")
wiring.install()
app.command("smtp")(smtp_command)


def fail(message: str) -> None:
    """One line on stderr, exit code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def run_service(fn):
    """Calls fn(); a DomainError becomes a one-line message and a non-zero exit."""
    try:
        return fn()
    except DomainError as error:
        fail(str(error))


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    from orgonaut.migrate import upgrade

    upgrade()
    typer.echo("database is at the newest schema")


@app.command("seed-demo")
def seed_demo(
    usage: bool = typer.Option(
        True, help="Connect to the Anthropic simulator (ANTHROPIC_API_BASE) and backfill 180 days."
    ),
) -> None:
    """Create or complete the demo tenant (idempotent)."""
    from orgonaut.demo import seed_demo as seed
    from orgonaut.settings import get_settings

    with session_scope() as session:
        tenant = run_service(
            lambda: seed(session=session, timezone=get_settings().timezone, with_usage=usage)
        )
        typer.echo(f"demo tenant '{tenant.slug}' is ready")


@tenants_app.command("create")
def tenants_create(
    slug: str = typer.Option(..., help="URL-safe tenant id"),
    name: str = typer.Option(..., help="Display name"),
    plan: str = typer.Option("business", help="free | team | business | enterprise | agency"),
    timezone: str = typer.Option("UTC", help="IANA time zone"),
) -> None:
    from orgonaut.tenancy import service

    with session_scope() as session:
        tenant = run_service(
            lambda: service.create_tenant(session=session, slug=slug, name=name, plan=plan, timezone=timezone)
        )
        typer.echo(f"created tenant {tenant.slug} (id {tenant.id}, plan {tenant.plan})")


@tenants_app.command("set-plan")
def tenants_set_plan(slug: str = typer.Option(...), plan: str = typer.Option(...)) -> None:
    from orgonaut.tenancy import service
    from orgonaut.tenancy.models import Plan

    if plan not in {p.value for p in Plan}:
        fail(f"Unknown plan '{plan}'. Valid plans: {', '.join(p.value for p in Plan)}.")
    with session_scope() as session:
        tenant = run_service(lambda: service.get_tenant_by_slug_or_raise(session=session, slug=slug))
        service.set_plan(session=session, tenant=tenant, plan=plan)
        typer.echo(f"tenant {slug} is on plan {plan}")


@users_app.command("create")
def users_create(
    tenant: str = typer.Option(..., help="Tenant slug"),
    email: str = typer.Option(...),
    role: str = typer.Option(..., help="owner | admin | manager | member | viewer"),
    name: str = typer.Option("", help="Display name"),
) -> None:
    """Create a user; the password is read from a prompt, or from stdin when it is not a terminal."""
    from orgonaut.tenancy import service

    try:
        service.parse_role(role)
    except DomainError as error:
        fail(str(error))
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with session_scope() as session:
        tenant_row = run_service(lambda: service.get_tenant_by_slug_or_raise(session=session, slug=tenant))
        user = run_service(
            lambda: service.create_user(
                session=session, tenant=tenant_row, email=email, password=password, role=role, name=name
            )
        )
        typer.echo(f"created {user.role} {user.email} in {tenant_row.slug}")


if __name__ == "__main__":
    app()
