"""A run's log row: its lease (one runner), what it says about progress and errors, and how it ends.

One runner per run, provably: a runner writes a fresh lease on the log when it starts, and every
later write of that runner (a day's records with the checkpoint, the end of the run) first runs
`UPDATE ... SET lease = :lease WHERE id = :id AND lease = :lease` in the same transaction. If
another runner took over meanwhile (a redelivered task, a resumed run after a lost lock), that
finds no row, and the stale runner rolls back and stops: its day was never committed. On
PostgreSQL the UPDATE also row-locks the log until the commit, so a takeover waits for the day in
flight instead of racing it.

End states are written in a fresh session: the chunk's own may sit on a dropped connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import diagnostics
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.ai_tooling.runs import plan_reason
from orgonaut.ai_tooling.windows import days_between
from orgonaut.db import get_engine, table_of
from orgonaut.integrations import health
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.tenancy.models import Tenant

logger = logging.getLogger(__name__)

FINISHED = (SyncStatus.succeeded, SyncStatus.failed, SyncStatus.skipped, SyncStatus.cancelled)
_LOGS = table_of(IntegrationSyncLog)


class Superseded(Exception):
    """Another runner holds this run's lease now: this one must roll back and stop."""


def new_lease() -> str:
    return uuid.uuid4().hex


def take_lease(session: Session, log: IntegrationSyncLog) -> str:
    """Makes this runner the run's only committer (committed at once), and reloads `log`: the
    runner it displaced may have committed a day between this runner's first read and the takeover
    (the UPDATE waits for that commit), and this runner must go on after that day, not repeat it."""
    lease = new_lease()
    session.execute(update(_LOGS).where(_LOGS.c.id == log.id).values(lease=lease))
    session.commit()
    session.refresh(log)
    return lease


def fence(session: Session, log_id: int, lease: str | None) -> None:
    """Raises Superseded unless this runner still holds the lease; call in the transaction it guards."""
    if lease is None:
        return
    result = session.execute(update(_LOGS).where(_LOGS.c.id == log_id, _LOGS.c.lease == lease).values(lease=lease))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Superseded(f"sync log {log_id} has another runner now")


def remaining_days(log: IntegrationSyncLog) -> list[dt.date]:
    first = log.window_start if log.checkpoint_date is None else log.checkpoint_date + dt.timedelta(days=1)
    return days_between(first, log.window_end) if first <= log.window_end else []


def internal(error: BaseException) -> Exception:
    # The exception's own text may quote data; the log keeps only its type, the worker log the rest.
    return RuntimeError(f"Internal error ({type(error).__name__}); see the worker log.")


def _synced_before(log: IntegrationSyncLog) -> str:
    return f" {log.days_done} of {log.days_total} days were synced before." if log.days_done else ""


def _rolled_back(session: Session | None) -> None:
    if session is None:
        return
    try:
        session.rollback()
    except Exception:  # a dropped connection: the fresh session below does the writing
        logger.warning("could not roll back a sync session", exc_info=True)


def _end(
    session: Session | None, log_id: int, lease: str | None, status: SyncStatus, message: str | None,
    edit: Any = None, health_event: Any = None,
) -> None:
    """Writes an end state (fenced) in a fresh session; `edit(log, integration, fresh)` adds details."""
    _rolled_back(session)
    with Session(get_engine(), expire_on_commit=False) as fresh:
        log = fresh.get(IntegrationSyncLog, log_id)
        if log is None or log.status in FINISHED:
            return
        integration = fresh.get(Integration, log.integration_id)
        assert integration is not None
        fence(fresh, log_id, lease)
        log.status = status
        log.error_message = message
        log.finished_at = clock.utcnow()
        if edit is not None:
            edit(log, integration, fresh)
        fresh.add(log)
        fresh.commit()


def skip(session: Session | None, log_id: int, lease: str | None, reason: str) -> None:
    def edit(log: IntegrationSyncLog, integration: Integration, fresh: Session) -> None:
        log.error_message = reason + _synced_before(log)
        diagnostics.update(log, skip_reason=reason)
        tenant = fresh.get(Tenant, integration.tenant_id)
        if tenant is not None and plan_reason(tenant) and integration.status != IntegrationStatus.disconnected:
            health.record(session=fresh, integration=integration, event=health.HealthEvent.plan_downgraded,
                          message=reason)

    _end(session, log_id, lease, SyncStatus.skipped, reason, edit)


def cancel(session: Session | None, log_id: int, lease: str | None) -> None:
    def edit(log: IntegrationSyncLog, integration: Integration, fresh: Session) -> None:
        log.error_message = "Cancelled." + _synced_before(log)
        diagnostics.update(log, cancelled_at=clock.utcnow().isoformat())

    _end(session, log_id, lease, SyncStatus.cancelled, "Cancelled.", edit)


def fail(
    session: Session | None, log_id: int, lease: str | None, error: Exception, kind: ErrorKind, day: dt.date | None,
    attempt: int | None = None, emails: set[str] | None = None,
) -> None:
    def edit(log: IntegrationSyncLog, integration: Integration, fresh: Session) -> None:
        diagnostics.add_error(log, diagnostics.error_note(day, error, kind, attempt))
        diagnostics.update(log, affected_records=diagnostics.affected(remaining_days(log), emails))
        # A run that never got its turn says nothing about the connection's health, nor does a
        # request the vendor refused as invalid (a date before its data begins, say).
        refused = isinstance(error, ProviderError) and error.status == 400
        if integration.status != IntegrationStatus.disconnected and kind is not ErrorKind.busy and not refused:
            health.record(session=fresh, integration=integration, event=health.HealthEvent.sync_failed,
                          error_kind=kind, message=str(error))

    _end(session, log_id, lease, SyncStatus.failed, str(error), edit)


def note_transient(session: Session | None, log_id: int, lease: str | None, error: Exception, day: dt.date | None,
                   attempt: int) -> None:
    """Records a retried error on the log; best effort (the database may be what failed)."""
    _rolled_back(session)
    kind = error.kind if isinstance(error, ProviderError) else ErrorKind.unavailable
    try:
        with Session(get_engine(), expire_on_commit=False) as fresh:
            log = fresh.get(IntegrationSyncLog, log_id)
            if log is None or log.status in FINISHED:
                return
            fence(fresh, log_id, lease)
            shown = error if isinstance(error, ProviderError) else internal(error)
            diagnostics.add_error(log, diagnostics.error_note(day, shown, kind, attempt))
            fresh.add(log)
            fresh.commit()
    except Superseded:
        raise
    except Exception:
        logger.warning("could not note a retried error on sync log %s", log_id, exc_info=True)
