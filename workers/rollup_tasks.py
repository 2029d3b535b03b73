"""Rollup refresh jobs: thin, the work is `orgonaut.ai_tooling.refresh.run_refresh_job`."""

from __future__ import annotations

from typing import Any

from orgonaut.ai_tooling.refresh import RETRIABLE_ERRORS, run_refresh_job
from workers.celery_app import app

MAX_RETRIES = 5


@app.task(name="orgonaut.rollups.refresh", bind=True)
def refresh_rollups(self, job: dict[str, Any]) -> dict[str, Any]:
    try:
        result = run_refresh_job(job=job, final_attempt=self.request.retries >= MAX_RETRIES)
    except RETRIABLE_ERRORS as error:
        raise self.retry(exc=error, countdown=2 ** self.request.retries, max_retries=MAX_RETRIES) from error
    return {"unit_rows": result.unit_rows, "member_rows": result.member_rows}
