"""Sync runs: Sync now, Backfill and the nightly reconcile are one flow over a date range.

A run is an `integration_sync_logs` row. It is worked off in short chunks (at most `CHUNK_DAYS` days
and `CHUNK_SECONDS`), each a Celery task that picks up after the log's checkpoint and queues the next
chunk, so no task comes near the broker's one-hour visibility timeout. Each day's records and the
log's progress (days done, counts, checkpoint) commit together, so a killed worker loses nothing and
duplicates nothing: the upsert is idempotent and a re-run starts after the checkpoint.

Two runs of one integration never overlap. A Redis lock per integration (`IntegrationLock`) holds a
token `<log id>:<task id>`; it expires unless renewed, is renewed while a chunk runs, handed to the
next chunk's task id before that task is queued, and released when the run ends. Requests from a
person (Sync now, Backfill, the CLI) are refused with "a sync is already running" while it is held;
a scheduled run queues behind it and waits up to `MAX_WAIT_BEHIND`. A run whose worker died (the log
says running, the lock has expired) is resumed from its checkpoint when a worker starts and by the
nightly job (`resume_interrupted`).

Gates: a paused or disconnected integration, or a tenant whose plan lacks AI Tooling, gets a
`skipped` log with the reason and no request to the provider.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import functools
import itertools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

import httpx
import redis
from sqlmodel import Session, col, select

from orgonaut import clock
from orgonaut.ai_tooling import ingest, matching
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import (
    AiToolingProvider,
    DailyUsage,
    ErrorKind,
    ProviderError,
    ProviderRetriableError,
)
from orgonaut.ai_tooling.refresh import queue_rollup_refresh
from orgonaut.db import after_commit, get_engine
from orgonaut.errors import Conflict, DomainError
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
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Feature, Tenant, plans_with
from orgonaut.tenancy.service import has_feature

logger = logging.getLogger(__name__)

TASK_NAME = "orgonaut.ai_tooling.sync_range"
# A chunk is at most two weeks and five minutes: far inside the broker's one-hour visibility timeout,
# long enough that starting a chunk (loading targets and actors, filling the fetch pipeline) is noise.
CHUNK_DAYS = 14
CHUNK_SECONDS = 300.0
# Days being fetched while the previous one is stored. One hides the fetch behind the store; more
# only adds parsing threads fighting for the GIL (measured slower with the simulator on loopback).
FETCH_AHEAD = 1
LOCK_TTL_SECONDS = 20
WAIT_BEHIND_SECONDS = 60
MAX_WAIT_BEHIND = dt.timedelta(hours=6)
MAX_TRANSIENT_RETRIES = 4
RETRY_BASE_SECONDS = 15.0
RETRY_CAP_SECONDS = 600.0
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (ProviderRetriableError, httpx.TransportError)
ALREADY_RUNNING = "A sync is already running for this integration; wait for it to finish."
BUSY = "busy"  # the error kind of a run that waited behind another one for too long
FINISHED = (SyncStatus.succeeded, SyncStatus.failed, SyncStatus.skipped)
# How many e-mails and dates a failed run names in its diagnostics.
MAX_AFFECTED = 200


class TriggeredBy(StrEnum):
    schedule = "schedule"
    user = "user"
    cli = "cli"


class ChunkOutcome(StrEnum):
    finished = "finished"  # the run ended (succeeded, failed or skipped) or was already over
    more = "more"  # days remain: queue the next chunk
    busy = "busy"  # another run holds the integration: try again later
    duplicate = "duplicate"  # another task carries this same run: drop this one


# --- the lock ---------------------------------------------------------------------------------

_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return ARGV[1]
end
return holder
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_HAND_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True)


def _redis() -> redis.Redis:
    return _redis_for(get_settings().redis_locks_url)


def task_token(log_id: int, task_id: str) -> str:
    return f"{log_id}:{task_id}"


def _log_of(token: str) -> int:
    return int(token.split(":", 1)[0])


class IntegrationLock:
    """One integration's run lock in Redis: compare-and-set on a token, with expiry."""

    def __init__(self, integration_id: int, ttl: int = LOCK_TTL_SECONDS):
        self.key = f"orgonaut:ai-tooling:sync-lock:{integration_id}"
        self.ttl = ttl

    def holder(self) -> str | None:
        return _redis().get(self.key)

    def acquire(self, token: str) -> bool:
        return bool(_redis().set(self.key, token, nx=True, ex=self.ttl))

    def claim(self, token: str) -> str:
        """Takes the lock if free or already ours; returns the holder's token afterwards."""
        return _redis().eval(_CLAIM, 1, self.key, token, self.ttl)

    def extend(self, token: str, seconds: float | None = None) -> bool:
        return bool(_redis().eval(_EXTEND, 1, self.key, token, int(seconds or self.ttl)))

    def hand_over(self, token: str, new_token: str, seconds: float | None = None) -> bool:
        return bool(_redis().eval(_HAND_OVER, 1, self.key, token, new_token, int(seconds or self.ttl)))

    def release(self, token: str) -> bool:
        return bool(_redis().eval(_RELEASE, 1, self.key, token))

    @contextlib.contextmanager
    def kept_alive(self, token: str) -> Iterator[threading.Event]:
        """Renews the lock every third of its life while the block runs; the event is set if it was lost."""
        lost = threading.Event()
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.ttl / 3):
                try:
                    if not self.extend(token):
                        lost.set()
                        return
                except redis.RedisError:
                    logger.warning("could not renew the sync lock %s", self.key, exc_info=True)

        thread = threading.Thread(target=renew, name=f"lock-{self.key}", daemon=True)
        thread.start()
        try:
            yield lost
        finally:
            done.set()
            thread.join()


def _send(log_id: int, task_id: str, countdown: float | None = None) -> None:
    from workers.celery_app import app  # the workers import this module; import them late

    app.send_task(TASK_NAME, args=[log_id], task_id=task_id, countdown=countdown)


# --- creating runs ----------------------------------------------------------------------------


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def server_yesterday() -> dt.date:
    """Yesterday in ORGONAUT_TIMEZONE: the day the nightly run and Sync now fetch."""
    return clock.today_in(get_settings().timezone) - dt.timedelta(days=1)


def plan_reason(tenant: Tenant) -> str | None:
    if has_feature(tenant, Feature.ai_tooling):
        return None
    plans = ", ".join(p.value for p in plans_with(Feature.ai_tooling))
    return f"The tenant's plan ({tenant.plan}) does not include AI Tooling usage sync (available on {plans})."


def gate_reason(*, session: Session, integration: Integration) -> str | None:
    """Why this integration must not sync now, or None."""
    if integration.status == IntegrationStatus.disconnected:
        return "The integration is disconnected."
    if integration.status == IntegrationStatus.paused:
        return "The integration is paused."
    tenant = session.get(Tenant, integration.tenant_id)
    assert tenant is not None
    return plan_reason(tenant)


def create_log(
    *, session: Session, integration: Integration, kind: SyncKind, start: dt.date, end: dt.date,
    triggered_by: TriggeredBy | str, user_id: int | None = None,
) -> IntegrationSyncLog:
    log = IntegrationSyncLog(
        tenant_id=integration.tenant_id, integration_id=integration.id, kind=kind, status=SyncStatus.queued,
        window_start=start, window_end=end, days_total=(end - start).days + 1,
        triggered_by=TriggeredBy(triggered_by).value, triggered_by_user_id=user_id,
    )
    session.add(log)
    session.flush()
    return log


def open_run(
    *, session: Session, integration: Integration, kind: SyncKind, start: dt.date, end: dt.date,
    triggered_by: TriggeredBy | str, user_id: int | None = None, enqueue: bool = True,
) -> IntegrationSyncLog:
    """A queued run that holds the integration's lock (flushed, not committed).

    With `enqueue` its first task is sent once the caller commits; without, the caller runs it in the
    foreground with `run_foreground(log_id=...)`. Raises Conflict while another run holds the lock.
    """
    lock = IntegrationLock(integration.id)
    if lock.holder() is not None:
        raise Conflict(ALREADY_RUNNING)
    log = create_log(
        session=session, integration=integration, kind=kind, start=start, end=end, triggered_by=triggered_by,
        user_id=user_id,
    )
    task_id = str(uuid.uuid4()) if enqueue else f"foreground-{uuid.uuid4().hex}"
    token = task_token(log.id, task_id)
    # Held from now on: the first task may wait in the queue a while.
    if not lock.acquire(token):
        raise Conflict(ALREADY_RUNNING)
    after_commit(
        session,
        functools.partial(_send, log.id, task_id) if enqueue else None,
        functools.partial(lock.release, token),
    )
    return log


def queue_nightly(*, session: Session) -> list[int]:
    """One reconcile run per connected AI Tooling integration: yesterday and the look-back window.

    Gates are checked by the run itself, so a paused integration or a downgraded tenant gets its
    `skipped` log from the same place as every other run. The caller commits; the tasks go after.
    """
    end = server_yesterday()
    start = end - dt.timedelta(days=get_settings().lookback_days)
    statement = select(Integration).where(
        Integration.category == IntegrationCategory.ai_tooling,
        Integration.status != IntegrationStatus.disconnected,
    )
    log_ids = []
    for integration in session.exec(statement.order_by(Integration.id)):
        log = create_log(
            session=session, integration=integration, kind=SyncKind.reconcile, start=start, end=end,
            triggered_by=TriggeredBy.schedule,
        )
        task_id = str(uuid.uuid4())
        lock = IntegrationLock(integration.id)
        token = task_token(log.id, task_id)
        # If another run holds the lock, the task waits behind it.
        took = lock.acquire(token)
        after_commit(
            session,
            functools.partial(_send, log.id, task_id),
            functools.partial(lock.release, token) if took else None,
        )
        log_ids.append(log.id)
    return log_ids


def resume_interrupted(*, session: Session) -> list[int]:
    """Re-queues runs that say queued or running while nobody holds their integration's lock.

    That is a run whose worker died (the lock expired with nobody to renew it); it goes on from its
    checkpoint. A duplicate task, should the broker also redeliver the old one, drops out when it
    finds the lock held for the same run.
    """
    statement = select(IntegrationSyncLog).where(
        col(IntegrationSyncLog.status).in_([SyncStatus.queued, SyncStatus.running])
    )
    resumed = []
    for log in session.exec(statement.order_by(IntegrationSyncLog.id)):
        lock = IntegrationLock(log.integration_id)
        task_id = str(uuid.uuid4())
        token = task_token(log.id, task_id)
        if lock.acquire(token):
            logger.info("resuming interrupted sync log %s from %s", log.id, log.checkpoint_date)
            after_commit(session, functools.partial(_send, log.id, task_id), functools.partial(lock.release, token))
            resumed.append(log.id)
    return resumed


# --- running ----------------------------------------------------------------------------------


def remaining_days(log: IntegrationSyncLog) -> list[dt.date]:
    first = log.window_start if log.checkpoint_date is None else log.checkpoint_date + dt.timedelta(days=1)
    return days_between(first, log.window_end) if first <= log.window_end else []


def _diagnostics(log: IntegrationSyncLog) -> dict[str, Any]:
    # A fresh dict: the JSON column only notices assignment, not mutation.
    return dict(log.diagnostics or {})


def _affected(dates: list[dt.date], emails: set[str] | None = None) -> dict[str, Any]:
    return {
        "dates": [d.isoformat() for d in dates[:MAX_AFFECTED]],
        "dates_total": len(dates),
        "emails": sorted(emails or ())[:MAX_AFFECTED],
    }


def _error_entry(day: dt.date | None, error: Exception, kind: str, attempt: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "date": day.isoformat() if day else None, "kind": kind, "message": str(error),
        "at": clock.utcnow().isoformat(),
    }
    if isinstance(error, ProviderError):
        entry["status"] = error.status
        entry["request_id"] = error.request_id
    if attempt is not None:
        entry["attempt"] = attempt
    return entry


def _skip(session: Session, log: IntegrationSyncLog, integration: Integration, reason: str) -> None:
    done = f" {log.days_done} of {log.days_total} days were synced before." if log.days_done else ""
    log.status = SyncStatus.skipped
    log.error_message = reason + done
    log.diagnostics = {**_diagnostics(log), "skip_reason": reason}
    log.finished_at = clock.utcnow()
    session.add(log)
    tenant = session.get(Tenant, integration.tenant_id)
    if tenant is not None and plan_reason(tenant) and integration.status != IntegrationStatus.disconnected:
        health.record(session=session, integration=integration, event=health.HealthEvent.plan_downgraded,
                      message=reason)
    session.commit()


def _fail(
    session: Session, log: IntegrationSyncLog, integration: Integration, error: Exception, kind: str,
    day: dt.date | None, attempt: int | None = None, emails: set[str] | None = None,
) -> None:
    session.rollback()
    session.refresh(log)
    session.refresh(integration)
    diagnostics = _diagnostics(log)
    diagnostics["errors"] = [*diagnostics.get("errors", []), _error_entry(day, error, kind, attempt)]
    diagnostics["affected_records"] = _affected(remaining_days(log), emails)
    log.diagnostics = diagnostics
    log.status = SyncStatus.failed
    log.error_message = str(error)
    log.finished_at = clock.utcnow()
    session.add(log)
    # A run that never got its turn says nothing about the connection's health.
    if integration.status != IntegrationStatus.disconnected and kind != BUSY:
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                      error_kind=kind, message=str(error))
    session.commit()


def _note_transient(session: Session, log: IntegrationSyncLog, error: Exception, day: dt.date | None,
                    attempt: int) -> None:
    session.rollback()
    session.refresh(log)
    diagnostics = _diagnostics(log)
    kind = error.kind.value if isinstance(error, ProviderError) else ErrorKind.unavailable.value
    diagnostics["errors"] = [*diagnostics.get("errors", []), _error_entry(day, error, kind, attempt)][-50:]
    log.diagnostics = diagnostics
    session.add(log)
    session.commit()


@dataclasses.dataclass
class _Fetched:
    day: dt.date
    usages: list[DailyUsage] | None = None
    error: BaseException | None = None  # fetching failed
    built: tuple[ingest.Rows, ingest.DayResult] | None = None
    build_error: BaseException | None = None  # the fetched records could not be turned into rows


def _prefetch(
    provider: AiToolingProvider, days: list[dt.date],
    build: Callable[..., tuple[ingest.Rows, ingest.DayResult]],
) -> Iterator[_Fetched]:
    """Yields the days in order, their rows built, while the next `FETCH_AHEAD` are being fetched and built.

    Each fetch opens its own HTTP client, so fetches overlap the vendor's latency with each other
    and with the caller storing the previous day; building the rows there too keeps the storing
    thread free to wait on the database. After a failed fetch nothing further is fetched.
    """

    def fetch(day: dt.date) -> _Fetched:
        try:
            usages = provider.fetch_day(day)
        except Exception as error:  # handed to the caller, which decides
            return _Fetched(day, error=error)
        try:
            return _Fetched(day, usages=usages, built=build(day=day, usages=usages))
        except Exception as error:  # raised by the caller as a day that could not be stored
            return _Fetched(day, usages=usages, build_error=error)

    upcoming = iter(days)
    with ThreadPoolExecutor(max_workers=FETCH_AHEAD, thread_name_prefix="ai-tooling-fetch") as pool:
        pending = collections.deque(pool.submit(fetch, day) for day in itertools.islice(upcoming, FETCH_AHEAD))
        try:
            while pending:
                item = pending.popleft().result()
                if item.error is None and (day := next(upcoming, None)) is not None:
                    pending.append(pool.submit(fetch, day))
                yield item
                if item.error is not None:
                    return
        finally:
            for future in pending:
                future.cancel()


def _queue_refresh(tenant_id: int, day_results: list[ingest.DayResult]) -> None:
    """One de-duplicated rollup refresh per scope for the days a chunk committed."""
    by_scope: dict[int | None, tuple[set[int], list[dt.date]]] = {}
    for result in day_results:
        for scenario_id, actor_ids in result.actor_ids.items():
            if actor_ids:
                actors, days = by_scope.setdefault(scenario_id, (set(), []))
                actors.update(actor_ids)
                days.append(result.day)
    for scenario_id, (actors, days) in by_scope.items():
        queue_rollup_refresh(tenant_id=tenant_id, scenario_id=scenario_id, start=min(days), end=max(days),
                             actor_ids=sorted(actors))


def _finish(session: Session, log: IntegrationSyncLog, integration: Integration,
            scopes: list[ingest.TargetScope]) -> None:
    # Records of days outside this window may match actors created since: check the whole scope.
    changes = [
        (scope.scenario_id, matching.rematch(session=session, tenant_id=integration.tenant_id,
                                             scenario_id=scope.scenario_id))
        for scope in scopes
    ]
    log.status = SyncStatus.succeeded
    log.finished_at = clock.utcnow()
    log.error_message = None
    diagnostics = _diagnostics(log)
    relinked = sum(c.linked for _, c in changes)
    unlinked = sum(c.unlinked for _, c in changes)
    if relinked or unlinked:
        diagnostics["rematched"] = {"linked": relinked, "unlinked": unlinked}
    log.diagnostics = diagnostics
    session.add(log)
    health.record(session=session, integration=integration, event=health.HealthEvent.sync_succeeded)
    session.commit()
    for scenario_id, change in changes:
        if change.changed and change.start and change.end:
            queue_rollup_refresh(tenant_id=integration.tenant_id, scenario_id=scenario_id, start=change.start,
                                 end=change.end, actor_ids=sorted(change.actor_ids))


def _run_days(
    session: Session, log: IntegrationSyncLog, integration: Integration, lost: threading.Event,
    max_days: int, max_seconds: float, on_day: Callable[[IntegrationSyncLog], None] | None,
) -> ChunkOutcome:
    began = time.monotonic()
    if log.status == SyncStatus.queued:
        log.status = SyncStatus.running
        log.started_at = clock.utcnow()
        session.add(log)
        session.commit()
    scopes, skipped = ingest.resolve_targets(session=session, integration=integration)
    if skipped:
        log.diagnostics = {**_diagnostics(log), "skipped_scopes": [s.as_dict() for s in skipped]}
    log.diagnostics = {**_diagnostics(log), "scopes": [s.as_dict() for s in scopes]}
    if not scopes:
        names = ", ".join(f"{s.name} ({s.reason})" for s in skipped) or "none selected"
        _skip(session, log, integration, f"No writable target: Live is off and no active scenario is selected "
                                         f"(skipped: {names}).")
        return ChunkOutcome.finished
    session.add(log)
    session.commit()

    api_key = integrations.read_config(integration)["api_key"]
    provider = registry.create_provider(integration.provider, api_key=api_key, api_base=integration.api_base)
    del api_key
    matchers = ingest.load_matchers(session=session, tenant_id=integration.tenant_id, scopes=scopes)
    # Plain values for the fetch thread, which builds each day's rows (and COPY text on PostgreSQL).
    build = functools.partial(
        ingest.prepare_rows, tenant_id=integration.tenant_id, provider=integration.provider,
        integration_id=integration.id, matchers=matchers,
        copy_lines=session.get_bind().dialect.name == "postgresql",
    )
    days = remaining_days(log)[:max_days]
    stored = ingest.stored_days(session=session, tenant_id=integration.tenant_id, provider=integration.provider,
                                scopes=scopes, days=days)
    session.commit()  # end the read's transaction: each day is its own
    committed: list[ingest.DayResult] = []
    try:
        with contextlib.closing(_prefetch(provider, days, build)) as fetched_days:
            outcome = _store_days(session, log, fetched_days, stored, committed, lost, began, max_seconds, on_day)
    finally:
        _queue_refresh(integration.tenant_id, committed)
    if outcome is not None:
        return outcome
    if remaining_days(log):
        return ChunkOutcome.more
    _finish(session, log, integration, scopes)
    return ChunkOutcome.finished


def _store_days(
    session: Session, log: IntegrationSyncLog, fetched_days: Iterator[_Fetched], stored: set[dt.date],
    committed: list[ingest.DayResult], lost: threading.Event, began: float, max_seconds: float,
    on_day: Callable[[IntegrationSyncLog], None] | None,
) -> ChunkOutcome | None:
    """Stores fetched days one commit each (appended to `committed`); `busy` if the lock was lost.
    `stored`: the days that held rows when the chunk began (the others go straight in)."""
    for fetched in fetched_days:
        if fetched.error is not None:
            raise _DayFailed(fetched.day, fetched.error)
        assert fetched.usages is not None
        try:
            if fetched.build_error is not None:
                raise fetched.build_error
            assert fetched.built is not None
            rows, result = fetched.built
            ingest.store_rows(session=session, rows=rows, fresh=fetched.day not in stored)
        except Exception as error:  # the day's records could not be stored: they are the affected ones
            raise _DayFailed(fetched.day, error, {u.source_email for u in fetched.usages}) from error
        log.days_done += 1
        log.checkpoint_date = fetched.day
        log.records_fetched += result.fetched
        log.records_upserted += result.upserted
        log.records_matched += result.matched
        log.records_unmatched += result.unmatched
        session.add(log)
        session.commit()  # the day's records and the checkpoint together
        committed.append(result)
        if on_day is not None:
            on_day(log)
        if lost.is_set():
            return ChunkOutcome.busy
        if time.monotonic() - began > max_seconds:
            break
    return None


class _DayFailed(Exception):
    def __init__(self, day: dt.date, error: BaseException, emails: set[str] | None = None):
        super().__init__(str(error))
        self.day = day
        self.error = error
        self.emails = emails


def run_chunk(
    *, log_id: int, token: str, attempt: int = 0, max_days: int = CHUNK_DAYS, max_seconds: float = CHUNK_SECONDS,
    on_day: Callable[[IntegrationSyncLog], None] | None = None,
) -> ChunkOutcome:
    """Works off the next days of one run. Transient provider errors propagate for a retry (after being
    noted in the log); everything else ends in the log: succeeded, failed with the error, or skipped."""
    with Session(get_engine(), expire_on_commit=False) as session:
        log = session.get(IntegrationSyncLog, log_id)
        if log is None or log.status in FINISHED:
            return ChunkOutcome.finished
        integration = session.get(Integration, log.integration_id)
        assert integration is not None
        lock = IntegrationLock(integration.id)
        reason = gate_reason(session=session, integration=integration)
        if reason is not None:
            _skip(session, log, integration, reason)
            lock.release(token)
            return ChunkOutcome.finished
        holder = lock.claim(token)
        if holder != token:
            if _log_of(holder) == log_id:
                return ChunkOutcome.duplicate
            if clock.utcnow() - log.created_at > MAX_WAIT_BEHIND:
                _fail(session, log, integration, Conflict(ALREADY_RUNNING), BUSY, None)
                return ChunkOutcome.finished
            return ChunkOutcome.busy

        day: dt.date | None = None
        with lock.kept_alive(token) as lost:
            try:
                outcome = _run_days(session, log, integration, lost, max_days, max_seconds, on_day)
            except _DayFailed as failed:
                day, error = failed.day, failed.error
                if isinstance(error, TRANSIENT_ERRORS):
                    if attempt < MAX_TRANSIENT_RETRIES:  # the last attempt is recorded by fail_run
                        _note_transient(session, log, error, day, attempt)
                    raise error from None
                if isinstance(error, ProviderError):
                    _fail(session, log, integration, error, error.kind.value, day, emails=failed.emails)
                else:
                    logger.error("sync log %s failed on %s", log_id, day, exc_info=error)
                    _fail(session, log, integration, _internal(error), "internal", day, emails=failed.emails)
                outcome = ChunkOutcome.finished
            except secrets.SecretError as error:
                _fail(session, log, integration, error, "credentials", None)
                outcome = ChunkOutcome.finished
            except DomainError as error:
                _fail(session, log, integration, error, "bad_request", None)
                outcome = ChunkOutcome.finished
            except Exception as error:
                logger.exception("sync log %s failed", log_id)
                _fail(session, log, integration, _internal(error), "internal", None)
                outcome = ChunkOutcome.finished
        if outcome == ChunkOutcome.finished:
            lock.release(token)
        return outcome


def _internal(error: BaseException) -> Exception:
    # The exception's own text may quote data; the log keeps only its type, the worker log the rest.
    return RuntimeError(f"Internal error ({type(error).__name__}); see the worker log.")


def fail_run(*, log_id: int, token: str, error: Exception, attempt: int | None = None) -> None:
    """Ends a run whose transient errors outlasted the retries: failed, with the error, health updated."""
    with Session(get_engine(), expire_on_commit=False) as session:
        log = session.get(IntegrationSyncLog, log_id)
        if log is None or log.status in FINISHED:
            return
        integration = session.get(Integration, log.integration_id)
        assert integration is not None
        day = remaining_days(log)[0] if remaining_days(log) else None
        kind = error.kind.value if isinstance(error, ProviderError) else ErrorKind.unavailable.value
        message = error if isinstance(error, ProviderError) else RuntimeError(
            f"Could not reach the provider ({type(error).__name__}): try again later."
        )
        _fail(session, log, integration, message, kind, day, attempt)
        IntegrationLock(integration.id).release(token)


def retry_delay(attempt: int, error: Exception | None = None) -> float:
    """Exponential back-off with jitter for a chunk's retry; at least what the provider asked for."""
    step = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2**attempt))
    delay = step / 2 + random.random() * step / 2
    asked = getattr(error, "retry_after", None)
    return max(delay, float(asked)) if asked else delay


def hold_for_retry(*, log_id: int, token: str, delay: float) -> None:
    """Keeps the lock through a retry's countdown, so nothing slips in between."""
    with Session(get_engine()) as session:
        log = session.get(IntegrationSyncLog, log_id)
        if log is not None:
            IntegrationLock(log.integration_id).extend(token, delay + LOCK_TTL_SECONDS)


def queue_next_chunk(*, log_id: int, token: str, countdown: float | None = None) -> str:
    """Hands the lock to a new task id and queues that task (after a chunk that left days to do)."""
    with Session(get_engine()) as session:
        log = session.get(IntegrationSyncLog, log_id)
        assert log is not None
        task_id = str(uuid.uuid4())
        IntegrationLock(log.integration_id).hand_over(
            token, task_token(log_id, task_id), (countdown or 0) + LOCK_TTL_SECONDS * 2
        )
    _send(log_id, task_id, countdown)
    return task_id


def wait_behind(*, log_id: int) -> str:
    """Queues the run again after a pause, behind the run that holds the integration."""
    task_id = str(uuid.uuid4())
    _send(log_id, task_id, WAIT_BEHIND_SECONDS)
    return task_id


def run_foreground(
    *, log_id: int, on_day: Callable[[IntegrationSyncLog], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> IntegrationSyncLog:
    """Runs a run opened with `enqueue=False` to its end in this process (the CLI), same rules."""
    with Session(get_engine()) as session:
        log = session.get(IntegrationSyncLog, log_id)
        assert log is not None
        holder = IntegrationLock(log.integration_id).holder()
    token = holder if holder and _log_of(holder) == log_id else task_token(log_id, f"foreground-{uuid.uuid4().hex}")
    attempt = 0
    while True:
        try:
            outcome = run_chunk(log_id=log_id, token=token, attempt=attempt, on_day=on_day)
        except TRANSIENT_ERRORS as error:
            if attempt >= MAX_TRANSIENT_RETRIES:
                fail_run(log_id=log_id, token=token, error=error, attempt=attempt)
                break
            delay = retry_delay(attempt, error)
            IntegrationLock(log.integration_id).extend(token, delay + LOCK_TTL_SECONDS)
            sleep(delay)
            attempt += 1
            continue
        if outcome == ChunkOutcome.more:
            attempt = 0
            continue
        if outcome in (ChunkOutcome.busy, ChunkOutcome.duplicate):
            with Session(get_engine(), expire_on_commit=False) as session:
                log = session.get(IntegrationSyncLog, log_id)
                integration = session.get(Integration, log.integration_id)
                if log.status not in FINISHED:
                    _fail(session, log, integration, Conflict(ALREADY_RUNNING), BUSY, None)
        break
    with Session(get_engine(), expire_on_commit=False) as session:
        final = session.get(IntegrationSyncLog, log_id)
        assert final is not None
        return final
