"""Runs as the Settings page, the REST API and the CLI ask for them: Sync now, Backfill (with the backfill
input rules: earliest day, no partial day, a confirmation for long ranges) and cancelling a run. The runs
themselves are the sync engine's (`orgonaut.ai_tooling.sync`); they are queued once the caller commits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, col

from orgonaut import clock
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.connections import NOT_ALLOWED, get_integration_or_raise, plan_or_raise, tenant_or_raise
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.windows import last_complete_day
from orgonaut.errors import Conflict, Forbidden, NotFound, ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.settings import get_settings
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, User

# A guard against typos such as 1025 for 2025; any real history fits.
MAX_BACKFILL_DAYS = 3660
# A backfill over more days than this is queued only once the person confirmed its size.
CONFIRM_OVER_DAYS = 366
ACTIVE_RUN = (SyncStatus.queued, SyncStatus.running)


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
    """ORGONAUT_AI_TOOLING_EARLIEST_DATE, or the provider's own earliest day (or retention) where later."""
    return registry.earliest_backfill_date(provider, configured=get_settings().ai_tooling_earliest_date,
                                           today=clock.utcnow().date())


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
    planned = BackfillRange(start=start, end=end, days=days, requests=info.requests_for(days))
    if days > CONFIRM_OVER_DAYS and not confirmed:
        raise BackfillNeedsConfirmation(
            days=days, requests=planned.requests, api_name=info.api_name
        )
    return planned


def _runnable_or_raise(session: Session, integration: Integration) -> None:
    if integration.status == IntegrationStatus.disconnected:
        raise ValidationFailed(f"Integration {integration.id} is disconnected; connect it again first.")
    if integration.status == IntegrationStatus.paused:
        raise ValidationFailed(f"Integration {integration.id} is paused; resume it to sync.")
    plan_or_raise(tenant_or_raise(session, integration.tenant_id))


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
