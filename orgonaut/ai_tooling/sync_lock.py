"""One integration's run lock in Redis: who may run it now, and the "a sync is already running" answer.

The lock holds a token `<log id>:<task id>`; it expires unless renewed, is renewed while a chunk
runs, handed to the next chunk's task id before that task is queued, and released when the run
ends. It keeps people from starting a second run and scheduled runs queued behind the first. It is
not what keeps two processes from committing the same run's days: a Redis restart or a task
redelivered with the same id can let two in, so every day's commit is fenced by the lease on the
log row (`run_log.fence`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import cast

import redis

from orgonaut import kv
from orgonaut.settings import get_settings

logger = logging.getLogger(__name__)

_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return ARGV[1]
end
return holder
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_HAND_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def lock_ttl() -> int:
    return get_settings().sync_lock_ttl_seconds


def task_token(log_id: int, task_id: str) -> str:
    return f"{log_id}:{task_id}"


def log_of(token: str) -> int:
    return int(token.split(":", 1)[0])


class IntegrationLock:
    """Compare-and-set on a token, with expiry."""

    def __init__(self, integration_id: int, ttl: int | None = None):
        self.key = f"orgonaut:ai-tooling:sync-lock:{integration_id}"
        self.ttl = ttl or lock_ttl()

    def holder(self) -> str | None:
        return cast(str | None, kv.locks().get(self.key))

    def acquire(self, token: str, seconds: float | None = None) -> bool:
        return bool(kv.locks().set(self.key, token, nx=True, ex=int(seconds or self.ttl)))

    def claim(self, token: str) -> str:
        """Takes the lock if free or already ours; returns the holder's token afterwards."""
        return cast(str, kv.locks().eval(_CLAIM, 1, self.key, token, self.ttl))

    def extend(self, token: str, seconds: float | None = None) -> bool:
        return bool(kv.locks().eval(_EXTEND, 1, self.key, token, int(seconds or self.ttl)))

    def hand_over(self, token: str, new_token: str, seconds: float | None = None) -> bool:
        return bool(kv.locks().eval(_HAND_OVER, 1, self.key, token, new_token, int(seconds or self.ttl)))

    def release(self, token: str) -> bool:
        try:
            return bool(kv.locks().eval(_RELEASE, 1, self.key, token))
        except redis.RedisError:  # it expires by itself; nothing waits on it but people's clicks
            logger.warning("could not release the sync lock %s", self.key)
            return False

    @contextlib.contextmanager
    def kept_alive(self, token: str) -> Iterator[threading.Event]:
        """Renews the lock every third of its life while the block runs. The event is set once the lock
        is lost: taken by another token, or not renewed for most of its life (Redis away or hanging)."""
        lost = threading.Event()
        done = threading.Event()
        margin = max(1.0, self.ttl / 4)

        def renew() -> None:
            renewed = time.monotonic()
            while not done.wait(self.ttl / 3):
                try:
                    if not self.extend(token):
                        lost.set()
                        return
                    renewed = time.monotonic()
                except redis.RedisError:
                    logger.warning("could not renew the sync lock %s", self.key)
                    if time.monotonic() - renewed > self.ttl - margin:
                        lost.set()
                        return

        thread = threading.Thread(target=renew, name=f"lock-{self.key}", daemon=True)
        thread.start()
        try:
            yield lost
        finally:
            done.set()
            # A renewal stuck in a Redis call ends by its socket timeout; never wait longer than that.
            thread.join(timeout=kv.SOCKET_TIMEOUT_SECONDS * 2)
