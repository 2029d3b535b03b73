"""`orgonaut simulate ...`: run a vendor API simulator in the foreground."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True, help="Vendor API simulators for the demo and the tests.")


def read_roster(path: Path) -> list[str]:
    """One e-mail per line; blank lines and `#` comments are skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@app.command("anthropic")
def anthropic(
    port: int = typer.Option(8765, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
    seed: int = typer.Option(0, help="Seed of the generated usage: same seed, same data."),
    roster_file: Path | None = typer.Option(
        None, exists=True, dir_okay=False, readable=True, help="E-mails with usage, one per line."
    ),
    roster_size: int | None = typer.Option(
        None, min=1, max=100_000, help="Generate this many first.last@demo.test e-mails instead."
    ),
    org_name: str = typer.Option("Orgonaut Demo (simulated)", help="Organisation name /v1/organizations/me answers."),
    key: list[str] = typer.Option(
        [], help="Accept only these keys (repeatable). Default: any sk-ant-admin01-... key."
    ),
    fault: list[str] = typer.Option(
        [], help="Inject a fault (repeatable, queued): 429:count=2:retry_after=1, 401, 500:count=1, "
                 "malformed:variant=json|shape|record|currency, slow:delay=5, reset:after_bytes=100, "
                 "drip:bytes_per_second=500[:chunk_bytes=50], endless, dup, grow; options count, after, "
                 "path, rate (0<rate<=1, with seed): 429:rate=0.7:seed=3:retry_after=1 is a 429 storm.",
    ),
    revise: list[str] = typer.Option(
        [], help="Revise a day from the start (repeatable, in order): DATE:ACTION:email=E[:to_email=T][:factor=F], "
                 "e.g. 2025-03-04:drop:email=a@x.test, 2025-03-04:change:email=a@x.test:factor=1.5, "
                 "2025-03-04:move:email=a@x.test:to_email=b@x.test.",
    ),
    every_day: bool = typer.Option(False, help="Everyone active every day (for the bench)."),
    demo: bool = typer.Option(False, help="Use the demo org's people (and a few unknown contractors) as roster."),
    date_style: str = typer.Option("rfc3339", help="Record dates as rfc3339 or date."),
    log_level: str = typer.Option("warning", help="uvicorn log level."),
) -> None:
    """The Anthropic Admin API (organisation and Claude Code usage report) with deterministic data."""
    import uvicorn

    from orgonaut.simulator.app import SimulatorConfig, create_app
    from orgonaut.simulator.data import DEFAULT_ROSTER, synthetic_roster
    from orgonaut.simulator.faults import FaultError, parse_fault_spec
    from orgonaut.simulator.revisions import parse_revision_spec

    if sum(x is not None and x is not False for x in (roster_file, roster_size, demo or None)) > 1:
        raise typer.BadParameter("give only one of --roster-file, --roster-size and --demo")
    if date_style not in ("rfc3339", "date"):
        raise typer.BadParameter("--date-style must be rfc3339 or date")
    try:
        faults = [parse_fault_spec(spec) for spec in fault]
    except FaultError as error:
        raise typer.BadParameter(str(error), param_hint="--fault") from None
    try:
        revisions = [parse_revision_spec(spec) for spec in revise]
    except FaultError as error:
        raise typer.BadParameter(str(error), param_hint="--revise") from None
    if demo:
        from orgonaut.org.demo_data import demo_usage_roster

        roster = demo_usage_roster()
    elif roster_file is not None:
        roster = read_roster(roster_file)
    elif roster_size is not None:
        roster = synthetic_roster(roster_size)
    else:
        roster = list(DEFAULT_ROSTER)
    config = SimulatorConfig(
        seed=seed, roster=roster, organization_name=org_name, accepted_keys=set(key) or None, faults=faults,
        every_day=every_day, date_style=date_style, revisions=revisions,
    )
    typer.echo(f"Anthropic Admin API simulator on http://{host}:{port} ({len(roster)} people, seed {seed})")
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)
