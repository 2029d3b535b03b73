"""Rollup jobs: thin, the work is in `orgonaut.rollups.queue`.

- `refresh_rollups(tenant_id, scenario_id)`: everything the scope owes, in one transaction.
- `reap_owed_refreshes` (beat, every minute): sends a job again where an owed refresh's job was lost.
- `verify_recent` (beat, 05:00): recent rollups compared with their records, differences repaired.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from orgonaut import jobs
from orgonaut.ai_tooling.changes import REFRESH_TASK
from orgonaut.db import session_scope
from orgonaut.rollups import queue
from orgonaut.spend import budget_alerts
from workers.celery_app import app

MAX_RETRIES = 5
logger = logging.getLogger(__name__)


@app.task(name=REFRESH_TASK, bind=True)
def refresh_rollups(self, tenant_id: int, scenario_id: int | None) -> dict[str, Any]:
    try:
        result = queue.run_owed(tenant_id=tenant_id, scenario_id=scenario_id)
    except queue.RETRIABLE_ERRORS as error:
        if self.request.retries >= MAX_RETRIES:
            raise  # the intents stay: the reaper sends the job again
        raise self.retry(exc=error, countdown=2 ** self.request.retries, max_retries=MAX_RETRIES) from error
    if scenario_id is None and result.intents:  # Live spend moved: budgets may have crossed a threshold
        try:
            jobs.send(budget_alerts.CHECK_TASK, args=[tenant_id])
        except Exception:  # the hourly check of every tenant catches up
            logger.exception("could not queue the budget check of tenant %s", tenant_id)
    return {"intents": result.intents, "unit_rows": result.unit_rows, "member_rows": result.member_rows}


@app.task(name="orgonaut.rollups.reap_owed_refreshes")
def reap_owed_refreshes() -> int:
    with session_scope() as session:
        return len(queue.reap(session))


@app.task(name="orgonaut.rollups.verify_recent")
def verify_recent() -> list[dict[str, Any]]:
    return [dataclasses.asdict(repair) | {"start": repair.start.isoformat(), "end": repair.end.isoformat()}
            for repair in queue.verify_recent()]
