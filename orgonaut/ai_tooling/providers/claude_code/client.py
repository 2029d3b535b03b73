"""Claude Code usage through the Anthropic Admin API.

`test_connection()` reads `GET /v1/organizations/me`; `fetch_day(day)` reads
`GET /v1/organizations/usage_report/claude_code` for one UTC day, following `next_page` while
`has_more`, and returns one `DailyUsage` per person. Transient failures (429, 5xx, 529, network,
timeouts) are retried here with back-off; when the retries run out the error is a
`ProviderRetriableError` so a later task can try again. 401/403 and malformed pages are final.

The HTTP conversation (retries, deadlines, bounded reads, wording) is `vendor_http.VendorHttp`'s. The
Admin API key lives in its private attribute and the request header only: it is in no message, log
line or repr.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import time
from collections.abc import Callable

import httpx

from orgonaut.ai_tooling.providers.base import (
    DayUsages,
    OneDayPerCall,
    OrganisationCost,
)
from orgonaut.ai_tooling.providers.claude_code import cost_report
from orgonaut.ai_tooling.providers.claude_code.records import (
    Repeat,
    UsageRecord,
    normalise,
    parse_error_envelope,
    parse_organization,
    parse_page,
    without_repeats,
)
from orgonaut.ai_tooling.providers.http import RetryPolicy
from orgonaut.ai_tooling.providers.vendor_http import (
    CONTROL,
    DEFAULT_TIMEOUT,
    HEADER_SAFE,
    REQUEST_DEADLINE_SECONDS,
    VendorHttp,
    VendorWording,
)

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
ORGANIZATION_PATH = "/v1/organizations/me"
USAGE_REPORT_PATH = "/v1/organizations/usage_report/claude_code"
COST_REPORT_PATH = "/v1/organizations/cost_report"
COST_DAYS_PER_PAGE = 31  # the cost report's maximum `limit` (daily buckets)
PAGE_LIMIT = 1000  # the API's maximum; fewer requests per day
MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a full page of 1,000 records is about 1 MB
MAX_PAGES_PER_DAY = 1000

INVALID_KEY_MESSAGE = (
    "Invalid or revoked Admin API key: generate a new key in the Anthropic Console (Settings → Admin API keys)."
)
MISSING_PERMISSION_MESSAGE = (
    "The key lacks organisation-level permissions: check the key's scopes in the Anthropic Console."
)


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


class ClaudeCodeProvider(OneDayPerCall):
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
        if not isinstance(api_key, str) or not HEADER_SAFE.fullmatch(api_key):
            raise ValueError("The API key is empty or holds characters an API key cannot contain.")
        if not 1 <= page_limit <= PAGE_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {PAGE_LIMIT}")
        self._http = VendorHttp(
            api_base=api_base or DEFAULT_API_BASE, wording=WORDING, secret=api_key,
            headers={"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION}, timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries, backoff_base=backoff_base, backoff_cap=backoff_cap,
                              max_retry_after=max_retry_after),
            request_deadline=request_deadline, max_response_bytes=MAX_RESPONSE_BYTES, sleep=sleep, jitter=jitter,
        )
        self.api_base = self._http.api_base
        self._page_limit = page_limit

    def __repr__(self) -> str:
        return f"ClaudeCodeProvider(api_base={self.api_base!r})"

    def test_connection(self) -> str:
        """The organisation's name, from `GET /v1/organizations/me`."""
        with self._http.client() as client:
            body, request_id = self._get(client, ORGANIZATION_PATH, {})
        try:
            return parse_organization(body).name.strip()
        except ValueError as problem:
            raise self._http.malformed(None, str(problem), request_id) from None

    def fetch_day(self, day: dt.date) -> DayUsages:
        """Every person's Claude Code usage on `day` (UTC), one record per person."""
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError("fetch_day takes a date")
        records: list[UsageRecord] = []
        pages: list[tuple[int, str | None]] = []  # (index of the page's first record, its request id)
        paginator = NextPagePaginator()
        with self._http.client() as client:
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
                    raise self._http.malformed(where, str(problem), request_id) from None
        records, repeats = without_repeats(records)
        warnings = [_describe_repeat(repeat, pages, day) for repeat in repeats]
        for warning in warnings:
            logger.warning("%s", warning)
        return DayUsages(normalise(records, day=day), warnings)

    def organisation_cost(self, start: dt.date, end: dt.date) -> OrganisationCost:
        """The organisation's billed cost from `start` to `end` (UTC days, inclusive), from the cost report."""
        pages: list[cost_report.CostPage] = []
        paginator = NextPagePaginator()
        params = {"starting_at": f"{start.isoformat()}T00:00:00Z",
                  "ending_at": f"{(end + dt.timedelta(days=1)).isoformat()}T00:00:00Z",
                  "bucket_width": "1d", "limit": str(COST_DAYS_PER_PAGE)}
        with self._http.client() as client:
            while True:
                where = f"cost report from {start.isoformat()}, page {paginator.page_number}"
                body, request_id = self._get(client, COST_REPORT_PATH, {**params, **paginator.params()}, where=where)
                try:
                    page = cost_report.parse_cost_page(body)
                    pages.append(page)
                    if not paginator.advance(has_more=page.has_more, next_page=page.next_page):
                        break
                except ValueError as problem:
                    raise self._http.malformed(where, str(problem), request_id) from None
        return cost_report.organisation_cost(pages, start, end)

    def _get(self, client: httpx.Client, path: str, params: dict[str, str], *,
             where: str | None = None) -> tuple[bytes, str | None]:
        return self._http.request(client, "GET", path, params=params, where=where)


def _describe_repeat(repeat: Repeat, pages: list[tuple[int, str | None]], day: dt.date) -> str:
    def where(index: int) -> str:
        number = max(n for n, (first, _) in enumerate(pages) if first <= index)
        return f"page {number + 1} (request {pages[number][1] or 'without id'})"

    if repeat.identical:
        return (f"{day}: the Anthropic API sent the same record for {repeat.email} on {where(repeat.first)} and "
                f"{where(repeat.later)}; it was counted once.")
    return (f"{day}: the Anthropic API sent two versions of one record for {repeat.email} on {where(repeat.first)} "
            f"and {where(repeat.later)} (the day changed while it was read); the later one was kept.")


def _malformed(where: str | None, problem: str) -> str:
    if where is not None and where.startswith("cost report"):
        return f"The Anthropic API sent a malformed {where}: {problem}."
    subject = f"Claude Code report for {where}" if where else "organisation answer"
    return f"The Anthropic API sent a malformed {subject}: {problem}."


def _rejection(status: int, body: bytes) -> str:
    """`The Anthropic API rejected the request (HTTP 400, invalid_request_error): <its message>.`"""
    error = parse_error_envelope(body)
    kind, message = (error.type, error.message) if error is not None else ("", "")
    label = f"HTTP {status}, {CONTROL.sub(' ', kind)[:60]}" if kind else f"HTTP {status}"
    detail = CONTROL.sub(" ", message).strip()[:200]
    return f"The Anthropic API rejected the request ({label})" + (f": {detail}." if detail else ".")


WORDING = VendorWording(name="Anthropic API", invalid_key=INVALID_KEY_MESSAGE,
                        missing_permission=MISSING_PERMISSION_MESSAGE, rejection=_rejection, malformed=_malformed)
