"""The jobs port: how a domain queues a Celery task, by the task's name, without importing `workers`.

The workers import the domains (a task is "ids in, one service call"), so a domain that imported a task
object, or the workers' Celery app, would point back up at them. A task is sent by name through a
sender app of its own here, configured like the workers' app (`celery_config`, which the workers
build theirs from), so the arrows only point down.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Celery
from kombu import Queue

from orgonaut.settings import get_settings

# Queues by kind, so that one kind of work never waits behind another: a tenant's year-long backfill (many
# chunks) does not hold up the other tenants' nightly runs, nor either the rollup refreshes pages wait for.
# Every worker consumes all of them (`task_queues`), and kombu reads them in turn. A long run yields between
# chunks on its own: each chunk queues the next one at the back of its queue.
QUEUE = "orgonaut"  # everything else: e-mails, org events, spend checks, seat lists, beat's own jobs
NIGHTLY_QUEUE = "orgonaut.nightly"  # sync chunks of reconcile runs (nightly, and "Sync now")
BACKFILL_QUEUE = "orgonaut.backfill"  # sync chunks of backfills
ROLLUP_QUEUE = "orgonaut.rollups"  # rollup refreshes
QUEUES = (QUEUE, NIGHTLY_QUEUE, BACKFILL_QUEUE, ROLLUP_QUEUE)


def celery_config() -> dict[str, Any]:
    """What every Celery app of ours shares: the broker, serialisation, the queue, delivery semantics."""
    settings = get_settings()
    return {
        "broker_url": settings.celery_broker_url,
        "result_backend": settings.celery_broker_url,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": QUEUE,
        "task_queues": [Queue(name) for name in QUEUES],
        # Long work is split into short tasks (a few days each, each under a hard time limit well inside
        # this): a task still unacknowledged after it is redelivered to another worker.
        "broker_transport_options": {"visibility_timeout": settings.celery_visibility_timeout},
        "broker_connection_retry_on_startup": True,
        "timezone": settings.timezone,
        "enable_utc": False,
    }


@functools.cache
def _sender(broker_url: str) -> Celery:
    app = Celery("orgonaut-sender", set_as_current=False)
    app.conf.update(celery_config())
    return app


def send(
    name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    task_id: str | None = None,
    countdown: float | None = None,
    queue: str = QUEUE,
) -> None:
    """Queue task `name` with these arguments (JSON-serialisable) on `queue`, optionally delayed by `countdown` s."""
    _sender(get_settings().celery_broker_url).send_task(
        name, args=list(args), kwargs=dict(kwargs or {}), task_id=task_id, countdown=countdown, queue=queue)
