"""AI Tooling jobs. Thin: ids in, `orgonaut.ai_tooling.sync` does the work and keeps the rules.

- `nightly_sync` (beat, 03:00 in ORGONAUT_TIMEZONE): one reconcile run per connected integration.
- `sync_range(log_id)`: one chunk of a run (a few days), then the next chunk as a new task.
- `resume_interrupted`: runs whose worker died go on from their checkpoint (also when a worker starts).

Only transient errors (ProviderRetriableError, httpx.TransportError) are retried, with back-off and
a maximum; the run then fails with the error in its log. Redelivery after a crash is harmless: the
run starts after its checkpoint and the upsert is idempotent.
"""

from __future__ import annotations

from celery.signals import worker_ready

from orgonaut.ai_tooling import sync
from orgonaut.db import session_scope
from workers.celery_app import app


@app.task(name="orgonaut.ai_tooling.nightly_sync")
def nightly_sync() -> list[int]:
    with session_scope() as session:
        sync.resume_interrupted(session=session)
    with session_scope() as session:
        return sync.queue_nightly(session=session)


@app.task(name=sync.TASK_NAME, bind=True, acks_late=True, max_retries=sync.MAX_TRANSIENT_RETRIES)
def sync_range(self, log_id: int) -> str:
    token = sync.task_token(log_id, self.request.id)
    try:
        outcome = sync.run_chunk(log_id=log_id, token=token, attempt=self.request.retries)
    except sync.TRANSIENT_ERRORS as error:
        if self.request.retries >= self.max_retries:
            sync.fail_run(log_id=log_id, token=token, error=error, attempt=self.request.retries)
            return sync.ChunkOutcome.finished.value
        delay = sync.retry_delay(self.request.retries, error)
        sync.hold_for_retry(log_id=log_id, token=token, delay=delay)
        raise self.retry(countdown=delay) from None
    if outcome == sync.ChunkOutcome.more:
        sync.queue_next_chunk(log_id=log_id, token=token)
    elif outcome == sync.ChunkOutcome.busy:
        sync.wait_behind(log_id=log_id)
    return outcome.value


@app.task(name="orgonaut.ai_tooling.resume_interrupted")
def resume_interrupted() -> list[int]:
    with session_scope() as session:
        return sync.resume_interrupted(session=session)


@worker_ready.connect
def _resume_on_start(**_: object) -> None:
    resume_interrupted.delay()
