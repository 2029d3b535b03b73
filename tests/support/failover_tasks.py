"""Tiny tasks for the broker failover tests (`tests/failover/`), loaded into a test worker with
`celery worker --include tests.support.failover_tasks`. They touch neither the database nor the app's
services, so a test sees only what the broker and the worker do.

They are registered on the app's own Celery instance, so they run with its real settings (late acks,
reject on worker lost, prefetch 1, the visibility timeout, the kombu patch).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from workers.celery_app import app

# The broker puts unacknowledged messages older than the visibility timeout back in the queue in a
# sweep every `unacked_restore_interval` x `unacked_restore_throttle` seconds (kombu's defaults:
# about 100 s). A test that shortens the visibility timeout sets ORGONAUT_TEST_RESTORE_UNACKED_EVERY
# (seconds) so that a redelivery production would make after an hour shows within the test.
if os.environ.get("ORGONAUT_TEST_RESTORE_UNACKED_EVERY"):
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "unacked_restore_interval": float(os.environ["ORGONAUT_TEST_RESTORE_UNACKED_EVERY"]),
        "unacked_restore_throttle": 1,
    }

SLEEP_TASK = "tests.failover.sleep"
ECHO_TASK = "tests.failover.echo"


@app.task(name=SLEEP_TASK, acks_late=True)
def sleep(seconds: float, value: str, started_file: str | None = None) -> str:
    """Holds its unacknowledged message for `seconds`, then returns `value`.

    `started_file` is created when the task starts, so a test knows it is running (not merely queued).
    """
    if started_file:
        Path(started_file).touch()
    time.sleep(seconds)
    return value


@app.task(name=ECHO_TASK, acks_late=True)
def echo(value: str) -> str:
    return value
