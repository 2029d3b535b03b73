"""What the AI Tooling settings page shows, built from the services' results.

Reflex sends public state to the browser as JSON, so the page keeps these small rows, never database
objects and never a credential: an integration row carries its status, organisation name, targets and
timestamps, nothing of `config_encrypted`. Building them is presentation only (labels, colours, "3 hours
ago", the exact time in the tenant's zone); every rule stays in the services.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import ingest, queries
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX
from orgonaut.ai_tooling.sync import TriggeredBy, days_between
from orgonaut.integrations import health
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.org import queries as org_queries
from orgonaut.org import service as org
from orgonaut.org.models import ScenarioKind, ScenarioStatus
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Feature, Tenant, plans_with

# The spec's "Connection health": one colour and one line per status.
STATUS_MEANING = {
    IntegrationStatus.active: "Connector is live and syncing nightly.",
    IntegrationStatus.paused: "Connector is configured but sync is suspended.",
    IntegrationStatus.error: "The last sync or connection test failed.",
    IntegrationStatus.disconnected: "Connector has been removed.",
}
STATUS_COLOR = {
    IntegrationStatus.active: "green",
    IntegrationStatus.paused: "amber",
    IntegrationStatus.error: "red",
    IntegrationStatus.disconnected: "gray",
}
RUN_STATUS_COLOR = {
    SyncStatus.queued: "gray",
    SyncStatus.running: "blue",
    SyncStatus.succeeded: "green",
    SyncStatus.failed: "red",
    SyncStatus.skipped: "amber",
}
TRIGGER_LABEL = {TriggeredBy.schedule: "Nightly schedule", TriggeredBy.cli: "Command line"}
ACTIVE_RUN = (SyncStatus.queued, SyncStatus.running)
LOG_LIMIT = 20
# A run's day-by-day table stops here; a longer backfill says how many days are not listed.
MAX_DAY_ROWS = 400


# --- rows -------------------------------------------------------------------------------------


@dataclasses.dataclass
class ProviderCard:
    key: str = ""
    name: str = ""
    description: str = ""
    available: bool = False
    # 0 until the provider was connected once; a disconnected record keeps its id.
    integration_id: int = 0
    status: str = ""
    status_color: str = "gray"
    status_meaning: str = ""
    organization_name: str = ""
    last_sync_ago: str = ""
    last_sync_exact: str = ""
    last_sync_iso: str = ""
    targets: list[str] = dataclasses.field(default_factory=list)
    last_error: str = ""
    last_error_label: str = ""


@dataclasses.dataclass
class LogRow:
    id: int = 0
    provider_name: str = ""
    kind: str = ""
    window: str = ""
    status: str = ""
    status_color: str = "gray"
    fetched: int = 0
    matched: int = 0
    unmatched: int = 0
    duration: str = ""
    triggered_by: str = ""
    when_ago: str = ""
    when_exact: str = ""
    when_iso: str = ""
    active: bool = False
    days_done: int = 0
    days_total: int = 0
    progress: int = 0
    progress_text: str = ""


@dataclasses.dataclass
class RunView:
    id: int = 0
    provider_name: str = ""
    kind: str = ""
    window: str = ""
    status: str = ""
    status_color: str = "gray"
    triggered_by: str = ""
    created: str = ""
    started: str = ""
    finished: str = ""
    duration: str = ""
    fetched: int = 0
    stored: int = 0
    matched: int = 0
    unmatched: int = 0
    progress_text: str = ""
    checkpoint: str = ""
    error_message: str = ""
    scopes: str = ""
    rematched: str = ""
    days_not_listed: int = 0
    affected_dates_total: int = 0


@dataclasses.dataclass
class RunErrorRow:
    date: str = ""
    kind: str = ""
    message: str = ""
    http_status: str = ""
    request_id: str = ""
    attempt: str = ""
    at: str = ""


@dataclasses.dataclass
class DayRow:
    date: str = ""
    result: str = ""
    color: str = "gray"
    errors: int = 0
    note: str = ""


@dataclasses.dataclass
class RunDetail:
    view: RunView
    errors: list[RunErrorRow]
    days: list[DayRow]
    skipped_scopes: list[str]
    affected_emails: list[str]
    affected_dates: list[str]


@dataclasses.dataclass
class UnmatchedRow:
    source_email: str = ""
    label: str = ""
    is_api_key: bool = False
    provider_name: str = ""
    record_count: int = 0
    last_seen: str = ""
    total_cost: str = ""


@dataclasses.dataclass
class Option:
    value: str = ""
    label: str = ""


@dataclasses.dataclass
class PageData:
    providers: list[ProviderCard]
    logs: list[LogRow]
    unmatched: list[UnmatchedRow]
    scenario_options: list[Option]

    @property
    def runs_active(self) -> bool:
        return any(log.active for log in self.logs)


# --- formatting -------------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    if moment is None:
        return ""
    seconds = max(0, int((now - _aware(moment)).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def exact(moment: dt.datetime | None, zone: str) -> str:
    """The exact time in the tenant's zone, e.g. "2025-03-01 14:05:09 CET (Europe/Berlin)", "… UTC"."""
    if moment is None:
        return ""
    local = _aware(moment).astimezone(ZoneInfo(zone))
    name = local.tzname() or zone
    return f"{local:%Y-%m-%d %H:%M:%S} {name}" + ("" if name == zone else f" ({zone})")


def iso(moment: dt.datetime | None) -> str:
    return _aware(moment).isoformat() if moment is not None else ""


def duration(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(0, int((_aware(end) - _aware(start)).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def window(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} → {end.isoformat()}"


def plans_text() -> str:
    """The plans that include AI Tooling, as a sentence: "business, enterprise and agency"."""
    names = [plan.value for plan in plans_with(Feature.ai_tooling)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _provider_name(key: str) -> str:
    info = registry.PROVIDERS.get(key)
    return info.display_name if info is not None else key


# --- builders ---------------------------------------------------------------------------------


def targets(session: Session, integration: Integration) -> list[str]:
    """Where the integration writes now, in words (skipped selections say why)."""
    scopes, skipped = ingest.resolve_targets(session=session, integration=integration)
    names = ["Live Baseline" if scope.scenario_id is None else scope.name for scope in scopes]
    # "All future" also brings in scenarios created since it was switched on; name it once.
    if integration.target_all_future:
        names.append("All future scenarios")
    names += [f"{scope.name} (skipped: {scope.reason})" for scope in skipped]
    return names


def provider_card(session: Session, info: registry.ProviderInfo, integration: Integration | None,
                  zone: str, now: dt.datetime) -> ProviderCard:
    card = ProviderCard(key=info.key, name=info.display_name, description=info.description,
                        available=info.available)
    if integration is None:
        return card
    status = IntegrationStatus(integration.status)
    card.integration_id = integration.id
    card.status = status.value
    card.status_color = STATUS_COLOR[status]
    card.status_meaning = STATUS_MEANING[status]
    card.organization_name = integration.organization_name or ""
    card.last_sync_ago = ago(integration.last_sync_at, now)
    card.last_sync_exact = exact(integration.last_sync_at, zone)
    card.last_sync_iso = iso(integration.last_sync_at)
    card.targets = targets(session, integration) if status != IntegrationStatus.disconnected else []
    card.last_error = integration.last_error or ""
    card.last_error_label = health.error_kind_label(integration.last_error_kind) if integration.last_error else ""
    return card


def _triggered_by(session: Session, log: IntegrationSyncLog) -> str:
    if log.triggered_by != TriggeredBy.user:
        return TRIGGER_LABEL.get(log.triggered_by, log.triggered_by)
    user = tenancy.get_user(session=session, user_id=log.triggered_by_user_id) if log.triggered_by_user_id else None
    return (user.name or user.email) if user is not None else "A user"


def _progress(log: IntegrationSyncLog) -> tuple[int, str]:
    total = max(log.days_total, 1)
    return min(100, round(100 * log.days_done / total)), f"{log.days_done} of {log.days_total} days"


def log_row(session: Session, log: IntegrationSyncLog, provider: str, zone: str, now: dt.datetime) -> LogRow:
    status = SyncStatus(log.status)
    active = status in ACTIVE_RUN
    progress, progress_text = _progress(log)
    return LogRow(
        id=log.id, provider_name=_provider_name(provider), kind=str(log.kind),
        window=window(log.window_start, log.window_end), status=status.value, status_color=RUN_STATUS_COLOR[status],
        fetched=log.records_fetched, matched=log.records_matched, unmatched=log.records_unmatched,
        duration=duration(log.started_at, log.finished_at or (now if status == SyncStatus.running else None)),
        triggered_by=_triggered_by(session, log), when_ago=ago(log.created_at, now),
        when_exact=exact(log.created_at, zone), when_iso=iso(log.created_at), active=active,
        days_done=log.days_done, days_total=log.days_total, progress=progress, progress_text=progress_text,
    )


def unmatched_row(entry: ai_tooling.UnmatchedEmail) -> UnmatchedRow:
    label = entry.source_email.removeprefix(API_KEY_PREFIX) if entry.is_api_key else entry.source_email
    return UnmatchedRow(
        source_email=entry.source_email, label=label, is_api_key=entry.is_api_key,
        provider_name=_provider_name(entry.provider), record_count=entry.record_count,
        last_seen=entry.last_seen.isoformat(), total_cost=queries.format_usd(entry.total_cost_cents),
    )


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    return tenant


def logs(session: Session, tenant_id: int) -> list[LogRow]:
    tenant = _tenant(session, tenant_id)
    now = clock.utcnow()
    providers = {
        i.id: i.provider
        for i in ai_tooling.list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    }
    return [
        log_row(session, log, providers[log.integration_id], tenant.timezone, now)
        for log in integrations.list_sync_logs(session=session, tenant_id=tenant_id, limit=LOG_LIMIT)
        if log.integration_id in providers
    ]


def page_data(session: Session, tenant_id: int, scenario_id: int | None) -> PageData:
    """Everything the page shows for one tenant; unmatched e-mails of the chosen scope."""
    tenant = _tenant(session, tenant_id)
    now = clock.utcnow()
    records = ai_tooling.list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    # The connected record of a provider first; else its most recent disconnected one.
    by_provider: dict[str, Integration] = {}
    for integration in sorted(records, key=lambda i: (i.status == IntegrationStatus.disconnected, -i.id)):
        by_provider.setdefault(integration.provider, integration)
    cards = [provider_card(session, info, by_provider.get(info.key), tenant.timezone, now)
             for info in registry.list_providers()]
    scenarios = [
        Option(value=str(s.id), label=s.name)
        for s in org.list_scenarios(session=session, tenant_id=tenant_id, kind=ScenarioKind.scenario,
                                    status=ScenarioStatus.active)
    ]
    unmatched = [unmatched_row(entry) for entry in
                 ai_tooling.list_unmatched(session=session, tenant_id=tenant_id, scenario_id=scenario_id)]
    return PageData(providers=cards, logs=logs(session, tenant_id), unmatched=unmatched, scenario_options=scenarios)


def people_options(session: Session, tenant_id: int, scenario_id: int | None) -> list[Option]:
    """The people of a scope for "Use for an existing person": name and current e-mail."""
    rows = org_queries.list_people(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    return [
        Option(value=str(row.actor.id), label=f"{row.actor.name} · {row.actor.email or 'no e-mail'}")
        for row in rows
    ]


# --- one run ----------------------------------------------------------------------------------


def _day_rows(log: IntegrationSyncLog, errors: list[dict[str, Any]]) -> tuple[list[DayRow], int]:
    """Each day of the window: synced (up to the checkpoint), failed, not synced, or waiting."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        by_day.setdefault(str(error.get("date") or ""), []).append(error)
    status = SyncStatus(log.status)
    rows = []
    days = days_between(log.window_start, log.window_end)
    for day in days[:MAX_DAY_ROWS]:
        day_errors = by_day.get(day.isoformat(), [])
        done = log.checkpoint_date is not None and day <= log.checkpoint_date
        last = day_errors[-1] if day_errors else None
        if done:
            result, color = ("synced after retries", "green") if day_errors else ("synced", "green")
        elif status == SyncStatus.failed and last is not None:
            result, color = "failed", "red"
        elif status in ACTIVE_RUN:
            result, color = ("retrying", "amber") if day_errors else ("waiting", "gray")
        else:
            result, color = "not synced", "amber"
        note = str(last.get("message", "")) if last is not None else ""
        rows.append(DayRow(date=day.isoformat(), result=result, color=color, errors=len(day_errors), note=note))
    return rows, max(0, len(days) - MAX_DAY_ROWS)


def _error_row(entry: dict[str, Any], zone: str) -> RunErrorRow:
    at = entry.get("at")
    try:
        at_text = exact(dt.datetime.fromisoformat(at), zone) if at else ""
    except (TypeError, ValueError):
        at_text = str(at)
    return RunErrorRow(
        date=str(entry.get("date") or "—"), kind=health.error_kind_label(entry.get("kind")),
        message=str(entry.get("message", "")),
        http_status="" if entry.get("status") is None else str(entry["status"]),
        request_id=str(entry.get("request_id") or ""),
        attempt="" if entry.get("attempt") is None else str(int(entry["attempt"]) + 1),
        at=at_text,
    )


def run_detail(session: Session, tenant_id: int, log_id: int) -> RunDetail:
    """A run's details for "View run"; NotFound for an unknown or another tenant's id."""
    log = integrations.get_sync_log_or_raise(session=session, tenant_id=tenant_id, log_id=log_id)
    integration = ai_tooling.get_integration_or_raise(
        session=session, tenant_id=tenant_id, integration_id=log.integration_id
    )
    zone = _tenant(session, tenant_id).timezone
    now = clock.utcnow()
    diagnostics = dict(log.diagnostics or {})
    errors = [e for e in diagnostics.get("errors", []) if isinstance(e, dict)]
    affected = diagnostics.get("affected_records") or {}
    rematched = diagnostics.get("rematched") or {}
    status = SyncStatus(log.status)
    _, progress_text = _progress(log)
    days, not_listed = _day_rows(log, errors)
    view = RunView(
        id=log.id, provider_name=_provider_name(integration.provider), kind=str(log.kind),
        window=window(log.window_start, log.window_end), status=status.value, status_color=RUN_STATUS_COLOR[status],
        triggered_by=_triggered_by(session, log), created=exact(log.created_at, zone),
        started=exact(log.started_at, zone), finished=exact(log.finished_at, zone),
        duration=duration(log.started_at, log.finished_at or (now if status == SyncStatus.running else None)),
        fetched=log.records_fetched, stored=log.records_upserted, matched=log.records_matched,
        unmatched=log.records_unmatched, progress_text=progress_text,
        checkpoint=log.checkpoint_date.isoformat() if log.checkpoint_date else "",
        error_message=log.error_message or "",
        scopes=", ".join("Live Baseline" if s.get("scenario_id") is None else str(s.get("name"))
                         for s in diagnostics.get("scopes", [])),
        rematched=(f"{rematched.get('linked', 0)} linked, {rematched.get('unlinked', 0)} unlinked"
                   if rematched else ""),
        days_not_listed=not_listed, affected_dates_total=int(affected.get("dates_total", 0) or 0),
    )
    return RunDetail(
        view=view, errors=[_error_row(e, zone) for e in errors], days=days,
        skipped_scopes=[f"{s.get('name')} ({s.get('reason')})" for s in diagnostics.get("skipped_scopes", [])],
        affected_emails=[str(e) for e in affected.get("emails", [])],
        affected_dates=[str(d) for d in affected.get("dates", [])],
    )
