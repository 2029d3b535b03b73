"""Claude Enterprise usage and cost through the official `anthropic` SDK (`client.beta.organization.analytics`).

`test_connection()` reads `summaries` for the latest available day. `fetch_days(start, end)` (at most
31 days, the cost report's range limit) reads every page of `users.list(date=...)` for each day and
every page of `user_cost_report.list(...)` for the range (`bucket_width="1d"`, grouped by product),
and sums them per person and UTC day (`records.per_day`). Engagement data for a day is served three
days after it ends: a day not yet served is an empty day with a warning (the nightly look-back, 30
days for cost revisions, reads it later), never an error. `organisation_cost(start, end)` reads the
organisation's bill for reconciliation (`organisation_cost.py`): `cost_report` by product and
`user_cost_report`, per window of at most 31 days.

The SDK does the HTTP: its own retries are off (`max_retries=0`) so that our shared policy
(`RetryPolicy`: bounded back-off, `retry-after` honoured up to a cap, a longer one handed on) is the
only one, and its exceptions are mapped to `ProviderError` kinds here (`error_for`) with our own
wording. The SDK builds models without validating them, so every row is checked (`records`). The key
is in no message, log line or repr: the SDK logs only method and URL, and vendor text is redacted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import anthropic
import httpx2
import msgspec

from orgonaut import clock
from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import (
    DayUsages,
    ErrorKind,
    OrganisationCost,
    ProviderError,
    ProviderRetriableError,
    RangePerCall,
    Seat,
)
from orgonaut.ai_tooling.providers.claude_enterprise import organisation_cost, records
from orgonaut.ai_tooling.providers.http import RETRIABLE_STATUSES, RetryPolicy, parse_retry_after, user_agent

DEFAULT_API_BASE = "https://api.anthropic.com"
MAX_DAYS_PER_CALL = 31  # user_cost_report: "The range may span at most 31 days"
ACTIVITY_LAG_DAYS = 3  # "available for querying three days after aggregation"
PAGE_LIMIT = 1000  # the API's maximum for both endpoints
MAX_PAGES = 10_000
NAME = "Claude Enterprise Analytics API"
ORGANISATION_LABEL = "Claude Enterprise organisation"  # the API names no organisation

INVALID_KEY_MESSAGE = (
    "Invalid or revoked Analytics API key: the primary owner can create a new one at "
    "claude.ai/analytics/api-keys."
)
MISSING_PERMISSION_MESSAGE = (
    "The Analytics API key lacks the read:analytics scope, or the organisation is not on a Claude Enterprise "
    "plan: create a key with read:analytics at claude.ai/analytics/api-keys."
)

_T = TypeVar("_T")


class _Page(Protocol):
    """What the SDK's cursor pages have in common (`SyncPageCursor`, `SyncReportPageCursor`)."""

    data: Any
    next_page: Any

    def has_next_page(self) -> bool: ...

    def get_next_page(self) -> Any: ...


class Transient(ProviderRetriableError):
    """One attempt failed in a way another may not; its text is the short detail ("HTTP 503")."""


def _utc_today() -> dt.date:
    return clock.utcnow().date()  # the one clock: tests that move it move the served days too


class ClaudeEnterpriseProvider(RangePerCall):
    """The Claude Enterprise provider (see the module's docstring)."""

    key = "claude_enterprise"
    display_name = "Claude Enterprise"

    def __init__(
        self, api_key: str, api_base: str | None = None, *, timeout: float = 30.0, connect_timeout: float = 10.0,
        max_retries: int = 4, backoff_base: float = 0.5, backoff_cap: float = 8.0, max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
        today: Callable[[], dt.date] = _utc_today, seat_price_cents: Decimal | None = None,
    ):
        if not isinstance(api_key, str) or not vendor_http.HEADER_SAFE.fullmatch(api_key):
            raise ValueError("The API key is empty or holds characters an API key cannot contain.")
        self.api_base = vendor_http.normalise_api_base(api_base or DEFAULT_API_BASE)
        self.__key = api_key
        self._timeout = httpx2.Timeout(timeout, connect=connect_timeout)
        self.retry = RetryPolicy(max_retries=max_retries, backoff_base=backoff_base, backoff_cap=backoff_cap,
                                 max_retry_after=max_retry_after)
        self._sleep = sleep
        self._jitter = jitter
        self._today = today
        self.seat_price_cents = seat_price_cents  # the admin's monthly price of a seat (the API tells none)

    def __repr__(self) -> str:
        return f"ClaudeEnterpriseProvider(api_base={self.api_base!r})"

    def _client(self) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            api_key=self.__key, base_url=self.api_base, max_retries=0, timeout=self._timeout,
            default_headers={"user-agent": user_agent()},
            # No redirects: one could carry the key to another host.
            http_client=anthropic.DefaultHttpxClient(timeout=self._timeout, follow_redirects=False),
        )

    def latest_day(self) -> dt.date:
        """The latest day whose engagement data the API serves."""
        return self._today() - dt.timedelta(days=ACTIVITY_LAG_DAYS)

    def test_connection(self) -> str:
        """A label for the organisation (the API gives no name), once `summaries` answered for the latest day."""
        latest = self.latest_day()
        with self._client() as client:
            page = self._call("summaries", lambda: client.beta.organization.analytics.summaries.list(
                starting_date=latest, ending_date=latest + dt.timedelta(days=1)))
        if not isinstance(page.data, list) or not all(
                isinstance(getattr(entry, "daily_active_user_count", None), int) for entry in page.data):
            raise self.malformed("summaries", "the day series does not have the documented shape")
        return ORGANISATION_LABEL

    def seats(self) -> list[Seat]:
        """The organisation's seats: the users of the latest day the API serves (`ListsSeats`)."""
        latest = self.latest_day()
        with self._client() as client:
            rows = self._all_pages(functools.partial(client.beta.organization.analytics.users.list, date=latest,
                                                     limit=PAGE_LIMIT), records.activity_row, f"users of {latest}")
        return records.seats(rows, self.seat_price_cents)

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        """Every person's Claude Enterprise usage and cost on each day from `start` to `end` (UTC, inclusive)."""
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime) or end < start:
            raise TypeError("fetch_days takes two dates, the second not before the first")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        if len(days) > MAX_DAYS_PER_CALL:
            raise ValueError(f"Claude Enterprise serves at most {MAX_DAYS_PER_CALL} days of cost per request")
        latest = self.latest_day()
        ready = [day for day in days if day <= latest]
        by_day: dict[dt.date, DayUsages] = {}
        with self._client() as client:
            analytics = client.beta.organization.analytics
            activity: dict[dt.date, list[records.UserActivity]] = {}
            for day in ready:
                try:
                    activity[day] = self._all_pages(
                        functools.partial(analytics.users.list, date=day, limit=PAGE_LIMIT), records.activity_row,
                        f"activity of {day}")
                except ProviderError as error:
                    if not _not_served_yet(error, day, self._today()):
                        raise
                    ready = ready[:ready.index(day)]  # the vendor is later than documented: read it next time
                    break
            if ready:
                span = f"{ready[0]} to {ready[-1]}" if len(ready) > 1 else str(ready[0])
                costs = self._all_pages(
                    lambda: analytics.user_cost_report.list(
                        starting_at=_midnight(ready[0]), ending_at=_midnight(ready[-1] + dt.timedelta(days=1)),
                        bucket_width="1d", group_by=["product"], limit=PAGE_LIMIT),
                    records.cost_row, f"cost of {span}")
                try:
                    by_day = records.per_day(activity, costs, ready)
                except ValueError as problem:
                    raise self.malformed(f"usage of {span}", str(problem)) from None
        for day in days[len(ready):]:
            by_day[day] = DayUsages(warnings=[
                f"{day}: Claude Enterprise serves a day's activity about three days after it ends and has not "
                f"served this one yet; a later sync reads it."])
        return by_day

    def organisation_cost(self, start: dt.date, end: dt.date) -> OrganisationCost:
        """The organisation's billed cost from `start` to `end` (UTC days, inclusive) by product, with the part
        its users carry (what our per-person records hold). Only to the latest day whose activity is served:
        the per-person records of later days are not stored yet (`fetch_days` reads a day's cost with its
        activity), so the answer says it covers up to that day, and none when `start` is later."""
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime) or end < start:
            raise TypeError("organisation_cost takes two dates, the second not before the first")
        end = min(end, self.latest_day())
        if end < start:
            return OrganisationCost(total_cents=Decimal(0), tool_cents=Decimal(0), lines=(), start=start, end=end,
                                    outside=organisation_cost.NO_USER_ACCOUNT)
        buckets: list[organisation_cost.CostBucket] = []
        user_costs: list[records.CostRow] = []
        with self._client() as client:
            analytics = client.beta.organization.analytics
            first = start
            while first <= end:  # the reports take at most 31 days a query
                last = min(end, first + dt.timedelta(days=MAX_DAYS_PER_CALL - 1))
                since, until = _midnight(first), _midnight(last + dt.timedelta(days=1))
                span = f"{first} to {last}" if last > first else str(first)
                buckets += self._all_pages(
                    functools.partial(analytics.cost_report.list, starting_at=since, ending_at=until,
                                      bucket_width="1d", group_by=["product"], limit=MAX_DAYS_PER_CALL),
                    organisation_cost.bucket, f"organisation cost of {span}")
                user_costs += self._all_pages(
                    functools.partial(analytics.user_cost_report.list, starting_at=since, ending_at=until,
                                      bucket_width="1d", group_by=["product"], limit=PAGE_LIMIT),
                    records.cost_row, f"cost of {span}")
                first = last + dt.timedelta(days=1)
        try:
            return organisation_cost.organisation_cost(buckets, user_costs, start, end)
        except ValueError as problem:
            raise self.malformed(f"organisation cost of {start} to {end}", str(problem)) from None

    def _all_pages(self, first: Callable[[], _Page], row: Callable[[Any], _T], what: str) -> list[_T]:
        found: list[_T] = []
        page = self._call(f"{what}, page 1", first)
        for number in range(1, MAX_PAGES + 1):
            where = f"{what}, page {number}"
            if not isinstance(page.data, list) or not isinstance(page.next_page, str | None):
                raise self.malformed(where, "the page does not have the documented shape")
            try:
                found.extend(row(item) for item in page.data)
            except ValueError as problem:
                raise self.malformed(where, str(problem)) from None
            if not page.has_next_page():
                return found
            if not page.data:
                raise self.malformed(where, "an empty page promises more")
            current = page
            page = self._call(f"{what}, page {number + 1}", current.get_next_page)
        raise self.malformed(what, f"it runs past {MAX_PAGES} pages")

    def _call(self, where: str, request: Callable[[], _T]) -> _T:
        """The request's answer, after bounded retries of transient failures (as `VendorHttp.request`)."""
        retry = 0
        while True:
            try:
                return request()
            except Exception as error:  # noqa: BLE001 - every SDK failure is mapped; others re-raised
                failure = self.error_for(error, where)
                if failure is None:
                    raise
            if not isinstance(failure, Transient):
                raise failure from None
            wait = self._wait_before_retry(failure, retry)
            if isinstance(wait, ProviderRetriableError):
                raise wait from None
            self._sleep(wait)
            retry += 1

    def _wait_before_retry(self, failure: Transient, retry: int) -> float | ProviderRetriableError:
        attempts = retry + 1
        if failure.retry_after is not None and failure.retry_after > self.retry.max_retry_after:
            return ProviderRetriableError(
                failure.kind, f"The {NAME} asked to wait {failure.retry_after:.0f} s before the next request "
                              f"(HTTP {failure.status}): try again later.",
                status=failure.status, request_id=failure.request_id, retry_after=failure.retry_after)
        if retry >= self.retry.max_retries:
            if failure.kind is ErrorKind.rate_limited:
                message = f"The {NAME} is rate limiting requests ({failure}, {attempts} attempts): try again later."
            else:
                message = f"Could not reach the {NAME} ({failure}, {attempts} attempts): try again later."
            return ProviderRetriableError(failure.kind, message, status=failure.status,
                                          request_id=failure.request_id, retry_after=failure.retry_after)
        if failure.retry_after is not None:
            return failure.retry_after
        return self.retry.backoff(retry, self._jitter())

    def error_for(self, error: Exception, where: str) -> ProviderError | None:
        """Our error for an SDK failure (a `Transient` when another attempt may succeed); None for an
        exception that is not the SDK's or the answer's (a bug: raised as it is)."""
        if isinstance(error, anthropic.APIStatusError):
            status, request_id = error.status_code, _clean(error.request_id)
            if status == 401:
                return ProviderError(ErrorKind.invalid_key, INVALID_KEY_MESSAGE, status=status, request_id=request_id)
            if status == 403:
                return ProviderError(ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE, status=status,
                                     request_id=request_id)
            if status in RETRIABLE_STATUSES:
                retry_after = parse_retry_after(error.response.headers.get("retry-after"))
                kind = ErrorKind.rate_limited if status == 429 else ErrorKind.unavailable
                return Transient(kind, f"HTTP {status}", status=status, request_id=request_id, retry_after=retry_after)
            if 300 <= status < 400:
                return ProviderError(ErrorKind.unavailable, f"The {NAME} answered with a redirect (HTTP {status}), "
                                     "which is not followed: check the API base URL.", status=status,
                                     request_id=request_id)
            return ProviderError(ErrorKind.bad_request, self.safe(_rejection(status, error.body, where)),
                                 status=status, request_id=request_id)
        if isinstance(error, anthropic.APITimeoutError):
            return Transient(ErrorKind.unavailable, "timed out")
        if isinstance(error, anthropic.APIConnectionError):
            cause = type(error.__cause__).__name__ if error.__cause__ is not None else "connection error"
            return Transient(ErrorKind.unavailable, f"connection failed: {cause}")
        if isinstance(error, anthropic.APIResponseValidationError):
            return self.malformed(where, "the answer does not have the documented shape")
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            return self.malformed(where, "the body is not JSON")
        if isinstance(error, RecursionError):  # JSON nested deeper than the parser goes: no answer the API sends
            return self.malformed(where, "the JSON is nested too deeply")
        if isinstance(error, httpx2.HTTPError):  # a transport failure the SDK did not wrap
            return Transient(ErrorKind.unavailable, f"connection failed: {type(error).__name__}")
        return None

    def malformed(self, where: str | None, problem: str) -> ProviderError:
        subject = f"answer ({where})" if where else "answer"
        return ProviderError(ErrorKind.malformed, self.safe(f"The {NAME} sent a malformed {subject}: {problem}."))

    def safe(self, text: str) -> str:
        """Vendor text may echo what we sent; the key never leaves in a message."""
        return text.replace(self.__key, "[redacted]")


# The vendor's 400 for a day it has not served yet "names the latest available day".
_NOT_SERVED = re.compile(r"not (yet )?available|latest available day", re.IGNORECASE)
NOT_SERVED_WINDOW_DAYS = 7  # a refusal of an older day is a real error, not lateness


def _not_served_yet(error: ProviderError, day: dt.date, today: dt.date) -> bool:
    """Whether the vendor refused `day` as not served yet (a recent day): an empty day, not an error."""
    return (error.status == 400 and day >= today - dt.timedelta(days=NOT_SERVED_WINDOW_DAYS)
            and _NOT_SERVED.search(str(error)) is not None)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _clean(value: str | None) -> str | None:
    return vendor_http.CONTROL.sub("", value)[:200] if value is not None else None


class _ErrorDetail(msgspec.Struct):
    message: str | None = None
    type: str | None = None


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail | None = None


def _rejection(status: int, body: object, where: str) -> str:
    """`The Claude Enterprise Analytics API rejected the request for <where> (HTTP 400): <its message>.`"""
    try:
        detail = msgspec.convert(body, _ErrorBody).error
    except (msgspec.ValidationError, TypeError):
        detail = None
    message = vendor_http.CONTROL.sub(" ", (detail.message or "") if detail else "").strip()[:200]
    return f"The {NAME} rejected the request for {where} (HTTP {status})" + (f": {message}." if message else ".")
