"""What stands between a login form and the password hash (security review, findings 1 and 2).

Argon2 costs about a quarter of a second and 64 MiB per attempt, so every check here runs before any
hashing, and the hashing itself is bounded:

- per client address, a token bucket of `ORGONAUT_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE` attempts, and one
  for all addresses together (`ORGONAUT_LOGIN_ATTEMPTS_PER_MINUTE`): a flood is refused cheaply;
- per client address *and* e-mail, a progressive delay: after `ORGONAUT_LOGIN_FREE_FAILURES` failures
  each further attempt must wait 1, 2, 4 … seconds (at most `ORGONAUT_LOGIN_MAX_DELAY_SECONDS`) after the
  last failure; the count lapses `ORGONAUT_LOGIN_WINDOW_MINUTES` after the last failure and a success
  clears it. Failures from other addresses never delay this one, so nobody can lock the owner out;
- at most `ORGONAUT_LOGIN_HASH_CONCURRENCY` hashes at once per process; an attempt that cannot get a
  slot within a few seconds is told the server is busy.

State lives in Redis (the locks database) under keys named by a hash of address and e-mail, never the
e-mail itself, and expires on its own: nothing to purge. When Redis cannot be reached the guard lets
the attempt through (logged): the hash bound and the password remain.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from typing import cast

import redis

from orgonaut import kv
from orgonaut.clock import utcnow
from orgonaut.errors import RateLimited
from orgonaut.ratelimit import TokenBucket
from orgonaut.settings import get_settings

logger = logging.getLogger(__name__)

BUSY_MESSAGE = "The server is busy signing people in. Try again in a moment."
_KEY = "orgonaut:login"
_HASH_WAIT_SECONDS = 5.0
_hash_slots: threading.BoundedSemaphore | None = None
_hash_slots_lock = threading.Lock()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _seconds(value: float) -> str:
    whole = max(1, round(value))
    return "1 second" if whole == 1 else f"{whole} seconds"


def _failures_key(client: str, email: str) -> str:
    return f"{_KEY}:failures:{_digest(client, email)}"


def check(*, client: str, email: str) -> None:
    """Refuses (RateLimited) an attempt that must not reach the password hash now."""
    settings = get_settings()
    try:
        _check_delay(client, email)
        _take(TokenBucket(f"{_KEY}:ip:{_digest(client)}", capacity=settings.login_attempts_per_ip_per_minute,
                          per_seconds=60), "from your network")
        _take(TokenBucket(f"{_KEY}:all", capacity=settings.login_attempts_per_minute, per_seconds=60),
              "right now")
    except redis.RedisError as error:
        logger.warning("login guard unavailable (%s); attempt let through", type(error).__name__)


def _take(bucket: TokenBucket, where: str) -> None:
    wait = bucket.try_take()
    if wait > 0:
        raise RateLimited(f"Too many sign-in attempts {where}. Try again in {_seconds(wait)}.")


def _check_delay(client: str, email: str) -> None:
    settings = get_settings()
    state = cast(dict[str, str], kv.locks().hgetall(_failures_key(client, email)))  # a sync client answers
    if not state:
        return
    count, last = int(state["count"]), float(state["last"])
    now = utcnow().timestamp()
    if now - last > settings.login_window_minutes * 60:
        return  # lapsed (the key's own expiry may lag a moved test clock)
    extra = count - settings.login_free_failures
    if extra < 0:
        return
    delay = min(2 ** extra, settings.login_max_delay_seconds)
    remaining = last + delay - now
    if remaining > 0:
        raise RateLimited(
            f"Too many failed attempts for this e-mail. Try again in {_seconds(remaining)}."
        )


def failed(*, client: str, email: str) -> None:
    """Counts a failed attempt of this address and e-mail."""
    key = _failures_key(client, email)
    try:
        with kv.locks().pipeline() as pipe:
            pipe.hincrby(key, "count", 1)
            pipe.hset(key, "last", repr(utcnow().timestamp()))
            pipe.expire(key, get_settings().login_window_minutes * 60)
            pipe.execute()
    except redis.RedisError as error:
        logger.warning("login guard unavailable (%s); failure not counted", type(error).__name__)


def succeeded(*, client: str, email: str) -> None:
    with contextlib.suppress(redis.RedisError):
        kv.locks().delete(_failures_key(client, email))


def _slots() -> threading.BoundedSemaphore:
    global _hash_slots
    with _hash_slots_lock:
        if _hash_slots is None:
            _hash_slots = threading.BoundedSemaphore(get_settings().login_hash_concurrency)
        return _hash_slots


@contextlib.contextmanager
def hash_slot(wait: float = _HASH_WAIT_SECONDS) -> Iterator[None]:
    """One of the process's few password-hashing slots, or RateLimited when none frees up in `wait` s."""
    slots = _slots()
    if not slots.acquire(timeout=wait):
        raise RateLimited(BUSY_MESSAGE)
    try:
        yield
    finally:
        slots.release()
