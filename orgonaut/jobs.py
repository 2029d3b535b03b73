"""The job port: domains queue Celery tasks by name through `send`, and never import `workers`.

The Celery app is built in `workers/celery_app.py` (which imports the domains); importing it here
late keeps the arrows pointing one way: edges (workers) -> domains -> this core module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def send(name: str, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None, task_id: str | None = None,
         countdown: float | None = None) -> None:
    """Queue the task `name` on the broker (raises the broker's error when it cannot)."""
    from workers.celery_app import app

    app.send_task(name, args=list(args), kwargs=kwargs or {}, task_id=task_id, countdown=countdown)
