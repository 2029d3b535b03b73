"""The Redis client for locks and de-duplication keys (the locks database), one per process.

Every call has connect and socket timeouts and the connection is health-checked: a Redis that
hangs must make the caller fail fast (and a lock holder notice it can no longer renew) rather than
block a worker forever.
"""

from __future__ import annotations

import functools

import redis

from orgonaut.settings import get_settings

SOCKET_TIMEOUT_SECONDS = 5.0
HEALTH_CHECK_SECONDS = 15


@functools.cache
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS, health_check_interval=HEALTH_CHECK_SECONDS,
    )


def locks() -> redis.Redis:
    return _client_for(get_settings().redis_locks_url)
