"""Creating sync runs: Sync now and Backfill (a person), the nightly reconcile (beat), and resuming
runs whose worker died. A run is an `integration_sync_logs` row; `chunk.run_chunk` works it off.

Gates: a paused or disconnected integration, or a tenant whose plan lacks AI Tooling, gets a
`skipped` log with the reason and no request to the provider (checked by the run itself).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from orgonaut import jobs
from orgonaut.ai_tooling import windows
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.sync_lock import IntegrationLock, task_token
from orgonaut.db import after_commit
from orgonaut.errors import Conflict
from orgonaut.integrations.models import (
    Integration,
    IntegrationCategory,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncKind,
    SyncStatus,
)
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Feature, Tenant
from orgonaut.tenancy.service import feature_refusal

logger = logging.getLogger(__name__)

TASK_NAME = "orgonaut.ai_tooling.sync_range"
ALREADY_RUNNING = "A sync is already running for this integration; wait for it to finish."
UNFINISHED = (SyncStatus.queued, SyncStatus.running)
# A queued run's lock lives this long before its first task renews it: a busy worker pool may hold
# the task back a while, and the lock is what tells a person "already running".
QUEUED_LOCK_SECONDS = 600


class TriggeredBy(StrEnum):
    schedule = "schedule"
    user = "user"
    cli = "cli"


def queue_of(kind: str) -> str:
    """Backfills wait on their own queue; reconcile runs (nightly, "Sync now") on theirs (`jobs`)."""
    return jobs.BACKFILL_QUEUE if kind == SyncKind.backfill else jobs.NIGHTLY_QUEUE


def send_chunk(log_id: int, kind: str, task_id: str, countdown: float | None = None) -> None:
    jobs.send(TASK_NAME, args=[log_id], task_id=task_id, countdown=countdown, queue=queue_of(kind))


def plan_reason(tenant: Tenant) -> str | None:
    return feature_refusal(tenant, Feature.ai_tooling)


def gate_reason(*, session: Session, integration: Integration) -> str | None:
    """Why this integration must not sync now, or None."""
    if integration.status == IntegrationStatus.disconnected:
        return "The integration is disconnected."
    if integration.status == IntegrationStatus.paused:
        return "The integration is paused."
    return plan_reason(session.get_one(Tenant, integration.tenant_id))


def create_log(
    *, session: Session, integration: Integration, kind: SyncKind, start: dt.date, end: dt.date,
    triggered_by: TriggeredBy | str, user_id: int | None = None, schedule_key: str | None = None,
) -> IntegrationSyncLog:
    log = IntegrationSyncLog(
        tenant_id=integration.tenant_id, integration_id=integration.id, kind=kind, status=SyncStatus.queued,
        window_start=start, window_end=end, days_total=(end - start).days + 1,
        triggered_by=TriggeredBy(triggered_by).value, triggered_by_user_id=user_id, schedule_key=schedule_key,
    )
    session.add(log)
    session.flush()
    return log


def _unfinished_run(session: Session, integration_id: int) -> bool:
    return session.exec(select(func.count()).select_from(IntegrationSyncLog).where(
        IntegrationSyncLog.integration_id == integration_id, col(IntegrationSyncLog.status).in_(UNFINISHED),
    )).one() > 0


def open_run(
    *, session: Session, integration: Integration, kind: SyncKind, start: dt.date, end: dt.date,
    triggered_by: TriggeredBy | str, user_id: int | None = None, enqueue: bool = True,
) -> IntegrationSyncLog:
    """A queued run that holds the integration's lock (flushed, not committed).

    With `enqueue` its first task is sent once the caller commits; without, the caller runs it in the
    foreground with `steps.run_foreground(log_id=...)`. Raises Conflict while another run holds the
    lock or is still queued or running.
    """
    lock = IntegrationLock(integration.id)
    if lock.holder() is not None or _unfinished_run(session, integration.id):
        raise Conflict(ALREADY_RUNNING)
    log = create_log(
        session=session, integration=integration, kind=kind, start=start, end=end, triggered_by=triggered_by,
        user_id=user_id,
    )
    task_id = str(uuid.uuid4()) if enqueue else f"foreground-{uuid.uuid4().hex}"
    token = task_token(log.id, task_id)
    if not lock.acquire(token, QUEUED_LOCK_SECONDS if enqueue else None):
        raise Conflict(ALREADY_RUNNING)
    after_commit(
        session,
        functools.partial(send_chunk, log.id, log.kind, task_id) if enqueue else None,
        functools.partial(lock.release, token),
    )
    return log


def last_reconciled(session: Session, integration_id: int) -> dt.date | None:
    """The window end of the integration's last successful scheduled reconcile."""
    return session.exec(select(func.max(IntegrationSyncLog.window_end)).where(
        IntegrationSyncLog.integration_id == integration_id, IntegrationSyncLog.kind == SyncKind.reconcile,
        IntegrationSyncLog.status == SyncStatus.succeeded, IntegrationSyncLog.triggered_by == TriggeredBy.schedule,
    )).one()


def queue_nightly(*, session: Session, now: dt.datetime | None = None) -> list[int]:
    """One reconcile run per connected AI Tooling integration, up to the last complete UTC day.

    Once per integration and window end, however many beats or redeliveries ask: the log's
    `schedule_key` is unique per integration. Gates are checked by the run itself, so a paused
    integration or a downgraded tenant gets its `skipped` log from the same place as every other run.
    The caller commits; the tasks go after.
    """
    end = windows.last_complete_day(now)
    statement = select(Integration).where(
        Integration.category == IntegrationCategory.ai_tooling,
        Integration.status != IntegrationStatus.disconnected,
    )
    log_ids = []
    for integration in session.exec(statement.order_by(col(Integration.id))).all():
        start, _ = windows.nightly_window(
            end=end, lookback_days=registry.nightly_lookback_days(integration.provider, get_settings().lookback_days),
                                          last_reconciled=last_reconciled(session, integration.id))
        try:
            with session.begin_nested():
                log = create_log(
                    session=session, integration=integration, kind=SyncKind.reconcile, start=start, end=end,
                    triggered_by=TriggeredBy.schedule, schedule_key=f"nightly:{end.isoformat()}",
                )
        except IntegrityError:
            logger.info("the nightly reconcile of integration %s up to %s is already queued", integration.id, end)
            continue
        task_id = str(uuid.uuid4())
        lock = IntegrationLock(integration.id)
        token = task_token(log.id, task_id)
        # If another run holds the lock, the task waits behind it.
        took = lock.acquire(token, QUEUED_LOCK_SECONDS)
        after_commit(
            session,
            functools.partial(send_chunk, log.id, log.kind, task_id),
            functools.partial(lock.release, token) if took else None,
        )
        log_ids.append(log.id)
    return log_ids


def resume_interrupted(*, session: Session) -> list[int]:
    """Re-queues runs that say queued or running while nobody holds their integration's lock.

    That is a run whose worker died, or whose message was lost (the lock expired with nobody to
    renew it); it goes on from its checkpoint. Runs from beat every few minutes and when a worker
    starts. Should the broker also redeliver an old task, the lease on the log keeps one runner.
    """
    statement = select(IntegrationSyncLog).where(col(IntegrationSyncLog.status).in_(UNFINISHED))
    resumed = []
    for log in session.exec(statement.order_by(col(IntegrationSyncLog.id))).all():
        lock = IntegrationLock(log.integration_id)
        task_id = str(uuid.uuid4())
        token = task_token(log.id, task_id)
        if lock.acquire(token, QUEUED_LOCK_SECONDS):
            logger.info("resuming interrupted sync log %s from %s", log.id, log.checkpoint_date)
            after_commit(session, functools.partial(send_chunk, log.id, log.kind, task_id),
                         functools.partial(lock.release, token))
            resumed.append(log.id)
    return resumed
