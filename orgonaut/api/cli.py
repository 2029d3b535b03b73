"""`orgonaut tokens ...`: create, list and revoke API tokens. Thin: parse, call the service, print.

`create` prints the secret alone on stdout (so `TOKEN=$(orgonaut tokens create ...)` works) and what
was created on stderr; the secret is never shown again.
"""

from __future__ import annotations

import typer

from orgonaut.db import session_scope
from orgonaut.errors import DomainError

app = typer.Typer(no_args_is_help=True, help="API tokens for the REST API (/api/v1).")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command("create")
def create(
    tenant: str = typer.Option(..., help="Tenant slug"),
    user: str = typer.Option(..., help="E-mail of the user the token acts for"),
    name: str = typer.Option(..., help="What or who uses the token"),
    ability: list[str] = typer.Option(..., help="An ability the token carries; repeat for more"),
    expires_in_days: int | None = typer.Option(None, help="Expire after this many days (default: 90)"),
    no_expiry: bool = typer.Option(False, "--no-expiry", help="Never expire (not recommended)"),
) -> None:
    """Create a token; prints its secret once."""
    from orgonaut.tenancy import tokens
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    try:
        with session_scope() as session:
            tenant_row = get_tenant_by_slug_or_raise(session=session, slug=tenant)
            user_row = tokens.get_user_by_email_or_raise(session=session, tenant=tenant_row, email=user)
            token, secret = tokens.create_token(
                session=session, user=user_row, name=name, abilities=ability,
                expires_in_days=None if no_expiry else (
                    tokens.DEFAULT_EXPIRY_DAYS if expires_in_days is None else expires_in_days),
            )
    except DomainError as error:
        _fail(str(error))
    expiry = f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires"
    typer.echo(
        f"created token {token.id} '{token.name}' ({tokens.display_prefix(token.prefix)}) for {user_row.email} in "
        f"{tenant_row.slug} with {', '.join(token.abilities)}; {expiry}. The secret below is shown only now.",
        err=True,
    )
    typer.echo(secret)


@app.command("list")
def list_(tenant: str = typer.Option(..., help="Tenant slug")) -> None:
    """The tenant's tokens, newest first (never their secrets)."""
    from orgonaut.tenancy import tokens
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    try:
        with session_scope() as session:
            tenant_row = get_tenant_by_slug_or_raise(session=session, slug=tenant)
            rows = tokens.list_tokens(session=session, tenant_id=tenant_row.id)
    except DomainError as error:
        _fail(str(error))
    for token, owner in rows:
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        typer.echo(
            f"{token.id}\t{tokens.display_prefix(token.prefix)}\t{tokens.status_of(token)}\t{owner.email}\t"
            f"{token.name}\t{','.join(token.abilities)}\tlast used {used}"
        )


@app.command("revoke")
def revoke(token_id: int = typer.Argument(..., metavar="ID", help="The token's id (see `orgonaut tokens list`)")):
    """Revoke a token for good."""
    from orgonaut.tenancy import tokens

    try:
        with session_scope() as session:
            token, revoked_now = tokens.revoke_token(session=session, token_id=token_id)
    except DomainError as error:
        _fail(str(error))
    if revoked_now:
        typer.echo(f"revoked token {token.id} '{token.name}' ({tokens.display_prefix(token.prefix)})")
    else:
        typer.echo(f"token {token.id} '{token.name}' was already revoked")
