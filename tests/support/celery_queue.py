"""What is waiting in the test run's Celery queues on Redis: read straight from the broker, so a test can
see which tasks our code really sent, with no worker taking them first."""

from __future__ import annotations

import base64
import json

import redis

from orgonaut.jobs import QUEUES
from orgonaut.settings import get_settings


def _broker() -> redis.Redis:
    return redis.Redis.from_url(get_settings().celery_broker_url)


def queued_tasks(queues: tuple[str, ...] = QUEUES) -> list[tuple[str, list]]:
    """(task name, args) of every message in the queues (all of ours by default), oldest first in each."""
    tasks = []
    for queue in queues:
        for raw in reversed(_broker().lrange(queue, 0, -1)):  # kombu pushes on the left
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            tasks.append((message["headers"]["task"], args))
    return tasks


def empty_queue() -> None:
    _broker().delete(*QUEUES)
