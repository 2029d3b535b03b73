"""What is waiting in the test run's Celery queue on Redis: read straight from the broker, so a test can
see which tasks our code really sent, with no worker taking them first."""

from __future__ import annotations

import base64
import json

import redis

from orgonaut.settings import get_settings

QUEUE = "orgonaut"  # workers/celery_app.py: task_default_queue


def _broker() -> redis.Redis:
    return redis.Redis.from_url(get_settings().celery_broker_url)


def queued_tasks() -> list[tuple[str, list]]:
    """(task name, args) of every message in the queue, oldest first."""
    tasks = []
    for raw in reversed(_broker().lrange(QUEUE, 0, -1)):  # kombu pushes on the left
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks


def empty_queue() -> None:
    _broker().delete(QUEUE)
