"""`orgonaut smtp`: the local SMTP server for the demo (added to the main CLI in orgonaut/cli.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from orgonaut.settings import VAR_DIR


def smtp(
    port: int = typer.Option(8025, help="Port to listen on"),
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    directory: Path = typer.Option(VAR_DIR / "mail", "--dir", help="Each message is stored here as an .eml file"),
    mbox: Path | None = typer.Option(None, help="Also append every message to this mbox file"),
) -> None:
    """Run a local SMTP server that keeps every message it receives (for the demo and tests)."""
    from orgonaut.notify import smtp_server

    def announce(message, envelope) -> None:
        typer.echo(f"mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']} -> {sink.last_path}")

    sink = smtp_server.FileMailSink(directory, mbox=mbox, on_message=announce)
    try:
        controller = smtp_server.start(sink, host=host, port=port)
    except (OSError, RuntimeError) as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error}", err=True)
        raise typer.Exit(1) from None
    where = f"{directory}/*.eml" + (f" and {mbox} (mbox)" if mbox else "")
    typer.echo(f"SMTP server on {host}:{port}; received mail is stored in {where}. Ctrl-C stops it.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
