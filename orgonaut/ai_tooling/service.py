"""AI Tooling integrations: what the Settings page, the REST API and the CLI call.

Connect (format check, then a live test, then the sealed key and the targeting), change targeting,
replace the key, test an existing connection, start Sync now and Backfill runs (with the backfill
input rules: earliest day, no partial day, a confirmation for long ranges), cancel a run, list
unmatched e-mails. Pause, resume and disconnect are the same for every integration and live in
`orgonaut.integrations.service`.

Every function takes the session first and keyword-only arguments, flushes and leaves the commit to
the caller; runs are queued once that commit happens. Access (the `ai-tooling.manage` ability) is
checked by the caller, as everywhere. A tenant has at most one integration per provider that is not
disconnected; connecting a provider again after a disconnect reuses that record, so its sync logs and
usage history stay together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from orgonaut import clock
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX, ProviderError
from orgonaut.ai_tooling.windows import last_complete_day
from orgonaut.errors import Conflict, Forbidden, NotFound, ValidationFailed
from orgonaut.integrations import health, secrets
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import (
    Integration,
    IntegrationCategory,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncKind,
    SyncStatus,
)
from orgonaut.org.models import Scenario, ScenarioKind, ScenarioStatus
from orgonaut.settings import get_settings
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, Tenant, User

# A guard against typos such as 1025 for 2025; any real history fits.
MAX_BACKFILL_DAYS = 3660
# A backfill over more days than this is queued only once the person confirmed its size.
CONFIRM_OVER_DAYS = 366
# Every day of a backfill is at least one request to the vendor (more when a day has several pages).
MIN_REQUESTS_PER_DAY = 1
CATEGORY = IntegrationCategory.ai_tooling
NOT_ALLOWED = "Only owners and admins can manage AI Tooling integrations."
ACTIVE_RUN = (SyncStatus.queued, SyncStatus.running)
# Whose API a backfill's requests go to, for the confirmation; else "the <provider> API".
_VENDOR_API = {"claude_code": "the Anthropic API"}


@dataclasses.dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    organization_name: str | None = None
    error_kind: str | None = None
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class UnmatchedEmail:
    source_email: str  # a lower-case e-mail, or `api-key:<key name>`
    provider: str
    is_api_key: bool
    record_count: int
    last_seen: dt.date
    total_cost_cents: Decimal


class BackfillNeedsConfirmation(ValidationFailed):
    """A valid backfill too long to queue unasked: start it again with `confirmed=True` once the person
    agreed. The message is the question to ask."""

    code = "confirm"

    def __init__(self, *, days: int, requests: int, api_name: str):
        self.days, self.requests, self.api_name = days, requests, api_name
        super().__init__(
            f"This backfill covers {days} days and takes at least {requests} requests to {api_name}. Continue?"
        )


@dataclasses.dataclass(frozen=True)
class BackfillRange:
    start: dt.date
    end: dt.date
    days: int
    requests: int  # at least this many vendor calls


# --- lookups ----------------------------------------------------------------------------------


def get_integration_or_raise(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    integration = integrations.get_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.category != CATEGORY:
        raise NotFound(f"Integration {integration_id} was not found.")
    return integration


def list_integrations(*, session: Session, tenant_id: int, include_disconnected: bool = False) -> list[Integration]:
    return integrations.list_for_tenant(
        session=session, tenant_id=tenant_id, category=CATEGORY, include_disconnected=include_disconnected
    )


def current_integrations(*, session: Session, tenant_id: int) -> dict[str, Integration]:
    """The integration that stands for each provider: its connected one, else its latest disconnected one."""
    records = list_integrations(session=session, tenant_id=tenant_id, include_disconnected=True)
    by_provider: dict[str, Integration] = {}
    for integration in sorted(records, key=lambda i: (i.status == IntegrationStatus.disconnected, -i.id)):
        by_provider.setdefault(integration.provider, integration)
    return by_provider


def ensure_connectable(*, session: Session, tenant_id: int, provider: str) -> registry.ProviderInfo:
    """The provider, if this tenant may start connecting it: available, and not connected already."""
    info = registry.get_provider_info(provider)
    if not info.available:
        raise ValidationFailed(f"{info.display_name} is coming soon: it cannot be connected yet.")
    if integrations.get_connected(session=session, tenant_id=tenant_id, category=CATEGORY, provider=info.key):
        raise ValidationFailed(f"{info.display_name} is already connected.")
    return info


def ensure_key_replaceable(*, session: Session, tenant_id: int, integration_id: int) -> Integration:
    """The integration, if its key may be replaced: a disconnected one is connected again instead."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed("This integration is disconnected; connect it again instead.")
    return integration


def active_target_scenario_ids(*, session: Session, integration: Integration) -> list[int]:
    """The integration's selected scenarios that are still active (archived ones drop out on the next save)."""
    selected = [int(i) for i in integration.target_scenario_ids]
    if not selected:
        return []
    active = set(session.exec(select(Scenario.id).where(
        Scenario.tenant_id == integration.tenant_id, col(Scenario.id).in_(selected),
        Scenario.kind == ScenarioKind.scenario, Scenario.status == ScenarioStatus.active,
    )))
    return [i for i in selected if i in active]


# --- validation -------------------------------------------------------------------------------


def _tenant_or_raise(session: Session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"Tenant {tenant_id} was not found.")
    return tenant


def _plan_or_raise(tenant: Tenant) -> None:
    reason = sync.plan_reason(tenant)
    if reason:
        raise Forbidden(reason)


def validate_targets(
    *, session: Session, tenant_id: int, baseline: bool, scenario_ids: Iterable[int | str], all_future: bool
) -> list[int]:
    """The selected scenario ids, each an active scenario of this tenant; ValidationFailed otherwise."""
    ids: list[int] = []
    for raw in scenario_ids:
        try:
            scenario_id = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(f"'{str(raw)[:40]}' is not a scenario id.") from None
        if scenario_id not in ids:
            ids.append(scenario_id)
    if not (baseline or ids or all_future):
        raise ValidationFailed(
            "Choose where usage data applies: the Live baseline, one or more active scenarios, "
            "or all future scenarios."
        )
    for scenario_id in ids:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None or scenario.tenant_id != tenant_id:
            raise ValidationFailed(f"Scenario {scenario_id} was not found.")
        if scenario.kind == ScenarioKind.snapshot:
            raise ValidationFailed(f"'{scenario.name}' is a snapshot: snapshots are read-only and receive no usage.")
        if scenario.status == ScenarioStatus.archived:
            raise ValidationFailed(
                f"The scenario '{scenario.name}' is archived: archived scenarios are read-only and receive no usage."
            )
    return ids


def _today() -> dt.date:
    return clock.today_in(get_settings().timezone)


def validate_backfill_range(*, start: dt.date, end: dt.date) -> None:
    today = _today()
    if end < start:
        raise ValidationFailed(f"The end date ({end}) is before the start date ({start}).")
    if end > today:
        raise ValidationFailed(f"{end} is in the future: the latest day you can sync is today ({today}).")
    if (end - start).days + 1 > MAX_BACKFILL_DAYS:
        raise ValidationFailed(f"A backfill covers at most {MAX_BACKFILL_DAYS} days; split the range.")


def earliest_backfill_date(provider: str) -> dt.date:
    """ORGONAUT_AI_TOOLING_EARLIEST_DATE, or the provider's own earliest day where that is later."""
    configured = get_settings().ai_tooling_earliest_date
    declared = registry.get_provider_info(provider).earliest_date
    return max(configured, declared) if declared is not None else configured


def check_backfill(*, provider: str, start: dt.date, end: dt.date, confirmed: bool = False) -> BackfillRange:
    """The backfill input rules, for the page and the CLI alike; ValidationFailed says what to change.

    On top of `validate_backfill_range`: nothing before the earliest day, nothing after the last complete
    day (today is partial), and over `CONFIRM_OVER_DAYS` days only when `confirmed`
    (BackfillNeedsConfirmation, with the number of days and of requests, otherwise).
    """
    validate_backfill_range(start=start, end=end)
    info = registry.get_provider_info(provider)
    earliest = earliest_backfill_date(info.key)
    if start < earliest:
        raise ValidationFailed(
            f"The start date ({start}) is too early: {info.display_name} usage can be backfilled from "
            f"{earliest} at the earliest."
        )
    last = last_complete_day()
    if end > last:
        raise ValidationFailed(f"Today's usage is not complete yet: the last day you can sync is {last}.")
    days = (end - start).days + 1
    planned = BackfillRange(start=start, end=end, days=days, requests=days * MIN_REQUESTS_PER_DAY)
    if days > CONFIRM_OVER_DAYS and not confirmed:
        raise BackfillNeedsConfirmation(
            days=days, requests=planned.requests, api_name=_VENDOR_API.get(info.key, f"the {info.display_name} API")
        )
    return planned


def _runnable_or_raise(session: Session, integration: Integration) -> None:
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    if integration.status == IntegrationStatus.paused:
        raise ValidationFailed(f"Integration {integration.id} is paused; resume it to sync.")
    _plan_or_raise(_tenant_or_raise(session, integration.tenant_id))


# --- connecting -------------------------------------------------------------------------------


def test_key(*, provider: str, api_key: str, api_base: str | None = None) -> str:
    """Checks a key before it is saved (the form's Test connection): the organisation name, or
    ValidationFailed with the provider's readable reason. Nothing is stored."""
    api_key = registry.validate_api_key_format(provider, api_key)
    client = registry.create_provider(provider, api_key=api_key, api_base=api_base)
    try:
        return client.test_connection()
    except ProviderError as error:
        raise ValidationFailed(f"Test connection failed: {error}") from None


def _clean_api_base(api_base: str | None) -> str | None:
    value = (api_base or "").strip()
    return value or None


def connect(
    *, session: Session, tenant_id: int, provider: str, api_key: str, api_base: str | None = None,
    baseline: bool = True, scenario_ids: Iterable[int | str] = (), all_future: bool = False,
    user_id: int | None = None,
) -> Integration:
    """Tests the key against the provider, then stores it sealed with the targeting; status active."""
    info = registry.get_provider_info(provider)
    api_key = registry.validate_api_key_format(info.key, api_key)
    tenant = _tenant_or_raise(session, tenant_id)
    _plan_or_raise(tenant)
    ids = validate_targets(
        session=session, tenant_id=tenant_id, baseline=baseline, scenario_ids=scenario_ids, all_future=all_future
    )
    existing = integrations.get_connected(session=session, tenant_id=tenant_id, category=CATEGORY, provider=info.key)
    if existing is not None:
        raise Conflict(f"{info.display_name} is already connected (integration {existing.id}); disconnect it first.")
    api_base = _clean_api_base(api_base)
    organization_name = test_key(provider=info.key, api_key=api_key, api_base=api_base)

    integration = session.exec(
        select(Integration)
        .where(Integration.tenant_id == tenant_id, Integration.category == CATEGORY, Integration.provider == info.key)
        .order_by(col(Integration.id).desc())
    ).first()
    now = clock.utcnow()
    if integration is None:
        integration = Integration(
            tenant_id=tenant_id, category=CATEGORY, provider=info.key, status=IntegrationStatus.active,
            created_by_user_id=user_id,
        )
    integration.api_base = api_base
    integration.target_baseline = bool(baseline)
    integration.target_scenario_ids = ids
    integration.target_all_future = bool(all_future)
    integration.targeting_updated_at = now
    integration.organization_name = organization_name[:200]
    integration.disconnected_at = None
    integrations.store_config(integration, {"api_key": api_key})
    session.add(integration)
    session.flush()
    health.record(session=session, integration=integration, event=health.HealthEvent.connected)
    return integration


def update_targeting(
    *, session: Session, tenant_id: int, integration_id: int, baseline: bool, scenario_ids: Iterable[int | str],
    all_future: bool,
) -> Integration:
    """New targeting from the next run on. "All future" counts from the moment it is switched on."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    ids = validate_targets(
        session=session, tenant_id=tenant_id, baseline=baseline, scenario_ids=scenario_ids, all_future=all_future
    )
    if all_future and not integration.target_all_future:
        integration.targeting_updated_at = clock.utcnow()
    integration.target_baseline = bool(baseline)
    integration.target_scenario_ids = ids
    integration.target_all_future = bool(all_future)
    session.add(integration)
    session.flush()
    return integration


def replace_key(*, session: Session, tenant_id: int, integration_id: int, api_key: str) -> Integration:
    """Tests the new key first; stores it only if the test succeeds (an error status then clears)."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again instead.")
    api_key = registry.validate_api_key_format(integration.provider, api_key)
    integration.organization_name = test_key(
        provider=integration.provider, api_key=api_key, api_base=integration.api_base
    )[:200]
    integrations.store_config(integration, {"api_key": api_key})
    session.add(integration)
    health.record(session=session, integration=integration, event=health.HealthEvent.test_succeeded)
    return integration


def test_connection(*, session: Session, tenant_id: int, integration_id: int) -> ConnectionTest:
    """Tests the stored key (`GET /v1/organizations/me` for Claude Code) and records the health result."""
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    try:
        api_key = integrations.read_config(integration)["api_key"]
        client = registry.create_provider(integration.provider, api_key=api_key, api_base=integration.api_base)
        name = client.test_connection()
    except ProviderError as error:
        result = ConnectionTest(ok=False, error_kind=error.kind.value, message=str(error))
    except secrets.SecretError as error:
        result = ConnectionTest(ok=False, error_kind="credentials", message=str(error))
    else:
        integration.organization_name = name[:200]
        session.add(integration)
        health.record(session=session, integration=integration, event=health.HealthEvent.test_succeeded)
        return ConnectionTest(ok=True, organization_name=name)
    health.record(session=session, integration=integration, event=health.HealthEvent.test_failed,
                  error_kind=result.error_kind, message=result.message)
    return result


# --- runs -------------------------------------------------------------------------------------


def start_sync_now(
    *, session: Session, tenant_id: int, integration_id: int, day: dt.date | None = None,
    triggered_by: sync.TriggeredBy | str = sync.TriggeredBy.user, user_id: int | None = None, enqueue: bool = True,
) -> IntegrationSyncLog:
    """A reconcile run for one day (default yesterday in ORGONAUT_TIMEZONE), queued after commit.

    Refused (Conflict, "A sync is already running ...") while another run holds the integration.
    """
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    _runnable_or_raise(session, integration)
    day = day or last_complete_day()
    validate_backfill_range(start=day, end=day)
    return sync.open_run(
        session=session, integration=integration, kind=SyncKind.reconcile, start=day, end=day,
        triggered_by=triggered_by, user_id=user_id, enqueue=enqueue,
    )


def start_backfill(
    *, session: Session, tenant_id: int, integration_id: int, start: dt.date, end: dt.date,
    triggered_by: sync.TriggeredBy | str = sync.TriggeredBy.user, user_id: int | None = None, enqueue: bool = True,
    confirmed: bool = False,
) -> IntegrationSyncLog:
    """A backfill run over [start, end], queued after commit; refused while another run holds the integration.

    The range follows `check_backfill` (a long one needs `confirmed=True`); a refusal changes nothing.
    """
    integration = get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=integration_id)
    check_backfill(provider=integration.provider, start=start, end=end, confirmed=confirmed)
    _runnable_or_raise(session, integration)
    return sync.open_run(
        session=session, integration=integration, kind=SyncKind.backfill, start=start, end=end,
        triggered_by=triggered_by, user_id=user_id, enqueue=enqueue,
    )


def cancel_run(*, session: Session, tenant_id: int, user: User, log_id: int) -> IntegrationSyncLog:
    """Asks a queued or running run to stop: it ends before its next day, and the days it stored stay.

    Only for people who may start runs (`ai-tooling.manage` in this tenant: Forbidden otherwise); another
    tenant's or an unknown run is NotFound, a finished one Conflict. Asking twice is asking once. The run
    itself (the sync engine) honours `cancel_requested_at`.
    """
    if user.tenant_id != tenant_id or not tenancy.can(user, Ability.ai_tooling_manage):
        raise Forbidden(NOT_ALLOWED)
    log = integrations.get_sync_log_or_raise(session=session, tenant_id=tenant_id, log_id=log_id)
    try:
        get_integration_or_raise(session=session, tenant_id=tenant_id, integration_id=log.integration_id)
    except NotFound:
        raise NotFound(f"Sync log {log_id} was not found.") from None  # another category's run
    if log.cancel_requested_at is not None and log.status in ACTIVE_RUN:
        return log
    # Conditional, so a run that finishes meanwhile is left as it ended.
    changed = session.exec(
        update(IntegrationSyncLog)
        .where(col(IntegrationSyncLog.id) == log.id, col(IntegrationSyncLog.status).in_(ACTIVE_RUN),
               col(IntegrationSyncLog.cancel_requested_at).is_(None))
        .values(cancel_requested_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(log)
    if not changed and log.status not in ACTIVE_RUN:
        raise Conflict(f"Run {log.id} has already finished ({log.status}): there is nothing to cancel.")
    return log


# --- unmatched --------------------------------------------------------------------------------


def list_unmatched(
    *, session: Session, tenant_id: int, scenario_id: int | None = None, provider: str | None = None,
    limit: int = 200,
) -> list[UnmatchedEmail]:
    """Distinct unmatched e-mails (and API keys) of one scope, most recently seen first."""
    if scenario_id is not None:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None or scenario.tenant_id != tenant_id:
            raise NotFound(f"Scenario {scenario_id} was not found.")
    record = AiToolUsageRecord
    last_seen = func.max(record.usage_date)
    statement = (
        select(  # type: ignore[call-overload]  # sqlmodel.select is typed for up to four columns
            record.source_email, record.provider, func.count(), last_seen, func.sum(record.total_cost_cents)
        )
        .where(record.tenant_id == tenant_id, record.scope_key == scope_key(scenario_id),
               col(record.actor_id).is_(None))
        .group_by(record.source_email, record.provider)
        .order_by(last_seen.desc(), record.source_email)
        .limit(max(1, min(limit, 1000)))
    )
    if provider is not None:
        statement = statement.where(record.provider == provider)
    return [
        UnmatchedEmail(
            source_email=email, provider=provider_key, is_api_key=email.startswith(API_KEY_PREFIX),
            record_count=count, last_seen=seen, total_cost_cents=Decimal(str(cost or 0)),
        )
        for email, provider_key, count, seen, cost in session.exec(statement)
    ]
