"""A vendor rate limit shared by every worker: a token bucket in Redis (the locks database).

Several workers (and the fetch thread of each) call one vendor account; each paces itself only if the
bucket is shared. `TokenBucket.take()` waits until a request may go out: the bucket holds `capacity`
tokens, refilled at `capacity / per_seconds` a second, and one Lua script takes a token or says how
long to wait, atomically, with Redis's own clock (so workers' clocks need not agree).

When Redis cannot be reached the limiter does not stop the sync: it waits one interval and lets the
request go (the vendor's 429 and the client's back-off remain the backstop).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import cast

import redis

from orgonaut import kv

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: capacity, refill per millisecond. Returns 0 (taken) or the milliseconds to wait.
_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now_ms
tokens = math.min(capacity, tokens + math.max(0, now_ms - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now_ms))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 1000)
return wait
"""


def account_key(vendor: str, secret: str, endpoint: str) -> str:
    """The bucket of one vendor account (named by a hash of its credential, never the credential) and
    endpoint group."""
    digest = hashlib.sha256(secret.encode()).hexdigest()[:24]
    return f"orgonaut:ratelimit:{vendor}:{digest}:{endpoint}"


def account_bucket(vendor: str, secret: str, endpoint: str, requests: int, per_seconds: float) -> TokenBucket:
    """The shared bucket of one vendor account's limit of `requests` per `per_seconds`, just below it, so
    several workers together never reach it."""
    return TokenBucket(account_key(vendor, secret, endpoint), capacity=max(1, requests - 2), per_seconds=per_seconds)


class TokenBucket:
    def __init__(self, key: str, *, capacity: int, per_seconds: float,
                 client: Callable[[], redis.Redis] = kv.locks, sleep: Callable[[float], None] = time.sleep):
        if capacity < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs at least one request per positive period")
        self.key = key
        self.capacity = capacity
        self.per_seconds = per_seconds
        self._client = client
        self._sleep = sleep

    def try_take(self) -> float:
        """Takes a token if there is one (0.0), else says how many seconds until there is; never waits.
        Redis errors reach the caller, which decides whether to let the request through."""
        rate_per_ms = self.capacity / (self.per_seconds * 1000)
        answer = self._client().eval(_TAKE, 1, self.key, self.capacity, repr(rate_per_ms))
        return max(0, int(cast(str, answer))) / 1000

    def take(self, max_wait: float = 300.0) -> float:
        """Waits for a token (at most `max_wait` seconds in all); returns the seconds waited."""
        rate_per_ms = self.capacity / (self.per_seconds * 1000)
        waited = 0.0
        while True:
            try:
                answer = self._client().eval(_TAKE, 1, self.key, self.capacity, repr(rate_per_ms))
                wait_ms = int(cast(str, answer))  # a synchronous client answers at once
            except redis.RedisError as error:
                fallback = self.per_seconds / self.capacity
                logger.warning("rate limiter unavailable (%s); pacing %.2f s locally", type(error).__name__, fallback)
                self._sleep(fallback)
                return waited + fallback
            if wait_ms <= 0 or waited >= max_wait:
                return waited
            pause = min(wait_ms / 1000, max_wait - waited)
            self._sleep(pause)
            waited += pause
