"""`orgonaut simulate ...`: run a vendor API simulator in the foreground."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True, help="Vendor API simulators for the demo and the tests.")


def read_roster(path: Path) -> list[str]:
    """One e-mail per line; blank lines and `#` comments are skipped."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _port(default: int) -> Any:
    return typer.Option(default, help="Port to listen on.")


def _host() -> Any:
    return typer.Option("127.0.0.1", help="Address to bind (loopback by default).")


def _seed() -> Any:
    return typer.Option(0, help="Seed of the generated usage: same seed, same data.")


def _roster_file(what: str) -> Any:
    return typer.Option(None, exists=True, dir_okay=False, readable=True, help=f"{what}, one per line.")


def _roster_size(what: str) -> Any:
    return typer.Option(None, min=1, max=100_000, help=f"Generate this many first.last@demo.test {what} instead.")


def _every_day() -> Any:
    return typer.Option(False, help="Everyone active every day (for the bench).")


def _log_level() -> Any:
    return typer.Option("warning", help="uvicorn log level.")


FAULT_HELP = ("Inject a fault (repeatable, queued): 429:count=2:retry_after=1, 401, 500:count=1, "
              "malformed:variant=json|shape|record|currency, slow:delay=5, reset:after_bytes=100, "
              "drip:bytes_per_second=500[:chunk_bytes=50], endless, dup, grow; options count, after, "
              "path, rate (0<rate<=1, with seed): 429:rate=0.7:seed=3 is a 429 storm.")
REVISE_HELP = ("Revise a day from the start (repeatable, in order): DATE:ACTION:email=E[:to_email=T][:factor=F], "
               "e.g. 2025-03-04:drop:email=a@x.test, 2025-03-04:change:email=a@x.test:factor=1.5, "
               "2025-03-04:move:email=a@x.test:to_email=b@x.test.")


@app.command("anthropic")
def anthropic(
    port: int = _port(8765),
    host: str = _host(),
    seed: int = _seed(),
    roster_file: Path | None = _roster_file("E-mails with usage"),
    roster_size: int | None = _roster_size("e-mails"),
    org_name: str = typer.Option("Orgonaut Demo (simulated)", help="Organisation name /v1/organizations/me answers."),
    key: list[str] = typer.Option(
        [], help="Accept only these keys (repeatable). Default: any sk-ant-admin01-... key."
    ),
    fault: list[str] = typer.Option([], help=FAULT_HELP),
    revise: list[str] = typer.Option([], help=REVISE_HELP),
    every_day: bool = _every_day(),
    demo: bool = typer.Option(False, help="Use the demo org's people (and a few unknown contractors) as roster."),
    date_style: str = typer.Option("rfc3339", help="Record dates as rfc3339 or date."),
    log_level: str = _log_level(),
) -> None:
    """The Anthropic Admin API (organisation and Claude Code usage report) with deterministic data."""
    import uvicorn

    from orgonaut.simulator.app import SimulatorConfig, create_app

    if date_style not in ("rfc3339", "date"):
        raise typer.BadParameter("--date-style must be rfc3339 or date")
    faults, revisions = _faults_and_revisions(fault, revise)
    roster = _roster(roster_file, roster_size, demo, _demo_claude_code_roster)
    config = SimulatorConfig(
        seed=seed, roster=roster, organization_name=org_name, accepted_keys=set(key) or None, faults=faults,
        every_day=every_day, date_style=date_style, revisions=revisions,
    )
    typer.echo(f"Anthropic Admin API simulator on http://{host}:{port} ({len(roster)} people, seed {seed})")
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level)


def _faults_and_revisions(fault: list[str], revise: list[str]) -> tuple[list[Any], list[Any]]:
    from orgonaut.simulator.faults import FaultError, parse_fault_spec
    from orgonaut.simulator.revisions import parse_revision_spec

    try:
        faults = [parse_fault_spec(spec) for spec in fault]
    except FaultError as error:
        raise typer.BadParameter(str(error), param_hint="--fault") from None
    try:
        revisions = [parse_revision_spec(spec) for spec in revise]
    except FaultError as error:
        raise typer.BadParameter(str(error), param_hint="--revise") from None
    return faults, revisions


def _roster(roster_file: Path | None, roster_size: int | None, demo: bool,
            demo_roster: Callable[[], list[str]]) -> list[str]:
    from orgonaut.simulator.data import DEFAULT_ROSTER, synthetic_roster

    if sum(x is not None and x is not False for x in (roster_file, roster_size, demo or None)) > 1:
        raise typer.BadParameter("give only one of --roster-file, --roster-size and --demo")
    if demo:
        return demo_roster()
    if roster_file is not None:
        return read_roster(roster_file)
    if roster_size is not None:
        return synthetic_roster(roster_size)
    return list(DEFAULT_ROSTER)


def _demo_claude_code_roster() -> list[str]:
    from orgonaut.org.demo_data import demo_usage_roster

    return demo_usage_roster()


@app.command("cursor")
def cursor(
    port: int = _port(8766),
    host: str = _host(),
    seed: int = _seed(),
    roster_file: Path | None = _roster_file("Team members' e-mails"),
    roster_size: int | None = _roster_size("members"),
    team_name: str | None = typer.Option(
        None, help="Send this team name as `teamName` in /teams/members (not documented; by default the "
                   "team is known by its members' e-mail domain)."
    ),
    key: list[str] = typer.Option(
        [], help="Accept only these keys (repeatable). Default: any key_... or crsr_... key."
    ),
    rate_limit: int = typer.Option(20, min=0, help="Requests a minute per team for members and daily usage (0: none)."),
    events_rate_limit: int = typer.Option(60, min=0, help="Requests a minute per team for usage events (0: none)."),
    page_size: int | None = typer.Option(None, min=1, help="At most this many users or events a page."),
    row_style: str = typer.Option("newest", help="Daily-usage rows: newest, or older (no userId and day)."),
    member_style: str = typer.Option(
        "newest", help="Members: newest (id user_...), number (numeric id) or oldest (no id, no isRemoved)."
    ),
    fault: list[str] = typer.Option([], help=FAULT_HELP),
    revise: list[str] = typer.Option([], help=REVISE_HELP),
    every_day: bool = _every_day(),
    demo: bool = typer.Option(False, help="The demo's Cursor users: some of its Claude Code people, and others."),
    log_level: str = _log_level(),
) -> None:
    """The Cursor Admin API (team members, daily usage, usage events) with deterministic data."""
    import uvicorn

    from orgonaut.simulator.cursor import CursorConfig, create_cursor_app
    from orgonaut.simulator.demo import demo_cursor_people

    if row_style not in ("newest", "older"):
        raise typer.BadParameter("--row-style must be newest or older")
    if member_style not in ("newest", "number", "oldest"):
        raise typer.BadParameter("--member-style must be newest, number or oldest")
    faults, revisions = _faults_and_revisions(fault, revise)
    extra: dict[str, Any] = demo_cursor_people(dt.datetime.now(dt.UTC).date()) if demo else {}
    roster = _roster(roster_file, roster_size, demo, lambda: list(extra["roster"]))
    extra.pop("roster", None)
    config = CursorConfig(
        seed=seed, roster=roster, team_name=team_name, accepted_keys=set(key) or None, faults=faults,
        revisions=revisions, every_day=every_day, rate_limit=rate_limit or None,
        events_rate_limit=events_rate_limit or None, page_size=page_size, row_style=row_style,
        member_style=member_style, **extra,
    )
    typer.echo(f"Cursor Admin API simulator on http://{host}:{port} ({len(roster)} members, seed {seed})")
    uvicorn.run(create_cursor_app(config), host=host, port=port, log_level=log_level)


@app.command("codex")
def codex(
    port: int = _port(8768),
    host: str = _host(),
    seed: int = _seed(),
    roster_file: Path | None = _roster_file("Workspace users' e-mails"),
    roster_size: int | None = _roster_size("users"),
    workspace_id: str | None = typer.Option(None, help="Answer only this workspace id (default: any, 404 for none)."),
    key: list[str] = typer.Option([], help="Accept only these keys (repeatable). Default: any sk-... key."),
    rate_limit: int = typer.Option(0, min=0, help="Requests a minute per key (0: none; the real one is not "
                                                 "documented). A refused request gets 429 with Retry-After."),
    page_size: int | None = typer.Option(None, min=1, help="At most this many rows a page."),
    cursor_style: str = typer.Option("next_page", help="Paging token: next_page (documented) or next_cursor."),
    fault: list[str] = typer.Option([], help=FAULT_HELP),
    revise: list[str] = typer.Option([], help=REVISE_HELP),
    every_day: bool = _every_day(),
    demo: bool = typer.Option(False, help="The demo's Codex users: a few of its people, two without e-mail."),
    log_level: str = _log_level(),
) -> None:
    """The OpenAI Codex Enterprise Analytics API (per-user daily usage) with deterministic data."""
    import uvicorn

    from orgonaut.simulator.codex import CodexConfig, create_codex_app
    from orgonaut.simulator.demo import demo_codex_people

    if cursor_style not in ("next_page", "next_cursor"):
        raise typer.BadParameter("--cursor-style must be next_page or next_cursor")
    faults, revisions = _faults_and_revisions(fault, revise)
    extra: dict[str, Any] = demo_codex_people() if demo else {}
    roster = _roster(roster_file, roster_size, demo, lambda: list(extra["roster"]))
    extra.pop("roster", None)
    config = CodexConfig(
        seed=seed, roster=roster, workspace_id=workspace_id, accepted_keys=set(key) or None, faults=faults,
        revisions=revisions, every_day=every_day, rate_limit=rate_limit or None, page_size=page_size,
        cursor_style=cursor_style, **extra,
    )
    typer.echo(f"Codex Enterprise Analytics API simulator on http://{host}:{port} ({len(roster)} users, seed {seed})")
    uvicorn.run(create_codex_app(config), host=host, port=port, log_level=log_level)


@app.command("github")
def github(
    port: int = _port(8767),
    host: str = _host(),
    seed: int = _seed(),
    roster_file: Path | None = _roster_file("E-mails of the Copilot users (logins are made from them)"),
    roster_size: int | None = _roster_size("users"),
    organization: str = typer.Option("orgonaut-sim", help="The organisation's login."),
    token: list[str] = typer.Option(
        [], help="Accept only these tokens (repeatable). Default: any ghp_/gho_/ghs_/ghu_/github_pat_ token."
    ),
    files_per_day: int = typer.Option(3, min=1, help="Report files a day's rows are split over."),
    link_ttl: float = typer.Option(300.0, min=1, help="Seconds a report's download links stay valid."),
    rate_limit: int = typer.Option(5000, min=0, help="Requests an hour per token (0: none)."),
    saml: bool = typer.Option(True, help="The organisation has SAML single sign-on (external identities)."),
    fault: list[str] = typer.Option([], help=FAULT_HELP),
    revise: list[str] = typer.Option([], help=REVISE_HELP + " Users are <login>@users.noreply.github.com."),
    demo: bool = typer.Option(False, help="The demo's Copilot users: most of its people, partly with SAML, "
                                          "and a few logins nobody has."),
    log_level: str = _log_level(),
) -> None:
    """The GitHub API's Copilot usage metrics, seats, AI-credit usage and SAML identities, deterministic."""
    import uvicorn

    from orgonaut.simulator.copilot import GithubConfig, create_github_app
    from orgonaut.simulator.demo import demo_github_users

    faults, revisions = _faults_and_revisions(fault, revise)
    users = demo_github_users(dt.datetime.now(dt.UTC).date()) if demo else None
    extra: dict[str, Any] = {"users": users} if users is not None else {
        "roster": _roster(roster_file, roster_size, False, list)}
    if demo and (roster_file is not None or roster_size is not None):
        raise typer.BadParameter("give only one of --roster-file, --roster-size and --demo")
    config = GithubConfig(
        seed=seed, organization=organization, accepted_tokens=set(token) or None, files_per_day=files_per_day,
        link_ttl=link_ttl, rate_limit=rate_limit or None, saml=saml, faults=faults, revisions=revisions, **extra,
    )
    count = len(users) if users is not None else len(extra["roster"])
    typer.echo(f"GitHub API simulator on http://{host}:{port} ({organization}, {count} users, seed {seed})")
    uvicorn.run(create_github_app(config), host=host, port=port, log_level=log_level)


@app.command("claude-enterprise")
def claude_enterprise(
    port: int = _port(8769),
    host: str = _host(),
    seed: int = _seed(),
    roster_file: Path | None = _roster_file("Members' e-mails"),
    roster_size: int | None = _roster_size("members"),
    key: list[str] = typer.Option([], help="Accept only these keys (repeatable). Default: any sk-ant-... key."),
    page_size: int | None = typer.Option(None, min=1, help="At most this many rows a page."),
    fault: list[str] = typer.Option([], help=FAULT_HELP),
    revise: list[str] = typer.Option([], help=REVISE_HELP + " Only the last 30 days (cost is final after)."),
    demo: bool = typer.Option(False, help="The demo's Product department on Enterprise seats, and a deleted account."),
    log_level: str = _log_level(),
) -> None:
    """The Claude Enterprise Analytics API (users, summaries, user cost report) with deterministic data."""
    import uvicorn

    from orgonaut.simulator.claude_enterprise import ClaudeEnterpriseConfig, create_claude_enterprise_app
    from orgonaut.simulator.demo import demo_claude_enterprise_people
    from orgonaut.simulator.faults import FaultError

    faults, revisions = _faults_and_revisions(fault, revise)
    extra: dict[str, Any] = demo_claude_enterprise_people() if demo else {}
    roster = _roster(roster_file, roster_size, demo, lambda: list(extra["roster"]))
    extra.pop("roster", None)
    try:
        app = create_claude_enterprise_app(ClaudeEnterpriseConfig(
            seed=seed, roster=roster, accepted_keys=set(key) or None, faults=faults, revisions=revisions,
            page_size=page_size, **extra))
    except FaultError as error:
        raise typer.BadParameter(str(error), param_hint="--revise") from None
    typer.echo(f"Claude Enterprise Analytics API simulator on http://{host}:{port} ({len(roster)} members, "
               f"seed {seed})")
    uvicorn.run(app, host=host, port=port, log_level=log_level)
