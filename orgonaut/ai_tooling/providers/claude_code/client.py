"""Claude Code usage through the Anthropic Admin API.

`test_connection()` reads `GET /v1/organizations/me`; `fetch_day(day)` reads
`GET /v1/organizations/usage_report/claude_code` for one UTC day, following `next_page` while
`has_more`, and returns one `DailyUsage` per person. Transient failures (429, 5xx, 529, network,
timeouts) are retried here with back-off; when the retries run out the error is a
`ProviderRetriableError` so a later task can try again. 401/403 and malformed pages are final.

The Admin API key lives in one private attribute and the request header only: it is in no message,
log line or repr.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable

import httpx

from orgonaut.ai_tooling.providers.base import DayUsages, ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_code.records import (
    Repeat,
    UsageRecord,
    normalise,
    parse_error_envelope,
    parse_organization,
    parse_page,
    without_repeats,
)
from orgonaut.ai_tooling.providers.http import (
    RETRIABLE_STATUSES,
    ResponseTooLarge,
    RetryPolicy,
    parse_retry_after,
    read_limited,
    ssl_context,
    user_agent,
)

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
ORGANIZATION_PATH = "/v1/organizations/me"
USAGE_REPORT_PATH = "/v1/organizations/usage_report/claude_code"
PAGE_LIMIT = 1000  # the API's maximum; fewer requests per day
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a full page of 1,000 records is about 1 MB
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_PAGES_PER_DAY = 1000
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The longest one request may take from sending to the body's last byte (each read has its own 30 s).
REQUEST_DEADLINE_SECONDS = 120.0

INVALID_KEY_MESSAGE = (
    "Invalid or revoked Admin API key: generate a new key in the Anthropic Console (Settings → Admin API keys)."
)
MISSING_PERMISSION_MESSAGE = (
    "The key lacks organisation-level permissions: check the key's scopes in the Anthropic Console."
)
# Printable ASCII without spaces: anything else cannot travel in a header, and httpx's error for an
# illegal header value would quote the value.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class _Transient(Exception):
    """One attempt failed in a way another attempt may not."""

    def __init__(self, kind: ErrorKind, detail: str, *, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after


@dataclasses.dataclass(slots=True)
class NextPagePaginator:
    """Follows `next_page` while `has_more`, refusing a cursor that repeats or a report without end."""

    max_pages: int = MAX_PAGES_PER_DAY
    page_number: int = 1
    cursor: str | None = None
    _seen: set[str] = dataclasses.field(default_factory=set)

    def params(self) -> dict[str, str]:
        return {"page": self.cursor} if self.cursor is not None else {}

    def advance(self, *, has_more: bool, next_page: str | None) -> bool:
        """Moves to the next page; False when the report is complete. ValueError for a broken chain."""
        if not has_more:
            return False
        if next_page is None or next_page in self._seen:
            raise ValueError("next_page repeats an earlier cursor" if next_page else "next_page is missing")
        if self.page_number >= self.max_pages:
            raise ValueError(f"the report runs past {self.max_pages} pages for one day")
        self._seen.add(next_page)
        self.cursor = next_page
        self.page_number += 1
        return True


class ClaudeCodeProvider:
    """The Claude Code provider (see the module's docstring)."""

    key = "claude_code"
    display_name = "Claude Code"

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float = 60.0,
        page_limit: int = PAGE_LIMIT,
        request_deadline: float = REQUEST_DEADLINE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        if not isinstance(api_key, str) or not _HEADER_SAFE.fullmatch(api_key):
            raise ValueError("The API key is empty or holds characters an API key cannot contain.")
        if not 1 <= page_limit <= PAGE_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {PAGE_LIMIT}")
        self.__api_key = api_key
        self.api_base = normalise_api_base(api_base or DEFAULT_API_BASE)
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._retry = RetryPolicy(max_retries=max_retries, backoff_base=backoff_base, backoff_cap=backoff_cap,
                                  max_retry_after=max_retry_after)
        self._page_limit = page_limit
        self._request_deadline = request_deadline
        self._sleep = sleep
        self._jitter = jitter

    def __repr__(self) -> str:
        return f"ClaudeCodeProvider(api_base={self.api_base!r})"

    def test_connection(self) -> str:
        """The organisation's name, from `GET /v1/organizations/me`."""
        with self._client() as client:
            body, request_id = self._get(client, ORGANIZATION_PATH, {})
        try:
            return parse_organization(body).name.strip()
        except ValueError as problem:
            raise self._malformed(None, str(problem), request_id) from None

    def fetch_day(self, day: dt.date) -> DayUsages:
        """Every person's Claude Code usage on `day` (UTC), one record per person."""
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError("fetch_day takes a date")
        records: list[UsageRecord] = []
        pages: list[tuple[int, str | None]] = []  # (index of the page's first record, its request id)
        paginator = NextPagePaginator()
        with self._client() as client:
            while True:
                where = f"{day.isoformat()}, page {paginator.page_number}"
                params = {"starting_at": day.isoformat(), "limit": str(self._page_limit), **paginator.params()}
                body, request_id = self._get(client, USAGE_REPORT_PATH, params, where=where)
                try:
                    page = parse_page(body, day=day)
                    pages.append((len(records), request_id))
                    records.extend(page.data)
                    if not paginator.advance(has_more=page.has_more, next_page=page.next_page):
                        break
                except ValueError as problem:
                    raise self._malformed(where, str(problem), request_id) from None
        records, repeats = without_repeats(records)
        warnings = [_describe_repeat(repeat, pages, day) for repeat in repeats]
        for warning in warnings:
            logger.warning("%s", warning)
        return DayUsages(normalise(records, day=day), warnings)

    # -- HTTP -------------------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.api_base,
            headers={
                "x-api-key": self.__api_key,
                "anthropic-version": ANTHROPIC_VERSION,
                "user-agent": user_agent(),
                "accept": "application/json",
            },
            timeout=self._timeout,
            follow_redirects=False,  # a redirect could carry the key to another host
            verify=ssl_context(),
        )

    def _get(self, client: httpx.Client, path: str, params: dict[str, str], *,
             where: str | None = None) -> tuple[bytes, str | None]:
        """The body of a 2xx answer, after bounded retries of transient failures."""
        retry = 0
        while True:
            try:
                return self._attempt(client, path, params, where)
            except _Transient as failure:
                wait = self._wait_before_retry(failure, retry)
                if isinstance(wait, ProviderRetriableError):
                    raise wait from None  # the chain would only repeat the message
                logger.warning("Anthropic API %s on %s; retry %d of %d in %.2f s",
                               failure.detail, path, retry + 1, self._retry.max_retries, wait)
                self._sleep(wait)
                retry += 1

    def _wait_before_retry(self, failure: _Transient, retry: int) -> float | ProviderRetriableError:
        """Seconds to wait before the next attempt, or the error to raise when there is none."""
        attempts = retry + 1
        if failure.retry_after is not None and failure.retry_after > self._retry.max_retry_after:
            return ProviderRetriableError(
                failure.kind,
                f"The Anthropic API asked to wait {failure.retry_after:.0f} s before the next request "
                f"(HTTP {failure.status}): try again later.",
                status=failure.status, request_id=failure.request_id, retry_after=failure.retry_after,
            )
        if retry >= self._retry.max_retries:
            if failure.kind is ErrorKind.rate_limited:
                message = (f"The Anthropic API is rate limiting requests ({failure.detail}, "
                           f"{attempts} attempts): try again later.")
            else:
                message = f"Could not reach the Anthropic API ({failure.detail}, {attempts} attempts): try again later."
            return ProviderRetriableError(failure.kind, message, status=failure.status,
                                          request_id=failure.request_id, retry_after=failure.retry_after)
        if failure.retry_after is not None:
            return failure.retry_after
        return self._retry.backoff(retry, self._jitter())

    def _attempt(self, client: httpx.Client, path: str, params: dict[str, str],
                 where: str | None) -> tuple[bytes, str | None]:
        deadline = time.monotonic() + self._request_deadline
        try:
            with client.stream("GET", path, params=params) as response:
                request_id = _header(response, "request-id")
                status = response.status_code
                if 200 <= status < 300:
                    body = read_limited(response, MAX_RESPONSE_BYTES, deadline)
                else:
                    try:
                        body = read_limited(response, MAX_ERROR_BODY_BYTES, deadline)
                    except ResponseTooLarge:
                        body = b""
        except ResponseTooLarge:
            raise self._malformed(where, f"the response is larger than {MAX_RESPONSE_BYTES // 2**20} MiB",
                                  request_id) from None
        except httpx.TimeoutException:
            raise _Transient(ErrorKind.unavailable, "timed out") from None
        except httpx.TransportError as error:
            raise _Transient(ErrorKind.unavailable, f"connection failed: {type(error).__name__}") from None
        except httpx.DecodingError:
            raise self._malformed(where, "the body could not be decoded", request_id) from None

        if 200 <= status < 300:
            return body, request_id
        if status == 401:
            raise ProviderError(ErrorKind.invalid_key, INVALID_KEY_MESSAGE, status=status, request_id=request_id)
        if status == 403:
            raise ProviderError(ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE, status=status,
                                request_id=request_id)
        if status in RETRIABLE_STATUSES:
            kind = ErrorKind.rate_limited if status == 429 else ErrorKind.unavailable
            raise _Transient(kind, f"HTTP {status}", status=status, request_id=request_id,
                             retry_after=parse_retry_after(_header(response, "retry-after")))
        if 300 <= status < 400:
            raise ProviderError(
                ErrorKind.unavailable,
                f"The Anthropic API answered with a redirect (HTTP {status}), which is not followed: "
                "check the API base URL.",
                status=status, request_id=request_id,
            )
        raise ProviderError(ErrorKind.bad_request, self._safe(_rejection(status, body)), status=status,
                            request_id=request_id)

    def _malformed(self, where: str | None, problem: str, request_id: str | None) -> ProviderError:
        subject = f"Claude Code report for {where}" if where else "organisation answer"
        return ProviderError(
            ErrorKind.malformed,
            self._safe(f"The Anthropic API sent a malformed {subject}: {problem}."),
            request_id=request_id,
        )

    def _safe(self, text: str) -> str:
        """Vendor text may echo what we sent; the key never leaves in a message."""
        return text.replace(self.__api_key, "[redacted]")


def _describe_repeat(repeat: Repeat, pages: list[tuple[int, str | None]], day: dt.date) -> str:
    def where(index: int) -> str:
        number = max(n for n, (first, _) in enumerate(pages) if first <= index)
        return f"page {number + 1} (request {pages[number][1] or 'without id'})"

    if repeat.identical:
        return (f"{day}: the Anthropic API sent the same record for {repeat.email} on {where(repeat.first)} and "
                f"{where(repeat.later)}; it was counted once.")
    return (f"{day}: the Anthropic API sent two versions of one record for {repeat.email} on {where(repeat.first)} "
            f"and {where(repeat.later)} (the day changed while it was read); the later one was kept.")


def normalise_api_base(value: str) -> str:
    """An http(s) origin (with an optional path prefix), without credentials, query or trailing slash."""
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, TypeError):
        raise ValueError("The API base must be an http(s) URL.") from None
    if url.scheme not in ("http", "https") or not url.host or url.userinfo or url.query or url.fragment:
        raise ValueError("The API base must be an http(s) URL without credentials, query or fragment.")
    return str(url).rstrip("/")


def _header(response: httpx.Response, name: str) -> str | None:
    value = response.headers.get(name)
    return _CONTROL.sub("", value)[:200] if value is not None else None


def _rejection(status: int, body: bytes) -> str:
    """`The Anthropic API rejected the request (HTTP 400, invalid_request_error): <its message>.`"""
    error = parse_error_envelope(body)
    kind, message = (error.type, error.message) if error is not None else ("", "")
    label = f"HTTP {status}, {_CONTROL.sub(' ', kind)[:60]}" if kind else f"HTTP {status}"
    detail = _CONTROL.sub(" ", message).strip()[:200]
    return f"The Anthropic API rejected the request ({label})" + (f": {detail}." if detail else ".")
