"""What happens after a chunk: one pure decision, carried out by the Celery task and the foreground run.

`decide` maps a chunk's outcome (or its transient failure) and the attempt number to one step:
retry after a delay, queue the next chunk, wait behind another run, fail the run, or nothing more.
The task (`workers/ai_tooling_tasks.py`) turns a delay into a countdown; `run_foreground` (the CLI
and the demo seed) sleeps instead. Delays are capped far inside the broker's visibility timeout,
whatever a vendor's `retry-after` asks, so no message is redelivered while its task still waits.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
import uuid
from collections.abc import Callable
from enum import StrEnum

from sqlmodel import Session

from orgonaut import faultpoints
from orgonaut.ai_tooling import run_log
from orgonaut.ai_tooling.chunk import MAX_TRANSIENT_RETRIES, ChunkOutcome, RetryLater, fail_run, run_chunk
from orgonaut.ai_tooling.runs import ALREADY_RUNNING, send_chunk
from orgonaut.ai_tooling.sync_lock import IntegrationLock, lock_ttl, log_of, task_token
from orgonaut.db import get_engine
from orgonaut.errors import Conflict
from orgonaut.integrations.error_kinds import ErrorKind
from orgonaut.integrations.models import IntegrationSyncLog
from orgonaut.settings import get_settings

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 15.0
RETRY_CAP_SECONDS = 600.0
WAIT_BEHIND_SECONDS = 60.0
# A Celery task of one chunk is killed after this (and redelivered from its checkpoint): chunks end
# after about five minutes by themselves, and this stays well inside the one-hour visibility timeout.
TASK_TIME_LIMIT_SECONDS = 1800
# The foreground run waits this long for a lock that was lost (a Redis blip) to be free again.
FOREGROUND_LOCK_WAIT_SECONDS = 60.0


class Step(StrEnum):
    retry = "retry"
    next_chunk = "next_chunk"
    wait = "wait"
    fail = "fail"
    done = "done"


@dataclasses.dataclass(frozen=True)
class Decision:
    step: Step
    delay: float = 0.0


def retry_cap() -> float:
    """The longest retry countdown: RETRY_CAP_SECONDS, or a sixth of the broker's visibility timeout
    where that is shorter, so a countdown task is never redelivered while it waits."""
    return min(RETRY_CAP_SECONDS, get_settings().celery_visibility_timeout / 6)


def retry_delay(attempt: int, error: BaseException | None = None, jitter: Callable[[], float] = random.random) -> float:
    """Exponential back-off with jitter; at least what the provider asked for, at most `retry_cap()`."""
    cap = retry_cap()
    step = min(cap, RETRY_BASE_SECONDS * (2**attempt))
    delay = step / 2 + jitter() * step / 2
    asked = getattr(error, "retry_after", None)
    return min(cap, max(delay, float(asked))) if asked else delay


def decide(outcome: ChunkOutcome | None, failure: RetryLater | None, attempt: int,
           jitter: Callable[[], float] = random.random) -> Decision:
    if failure is not None:
        if attempt >= MAX_TRANSIENT_RETRIES:
            return Decision(Step.fail)
        return Decision(Step.retry, retry_delay(attempt, failure.error, jitter))
    if outcome == ChunkOutcome.more:
        return Decision(Step.next_chunk)
    if outcome == ChunkOutcome.busy:
        return Decision(Step.wait, WAIT_BEHIND_SECONDS)
    return Decision(Step.done)


def attempt_chunk(*, log_id: int, token: str, attempt: int,
                  on_day: Callable[[IntegrationSyncLog], None] | None = None) -> tuple[ChunkOutcome | None,
                                                                                      RetryLater | None]:
    try:
        return run_chunk(log_id=log_id, token=token, attempt=attempt, on_day=on_day), None
    except RetryLater as failure:
        logger.warning("sync log %s: %s; attempt %d", log_id, type(failure.error).__name__, attempt)
        return None, failure


def _integration_and_kind(log_id: int) -> tuple[int, str]:
    with Session(get_engine()) as session:
        log = session.get(IntegrationSyncLog, log_id)
        assert log is not None
        return log.integration_id, log.kind


def hold_for_retry(*, log_id: int, token: str, delay: float) -> None:
    """Keeps the lock through a retry's countdown, so nothing slips in between."""
    IntegrationLock(_integration_and_kind(log_id)[0]).extend(token, delay + lock_ttl())


def queue_next_chunk(*, log_id: int, token: str, countdown: float | None = None) -> str:
    """Hands the lock to a new task id and queues that task (after a chunk that left days to do).
    Should the send fail after the hand-over, the lock expires and `resume_interrupted` goes on."""
    task_id = str(uuid.uuid4())
    integration_id, kind = _integration_and_kind(log_id)
    IntegrationLock(integration_id).hand_over(token, task_token(log_id, task_id), (countdown or 0) + lock_ttl() * 2)
    faultpoints.reach("between_hand_over_and_send")
    send_chunk(log_id, kind, task_id, countdown)
    return task_id


def wait_behind(*, log_id: int, delay: float = WAIT_BEHIND_SECONDS) -> str:
    """Queues the run again after a pause, behind the run that holds the integration."""
    task_id = str(uuid.uuid4())
    send_chunk(log_id, _integration_and_kind(log_id)[1], task_id, delay)
    return task_id


def _finished(log_id: int) -> IntegrationSyncLog:
    with Session(get_engine(), expire_on_commit=False) as session:
        log = session.get(IntegrationSyncLog, log_id)
        assert log is not None
        return log


def run_foreground(
    *, log_id: int, on_day: Callable[[IntegrationSyncLog], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> IntegrationSyncLog:
    """Runs a run opened with `enqueue=False` to its end in this process (the CLI), same rules."""
    lock = IntegrationLock(_integration_and_kind(log_id)[0])
    holder = lock.holder()
    token = holder if holder and log_of(holder) == log_id else task_token(log_id, f"foreground-{uuid.uuid4().hex}")
    attempt = 0
    waited = 0.0
    while True:
        outcome, failure = attempt_chunk(log_id=log_id, token=token, attempt=attempt, on_day=on_day)
        decision = decide(outcome, failure, attempt)
        if decision.step == Step.retry:
            lock.extend(token, decision.delay + lock_ttl())
            sleep(decision.delay)
            attempt += 1
            continue
        if decision.step == Step.fail:
            assert failure is not None
            fail_run(log_id=log_id, token=token, error=failure.error, attempt=attempt, lease=failure.lease)
            break
        if decision.step == Step.next_chunk:
            attempt = 0
            continue
        if decision.step == Step.wait and lock.holder() is None and waited < FOREGROUND_LOCK_WAIT_SECONDS:
            sleep(1.0)  # the lock was lost (a Redis blip) and is free again: go on ourselves
            waited += 1.0
            continue
        if decision.step == Step.wait:
            run_log.fail(None, log_id, None, Conflict(ALREADY_RUNNING), ErrorKind.busy, None)
        # done: finished, or another runner (a worker that resumed it) carries the run from here
        break
    return _finished(log_id)
