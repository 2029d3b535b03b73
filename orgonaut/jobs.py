"""The jobs port: how a domain queues a Celery task, by the task's name, without importing `workers`.

The workers import the domains (a task is "ids in, one service call"), so a domain that imported a task
object would point back up at them. Domains call `send(name, ...)` with a name they own instead; the
Celery app is imported only when a task is actually sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def send(
    name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    task_id: str | None = None,
    countdown: float | None = None,
) -> None:
    """Queue task `name` with these arguments (JSON-serialisable), optionally delayed by `countdown` s."""
    from workers.celery_app import app  # the app loads the task modules, which import the domains

    app.send_task(name, args=list(args), kwargs=dict(kwargs or {}), task_id=task_id, countdown=countdown)
