"""GitHub Copilot usage and cost through GitHub's REST and GraphQL APIs, of an organisation or an
enterprise (`/orgs/{org}/...` or `/enterprises/{enterprise}/...`; below for an organisation).

`test_connection()` asks for the organisation's `organization-1-day` report of two days ago (200 or
204: the token may read the metrics and the policy is on). `fetch_day(day)` reads, in this order:
  1. `GET /orgs/{org}/copilot/metrics/reports/users-1-day?day=` -> `download_links` (204: no report);
  2. every link at once (signed and expiring: no Authorization header goes to the download host,
     and the signature is in no log line or message), each an NDJSON file of user rows;
  3. the seats (`GET /orgs/{org}/copilot/billing/seats`, 100 a page), once per provider instance;
  4. the SAML external identities (GraphQL), once per provider instance: `nameId` e-mails as hints;
  5. per user with a row, the day's usage-based billing: AI credits
     (`GET /organizations/{org}/settings/billing/ai_credit/usage?year=&month=&day=&user=`) from 1 June
     2026, premium requests (`.../premium_request/usage`, the same shape) before: each endpoint serves
     only its own era.
`organisation_cost(start, end)` reads the bill for reconciliation: the billing usage report
(`GET /organizations/{org}/settings/billing/usage?year=&month=`, a month a call; `billing_usage.py`), which
is not optional: GitHub's refusal is the reconciliation's error.
Seats, identities and credits are optional: when GitHub refuses them (403/404, no SAML) the day is
read without and one warning says what is missing. The report itself is not: its 403 says whether
the "Copilot usage metrics" policy is off or the token lacks the permission (from GitHub's
`message`), its 404 that the organisation is unknown. A 429, and a 403 that is a (secondary) rate
limit, waits `Retry-After`, else until `X-RateLimit-Reset` (see `VendorHttp`).
An enterprise's seat list has a seat per granting organisation: a user holds one seat (Enterprise
plan if any of them is). Its SAML identities are not read (GitHub documents the organisation query
only): one warning says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import msgspec

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import (
    DayUsages,
    ErrorKind,
    OneDayPerCall,
    OrganisationCost,
    ProviderError,
    ProviderRetriableError,
    Seat,
)
from orgonaut.ai_tooling.providers.copilot import billing_usage, identities, records
from orgonaut.ai_tooling.providers.http import RetryPolicy, parse_retry_after
from orgonaut.ai_tooling.providers.vendor_http import Transient, VendorHttp, VendorWording

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.github.com"
API_VERSION = "2022-11-28"
GITHUB_HEADERS = {"accept": "application/vnd.github+json", "x-github-api-version": API_VERSION}
# The endpoints of an organisation and of an enterprise.
PATHS = {
    "organization": {"connection": "/orgs/{slug}/copilot/metrics/reports/organization-1-day",
                     "users": "/orgs/{slug}/copilot/metrics/reports/users-1-day",
                     "seats": "/orgs/{slug}/copilot/billing/seats",
                     "credits": "/organizations/{slug}/settings/billing/ai_credit/usage",
                     "bill": "/organizations/{slug}/settings/billing/usage",
                     "premium": "/organizations/{slug}/settings/billing/premium_request/usage"},
    "enterprise": {"connection": "/enterprises/{slug}/copilot/metrics/reports/enterprise-1-day",
                   "users": "/enterprises/{slug}/copilot/metrics/reports/users-1-day",
                   "seats": "/enterprises/{slug}/copilot/billing/seats",
                   "credits": "/enterprises/{slug}/settings/billing/ai_credit/usage",
                   "bill": "/enterprises/{slug}/settings/billing/usage",
                   "premium": "/enterprises/{slug}/settings/billing/premium_request/usage"},
}
GRAPHQL_PATH = "/graphql"
SEATS_PER_PAGE = 100  # the API's maximum
AI_CREDITS_FROM = dt.date(2026, 6, 1)  # usage-based billing in AI credits; premium requests before
MAX_PAGES = 10_000
MAX_LINKS = 1_000
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
MAX_FILE_BYTES = 256 * 1024 * 1024

INVALID_KEY_MESSAGE = (
    "Invalid or revoked GitHub token: create a new token that may read the organisation's Copilot metrics "
    "and enter it again."
)
MISSING_PERMISSION_MESSAGE = (
    "GitHub refused the token: it may not read the organisation's Copilot metrics (it needs an organisation "
    "owner's read:org scope, or the \"View Organization Copilot Metrics\" permission)."
)
POLICY_OFF_MESSAGE = (
    "GitHub refused the Copilot report: the \"Copilot usage metrics\" policy is off for the organisation. "
    "An owner enables it under the organisation's Settings → Copilot → Policies."
)
class CopilotProvider(OneDayPerCall):
    """The GitHub Copilot provider (see the module's docstring)."""

    key = "copilot"
    display_name = "GitHub Copilot"

    def __init__(
        self, owner: str, token: str, api_base: str | None = None, *, prices: records.Prices,
        kind: str = "organization",
        timeout: float | httpx.Timeout = vendor_http.DEFAULT_TIMEOUT, max_retries: int = 4,
        backoff_base: float = 0.5, backoff_cap: float = 8.0, max_retry_after: float = 60.0,
        request_deadline: float = vendor_http.REQUEST_DEADLINE_SECONDS, sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random, now: Callable[[], dt.datetime] | None = None,
        pacer: vendor_http.Pacer | None = None,
    ):
        if not isinstance(token, str) or not vendor_http.HEADER_SAFE.fullmatch(token):
            raise ValueError("The token is empty or holds characters a GitHub token cannot contain.")
        if kind not in PATHS:
            raise ValueError("The account kind is organization or enterprise.")
        self.owner, self.kind = owner, kind
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        retry = RetryPolicy(max_retries=max_retries, backoff_base=backoff_base, backoff_cap=backoff_cap,
                            max_retry_after=max_retry_after)
        common: dict[str, Any] = dict(timeout=timeout, retry=retry, request_deadline=request_deadline, sleep=sleep,
                                      jitter=jitter)
        self._http = VendorHttp(
            api_base=api_base or DEFAULT_API_BASE, wording=self._wording(), secret=token,
            headers={**GITHUB_HEADERS, "authorization": f"Bearer {token}"}, max_response_bytes=MAX_RESPONSE_BYTES,
            pacer=pacer, **common,
        )
        # The report files: signed links to another host, which gets no token.
        self._downloads = VendorHttp(
            api_base=self._http.api_base, wording=DOWNLOAD_WORDING, secret=token, headers={},
            max_response_bytes=MAX_FILE_BYTES, **common,
        )
        self.api_base = self._http.api_base
        self.prices = prices
        self._seats: list[records.Seat] | None = None
        self._emails: dict[int, str] | None = None
        self._credits_refused = False
        self._pending: list[str] = []  # warnings for the next day fetched (each said once per instance)

    def __repr__(self) -> str:
        return f"CopilotProvider(owner={self.owner!r}, kind={self.kind!r}, api_base={self.api_base!r})"

    def _path(self, endpoint: str) -> str:
        return PATHS[self.kind][endpoint].format(slug=self.owner)

    def test_connection(self) -> str:
        """The organisation's (or enterprise's) slug, once GitHub serves it a Copilot report (of two days
        ago: a day it has finished or is finishing; 204, no activity, is fine)."""
        day = self._now().date() - dt.timedelta(days=2)
        with self._http.client() as client:
            self._http.request(client, "GET", self._path("connection"), params={"day": day.isoformat()},
                               where=f"{self.kind} report of {day}")
        return self.owner

    def fetch_day(self, day: dt.date) -> DayUsages:
        """Every Copilot user's usage and seat cost on `day` (UTC)."""
        if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
            raise TypeError("fetch_day takes a date")
        warnings: list[str] = []
        with self._http.client() as client:
            rows = self._rows(client, day)
            seats = self._read_seats(client)
            emails = self._read_identities(client)
            credits = self._read_credits(client, day, rows)
        warnings.extend(self._pending)
        self._pending = []
        try:
            return records.day_usages(day, rows, seats, credits, self.prices, emails, warnings)
        except ValueError as problem:
            raise self._http.malformed(f"usage of {day}", str(problem), None) from None

    def organisation_cost(self, start: dt.date, end: dt.date) -> OrganisationCost:
        """What GitHub bills the organisation (or enterprise) from `start` to `end` (UTC days, inclusive):
        every product's lines, Copilot's seats and usage the tool's part."""
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime) or end < start:
            raise TypeError("organisation_cost takes two dates, the second not before the first")
        items: list[billing_usage.BillingItem] = []
        with self._http.client() as client:
            for year, month in billing_usage.months(start, end):
                where = f"billing usage of {year}-{month:02d}"
                body, request_id = self._http.request(client, "GET", self._path("bill"),
                                                      params={"year": str(year), "month": str(month)}, where=where)
                try:
                    items.extend(billing_usage.parse_billing_usage(body).usageItems)
                except ValueError as problem:
                    raise self._http.malformed(where, str(problem), request_id) from None
        try:
            return billing_usage.organisation_cost(items, start, end)
        except ValueError as problem:
            raise self._http.malformed(f"billing usage of {start} to {end}", str(problem), None) from None

    # -- the report ----------------------------------------------------------------------------------

    def _rows(self, client: httpx.Client, day: dt.date) -> list[records.UserRow]:
        where = f"Copilot report of {day}"
        body, request_id = self._http.request(client, "GET", self._path("users"),
                                              params={"day": day.isoformat()}, where=where)
        try:
            report = records.parse_report(body)
        except ValueError as problem:
            raise self._http.malformed(where, str(problem), request_id) from None
        if report is None:  # 204: no report for the day
            return []
        links = report.download_links
        if len(links) > MAX_LINKS:
            raise self._http.malformed(where, f"it has more than {MAX_LINKS} download links", request_id)
        rows: list[records.UserRow] = []
        with self._downloads.client() as downloads:
            for number, link in enumerate(links, 1):
                what = f"file {number} of {len(links)} of the Copilot report of {day}"
                url, params = self._link(link, what)
                try:
                    body, _ = self._downloads.request(downloads, "GET", url, params=params, where=what)
                except ProviderError as error:
                    raise type(error)(error.kind, f"{what}: {error}", status=error.status,
                                      retry_after=error.retry_after) from None
                try:
                    rows.extend(records.parse_rows(body))
                except ValueError as problem:
                    raise self._http.malformed(what, str(problem), None) from None
        return rows

    def _link(self, link: str, what: str) -> tuple[str, httpx.QueryParams]:
        """The link without its query (what a log line may show) and the query (the signature)."""
        try:
            url = httpx.URL(link)
        except (httpx.InvalidURL, TypeError):
            raise self._http.malformed(what, "a download link is not a URL", None) from None
        # An https API sends https links; only a plain-http simulator may send http ones.
        schemes = ("https",) if self.api_base.startswith("https://") else ("https", "http")
        if url.scheme not in schemes or not url.host or url.userinfo:
            raise self._http.malformed(what, "a download link is not an https URL", None)
        return str(url.copy_with(query=None, fragment=None)), url.params

    # -- seats, identities, credits ------------------------------------------------------------------

    def seats(self) -> list[Seat]:
        """The seats held today, one per user, priced by plan (`ListsSeats`)."""
        with self._http.client() as client:
            listed = self._list_seats(client)
        return records.seats_held(listed, self.prices, self._now().date())

    def _list_seats(self, client: httpx.Client) -> list[records.Seat]:
        seats: list[records.Seat] = []
        for page in range(1, MAX_PAGES + 1):
            where = f"Copilot seats, page {page}"
            body, request_id = self._http.request(
                client, "GET", self._path("seats"), params={"page": str(page), "per_page": str(SEATS_PER_PAGE)},
                where=where)
            try:
                answer = records.parse_seats(body)
            except ValueError as problem:
                raise self._http.malformed(where, str(problem), request_id) from None
            seats.extend(answer.seats)
            # Not `total_seats`: an enterprise counts a user once but lists a seat per organisation.
            if len(answer.seats) < SEATS_PER_PAGE:
                break
        return seats

    def _read_seats(self, client: httpx.Client) -> list[records.Seat]:
        if self._seats is not None:
            return self._seats
        try:
            seats = self._list_seats(client)
        except ProviderError as error:
            if not _refused(error):
                raise
            self._pending.append(f"GitHub refused the Copilot seats ({error}): costs hold no seat prices.")
            seats = []
        self._seats = seats
        return seats

    def _read_identities(self, client: httpx.Client) -> dict[int, str]:
        """User id -> the SAML `nameId` (usually the corporate e-mail) of those who have one."""
        if self._emails is not None:
            return self._emails
        emails: dict[int, str] = {}
        if self.kind == "enterprise":
            self._pending.append("SAML identities are read for organisations only: people are matched by "
                                 "their GitHub ids and logins only.")
            self._emails = emails
            return emails
        after: str | None = None
        try:
            for page in range(1, MAX_PAGES + 1):
                where = f"SAML identities, page {page}"
                body, request_id = self._http.request(
                    client, "POST", GRAPHQL_PATH, json={"query": identities.SAML_QUERY,
                                                        "variables": {"login": self.owner, "after": after}},
                    where=where)
                try:
                    found, after, problem = identities.parse_identities(body)
                except ValueError as error:
                    raise self._http.malformed(where, str(error), request_id) from None
                if problem is not None:
                    self._pending.append(f"GitHub's SAML identities were not readable ({problem}): people are "
                                         "matched by their GitHub ids and logins only.")
                    break
                emails.update(found)
                if after is None:
                    break
        except ProviderError as error:
            if not _refused(error):
                raise
            self._pending.append(f"GitHub refused the SAML identities ({error}): people are matched by their "
                                 "GitHub ids and logins only.")
        self._emails = emails
        return emails

    def _read_credits(self, client: httpx.Client, day: dt.date,
                      rows: list[records.UserRow]) -> dict[int, Decimal] | None:
        """User id -> the day's usage-based cost in cents (AI credits, or premium requests before they
        were replaced), for users with a row; None when not readable."""
        if self._credits_refused:
            return None
        endpoint, what = ("credits", "AI-credit") if day >= AI_CREDITS_FROM else ("premium", "premium-request")
        credits: dict[int, Decimal] = {}
        for user_id, login in sorted({row.user_id: row.user_login for row in rows}.items()):
            where = f"{what} usage of @{login} on {day}"
            params = {"year": str(day.year), "month": str(day.month), "day": str(day.day), "user": login}
            try:
                body, request_id = self._http.request(client, "GET", self._path(endpoint), params=params,
                                                      where=where)
            except ProviderError as error:
                if not _refused(error):
                    raise
                self._credits_refused = True
                self._pending.append(f"GitHub refused the {what} usage ({error}): Copilot costs are seat "
                                     "prices only.")
                return None
            try:
                credits[user_id] = records.credit_cents(records.parse_credit_usage(body))
            except ValueError as problem:
                raise self._http.malformed(where, str(problem), request_id) from None
        return credits

    # -- wording --------------------------------------------------------------------------------------

    def _wording(self) -> VendorWording:
        owner, kind = self.owner, ("organisation" if self.kind == "organization" else "enterprise")

        def rejection(status: int, body: bytes) -> str:
            message = _message(body)
            if status == 404:
                return (f"GitHub knows no {kind} '{owner}' that the token may see (HTTP 404"
                        + (f": {message}" if message else "") + f"): check the {kind}'s name.")
            return f"GitHub rejected the request (HTTP {status})" + (f": {message}." if message else ".")

        return VendorWording(name="GitHub API", invalid_key=INVALID_KEY_MESSAGE,
                             missing_permission=MISSING_PERMISSION_MESSAGE, rejection=rejection,
                             malformed=_malformed, request_id_header="x-github-request-id", refusal=_refusal)


def _refused(error: ProviderError) -> bool:
    """GitHub will not give this token this optional data (403, 404): the day goes on without it."""
    return error.status in (403, 404) and error.kind is not ErrorKind.rate_limited


class _ErrorBody(msgspec.Struct):
    message: str | None = None
    documentation_url: str | None = None


def _message(body: bytes) -> str:
    try:
        error: Any = msgspec.json.decode(body, type=_ErrorBody)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        error = _ErrorBody()
    return vendor_http.CONTROL.sub(" ", error.message or "").strip()[:200]


def rate_limit_wait(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds GitHub asks to wait: `Retry-After`, else until `X-RateLimit-Reset` (epoch seconds) when
    no requests remain; None when it says neither."""
    wait = parse_retry_after(headers.get("retry-after"))
    if wait is not None:
        return wait
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit() and len(reset) <= 12:
        return max(0.0, int(reset) - (time.time() if now is None else now))
    return None


def _refusal(status: int, body: bytes, headers: httpx.Headers) -> ProviderError | None:
    """GitHub's 403s (and 429s): a rate limit (primary or secondary: retried after the wait it asks),
    the metrics policy switched off, or a missing permission."""
    if status not in (403, 429):
        return None
    message = _message(body)
    wait = rate_limit_wait(headers)
    if status == 429 or wait is not None or "rate limit" in message.lower():
        return Transient(ErrorKind.rate_limited, f"HTTP {status}", status=status, retry_after=wait)
    lowered = message.lower()
    if "policy" in lowered or "disabled" in lowered:
        return ProviderError(ErrorKind.missing_permission, POLICY_OFF_MESSAGE)
    return ProviderError(ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE)


def _download_refusal(status: int, body: bytes, headers: httpx.Headers) -> ProviderError | None:
    if status in (401, 403, 404):
        # Signed links expire within minutes: a later attempt asks GitHub for fresh ones.
        return ProviderRetriableError(
            ErrorKind.unavailable,
            f"the download host refused the signed link (HTTP {status}); it may have expired: the day is read "
            "again later")
    return _refusal(status, body, headers)


def _malformed(where: str | None, problem: str) -> str:
    return f"GitHub sent a malformed {where or 'answer'}: {problem}."


class _HideLinkSignatures(logging.Filter):
    """httpx logs every request's URL at INFO: a report link's query is its signature (a credential for
    minutes), so the query of a signed URL is left out of those lines."""

    SIGNATURES = frozenset({"sig", "signature", "x-amz-signature", "x-goog-signature", "token"})

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(self._hidden(arg) for arg in record.args)
        return True

    def _hidden(self, arg: object) -> object:
        if isinstance(arg, httpx.URL) and any(key.lower() in self.SIGNATURES for key in arg.params):
            return arg.copy_with(query=b"[signature hidden]")
        return arg


logging.getLogger("httpx").addFilter(_HideLinkSignatures())

DOWNLOAD_WORDING = VendorWording(
    name="GitHub report download host", invalid_key=INVALID_KEY_MESSAGE, missing_permission=MISSING_PERMISSION_MESSAGE,
    rejection=lambda status, body: f"GitHub's report download host refused the link (HTTP {status}).",
    malformed=_malformed, request_id_header="x-ms-request-id", refusal=_download_refusal,
)
