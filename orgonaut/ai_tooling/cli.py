"""`orgonaut ai-tooling ...`: connect, test, sync, backfill, status, pause, resume, disconnect, unmatched,
import-identities.

Thin: parse, call `orgonaut.ai_tooling.service` (or `orgonaut.integrations.service`), print. Runs go
in the foreground by default with the same code the workers run; `--queue` hands them to the workers
instead. Bad input exits with status 1, a one-line reason on stderr, and no change. The API key is
read from stdin only (never an argument, so it stays out of shell history) and never printed.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import NoReturn

import typer

from orgonaut.db import session_scope
from orgonaut.errors import DomainError, NotFound

app = typer.Typer(no_args_is_help=True, help="AI Tooling integrations (Claude Code and others).")

IntegrationOption = typer.Option(..., "--integration", help="Integration id")
TenantOption = typer.Option(None, "--tenant", help="Tenant slug; the integration must belong to it")
QueueOption = typer.Option(False, "--queue", help="Hand the run to the workers instead of running it here")


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _parse_date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{what} '{value}' is not a date (YYYY-MM-DD).")


def _integration(session, integration_id: int, tenant_slug: str | None):
    from orgonaut.ai_tooling import service
    from orgonaut.integrations import service as integrations
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    if tenant_slug is not None:
        tenant = get_tenant_by_slug_or_raise(session=session, slug=tenant_slug)
        return service.get_integration_or_raise(session=session, tenant_id=tenant.id, integration_id=integration_id)
    integration = integrations.get_any_or_raise(session=session, integration_id=integration_id)
    if integration.category != service.CATEGORY:
        raise NotFound(f"Integration {integration_id} was not found.")
    return integration


def _read_credentials(provider: str, fields: list[str]) -> dict[str, str]:
    """The provider's declared credential fields: secrets from stdin (a line each, in the declared order;
    never arguments, which other users can see), the rest from `--field NAME=VALUE`."""
    from orgonaut.ai_tooling.providers import registry

    given: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--field takes NAME=VALUE, not '{item[:40]}'.")
        given[name.strip()] = value
    try:
        declared = registry.available_or_raise(provider).credentials
    except DomainError as error:
        fail(str(error))
    values: dict[str, str] = {}
    for spec in declared:
        if spec.secret:
            values[spec.name] = (typer.prompt(spec.label, hide_input=True) if sys.stdin.isatty()
                                 else sys.stdin.readline().strip())
        elif spec.name in given:
            values[spec.name] = given[spec.name]
        else:
            fail(f"pass the {spec.label} with --field {spec.name}=VALUE.")
    return values


def _describe(log) -> str:
    counts = (
        f"{log.days_done}/{log.days_total} days, fetched {log.records_fetched}, upserted {log.records_upserted}, "
        f"matched {log.records_matched}, unmatched {log.records_unmatched}"
    )
    text = f"sync log {log.id} ({log.kind} {log.window_start}..{log.window_end}) {log.status}: {counts}"
    return f"{text}; {log.error_message}" if log.error_message else text


def _run(open_run, queue: bool, progress: bool) -> None:
    """Opens the run (a service call), then runs it here or leaves it to the workers."""
    from orgonaut.ai_tooling import sync
    from orgonaut.integrations.models import SyncStatus

    try:
        with session_scope() as session:
            log = open_run(session, not queue)
            log_id, days_total = log.id, log.days_total
    except DomainError as error:
        fail(str(error))
    if queue:
        typer.echo(f"queued sync log {log_id} ({days_total} days); `orgonaut ai-tooling status` shows progress")
        return
    if progress and sys.stderr.isatty():
        with typer.progressbar(length=days_total, label="backfill", file=sys.stderr) as bar:
            final = sync.run_foreground(log_id=log_id, on_day=lambda _log: bar.update(1))
    elif progress:  # not a terminal (a log file, a pipe): one line per day instead of a bar
        final = sync.run_foreground(log_id=log_id, on_day=lambda log: typer.echo(
            f"backfill: {log.days_done}/{log.days_total} days, {log.checkpoint_date} stored", err=True))
    else:
        final = sync.run_foreground(log_id=log_id)
    if final.status != SyncStatus.succeeded:
        fail(_describe(final))
    typer.echo(_describe(final))


@app.command()
def connect(
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug"),
    provider: str = typer.Option(..., "--provider", help="Provider key, e.g. claude_code"),
    key_stdin: bool = typer.Option(False, "--key-stdin", help="Read the secrets (API key, token) from stdin, "
                                   "a line each (required)"),
    field: list[str] = typer.Option([], "--field", help="A credential that is not secret, NAME=VALUE "
                                    "(e.g. workspace_id=ws_1); repeatable"),
    api_base: str | None = typer.Option(None, "--api-base", help="Provider API base URL (default from settings)"),
    baseline: bool = typer.Option(False, "--baseline", help="Write usage to the Live baseline"),
    scenario: list[int] = typer.Option([], "--scenario", help="Also write to this active scenario (repeatable)"),
    all_future: bool = typer.Option(False, "--all-future", help="Also write to scenarios created from now on"),
) -> None:
    """Test the credentials against the provider, then store them encrypted and activate nightly sync."""
    from orgonaut.ai_tooling import service
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    if not key_stdin:
        fail("pass the API key on stdin with --key-stdin (never as an argument).")
    credentials = _read_credentials(provider, field)
    try:
        with session_scope() as session:
            tenant_row = get_tenant_by_slug_or_raise(session=session, slug=tenant)
            integration = service.connect(
                session=session, tenant_id=tenant_row.id, provider=provider, credentials=credentials,
                api_base=api_base,
                baseline=baseline, scenario_ids=scenario, all_future=all_future,
            )
            integration_id, organization = integration.id, integration.organization_name
    except DomainError as error:
        fail(str(error))
    typer.echo(f"connected {provider} for {tenant}: integration {integration_id}, organisation '{organization}'")


@app.command("test")
def test_command(integration: int = IntegrationOption, tenant: str | None = TenantOption) -> None:
    """Test the stored key against the provider (and record the result in the integration's health)."""
    from orgonaut.ai_tooling import service

    try:
        with session_scope() as session:
            row = _integration(session, integration, tenant)
            result = service.test_connection(session=session, tenant_id=row.tenant_id, integration_id=row.id)
    except DomainError as error:
        fail(str(error))
    if not result.ok:
        fail(f"test connection failed: {result.message}")
    typer.echo(f"connection ok: organisation '{result.organization_name}'")


@app.command("sync")
def sync_command(
    integration: int = IntegrationOption,
    date: str | None = typer.Option(None, "--date", help="Day to sync, YYYY-MM-DD (default yesterday)"),
    tenant: str | None = TenantOption,
    queue: bool = QueueOption,
) -> None:
    """Sync one day (default yesterday in ORGONAUT_TIMEZONE), logged as reconcile."""
    from orgonaut.ai_tooling import service

    day = _parse_date(date, "--date") if date is not None else None

    def open_run(session, foreground: bool):
        row = _integration(session, integration, tenant)
        return service.start_sync_now(
            session=session, tenant_id=row.tenant_id, integration_id=row.id, day=day, triggered_by="cli",
            enqueue=not foreground,
        )

    _run(open_run, queue, progress=False)


@app.command()
def backfill(
    integration: int = IntegrationOption,
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD"),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD"),
    tenant: str | None = TenantOption,
    queue: bool = QueueOption,
    yes: bool = typer.Option(False, "--yes", help="Confirm a backfill of more than a year (366 days)"),
) -> None:
    """Import a historical date range, logged as backfill, with a progress bar.

    The service's rules apply: nothing before the earliest day, nothing after the last complete UTC day,
    and over 366 days only with --yes."""
    from orgonaut.ai_tooling import service

    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")

    def open_run(session, foreground: bool):
        row = _integration(session, integration, tenant)
        try:
            return service.start_backfill(
                session=session, tenant_id=row.tenant_id, integration_id=row.id, start=first, end=last,
                triggered_by="cli", enqueue=not foreground, confirmed=yes,
            )
        except service.BackfillNeedsConfirmation as question:
            fail(f"{str(question).removesuffix(' Continue?')} Run again with --yes to start it.")

    _run(open_run, queue, progress=True)


@app.command()
def status(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant's integrations"),
    logs: int = typer.Option(5, "--logs", help="Recent sync logs to show per integration"),
) -> None:
    """Each AI Tooling integration with its health and recent sync logs."""
    from sqlmodel import col, select

    from orgonaut.integrations import service as integrations
    from orgonaut.integrations.error_kinds import error_kind_label
    from orgonaut.integrations.models import Integration, IntegrationCategory
    from orgonaut.tenancy.models import Tenant
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    try:
        with session_scope() as session:
            statement = select(Integration, Tenant).join(Tenant, col(Tenant.id) == Integration.tenant_id).where(
                Integration.category == IntegrationCategory.ai_tooling
            )
            if tenant is not None:
                statement = statement.where(
                    Integration.tenant_id == get_tenant_by_slug_or_raise(session=session, slug=tenant).id
                )
            rows = list(session.exec(statement.order_by(col(Tenant.slug), col(Integration.id))))
            if not rows:
                typer.echo("no AI Tooling integrations")
            for row, owner in rows:
                typer.echo(
                    f"integration {row.id} {row.provider} tenant={owner.slug} status={row.status} "
                    f"organisation='{row.organization_name or ''}' last_sync={row.last_sync_at or '-'} "
                    f"last_success={row.last_success_at or '-'}"
                )
                if row.last_error:
                    typer.echo(f"  last error ({error_kind_label(row.last_error_kind)}): {row.last_error}")
                for log in integrations.list_sync_logs(
                    session=session, tenant_id=row.tenant_id, integration_id=row.id, limit=logs
                ):
                    typer.echo(f"  {_describe(log)}")
    except DomainError as error:
        fail(str(error))


def _lifecycle(action: str, integration_id: int, tenant: str | None) -> None:
    from orgonaut.integrations import service as integrations

    try:
        with session_scope() as session:
            row = _integration(session, integration_id, tenant)
            changed = getattr(integrations, action)(session=session, tenant_id=row.tenant_id, integration_id=row.id)
            status_now = changed.status
    except DomainError as error:
        fail(str(error))
    typer.echo(f"integration {integration_id} is {status_now}")


@app.command()
def pause(integration: int = IntegrationOption, tenant: str | None = TenantOption) -> None:
    """Suspend syncing; scheduled runs are logged as skipped."""
    _lifecycle("pause", integration, tenant)


@app.command()
def resume(integration: int = IntegrationOption, tenant: str | None = TenantOption) -> None:
    """Resume syncing a paused integration."""
    _lifecycle("resume", integration, tenant)


@app.command()
def disconnect(integration: int = IntegrationOption, tenant: str | None = TenantOption) -> None:
    """Remove the stored key and stop syncing; usage records and sync logs stay."""
    _lifecycle("disconnect", integration, tenant)


@app.command()
def unmatched(
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug"),
    scenario: int | None = typer.Option(None, "--scenario", help="Scenario id (default: Live)"),
) -> None:
    """E-mails (and API keys) in usage data that match no actor, most recently seen first."""
    from orgonaut.ai_tooling import service
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    try:
        with session_scope() as session:
            tenant_row = get_tenant_by_slug_or_raise(session=session, slug=tenant)
            rows = service.list_unmatched(session=session, tenant_id=tenant_row.id, scenario_id=scenario)
    except DomainError as error:
        fail(str(error))
    for row in rows:
        kind = row.not_a_person.lower() or "e-mail"
        typer.echo(
            f"{row.source_email} ({kind}, {row.provider}): {row.record_count} records, last seen {row.last_seen}, "
            f"{row.total_cost_cents:.2f} cents"
        )
    if not rows:
        typer.echo("no unmatched usage")


@app.command("credit-price")
def credit_price(
    integration: int = IntegrationOption,
    tenant: str | None = TenantOption,
    effective_from: str | None = typer.Option(None, "--from", help="First day of the new price (YYYY-MM-DD)"),
    usd: str | None = typer.Option(None, "--usd", help="The new price of one credit in USD, such as 0.05"),
) -> None:
    """A credit-billing connection's (Codex) prices per credit; with --from and --usd, sets a new price from
    that day on and re-prices the stored days it covers from their credits."""
    from orgonaut.ai_tooling import credit_prices

    try:
        with session_scope() as session:
            row = _integration(session, integration, tenant)
            if effective_from is not None or usd is not None:
                if effective_from is None or usd is None:
                    fail("give both --from and --usd to set a price")
                done = credit_prices.set_price(session=session, tenant_id=row.tenant_id, integration_id=row.id,
                                               effective_from=effective_from, usd_per_credit=usd)
                typer.echo(f"re-priced {done.records} stored records: {done.cost_before_cents / 100:.2f} -> "
                           f"{done.cost_after_cents / 100:.2f} USD")
            periods = credit_prices.schedule(session=session, integration=row)
    except DomainError as error:
        fail(str(error))
    for period in periods:
        since = period.effective_from.isoformat() if period.effective_from else "the first day"
        until = period.until.isoformat() if period.until else "on"
        typer.echo(f"{since} .. {until}: {period.price} USD per credit")


@app.command("import-identities")
def import_identities(
    file: typer.FileText = typer.Argument(..., help="CSV with the header person_email,kind,value ('-': stdin)"),
    tenant: str = typer.Option(..., "--tenant", help="Tenant slug"),
    scenario: int | None = typer.Option(None, "--scenario", help="Scenario id (default: Live)"),
    apply: bool = typer.Option(False, "--apply", help="Add the accepted rows (without it: a preview only)"),
) -> None:
    """Person identities from a CSV: what each row would do, or why it is refused; --apply adds the accepted
    rows (refused rows change nothing) and re-matches their usage."""
    from orgonaut.ai_tooling import identity_import
    from orgonaut.tenancy.service import get_tenant_by_slug_or_raise

    text = file.read()
    try:
        with session_scope() as session:
            tenant_row = get_tenant_by_slug_or_raise(session=session, slug=tenant)
            run = identity_import.apply if apply else identity_import.preview
            result = run(session=session, tenant_id=tenant_row.id, scenario_id=scenario, text=text)
    except DomainError as error:
        fail(str(error))
    for row in result.rows:
        if row.accepted:
            matches = f" ({row.would_match} unmatched records become theirs)" if row.would_match else ""
            typer.echo(f"line {row.line}: {row.person} is also known by {row.kind} {row.value}{matches}")
        else:
            typer.echo(f"line {row.line}: refused: {row.reason}")
    accepted, refused = len(result.accepted), len(result.refused)
    if apply:
        typer.echo(f"added {accepted} identities; {refused} rows refused, unchanged")
    else:
        typer.echo(f"preview only, nothing changed: {accepted} rows would be added, {refused} refused "
                   "(run again with --apply)")
