"""`orgonaut rollups ...`: rebuild the stored AI Tooling usage rollups. Thin: parse, call, print."""

from __future__ import annotations

import time

import typer

from orgonaut.db import session_scope
from orgonaut.errors import DomainError

app = typer.Typer(no_args_is_help=True, help="Stored AI Tooling usage rollups.")


@app.command()
def rebuild(tenant: str | None = typer.Option(None, "--tenant", help="Tenant slug (default: every tenant)")) -> None:
    """Recompute every rollup of one tenant (or of all), every scope and every day, in one transaction."""
    from orgonaut.rollups import service
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    started = time.monotonic()
    try:
        with session_scope() as session:
            tenant_id = None if tenant is None else get_tenant_by_slug_or_raise(session=session, slug=tenant).id
            result = service.rebuild(session=session, tenant_id=tenant_id)
    except DomainError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"rebuilt rollups of {result.tenants} tenant(s), {result.scopes} scope(s): {result.unit_rows} unit rows, "
        f"{result.member_rows} member rows in {time.monotonic() - started:.1f}s"
    )
