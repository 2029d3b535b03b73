"""AI Tooling jobs. Thin: ids in, `orgonaut.ai_tooling.sync` does the work and keeps the rules.

- `nightly_sync` (beat, 03:00 in ORGONAUT_TIMEZONE): one reconcile run per connected integration.
- `sync_range(log_id)`: one chunk of a run (a few days), then what `sync.decide` says: retry with a
  countdown, the next chunk as a new task, wait behind another run, or fail the run.
- `refresh_seats(tenant_id=None)` (beat, 04:15, and on an admin's request): the vendors' seat lists
  (`ai_tooling.seats`), one tenant's or all.
- `resume_interrupted` (beat, every two minutes, and when a worker starts): runs whose worker died
  go on from their checkpoint.
"""

from __future__ import annotations

from celery.signals import worker_ready

from orgonaut import faultpoints
from orgonaut.ai_tooling import seats, sync
from orgonaut.db import session_scope
from workers.celery_app import app


@app.task(name="orgonaut.ai_tooling.nightly_sync")
def nightly_sync() -> list[int]:
    with session_scope() as session:
        sync.resume_interrupted(session=session)
    with session_scope() as session:
        return sync.queue_nightly(session=session)


@app.task(name=sync.TASK_NAME, bind=True, acks_late=True, max_retries=sync.MAX_TRANSIENT_RETRIES,
          time_limit=sync.TASK_TIME_LIMIT_SECONDS)
def sync_range(self, log_id: int) -> str:
    token = sync.task_token(log_id, self.request.id)
    outcome, failure = sync.attempt_chunk(log_id=log_id, token=token, attempt=self.request.retries)
    decision = sync.decide(outcome, failure, self.request.retries)
    if decision.step == sync.Step.retry:
        sync.hold_for_retry(log_id=log_id, token=token, delay=decision.delay)
        retry = self.retry(countdown=decision.delay, throw=False)  # sent: its countdown runs from here
        faultpoints.reach("in_retry_countdown")
        raise retry
    if decision.step == sync.Step.fail:
        assert failure is not None
        sync.fail_run(log_id=log_id, token=token, error=failure.error, attempt=self.request.retries,
                      lease=failure.lease)
    elif decision.step == sync.Step.next_chunk:
        sync.queue_next_chunk(log_id=log_id, token=token)
    elif decision.step == sync.Step.wait:
        sync.wait_behind(log_id=log_id, delay=decision.delay)
    return (outcome or sync.ChunkOutcome.finished).value


@app.task(name=seats.REFRESH_TASK)
def refresh_seats(tenant_id: int | None = None) -> dict[str, int | str]:
    return {str(integration_id): done for integration_id, done in seats.refresh_all(tenant_id=tenant_id).items()}


@app.task(name="orgonaut.ai_tooling.resume_interrupted")
def resume_interrupted() -> list[int]:
    with session_scope() as session:
        return sync.resume_interrupted(session=session)


@worker_ready.connect
def _resume_on_start(**_: object) -> None:
    resume_interrupted.delay()
