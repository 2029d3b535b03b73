"""One chunk of a run: the next days after the log's checkpoint, each committed on its own.

A chunk is at most `CHUNK_DAYS` days and about `CHUNK_SECONDS` (checked before each fetch), so no
task comes near the broker's visibility timeout. Each day commits, in one transaction: the stored
day made equal to the vendor's complete day (`ingest.replace_day`), the rollup refresh it owes
(`changes.owe_refresh`) and the log's progress (days done, counts, checkpoint), fenced by the
runner's lease. So a killed worker loses nothing and duplicates nothing: a re-run starts after the
checkpoint, and whatever a committed day made stale is refreshed even if the worker dies right after.

Before each day the chunk checks that it should go on: not cancelled, not paused or disconnected,
lock not lost. A chunk whose worker keeps dying before it stores a day (the broker hands the task
out again each time) fails the run after `MAX_DELIVERIES_WITHOUT_PROGRESS` deliveries.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any

import httpx
import psycopg
import redis
import sqlalchemy.exc
from sqlalchemy import select
from sqlmodel import Session

from orgonaut import clock, faultpoints, kv
from orgonaut.ai_tooling import credit_prices, diagnostics, ingest, ledger, matching, run_log, seat_prices
from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.prefetch import Fetched, prefetch
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.run_log import FINISHED, Superseded, remaining_days
from orgonaut.ai_tooling.runs import ALREADY_RUNNING, gate_reason
from orgonaut.ai_tooling.sync_lock import IntegrationLock, log_of
from orgonaut.db import get_engine, table_of
from orgonaut.errors import Conflict, DomainError
from orgonaut.integrations import health, secrets
from orgonaut.integrations import service as integrations
from orgonaut.integrations.error_kinds import ErrorKind
from orgonaut.integrations.models import Integration, IntegrationSyncLog, SyncStatus

logger = logging.getLogger(__name__)

CHUNK_DAYS = 14
CHUNK_SECONDS = 300.0
MAX_WAIT_BEHIND = dt.timedelta(hours=6)
MAX_TRANSIENT_RETRIES = 4
# A chunk whose worker died this many times in a row before it stored a day fails the run.
MAX_DELIVERIES_WITHOUT_PROGRESS = 5
DELIVERIES_KEY_SECONDS = 24 * 3600
_LOGS = table_of(IntegrationSyncLog)


class ChunkOutcome(StrEnum):
    finished = "finished"  # the run ended (succeeded, failed, skipped or cancelled) or was already over
    more = "more"  # days remain: queue the next chunk
    busy = "busy"  # another run holds the integration: try again later
    duplicate = "duplicate"  # another runner carries this same run: drop this one


def is_transient(error: BaseException) -> bool:
    """A failure another attempt may not meet: the vendor's (429, 5xx, network after the client's own
    retries) or the database's (connection dropped, deadlock, serialization failure, SQLite busy),
    or Redis away. Each day is atomic with its checkpoint, so retrying the chunk is always safe."""
    if isinstance(error, ProviderRetriableError | httpx.TransportError):
        return True
    if isinstance(error, sqlalchemy.exc.OperationalError | psycopg.OperationalError):
        return True
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, redis.ConnectionError | redis.TimeoutError)


class RetryLater(Exception):
    """A chunk met a transient failure: try it again later (`error`), fenced by `lease`."""

    def __init__(self, error: BaseException, lease: str | None):
        super().__init__(str(error))
        self.error = error
        self.lease = lease


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
    """Works off the next days of one run. Transient failures raise RetryLater (after being noted in
    the log); everything else ends in the log: succeeded, failed with the error, skipped or cancelled."""
    try:
        return _run_chunk(log_id, token, attempt, max_days, max_seconds, on_day)
    except RetryLater:
        raise
    except Superseded:
        return ChunkOutcome.duplicate
    except Exception as error:
        if is_transient(error):  # before the chunk had a lease, or while writing an end state
            raise RetryLater(error, None) from None
        raise


def _run_chunk(log_id: int, token: str, attempt: int, max_days: int, max_seconds: float,
               on_day: Callable[[IntegrationSyncLog], None] | None) -> ChunkOutcome:
    with Session(get_engine(), expire_on_commit=False) as session:
        log = session.get(IntegrationSyncLog, log_id)
        if log is None or log.status in FINISHED:
            return ChunkOutcome.finished
        integration = session.get(Integration, log.integration_id)
        assert integration is not None
        lock = IntegrationLock(integration.id)
        reason = gate_reason(session=session, integration=integration)
        if reason is not None or log.cancel_requested_at is not None:
            if reason is not None:
                run_log.skip(session, log_id, None, reason)
            else:
                run_log.cancel(session, log_id, None)
            lock.release(token)
            return ChunkOutcome.finished
        holder = lock.claim(token)
        if holder != token:
            if log_of(holder) == log_id:
                return ChunkOutcome.duplicate
            if clock.utcnow() - log.created_at > MAX_WAIT_BEHIND:
                run_log.fail(session, log_id, None, Conflict(ALREADY_RUNNING), ErrorKind.busy, None)
                return ChunkOutcome.finished
            return ChunkOutcome.busy
        lease = run_log.take_lease(session, log)
        if log.status in FINISHED:  # the runner it displaced ended the run meanwhile
            lock.release(token)
            return ChunkOutcome.finished
        deliveries = _Deliveries(log_id, log.checkpoint_date)
        if deliveries.started() >= MAX_DELIVERIES_WITHOUT_PROGRESS:
            days = remaining_days(log)
            run_log.fail(session, log_id, lease, RuntimeError(
                f"The sync stopped: its worker died {MAX_DELIVERIES_WITHOUT_PROGRESS} times in a row working on "
                f"{days[0] if days else log.window_end} without storing a day (out of memory, or killed?); "
                "see the worker log."), ErrorKind.internal, days[0] if days else None)
            deliveries.forget()
            lock.release(token)
            return ChunkOutcome.finished
        try:
            with lock.kept_alive(token) as lost:
                outcome = _worked_off(session, log, integration, lease, lost, attempt, max_days, max_seconds,
                                      on_day)
        finally:
            deliveries.ended()  # a delivery that ends, however, is not one that died
        if outcome == ChunkOutcome.finished:
            lock.release(token)
        return outcome


class _Deliveries:
    """Counts, per run and checkpoint, the chunk deliveries that started and never ended: each one a
    worker process that died (killed, out of memory, over its time limit) before it stored a day.
    The broker hands such a task out again at once (reject on worker lost), so without a bound a
    chunk that kills its worker would loop for ever (review R13). Best effort: without Redis the
    chunk runs uncounted."""

    def __init__(self, log_id: int, checkpoint: dt.date | None):
        self.key = f"orgonaut:ai-tooling:deliveries:{log_id}:{checkpoint.isoformat() if checkpoint else 'start'}"

    def started(self) -> int:
        try:
            pipe = kv.locks().pipeline()
            pipe.incr(self.key)
            pipe.expire(self.key, DELIVERIES_KEY_SECONDS)
            return int(pipe.execute()[0]) - 1  # the ones before this delivery that never ended
        except redis.RedisError:
            logger.warning("could not count the deliveries of %s", self.key)
            return 0

    def ended(self) -> None:
        try:
            kv.locks().decr(self.key)
        except redis.RedisError:
            logger.warning("could not count the end of a delivery of %s", self.key)

    def forget(self) -> None:
        with contextlib.suppress(redis.RedisError):
            kv.locks().delete(self.key)


def _worked_off(
    session: Session, log: IntegrationSyncLog, integration: Integration, lease: str, lost: threading.Event,
    attempt: int, max_days: int, max_seconds: float, on_day: Callable[[IntegrationSyncLog], None] | None,
) -> ChunkOutcome:
    """`_run_days`, with every failure turned into the log's end state or a RetryLater."""
    log_id = log.id
    try:
        return _run_days(session, log, integration, lease, lost, max_days, max_seconds, on_day)
    except _DayFailed as failed:
        day, error = failed.day, failed.error
        if is_transient(error):
            if attempt < MAX_TRANSIENT_RETRIES:  # the last attempt is recorded by fail_run
                run_log.note_transient(session, log_id, lease, error, day, attempt)  # type: ignore[arg-type]
            raise RetryLater(error, lease) from None
        if isinstance(error, ProviderError):
            run_log.fail(session, log_id, lease, error, error.kind, day, emails=failed.emails)
        else:
            logger.error("sync log %s failed on %s", log_id, day, exc_info=error)
            run_log.fail(session, log_id, lease, run_log.internal(error), ErrorKind.internal, day, emails=failed.emails)
    except (Superseded, RetryLater):
        raise
    except secrets.SecretError as error:
        run_log.fail(session, log_id, lease, error, ErrorKind.credentials, None)
    except DomainError as error:
        run_log.fail(session, log_id, lease, error, ErrorKind.bad_request, None)
    except Exception as error:
        if is_transient(error):
            if attempt < MAX_TRANSIENT_RETRIES:
                run_log.note_transient(session, log_id, lease, error, None, attempt)
            raise RetryLater(error, lease) from None
        logger.exception("sync log %s failed", log_id)
        run_log.fail(session, log_id, lease, run_log.internal(error), ErrorKind.internal, None)
    return ChunkOutcome.finished


def _run_days(
    session: Session, log: IntegrationSyncLog, integration: Integration, lease: str, lost: threading.Event,
    max_days: int, max_seconds: float, on_day: Callable[[IntegrationSyncLog], None] | None,
) -> ChunkOutcome:
    began = time.monotonic()
    if log.status == SyncStatus.queued:
        log.status = SyncStatus.running
        log.started_at = clock.utcnow()
    scopes, skipped = ingest.resolve_targets(session=session, integration=integration)
    changes: dict[str, Any] = {"scopes": [diagnostics.ScopeNote(s.scenario_id, s.name) for s in scopes]}
    if skipped:
        changes["skipped_scopes"] = [diagnostics.SkippedScopeNote(s.scenario_id, s.name, s.reason) for s in skipped]
    diagnostics.update(log, **changes)
    run_log.fence(session, log.id, lease)
    session.add(log)
    session.commit()
    if not scopes:
        names = ", ".join(f"{s.name} ({s.reason})" for s in skipped) or "none selected"
        run_log.skip(session, log.id, lease, f"No writable target: Live is off and no active scenario is selected "
                                             f"(skipped: {names}).")
        return ChunkOutcome.finished

    provider = registry.create_provider(integration.provider, credentials=integrations.read_config(integration),
                                        api_base=integration.api_base)
    matchers = ingest.load_matchers(session=session, tenant_id=integration.tenant_id, scopes=scopes)
    # Plain values for the fetch thread, which builds each day's rows (and COPY text on PostgreSQL).
    build = functools.partial(
        ingest.prepare_rows, tenant_id=integration.tenant_id, provider=integration.provider,
        integration_id=integration.id, matchers=matchers,
        copy_lines=session.get_bind().dialect.name == "postgresql",
    )
    days_per_call = registry.get_provider_info(integration.provider).fetch_days_per_call
    # A chunk covers at least one whole call of a provider that serves a range of days per call
    # (`max_days` 0 stays 0: a chunk asked to store nothing).
    days = remaining_days(log)[:max(max_days, days_per_call) if max_days > 0 else 0]
    stored = ingest.stored_days(session=session, tenant_id=integration.tenant_id, provider=integration.provider,
                                scopes=scopes, days=days)
    session.commit()  # end the read's transaction: each day is its own
    deadline = began + max_seconds
    with contextlib.closing(prefetch(provider, days, days_per_call, build, deadline)) as fetched_days:
        outcome = _store_days(session, log, integration, lease, scopes, fetched_days, stored, lost, on_day)
    if outcome is not None:
        return outcome
    if remaining_days(log):
        return ChunkOutcome.more
    _finish(session, log, integration, lease, scopes)
    return ChunkOutcome.finished


def _stopped(session: Session, log: IntegrationSyncLog, integration: Integration, lease: str) -> bool:
    """Ends the run (and says True) if a person cancelled it or the integration may no longer sync."""
    cancelled = session.execute(select(_LOGS.c.cancel_requested_at).where(_LOGS.c.id == log.id)).scalar()
    session.refresh(integration)
    reason = gate_reason(session=session, integration=integration)
    if cancelled is not None:
        run_log.cancel(session, log.id, lease)
    elif reason is not None:
        run_log.skip(session, log.id, lease, reason)
    return cancelled is not None or reason is not None


def _store_days(
    session: Session, log: IntegrationSyncLog, integration: Integration, lease: str,
    scopes: list[ingest.TargetScope], fetched_days: Iterator[Fetched], stored: set[dt.date], lost: threading.Event,
    on_day: Callable[[IntegrationSyncLog], None] | None,
) -> ChunkOutcome | None:
    """Stores fetched days one commit each; `busy` if the lock was lost, `finished` if stopped.
    `stored`: the days that held rows when the chunk began (the others go straight in)."""
    for fetched in fetched_days:
        if fetched.error is not None:
            raise _DayFailed(fetched.day, fetched.error)
        assert fetched.usages is not None
        if _stopped(session, log, integration, lease):
            return ChunkOutcome.finished
        try:
            if fetched.build_error is not None:
                raise fetched.build_error
            assert fetched.built is not None
            rows, result = fetched.built
            ingest.replace_day(session=session, tenant_id=integration.tenant_id, provider=integration.provider,
                               scopes=scopes, day=fetched.day, rows=rows, result=result,
                               fresh=fetched.day not in stored)
            for scenario_id, actor_ids in result.actor_ids.items():
                owe_refresh(session, tenant_id=integration.tenant_id, scenario_id=scenario_id, start=fetched.day,
                            end=fetched.day, actor_ids=actor_ids, records=True)
            ingest.remember_source_names(session=session, tenant_id=integration.tenant_id, scopes=scopes,
                                         usages=fetched.usages, day=fetched.day)
            credit_prices.price_stored_day(session=session, integration=integration, day=fetched.day)
            seat_prices.price_stored_day(session=session, integration=integration, day=fetched.day)
        except Exception as error:  # the day's records could not be stored: they are the affected ones
            raise _DayFailed(fetched.day, error, {u.source_email for u in fetched.usages}) from error
        log.days_done += 1
        log.checkpoint_date = fetched.day
        log.records_fetched += result.fetched
        log.records_upserted += result.upserted
        log.records_matched += result.matched
        log.records_unmatched += result.unmatched
        # A dict look-up, not a decode of the diagnostics: this runs for every stored day.
        if result.fetched and "first_day_with_data" not in (log.diagnostics or {}):
            diagnostics.update(log, first_day_with_data=fetched.day.isoformat())
        diagnostics.add_warnings(log, getattr(fetched.usages, "warnings", []))
        if result.deleted:
            diagnostics.add_warnings(log, [f"{fetched.day}: {result.deleted} stored person-day(s) the provider no "
                                       "longer reports were removed."])
        ledger.record(session, log_id=log.id, day=fetched.day, lease=lease)
        run_log.fence(session, log.id, lease)
        session.add(log)
        faultpoints.reach("after_copy_before_commit")
        try:
            session.commit()  # the day's records, what it made stale and the checkpoint together
        except Exception as error:  # a dropped connection, say: the day is what was lost
            raise _DayFailed(fetched.day, error, {u.source_email for u in fetched.usages}) from error
        if on_day is not None:
            on_day(log)
        if lost.is_set():
            return ChunkOutcome.busy
    return None


def _finish(session: Session, log: IntegrationSyncLog, integration: Integration, lease: str,
            scopes: list[ingest.TargetScope]) -> None:
    # Records of days outside this window may match actors created since: check the whole scope.
    relinked = unlinked = 0
    for scope in scopes:
        change = matching.rematch(session=session, tenant_id=integration.tenant_id, scenario_id=scope.scenario_id)
        relinked += change.linked
        unlinked += change.unlinked
        if change.changed and change.start and change.end:
            owe_refresh(session, tenant_id=integration.tenant_id, scenario_id=scope.scenario_id, start=change.start,
                        end=change.end, actor_ids=change.actor_ids)
    log.status = SyncStatus.succeeded
    log.finished_at = clock.utcnow()
    log.error_message = None
    if relinked or unlinked:
        diagnostics.update(log, rematched=diagnostics.Rematched(linked=relinked, unlinked=unlinked))
    session.add(log)
    health.record(session=session, integration=integration, event=health.HealthEvent.sync_succeeded)
    run_log.fence(session, log.id, lease)
    session.commit()


def fail_run(*, log_id: int, token: str, error: BaseException, attempt: int | None = None,
             lease: str | None = None) -> None:
    """Ends a run whose transient errors outlasted the retries: failed, with the error, health updated."""
    with Session(get_engine(), expire_on_commit=False) as session:
        log = session.get(IntegrationSyncLog, log_id)
        if log is None or log.status in FINISHED:
            return
        days = remaining_days(log)
        integration_id = log.integration_id
    message: Exception
    kind: ErrorKind
    if isinstance(error, ProviderError):
        kind, message = error.kind, error
    elif isinstance(error, httpx.TransportError):
        kind, message = ErrorKind.unavailable, RuntimeError(
            f"Could not reach the provider ({type(error).__name__}): try again later.")
    else:
        kind, message = ErrorKind.internal, RuntimeError(
            f"The database or Redis kept failing ({type(error).__name__}); see the worker log.")
    try:
        run_log.fail(None, log_id, lease, message, kind, days[0] if days else None, attempt)
    except Superseded:
        return
    IntegrationLock(integration_id).release(token)
