"""What the AI Tooling settings page shows, built from the services' results.

Reflex sends public state to the browser as JSON, so the page keeps these small rows, never database
objects and never a credential: an integration row carries its status, organisation name, targets and
timestamps, nothing of `config_encrypted`. Building them is presentation only (labels, colours, "3 hours
ago", the exact time in the tenant's zone); every rule stays in the services.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import credit_prices, ingest, seat_prices
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.price_schedule import PricePeriod
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.declaration import ProviderInfo
from orgonaut.ai_tooling.sync import TriggeredBy
from orgonaut.ai_tooling.windows import next_nightly
from orgonaut.integrations import service as integrations
from orgonaut.integrations.error_kinds import error_kind_label
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.org import queries as org_queries
from orgonaut.org import service as org
from orgonaut.org.models import OrgUnitKind, ScenarioKind, ScenarioStatus
from orgonaut.paging import Page
from orgonaut.settings import get_settings
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Feature, Tenant
from orgonaut.tenancy.service import plans_sentence
from orgonaut.ui.format import ago, format_usd
from orgonaut.ui.pages.ai_tooling.lists import ListChoices

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
    SyncStatus.cancelled: "gray",
}
TRIGGER_LABEL = {TriggeredBy.schedule: "Nightly schedule", TriggeredBy.cli: "Command line"}
ACTIVE_RUN = (SyncStatus.queued, SyncStatus.running)


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
    last_sync_ago: str = ""  # the last attempt, however it ended
    last_sync_exact: str = ""
    last_sync_iso: str = ""
    last_success_ago: str = ""
    last_success_exact: str = ""
    last_success_iso: str = ""
    next_sync: str = ""  # "today at 03:00 UTC"; "" when it will not run (paused, disconnected)
    targets: list[str] = dataclasses.field(default_factory=list)
    last_error: str = ""
    last_error_label: str = ""
    # A provider that bills in credits: which price per credit applies to which days ("" otherwise).
    credit_prices: str = ""
    seat_prices: str = ""  # "Business: $19; Enterprise: $39 until 28 Feb 2026; $45 from 1 Mar 2026"


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
    # A person asked it to stop (it ends after the current day); `cancellable`: a running backfill.
    cancelling: bool = False
    cancellable: bool = False


@dataclasses.dataclass
class UnmatchedRow:
    source_email: str = ""
    label: str = ""
    not_a_person: str = ""  # "API key", "Service account": shown as a badge, never matched
    suggested_email: str = ""  # a vendor id's e-mail from its vendor (SAML), offered by "Add person"
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
    logs: Page[LogRow]
    unmatched: Page[UnmatchedRow]
    scenario_options: list[Option]
    ignored: list[UnmatchedRow]
    log_integrations: list[Option]  # the log filter's choices: every AI Tooling integration, disconnected too
    runs_active: bool  # a run is queued or running, whether or not the logs shown include it
    choices: ListChoices  # what the lists show: the pages shown, an integration not the tenant's left out


# --- formatting -------------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


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
    return plans_sentence(Feature.ai_tooling)


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


def provider_card(session: Session, info: ProviderInfo, integration: Integration | None,
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
    card.last_success_ago = ago(integration.last_success_at, now)
    card.last_success_exact = exact(integration.last_success_at, zone)
    card.last_success_iso = iso(integration.last_success_at)
    if status in (IntegrationStatus.active, IntegrationStatus.error):
        card.next_sync = next_sync_text(now, get_settings().timezone)
    card.targets = targets(session, integration) if status != IntegrationStatus.disconnected else []
    card.last_error = integration.last_error or ""
    card.last_error_label = error_kind_label(integration.last_error_kind) if integration.last_error else ""
    if info.credit_price_field and status != IntegrationStatus.disconnected:
        card.credit_prices = prices_text(credit_prices.schedule(session=session, integration=integration))
    if info.seat_price_fields and status != IntegrationStatus.disconnected:
        card.seat_prices = "; ".join(
            f"{plan.capitalize()}: "
            f"{prices_text(seat_prices.schedule(session=session, integration=integration, plan=plan))}"
            for plan in seat_prices.plans(integration))
    return card


def next_sync_text(now: dt.datetime, zone: str) -> str:
    """When beat starts the next nightly sync: "today at 03:00 UTC", "tomorrow at 03:00 CET"."""
    at = next_nightly(_aware(now), zone)
    day = "today" if at.date() == _aware(now).astimezone(ZoneInfo(zone)).date() else "tomorrow"
    return f"{day} at {at:%H:%M} {at.tzname() or zone}"


def kind_label(log: IntegrationSyncLog) -> str:
    """What people call a run: the nightly sync, a "Sync now", a backfill."""
    if log.kind == SyncKind.backfill:
        return "Backfill"
    return "Nightly sync" if log.triggered_by == TriggeredBy.schedule else "Sync now"


def prices_text(periods: list[PricePeriod]) -> str:
    """"$0.04 until 21 Nov 2026; $0.05 from 22 Nov 2026": which price applied to which days."""
    parts = []
    for period in periods:
        price = f"${period.price}"
        if period.effective_from is None:
            parts.append(price if period.until is None else f"{price} until {period.until:%-d %b %Y}")
        elif period.until is None:
            parts.append(f"{price} from {period.effective_from:%-d %b %Y}")
        else:
            parts.append(f"{price} from {period.effective_from:%-d %b %Y} to {period.until:%-d %b %Y}")
    return "; ".join(parts)


def triggered_by_text(session: Session, log: IntegrationSyncLog) -> str:
    if log.triggered_by != TriggeredBy.user:
        return TRIGGER_LABEL.get(log.triggered_by, log.triggered_by)
    user = tenancy.get_user(session=session, user_id=log.triggered_by_user_id) if log.triggered_by_user_id else None
    return (user.name or user.email) if user is not None else "A user"


def progress_of(log: IntegrationSyncLog) -> tuple[int, str]:
    total = max(log.days_total, 1)
    return min(100, round(100 * log.days_done / total)), f"{log.days_done} of {log.days_total} days"


def log_row(session: Session, log: IntegrationSyncLog, provider: str, zone: str, now: dt.datetime) -> LogRow:
    status = SyncStatus(log.status)
    active = status in ACTIVE_RUN
    progress, progress_text = progress_of(log)
    cancelling = active and log.cancel_requested_at is not None
    return LogRow(
        id=log.id, provider_name=registry.display_name(provider), kind=kind_label(log),
        window=window(log.window_start, log.window_end), status=status.value, status_color=RUN_STATUS_COLOR[status],
        fetched=log.records_fetched, matched=log.records_matched, unmatched=log.records_unmatched,
        duration=duration(log.started_at, log.finished_at or (now if status == SyncStatus.running else None)),
        triggered_by=triggered_by_text(session, log), when_ago=ago(log.created_at, now),
        when_exact=exact(log.created_at, zone), when_iso=iso(log.created_at), active=active,
        days_done=log.days_done, days_total=log.days_total, progress=progress, progress_text=progress_text,
        cancelling=cancelling, cancellable=active and not cancelling and log.kind == SyncKind.backfill,
    )


def unmatched_row(entry: ai_tooling.UnmatchedEmail) -> UnmatchedRow:
    return UnmatchedRow(
        source_email=entry.source_email, label=entry.label or entry.source_email, not_a_person=entry.not_a_person,
        suggested_email=entry.suggested_email,
        provider_name=registry.display_name(entry.provider), record_count=entry.record_count,
        last_seen=entry.last_seen.isoformat(), total_cost=format_usd(entry.total_cost_cents),
    )


def tenant_of(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None
    return tenant


def logs(session: Session, tenant_id: int, choices: ListChoices) -> Page[LogRow]:
    """The page of logs the choices ask for (an integration that is not the tenant's: all of them)."""
    tenant = tenant_of(session, tenant_id)
    now = clock.utcnow()
    providers = {
        i.id: i.provider
        for i in ai_tooling.list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    }
    page = integrations.sync_log_page(
        session=session, tenant_id=tenant_id, request=choices.logs_page, category=ai_tooling.CATEGORY,
        integration_id=choices.logs_integration_id if choices.logs_integration_id in providers else None,
        status=choices.logs_status or None,
    )
    return page.map(lambda log: log_row(session, log, providers[log.integration_id], tenant.timezone, now))


def unmatched(session: Session, tenant_id: int, scenario_id: int | None, choices: ListChoices) -> Page[UnmatchedRow]:
    return ai_tooling.unmatched_page(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, request=choices.unmatched_page,
        search=choices.unmatched_search, sort=choices.unmatched_sort,
    ).map(unmatched_row)


def page_data(session: Session, tenant_id: int, scenario_id: int | None, choices: ListChoices) -> PageData:
    """Everything the page shows for one tenant; unmatched e-mails of the chosen scope; the lists' pages
    as `choices` ask."""
    tenant = tenant_of(session, tenant_id)
    now = clock.utcnow()
    by_provider = ai_tooling.current_integrations(session=session, tenant_id=tenant_id)
    cards = [provider_card(session, info, by_provider.get(info.key), tenant.timezone, now)
             for info in registry.list_providers()]
    scenarios = [
        Option(value=str(s.id), label=s.name)
        for s in org.list_scenarios(session=session, tenant_id=tenant_id, kind=ScenarioKind.scenario,
                                    status=ScenarioStatus.active)
    ]
    ignored = [unmatched_row(entry) for entry in
               ai_tooling.list_ignored(session=session, tenant_id=tenant_id, scenario_id=scenario_id)]
    records = ai_tooling.list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    log_integrations = [
        Option(value=str(i.id), label=registry.display_name(i.provider)
               + (" (disconnected)" if i.status == IntegrationStatus.disconnected else ""))
        for i in records
    ]
    if choices.logs_integration_id not in {i.id for i in records}:
        choices = dataclasses.replace(choices, logs_integration_id=None)
    shown_logs, shown_unmatched = logs(session, tenant_id, choices), unmatched(session, tenant_id, scenario_id, choices)
    return PageData(
        providers=cards, logs=shown_logs, unmatched=shown_unmatched, scenario_options=scenarios, ignored=ignored,
        log_integrations=log_integrations, choices=choices.shown(shown_unmatched, shown_logs),
        runs_active=integrations.has_unfinished_runs(session=session, tenant_id=tenant_id),
    )


def team_options(session: Session, tenant_id: int, scenario_id: int | None) -> list[Option]:
    """The teams of a scope for "Add person", by name."""
    return [Option(value=str(unit.id), label=unit.name) for unit in
            org.list_org_units(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=OrgUnitKind.team)]


def people_options(session: Session, tenant_id: int, scenario_id: int | None, *,
                   machines_only: bool = False) -> list[Option]:
    """The actors of a scope for "Use for an existing person": name and current e-mail; with
    `machines_only`, its robots and agents (what an API key or a service account maps to)."""
    rows = org_queries.list_people(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    return [
        Option(value=str(row.actor.id), label=f"{row.actor.name} · {row.actor.email or str(row.actor.kind)}")
        for row in rows if not machines_only or str(row.actor.kind) != "human"
    ]
