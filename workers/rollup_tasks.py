"""Rollup refresh jobs: thin, the work is `orgonaut.ai_tooling.refresh.run_refresh_job`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from orgonaut.ai_tooling.refresh import run_refresh_job
from workers.celery_app import app

MAX_RETRIES = 5


@app.task(name="orgonaut.rollups.refresh", bind=True)
def refresh_rollups(self, job: dict[str, Any]) -> dict[str, Any]:
    # Only a busy or dropped database connection (or a deadlock) is worth another attempt.
    try:
        result = run_refresh_job(job=job, final_attempt=self.request.retries >= MAX_RETRIES)
    except OperationalError as error:
        raise self.retry(exc=error, countdown=2 ** self.request.retries, max_retries=MAX_RETRIES) from error
    return {"unit_rows": result.unit_rows, "member_rows": result.member_rows}
