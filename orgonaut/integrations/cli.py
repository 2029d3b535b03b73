"""`orgonaut secrets rotate`: re-seal every stored integration credential with the newest key."""

from __future__ import annotations

import typer

from orgonaut.db import session_scope

app = typer.Typer(no_args_is_help=True, help="The secret box for integration credentials.")


@app.command()
def rotate() -> None:
    """Re-encrypt every integration's credentials with the first key of ORGONAUT_SECRET_KEYS.

    Put the new key first and keep the old ones after it until this has run.
    """
    from orgonaut.integrations import secrets

    try:
        with session_scope() as session:
            changed = secrets.rotate(session=session)
    except secrets.SecretError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"re-encrypted {changed} integration credential(s) with key {secrets.key_id(secrets.newest_key())}")
