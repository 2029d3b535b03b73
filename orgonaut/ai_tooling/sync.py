"""Sync runs: Sync now, Backfill and the nightly reconcile are one flow over a date range.

What the edges (service, CLI, Celery tasks, demo) call, gathered from the modules that hold each
concern:

- `runs`: creating runs (a person's, the nightly reconcile, resuming interrupted ones) and the gates;
- `windows`: which days may and should be fetched (last complete UTC day, catch-up window);
- `sync_lock`: the Redis lock per integration ("a sync is already running");
- `chunk`: working off one chunk, each day committed with its checkpoint and fenced by a lease;
- `run_log`: the lease, diagnostics and end states of a run's log;
- `steps`: the one decision after a chunk (retry, next chunk, wait, fail, done) and its execution.

Guarantees (proved by tests/failover): a killed worker, a Redis or database restart, a redelivered
task or a vendor that repeats or revises records loses nothing and duplicates nothing, in the
records and in the rollups; one runner commits a run's days at a time; no run stays running once
its worker is gone (resumed within minutes).
"""

from __future__ import annotations

from orgonaut.ai_tooling.chunk import (
    CHUNK_DAYS,
    CHUNK_SECONDS,
    MAX_TRANSIENT_RETRIES,
    MAX_WAIT_BEHIND,
    ChunkOutcome,
    RetryLater,
    fail_run,
    is_transient,
    run_chunk,
)
from orgonaut.ai_tooling.run_log import FINISHED, remaining_days
from orgonaut.ai_tooling.runs import (
    ALREADY_RUNNING,
    TASK_NAME,
    TriggeredBy,
    create_log,
    gate_reason,
    open_run,
    plan_reason,
    queue_nightly,
    resume_interrupted,
)
from orgonaut.ai_tooling.steps import (
    RETRY_BASE_SECONDS,
    RETRY_CAP_SECONDS,
    TASK_TIME_LIMIT_SECONDS,
    WAIT_BEHIND_SECONDS,
    Decision,
    Step,
    attempt_chunk,
    decide,
    hold_for_retry,
    queue_next_chunk,
    retry_delay,
    run_foreground,
    wait_behind,
)
from orgonaut.ai_tooling.sync_lock import IntegrationLock, lock_ttl, task_token
from orgonaut.ai_tooling.windows import days_between, last_complete_day

__all__ = [
    "ALREADY_RUNNING", "CHUNK_DAYS", "CHUNK_SECONDS", "FINISHED", "MAX_TRANSIENT_RETRIES",
    "MAX_WAIT_BEHIND", "RETRY_BASE_SECONDS", "RETRY_CAP_SECONDS", "TASK_NAME", "TASK_TIME_LIMIT_SECONDS",
    "WAIT_BEHIND_SECONDS", "ChunkOutcome", "Decision", "IntegrationLock", "RetryLater", "Step", "TriggeredBy",
    "attempt_chunk", "create_log", "days_between", "decide", "fail_run", "gate_reason", "hold_for_retry",
    "is_transient", "last_complete_day", "lock_ttl", "open_run", "plan_reason", "queue_nightly",
    "queue_next_chunk", "remaining_days", "resume_interrupted", "retry_delay", "run_chunk", "run_foreground",
    "task_token", "wait_behind",
]
