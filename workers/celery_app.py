"""The Celery app: Redis broker, JSON, late acks, and the beat schedule in one place.

Task modules are `workers/*_tasks.py`; each task takes ids and primitives and calls a service.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

from celery import Celery, signals
from celery.schedules import crontab

import workers.kombu_patch  # noqa: F401  (before any broker connection: see its docstring, review R3)
from orgonaut import jobs, wiring
from orgonaut.ai_tooling.windows import NIGHTLY_AT
from orgonaut.runtime import freeze_startup_heap

TASK_MODULES = sorted(
    f"workers.{m.name}"
    for m in pkgutil.iter_modules([str(Path(__file__).parent)])
    if m.name.endswith("_tasks")
)

wiring.install()  # org events -> re-matching and rollup refreshes, in every worker

app = Celery("orgonaut", include=TASK_MODULES)
app.conf.update(
    **jobs.celery_config(),  # broker, serialisation, queue, visibility timeout: shared with the sender
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    result_expires=24 * 3600,
)

# The beat schedule, defined here only.
app.conf.beat_schedule = {
    "ai-tooling-nightly-sync": {
        "task": "orgonaut.ai_tooling.nightly_sync",
        "schedule": crontab(hour=NIGHTLY_AT.hour, minute=NIGHTLY_AT.minute),
    },
    # Puts e-mails whose worker died before handing them over back in the queue.
    "notify-outbox-reaper": {
        "task": "orgonaut.notify.requeue_stuck_email",
        "schedule": 60.0,
    },
    # Sends refresh jobs again for owed rollup refreshes whose job was lost.
    "rollups-owed-reaper": {
        "task": "orgonaut.rollups.reap_owed_refreshes",
        "schedule": 60.0,
    },
    # Org change events whose delivery did not finish (re-matching, rollup refreshes) go out again.
    "org-events-redelivery": {
        "task": "orgonaut.org.redeliver_events",
        "schedule": 60.0,
    },
    # Rollups of recent days are compared with a rebuild from the records; differences are repaired.
    "rollups-verify-recent": {
        "task": "orgonaut.rollups.verify_recent",
        "schedule": crontab(hour=5, minute=0),
    },
    # Who holds a paid seat, as each vendor lists it (for idle seats), after the night's syncs.
    "ai-tooling-refresh-seats": {
        "task": "orgonaut.ai_tooling.refresh_seats",
        "schedule": crontab(hour=4, minute=15),
    },
    # Budget thresholds of every tenant with a budget (a refresh also checks its own tenant at once).
    "spend-check-budgets": {
        "task": "orgonaut.spend.check_all_budgets",
        "schedule": crontab(minute=7),
    },
    # Ended login sessions are deleted (the table would otherwise only grow).
    "tenancy-purge-login-sessions": {
        "task": "orgonaut.system.purge_login_sessions",
        "schedule": crontab(hour=4, minute=30),
    },
    # Runs whose worker died go on from their checkpoint within minutes, not at the next start.
    "ai-tooling-resume-interrupted": {
        "task": "orgonaut.ai_tooling.resume_interrupted",
        "schedule": 120.0,
    },
}


@signals.worker_process_init.connect
def _freeze_startup_heap(**_kwargs: object) -> None:
    freeze_startup_heap()
