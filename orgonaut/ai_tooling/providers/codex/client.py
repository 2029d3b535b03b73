"""OpenAI Codex usage through the Codex Enterprise Analytics API.

`fetch_days(start, end)` (at most 31 days a call) reads every page of
`GET /v1/analytics/codex/workspaces/{workspace_id}/usage` with `start_time` (inclusive) and `end_time`
(exclusive) in Unix seconds, `group_by=day` and no `group` (per-user rows), following `next_page` as
`page` while `has_more` (or `next_cursor` as `cursor`, which one client version shows), and sums the rows
per person and UTC day (`records.per_day`). `test_connection()` reads one row of yesterday.

No rate limit is documented: a 429 backs off and honours `Retry-After` (`VendorHttp`). A Bearer header
carries the key, which is in no message, log line or repr. Errors are OpenAI's
`{"error": {"message", "type", "param", "code"}}`.
Reference: https://developers.openai.com/codex/enterprise/governance
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import DayUsages, RangePerCall
from orgonaut.ai_tooling.providers.codex import records
from orgonaut.ai_tooling.providers.http import RetryPolicy
from orgonaut.ai_tooling.providers.vendor_http import VendorHttp, VendorWording

DEFAULT_API_BASE = "https://api.chatgpt.com"
USAGE_PATH = "/v1/analytics/codex/workspaces/{workspace_id}/usage"
MAX_DAYS_PER_CALL = 31
PAGE_LIMIT = 100  # rows a page; the API's maximum is not documented
MAX_PAGES = 10_000
MAX_RESPONSE_BYTES = 32 * 1024 * 1024

INVALID_KEY_MESSAGE = (
    "Invalid or revoked Codex Analytics API key: create a new read-only key in the OpenAI Platform and ask "
    "OpenAI support to scope it to codex.enterprise.analytics.read."
)
MISSING_PERMISSION_MESSAGE = (
    "OpenAI refused the key for this workspace: it must be scoped to codex.enterprise.analytics.read "
    "(OpenAI support does that) and belong to the workspace's OpenAI organisation."
)


class CodexProvider(RangePerCall):
    """The Codex provider (see the module's docstring)."""

    key = "codex"
    display_name = "Codex"

    def __init__(
        self, workspace_id: str, api_key: str, usd_per_credit: Decimal, api_base: str | None = None, *,
        timeout: float | httpx.Timeout = vendor_http.DEFAULT_TIMEOUT, retry: RetryPolicy | None = None,
        request_deadline: float = vendor_http.REQUEST_DEADLINE_SECONDS, sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random, today: Callable[[], dt.date] | None = None,
    ):
        if not isinstance(api_key, str) or not vendor_http.HEADER_SAFE.fullmatch(api_key):
            raise ValueError("The API key is empty or holds characters an API key cannot contain.")
        if not isinstance(workspace_id, str) or not vendor_http.HEADER_SAFE.fullmatch(workspace_id):
            raise ValueError("The workspace id is empty or holds characters a workspace id cannot contain.")
        if type(usd_per_credit) is not Decimal or not usd_per_credit.is_finite() or usd_per_credit <= 0:
            raise ValueError("The price per credit must be a positive amount.")
        self._http = VendorHttp(
            api_base=api_base or DEFAULT_API_BASE, wording=WORDING, secret=api_key,
            headers={"authorization": f"Bearer {api_key}"}, timeout=timeout, retry=retry,
            request_deadline=request_deadline, max_response_bytes=MAX_RESPONSE_BYTES, sleep=sleep, jitter=jitter,
        )
        self.api_base = self._http.api_base
        self.workspace_id = workspace_id
        self.usd_per_credit = usd_per_credit
        self._path = USAGE_PATH.format(workspace_id=quote(workspace_id, safe=""))
        self._today = today or (lambda: dt.datetime.now(dt.UTC).date())

    def __repr__(self) -> str:
        return f"CodexProvider(api_base={self.api_base!r}, workspace_id={self.workspace_id!r})"

    def test_connection(self) -> str:
        """The workspace, once one row of yesterday could be read (the API names no workspace)."""
        yesterday = self._today() - dt.timedelta(days=1)
        with self._http.client() as client:
            body, request_id = self._http.request(client, "GET", self._path,
                                                  params=_window(yesterday, yesterday, limit=1))
        try:
            records.parse_usage_page(body)
        except ValueError as problem:
            raise self._http.malformed("test connection", str(problem), request_id) from None
        return f"Codex workspace {self.workspace_id}"

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        """Every person's Codex usage and cost on each day from `start` to `end` (UTC, inclusive)."""
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime) or end < start:
            raise TypeError("fetch_days takes two dates, the second not before the first")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        if len(days) > MAX_DAYS_PER_CALL:
            raise ValueError(f"Codex is asked for at most {MAX_DAYS_PER_CALL} days per call")
        span = f"{start} to {end}" if start != end else str(start)
        rows: list[records.UsageRow] = []
        params = _window(start, end, limit=PAGE_LIMIT)
        with self._http.client() as client:
            for number in range(1, MAX_PAGES + 1):
                where = f"usage for {span}, page {number}"
                body, request_id = self._http.request(client, "GET", self._path, params=params, where=where)
                try:
                    page = records.parse_usage_page(body)
                    token = page.next_token()
                except ValueError as problem:
                    raise self._http.malformed(where, str(problem), request_id) from None
                rows.extend(page.data)
                if token is None:
                    break
                params = {**_window(start, end, limit=PAGE_LIMIT), token[0]: token[1]}
            else:
                raise self._http.malformed(f"usage for {span}", f"it runs past {MAX_PAGES} pages", None)
        try:
            return records.per_day(rows, days, self.usd_per_credit)
        except ValueError as problem:
            raise self._http.malformed(f"usage for {span}", str(problem), None) from None


def _window(start: dt.date, end: dt.date, *, limit: int) -> dict[str, str]:
    """Whole UTC days: `start_time` is the first's midnight (inclusive), `end_time` the midnight after the
    last (exclusive)."""
    return {"start_time": str(_seconds(start)), "end_time": str(_seconds(end + dt.timedelta(days=1))),
            "group_by": "day", "limit": str(limit)}


def _seconds(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _malformed(where: str | None, problem: str) -> str:
    return f"The Codex Enterprise Analytics API sent a malformed answer ({where or 'usage'}): {problem}."


class _Error(msgspec.Struct):
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None


class _ErrorBody(msgspec.Struct):
    error: _Error | None = None


def _rejection(status: int, body: bytes) -> str:
    """`The Codex Enterprise Analytics API rejected the request (HTTP 400): <its message>.`"""
    try:
        error: Any = msgspec.json.decode(body, type=_ErrorBody).error or _Error()
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        error = _Error()
    detail = vendor_http.CONTROL.sub(" ", error.message or error.code or "").strip()[:200]
    if status == 404 and not detail:
        detail = "no such workspace (check the workspace id)"
    return f"The Codex Enterprise Analytics API rejected the request (HTTP {status})" + (
        f": {detail.rstrip('.')}." if detail else ".")


WORDING = VendorWording(name="Codex Enterprise Analytics API", invalid_key=INVALID_KEY_MESSAGE,
                        missing_permission=MISSING_PERMISSION_MESSAGE, rejection=_rejection, malformed=_malformed,
                        request_id_header="x-request-id")
