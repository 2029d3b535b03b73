"""HTTP pieces every provider client shares: retry policy, `retry-after`, bounded reads, exact JSON.

Vendor responses are untrusted input: bodies are read up to a size limit before anything parses them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import functools
import ssl
import time
from importlib import metadata

import httpx

PRODUCT_URL = "https://orgonaut.co"
# 408, 429, every 5xx and Anthropic's 529 "overloaded" are worth another attempt; other 4xx are not.
RETRIABLE_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


def user_agent() -> str:
    """`Orgonaut/<version> (+https://orgonaut.co)`: vendors ask integrations to say who they are."""
    try:
        version = metadata.version("orgonaut")
    except metadata.PackageNotFoundError:  # a source checkout that was never installed
        version = "dev"
    return f"Orgonaut/{version} (+{PRODUCT_URL})"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: building one costs tens of milliseconds of CPU,
    which a client per call (and a backfill of hundreds of days) would pay every time."""
    return httpx.create_ssl_context()


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential back-off and jitter; `retry-after` is honoured up to a cap."""

    max_retries: int = 4  # attempts after the first one
    backoff_base: float = 0.5  # seconds before the first retry (before jitter)
    backoff_cap: float = 8.0
    max_retry_after: float = 60.0  # a longer `retry-after` ends the call: a later task retries

    def __post_init__(self) -> None:
        if self.max_retries < 0 or self.backoff_base < 0 or self.backoff_cap < 0 or self.max_retry_after < 0:
            raise ValueError("retry policy values must not be negative")

    def backoff(self, retry: int, random_fraction: float) -> float:
        """Delay before retry number `retry` (0-based): half the exponential step plus jitter up to the
        other half, so concurrent clients spread out but never wait less than half the step."""
        step = min(self.backoff_cap, self.backoff_base * 2.0**retry)
        return step / 2 + step / 2 * random_fraction


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a `retry-after` header (delta-seconds or an HTTP date); None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 64:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        seconds = (moment - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


class ResponseTooLarge(Exception):
    """The body exceeded the limit; reading stopped there."""


def read_limited(response: httpx.Response, limit: int, deadline: float | None = None) -> bytes:
    """The (decoded) body of a streamed response, refusing more than `limit` bytes, and a body still
    arriving at `deadline` (`time.monotonic()`): httpx's timeouts bound each read, not the whole body,
    so a server that drips bytes would otherwise hold a worker past any limit."""
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge
        chunks.append(chunk)
        if deadline is not None and time.monotonic() > deadline:
            raise httpx.ReadTimeout("the response took too long to arrive", request=response.request)
    return b"".join(chunks)
