"""Cursor usage and cost through the Cursor Admin API.

`test_connection()` reads `GET /teams/members`. `fetch_days(start, end)` (at most 30 days, the API's
range limit) reads every page of `POST /teams/daily-usage-data` (with `page`/`pageSize`, so inactive
members come back too) and of `POST /teams/filtered-usage-events`, and sums them per person and UTC
day (`records.per_day`). Both dates are inclusive: a range ends at its last day's last millisecond.
`organisation_cost(...)` reads every page of `POST /teams/spend`: the current billing cycle's spend to date,
whatever days are asked (`team_spend.py`), for reconciliation.

Requests are paced below the team's limits (20 a minute for daily usage and most endpoints, 60 for
usage events) by token buckets in Redis that every worker shares; a 429 still backs off (no
`Retry-After` is documented; one that is sent is honoured). The HTTP conversation is `VendorHttp`'s;
HTTP Basic carries the Admin API key as the user name with an empty password, and the key is in no
message, log line or repr.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import msgspec

from orgonaut import clock
from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import DayUsages, OrganisationCost, RangePerCall, Seat
from orgonaut.ai_tooling.providers.cursor import records, team_spend
from orgonaut.ai_tooling.providers.http import RetryPolicy
from orgonaut.ai_tooling.providers.vendor_http import Pacer, VendorHttp, VendorWording

DEFAULT_API_BASE = "https://api.cursor.com"
MEMBERS_PATH = "/teams/members"
DAILY_USAGE_PATH = "/teams/daily-usage-data"
EVENTS_PATH = "/teams/filtered-usage-events"
SPEND_PATH = "/teams/spend"
SPEND_PAGE_SIZE = 100
MAX_DAYS_PER_CALL = 30
USAGE_PAGE_SIZE = 1000
EVENTS_PAGE_SIZE = 1000  # the API's maximum
MAX_PAGES = 10_000
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

INVALID_KEY_MESSAGE = (
    "Invalid or revoked Cursor Admin API key: create a new key in the Cursor dashboard (Settings → API Keys)."
)
MISSING_PERMISSION_MESSAGE = (
    "Cursor refused the key: Enterprise access required (the team's plan does not include the Admin API)."
)


Page = TypeVar("Page")
Item = TypeVar("Item")


class CursorProvider(RangePerCall):
    """The Cursor provider (see the module's docstring)."""

    key = "cursor"
    display_name = "Cursor"

    def __init__(
        self, api_key: str, api_base: str | None = None, *, usage_pacer: Pacer | None = None,
        events_pacer: Pacer | None = None, timeout: float | httpx.Timeout = vendor_http.DEFAULT_TIMEOUT,
        max_retries: int = 5, backoff_base: float = 1.0, backoff_cap: float = 16.0, max_retry_after: float = 60.0,
        request_deadline: float = vendor_http.REQUEST_DEADLINE_SECONDS, sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random, today: Callable[[], dt.date] | None = None,
        seat_price_cents: Decimal | None = None,
    ):
        if not isinstance(api_key, str) or not vendor_http.HEADER_SAFE.fullmatch(api_key):
            raise ValueError("The API key is empty or holds characters an API key cannot contain.")
        self._http = VendorHttp(
            api_base=api_base or DEFAULT_API_BASE, wording=WORDING, secret=api_key,
            auth=httpx.BasicAuth(api_key, ""), timeout=timeout,
            # The docs show 1, 2, 4, 8, 16 s between attempts after a 429.
            retry=RetryPolicy(max_retries=max_retries, backoff_base=backoff_base, backoff_cap=backoff_cap,
                              max_retry_after=max_retry_after),
            request_deadline=request_deadline, max_response_bytes=MAX_RESPONSE_BYTES, sleep=sleep, jitter=jitter,
        )
        self.api_base = self._http.api_base
        self.seat_price_cents = seat_price_cents  # the admin's monthly price of a seat (the API tells none)
        self._usage_pacer = usage_pacer
        self._events_pacer = events_pacer
        self._today = today or (lambda: clock.utcnow().date())  # the one clock: tests move it

    def __repr__(self) -> str:
        return f"CursorProvider(api_base={self.api_base!r})"

    def test_connection(self) -> str:
        """The team's name (its members' e-mail domain), from `GET /teams/members`."""
        with self._http.client() as client:
            self._pace(self._usage_pacer)
            body, request_id = self._http.request(client, "GET", MEMBERS_PATH)
        try:
            return records.organisation_name(records.parse_members(body))
        except ValueError as problem:
            raise self._http.malformed(None, str(problem), request_id) from None

    def seats(self) -> list[Seat]:
        """The team's paid seats now, from `GET /teams/members` (not paged)."""
        with self._http.client() as client:
            self._pace(self._usage_pacer)
            body, request_id = self._http.request(client, "GET", MEMBERS_PATH)
        try:
            return records.seats(records.parse_members(body), self.seat_price_cents)
        except ValueError as problem:
            raise self._http.malformed(None, str(problem), request_id) from None

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        """Every person's Cursor usage and cost on each day from `start` to `end` (UTC, inclusive)."""
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime) or end < start:
            raise TypeError("fetch_days takes two dates, the second not before the first")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        if len(days) > MAX_DAYS_PER_CALL:
            raise ValueError(f"Cursor serves at most {MAX_DAYS_PER_CALL} days per request")
        window = {"startDate": _millis(start), "endDate": _millis(end + dt.timedelta(days=1)) - 1}
        span = f"{start} to {end}" if start != end else str(start)
        with self._http.client() as client:
            rows = self._all_pages(client, DAILY_USAGE_PATH, window, USAGE_PAGE_SIZE, self._usage_pacer,
                                   records.parse_usage_page, lambda page: page.data,
                                   lambda page: bool(page.pagination and page.pagination.hasNextPage),
                                   f"daily usage for {span}")
            events = self._all_pages(client, EVENTS_PATH, window, EVENTS_PAGE_SIZE, self._events_pacer,
                                     records.parse_events_page, lambda page: page.usageEvents,
                                     lambda page: bool(page.pagination and page.pagination.hasNextPage),
                                     f"usage events for {span}")
            try:
                return records.per_day(rows, events, days)
            except ValueError as problem:
                raise self._http.malformed(f"usage of {span}", str(problem), None) from None

    def organisation_cost(self, start: dt.date, end: dt.date) -> OrganisationCost:
        """The team's spend in its current billing cycle, from the cycle's first day to today (UTC): the only
        period `/teams/spend` reports, whatever `start` and `end` ask (the answer says which days it covers)."""
        pages: list[team_spend.SpendPage] = []
        with self._http.client() as client:
            for number in range(1, MAX_PAGES + 1):
                where = f"team spend, page {number}"
                self._pace(self._usage_pacer)
                body, request_id = self._http.request(
                    client, "POST", SPEND_PATH, json={"page": number, "pageSize": SPEND_PAGE_SIZE}, where=where)
                try:
                    page = team_spend.parse_spend_page(body)
                except ValueError as problem:
                    raise self._http.malformed(where, str(problem), request_id) from None
                pages.append(page)
                last = page.totalPages if page.totalPages is not None else (
                    number + 1 if len(page.teamMemberSpend) >= SPEND_PAGE_SIZE else number)
                if number >= last:
                    break
            else:
                raise self._http.malformed("team spend", f"it runs past {MAX_PAGES} pages", None)
        try:
            return team_spend.organisation_cost(pages, self._today())
        except ValueError as problem:
            raise self._http.malformed("team spend", str(problem), None) from None

    def _all_pages(
        self, client: httpx.Client, path: str, window: dict[str, int], page_size: int, pacer: Pacer | None,
        parse: Callable[[bytes], Page], items: Callable[[Page], list[Item]], more: Callable[[Page], bool],
        what: str,
    ) -> list[Item]:
        found: list[Item] = []
        for number in range(1, MAX_PAGES + 1):
            where = f"{what}, page {number}"
            self._pace(pacer)
            body, request_id = self._http.request(
                client, "POST", path, json={**window, "page": number, "pageSize": page_size}, where=where,
            )
            try:
                page = parse(body)
            except ValueError as problem:
                raise self._http.malformed(where, str(problem), request_id) from None
            found.extend(items(page))
            if not more(page):
                return found
        raise self._http.malformed(what, f"it runs past {MAX_PAGES} pages", None)

    @staticmethod
    def _pace(pacer: Pacer | None) -> None:
        if pacer is not None:
            pacer.take()


def _millis(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


def _malformed(where: str | None, problem: str) -> str:
    subject = f"answer ({where})" if where else "members answer"
    return f"The Cursor Admin API sent a malformed {subject}: {problem}."


class _ErrorBody(msgspec.Struct):
    error: str | None = None
    message: str | None = None


def _rejection(status: int, body: bytes) -> str:
    """`The Cursor Admin API rejected the request (HTTP 400): <its message>.`"""
    try:
        error: Any = msgspec.json.decode(body, type=_ErrorBody)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        error = _ErrorBody()
    detail = vendor_http.CONTROL.sub(" ", error.message or error.error or "").strip()[:200]
    return f"The Cursor Admin API rejected the request (HTTP {status})" + (f": {detail}." if detail else ".")


WORDING = VendorWording(name="Cursor Admin API", invalid_key=INVALID_KEY_MESSAGE,
                        missing_permission=MISSING_PERMISSION_MESSAGE, rejection=_rejection, malformed=_malformed,
                        request_id_header="x-request-id")
