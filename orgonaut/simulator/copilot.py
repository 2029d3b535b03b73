"""The GitHub simulator: Copilot usage metrics, seats, AI-credit usage and SAML identities, with faults.

API (as documented, see ../shared/provider-apis.md §2), at the base URL's root:
  GET  /orgs/{org}/copilot/metrics/reports/users-1-day?day=        {"download_links": [...], "report_day"};
                                                                   204 for a day with no rows, before the
                                                                   history or not over for an hour yet
  GET  /orgs/{org}/copilot/metrics/reports/organization-1-day?day= the same for the organisation's file
  GET  /copilot-reports/{org}/{day}/{n}.ndjson?se=&sig=            a report file (signed, expiring links
                                                                   served here; no Authorization header)
  GET  /orgs/{org}/copilot/billing/seats?page=&per_page=           {"total_seats", "seats"}, `Link` header
  GET  /organizations/{org}/settings/billing/ai_credit/usage?year=&month=&day=&user=
                                                                   {"timePeriod", "organization", "user",
                                                                   "usageItems": [...]} (dollars), from
                                                                   1 June 2026 (empty before)
  GET  /organizations/{org}/settings/billing/premium_request/usage?...
                                                                   the same before 1 June 2026 (empty from)
  GET  /organizations/{org}/settings/billing/usage?year=&month=    the billing usage report, a line per day
                                                                   and SKU: Copilot's seats and usage (the
                                                                   users' data summed), Actions minutes
                                                                   (copilot_billing.py)
  POST /graphql                                                    the SAML external identities query
and the enterprise's: `/enterprises/{enterprise}/copilot/metrics/reports/{users,enterprise}-1-day`,
`.../copilot/billing/seats` (a seat per granting organisation: a few users have two; `total_seats`
counts users once) and `/enterprises/{enterprise}/settings/billing/{ai_credit,premium_request,}/usage`,
with the same users.
Auth is `Authorization: Bearer <token>` (or `token <token>`) with any `ghp_…`, `gho_…`, `ghs_…`, `ghu_…`
or `github_pat_…` token unless the simulator was given a list: one containing `revoked` answers 401
"Bad credentials", `noperm` 403 "Resource not accessible by personal access token", `nobilling` 403
on the billing usage only, `noseats` 403 on the seats only, `nosaml` a GraphQL FORBIDDEN error.
An organisation in `policy_off_orgs` answers the reports with the policy-off 403; another name than
the configured organisation 404 "Not Found". Errors are GitHub's `{"message", "documentation_url",
"status"}`; every API answer carries `X-RateLimit-Limit/Remaining/Used/Reset/Resource`, and past
`rate_limit` requests an hour a token gets the primary-limit 403 (remaining 0, reset). A `status`
fault of 403 or 429 answers the secondary-limit message (with `Retry-After` when given).

Rows: copilot_data.py (a day changes for three days after it ends; one user renamed some days ago:
their rows carry the old login before that day, the seats and identities today's). A day's rows are split over
`files_per_day` files. Revisions name a user `<login>@users.noreply.github.com` (drop, change: every
count × factor, move: to another login and its id).

Controls: those of every simulator (base.py; `dup` and `grow` apply to report files after the
first: `dup` serves the previous file's last row again at the head of the file, `grow` revises that
row's user (more activity) and moves it to the head of this file, so a reader meets two versions;
`malformed` variants json / shape / record (a row without `user_id`; a report without links)).
`GET /_sim/truth?date=` is the day now: {"day", "files": [[row...]...], "seats", "credits": {login:
items}, "identities": {user id: nameId}}.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import SimulatorBase, json_body, key_verdict
from orgonaut.simulator.copilot_billing import credits_answer, is_enterprise, seats_answer, usage_answer
from orgonaut.simulator.copilot_data import (
    NOREPLY,
    GithubUser,
    credit_items,
    grown_row,
    login_of,
    make_users,
    scaled_row,
    seat_json,
    settled_share,
    user_id_of,
    user_row,
)
from orgonaut.simulator.copilot_graphql import graphql_answer
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.simulator.faults import Fault
from orgonaut.simulator.records import FRESHNESS
from orgonaut.simulator.revisions import Revision

REPORT_PATH = re.compile(r"/(orgs|enterprises)/([^/]+)/copilot/metrics/reports/(users|organization|enterprise)-1-day")
SECOND_ORGANIZATION = "orgonaut-sim-labs"  # the enterprise's other organisation, granting a few seats too
DOWNLOAD_PREFIX = "/copilot-reports"
TOKEN_PATTERN = re.compile(r"(ghp_|gho_|ghu_|ghs_|github_pat_)[A-Za-z0-9_]+")
DOCS = "https://docs.github.com/rest"
SECONDARY_LIMIT = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                   "If you reach out to GitHub Support for help, please include the request ID.")
POLICY_OFF = "Copilot Usage Metrics API access is disabled for this organization. Enable the policy to access it."
NO_PERMISSION = "Resource not accessible by personal access token"
MESSAGES = {401: "Bad credentials", 403: NO_PERMISSION, 404: "Not Found", 422: "Validation Failed",
            500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
DEFAULT_UNKNOWN_LOGINS = ("octo-contractor", "freelance-dev-42")
HOUR = 3600
ROW_CACHE_SIZE = 64


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class GithubConfig:
    seed: int = 0
    organization: str = "orgonaut-sim"
    enterprise: str = "orgonaut-sim-enterprise"  # the same users, seen through the enterprise endpoints
    roster: Sequence[str] = DEFAULT_ROSTER  # e-mails: a user each (some with a SAML identity holding it)
    unknown_logins: Sequence[str] = DEFAULT_UNKNOWN_LOGINS  # users nobody in the org is
    users: Sequence[GithubUser] | None = None  # given users instead of the roster's (the demo)
    history_start: dt.date = dt.date(2025, 10, 10)  # "Reports are available starting from October 10, 2025"
    files_per_day: int = 3
    link_ttl: float = 300.0  # seconds a download link stays valid
    saml: bool = True  # the organisation has SAML single sign-on
    policy_off_orgs: Collection[str] = ("metrics-off",)
    accepted_tokens: Collection[str] | None = None  # None: every well-formed token
    rate_limit: int | None = None  # requests an hour per token (real: 5,000); None: none
    faults: Sequence[Fault] = ()
    revisions: Sequence[Revision] = ()
    identities_page_size: int = 100
    now: Callable[[], dt.datetime] = _wall_clock
    request_log_size: int = 10_000


class GithubSimulator(SimulatorBase):
    """State and handlers of one GitHub simulator app."""

    request_id_header = "x-github-request-id"
    http_messages = {404: "Not Found", 405: "Method Not Allowed"}

    def __init__(self, config: GithubConfig):
        if config.files_per_day < 1:
            raise ValueError("files_per_day must be at least 1")
        super().__init__(faults=config.faults, request_log_size=config.request_log_size)
        self.config = config
        self.users = list(config.users) if config.users is not None else make_users(
            config.roster, seed=config.seed, unknown_logins=config.unknown_logins, now=config.now().date())
        self._secret = hashlib.sha256(f"github-sim-links|{config.seed}".encode()).digest()
        self._revisions: list[Revision] = []
        self._grown: dict[dt.date, dict[int, tuple[int, int]]] = {}  # day -> user id -> (file, growths)
        self._used: dict[str, tuple[int, int]] = {}  # token -> (window start, requests)
        # (day, today) -> the day's rows: a day's billing calls (one per user) each need its rows.
        self._rows: collections.OrderedDict[tuple[dt.date, dt.date], list[dict[str, Any]]] = \
            collections.OrderedDict()
        for revision in config.revisions:
            self.add_revision(revision)

    # -- the day's data ---------------------------------------------------------------------------------

    def is_available(self, day: dt.date) -> bool:
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return day >= self.config.history_start and self.config.now() >= day_end + FRESHNESS

    def rows(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's rows now (settling, revisions), before growth; [] when there is no report."""
        if not self.is_available(day):
            return []
        today = self.config.now().date()
        cached = self._rows.get((day, today))
        if cached is not None:
            return cached
        share = settled_share(day, today)
        rows = [row for user in self.users if (row := user_row(user, day, seed=self.config.seed, share=share))]
        for revision in self._revisions:
            if revision.date == day:
                rows = [revised for row in rows if (revised := self._revise(revision, row)) is not None]
        self._rows[(day, today)] = rows
        if len(self._rows) > ROW_CACHE_SIZE:
            self._rows.popitem(last=False)
        return rows

    def files(self, day: dt.date) -> list[list[dict[str, Any]]]:
        rows = self.rows(day)
        if not rows:
            return []
        count = min(self.config.files_per_day, len(rows))
        files: list[list[dict[str, Any]]] = [[] for _ in range(count)]
        grown = self._grown.get(day, {})
        for index, row in enumerate(rows):
            if row["user_id"] in grown:
                continue
            files[index * count // len(rows)].append(row)
        for row in rows:
            if row["user_id"] in grown:
                file, growths = grown[row["user_id"]]
                files[file].insert(0, grown_row(row, growths))
        return files

    def seats(self, *, enterprise: bool = False) -> list[dict[str, Any]]:
        """The seats now: a cancelled seat is listed until its pending cancellation date. An enterprise
        lists a seat per granting organisation: every seventh user also has a Business seat from the
        second organisation."""
        today = self.config.now().date()
        seats = []
        for index, user in enumerate(self.users):
            if not (user.plan and user.seat_created and user.seat_created.date() <= today
                    and (user.pending_cancellation is None or today < user.pending_cancellation)):
                continue
            seat = seat_json(user, today)
            if not enterprise:
                seats.append(seat)
                continue
            seats.append({**seat, "organization": {"login": self.config.organization}})
            if index % 7 == 3:
                seats.append({**seat, "plan_type": "business", "organization": {"login": SECOND_ORGANIZATION}})
        return seats

    def credits(self, day: dt.date) -> dict[str, list[dict[str, Any]]]:
        return {row["user_login"]: credit_items(row["user_login"], day, seed=self.config.seed)
                for file in self.files(day) for row in file}

    def identities(self) -> dict[int, str]:
        return {user.id: user.saml_email for user in self.users if user.saml_email}

    # -- revisions --------------------------------------------------------------------------------------

    def _touches(self, revision: Revision, row: dict[str, Any]) -> bool:
        return f"{row['user_login']}{NOREPLY}".lower() == revision.email.lower()

    def _revise(self, revision: Revision, row: dict[str, Any]) -> dict[str, Any] | None:
        if not self._touches(revision, row):
            return row
        if revision.action == "drop":
            return None
        if revision.action == "move":
            login = login_of(revision.to_email or "")
            return {**row, "user_login": login, "user_id": user_id_of(login, self.config.seed)}
        return scaled_row(row, revision.factor or Decimal(1))

    def add_revision(self, revision: Revision) -> Revision:
        touched = sum(1 for row in self.rows(revision.date) if self._touches(revision, row))
        revision = dataclasses.replace(revision, id=len(self._revisions) + 1, records=touched)
        self._revisions.append(revision)
        self._rows.clear()
        return revision

    @property
    def revisions(self) -> list[Revision]:
        return self._revisions

    def truth_response(self, day: dt.date) -> Response:
        files = self.files(day)
        return JSONResponse({"day": day.isoformat(), "files": files, "seats": self.seats(),
                             "enterprise_seats": self.seats(enterprise=True),
                             "credits": self.credits(day) if files else {},
                             "identities": {str(k): v for k, v in self.identities().items()}})

    def clear(self) -> None:
        self._revisions = []
        self._grown.clear()
        self._used.clear()
        self._rows.clear()

    # -- errors -----------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str, *, retry_after: float | None = None,
                       headers: dict[str, str] | None = None) -> Response:
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = f"{retry_after:g}"
        return JSONResponse({"message": message, "documentation_url": DOCS, "status": str(status)},
                            status_code=status, headers=extra)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        message = SECONDARY_LIMIT if status in (403, 429) else MESSAGES.get(status, f"Simulated HTTP {status}.")
        return self.error_response(status, message, retry_after=fault.retry_after)

    # -- serving ----------------------------------------------------------------------------------------

    async def _api(self, request: Request, handler: Callable[[str, Fault | None], Response], *,
                   check: Callable[[str], Response | None] | None = None) -> Response:
        token = _bearer(request.headers.get("authorization"))
        auth = key_verdict(token, TOKEN_PATTERN, self.config.accepted_tokens, revoked="revoked",
                           no_permission="noperm")
        entry = self.log_request(request, auth=auth)
        fault = self.take_fault(request.url.path)
        limits: dict[str, str] = {}

        def answer() -> Response:
            if auth not in ("valid", "no_permission"):
                return self.error_response(401, MESSAGES[401])
            limits.update(self._limits(token or ""))
            if self.config.rate_limit is not None and int(limits["x-ratelimit-used"]) > self.config.rate_limit:
                return self.error_response(403, "API rate limit exceeded for user ID 1.", headers=limits)
            refusal = check(token or "") if check is not None else None
            if refusal is None and auth == "no_permission":
                refusal = self.error_response(403, NO_PERMISSION)
            return refusal if refusal is not None else handler(token or "", fault)

        response = await self.serve(entry, fault, answer)
        for name, value in limits.items():
            response.headers.setdefault(name, value)
        return response

    def _limits(self, token: str) -> dict[str, str]:
        limit = self.config.rate_limit or 5000
        now = int(time.time())
        start, used = self._used.get(token, (now, 0))
        if now >= start + HOUR:
            start, used = now, 0
        used += 1
        self._used[token] = (start, used)
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(max(0, limit - used)),
                "x-ratelimit-used": str(used), "x-ratelimit-reset": str(start + HOUR), "x-ratelimit-resource": "core"}

    def _owner(self, request: Request, slug: str, *, report: bool = False) -> Response | None:
        """None for the configured organisation or enterprise; the policy-off 403 or GitHub's 404 else."""
        if is_enterprise(request):
            return None if slug == self.config.enterprise else self.error_response(404, MESSAGES[404])
        org = slug
        if report and org in self.config.policy_off_orgs:
            return self.error_response(403, POLICY_OFF)
        if org != self.config.organization and org not in self.config.policy_off_orgs:
            return self.error_response(404, MESSAGES[404])
        return None

    async def report_route(self, request: Request) -> Response:
        match = REPORT_PATH.fullmatch(request.url.path)
        assert match is not None
        org, kind = match[2], match[3]
        return await self._api(request, lambda token, fault: self._report(org, kind, request, fault),
                               check=lambda token: self._owner(request, org, report=True))

    def _report(self, org: str, kind: str, request: Request, fault: Fault | None) -> Response:
        raw = request.query_params.get("day", "")
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            return self.error_response(422, "Invalid request.\n\n\"day\" must be a date (YYYY-MM-DD).")
        if fault is not None and fault.mode == "malformed":
            return Response(b'{"download_links": ["ht' if fault.variant == "json" else
                            json.dumps({"report_day": raw}).encode(), media_type="application/json")
        files = self.files(day)
        if not files:
            return Response(status_code=204)
        count = 1 if kind != "users" else len(files)
        links = [self._link(request, org, day, n) for n in range(count)]
        return JSONResponse({"download_links": links, "report_day": day.isoformat()})

    def _link(self, request: Request, org: str, day: dt.date, n: int) -> str:
        path = f"{DOWNLOAD_PREFIX}/{org}/{day.isoformat()}/{n}.ndjson"
        expires = int(self.config.now().timestamp() + self.config.link_ttl)
        base = str(request.base_url).rstrip("/")
        return f"{base}{path}?sv=2025-01-05&se={expires}&sp=r&sig={self._sign(path, expires)}"

    def _sign(self, path: str, expires: int) -> str:
        return hmac.new(self._secret, f"{path}|{expires}".encode(), hashlib.sha256).hexdigest()[:43]

    async def download_route(self, request: Request) -> Response:
        org, day_text, name = (request.path_params[k] for k in ("org", "day", "name"))
        entry = self.log_request(request, auth="signed")
        try:
            day, n = dt.date.fromisoformat(day_text), int(name.removesuffix(".ndjson"))
        except ValueError:
            day, n = None, -1
        fault = self.take_fault(request.url.path, report=True, continued=n > 0, paging_modes=("dup", "grow"))

        def answer() -> Response:
            if request.headers.get("authorization"):
                return _blob_error(400, "InvalidAuthenticationInfo",
                                   "Authentication information is not given in the correct format.")
            expires = request.query_params.get("se", "")
            signature = request.query_params.get("sig", "")
            if not expires.isdigit() or not hmac.compare_digest(signature, self._sign(request.url.path, int(expires))):
                return _blob_error(403, "AuthenticationFailed", "Signature did not match.")
            if self.config.now().timestamp() > int(expires):
                return _blob_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
            owners = (self.config.organization, self.config.enterprise)
            files = self.files(day) if day is not None and org in owners else []
            if not 0 <= n < len(files):
                return _blob_error(404, "BlobNotFound", "The specified blob does not exist.")
            return self._file(day, files, n, fault)  # type: ignore[arg-type]

        return await self.serve(entry, fault, answer)

    def _file(self, day: dt.date, files: list[list[dict[str, Any]]], n: int, fault: Fault | None) -> Response:
        rows = list(files[n])
        mode = fault.mode if fault is not None else None
        if mode == "grow" and n > 0 and files[n - 1]:
            neighbour = files[n - 1][-1]
            grown = self._grown.setdefault(day, {})
            growths = grown.get(neighbour["user_id"], (n, 0))[1] + 1
            grown[neighbour["user_id"]] = (n, growths)
            rows = self.files(day)[n]
        elif mode == "dup" and n > 0 and files[n - 1]:
            rows = [files[n - 1][-1], *rows]
        lines = [json.dumps(row, separators=(",", ":")) for row in rows]
        if mode == "malformed" and lines:
            if fault is not None and fault.variant == "json":
                lines[0] = lines[0][: len(lines[0]) // 2]
            elif fault is not None and fault.variant == "shape":
                lines[0] = "[]"
            else:
                lines[0] = json.dumps({k: v for k, v in rows[0].items() if k != "user_id"})
        return Response(("\n".join(lines) + "\n").encode(), media_type="application/x-ndjson")

    async def seats_route(self, request: Request) -> Response:
        org = request.path_params["org"]

        def check(token: str) -> Response | None:
            if "noseats" in token:
                return self.error_response(403, NO_PERMISSION)
            return self._owner(request, org)

        return await self._api(request, lambda token, fault: seats_answer(self, request, fault), check=check)

    async def billing_route(self, request: Request) -> Response:
        """A user's or everyone's usage-based billing (`.../ai_credit/usage`, `.../premium_request/usage`) or
        the billing usage report (`.../settings/billing/usage`): copilot_billing.py."""
        org = request.path_params["org"]
        answer = usage_answer if request.url.path.endswith("/settings/billing/usage") else credits_answer

        def check(token: str) -> Response | None:
            if "nobilling" in token:
                return self.error_response(403, NO_PERMISSION)
            return self._owner(request, org)

        return await self._api(request, lambda token, fault: answer(self, request, org, fault), check=check)

    async def graphql_route(self, request: Request) -> Response:
        body = await json_body(request)
        return await self._api(request, lambda token, fault: graphql_answer(self, body, token, fault))


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "token") and token.strip() else None


def _blob_error(status: int, code: str, message: str) -> Response:
    body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return Response(body, status_code=status, media_type="application/xml")


def create_github_app(config: GithubConfig | None = None) -> Starlette:
    """The GitHub simulator as an ASGI app; `app.state.simulator` is its `GithubSimulator`."""
    simulator = GithubSimulator(config or GithubConfig())
    return simulator.app([
        Route("/orgs/{org}/copilot/metrics/reports/users-1-day", simulator.report_route, methods=["GET"]),
        Route("/orgs/{org}/copilot/metrics/reports/organization-1-day", simulator.report_route, methods=["GET"]),
        Route(DOWNLOAD_PREFIX + "/{org}/{day}/{name}", simulator.download_route, methods=["GET"]),
        Route("/orgs/{org}/copilot/billing/seats", simulator.seats_route, methods=["GET"]),
        Route("/organizations/{org}/settings/billing/ai_credit/usage", simulator.billing_route, methods=["GET"]),
        Route("/organizations/{org}/settings/billing/premium_request/usage", simulator.billing_route,
              methods=["GET"]),
        Route("/organizations/{org}/settings/billing/usage", simulator.billing_route, methods=["GET"]),
        Route("/enterprises/{org}/copilot/metrics/reports/users-1-day", simulator.report_route, methods=["GET"]),
        Route("/enterprises/{org}/copilot/metrics/reports/enterprise-1-day", simulator.report_route, methods=["GET"]),
        Route("/enterprises/{org}/copilot/billing/seats", simulator.seats_route, methods=["GET"]),
        Route("/enterprises/{org}/settings/billing/ai_credit/usage", simulator.billing_route, methods=["GET"]),
        Route("/enterprises/{org}/settings/billing/premium_request/usage", simulator.billing_route,
              methods=["GET"]),
        Route("/enterprises/{org}/settings/billing/usage", simulator.billing_route, methods=["GET"]),
        Route("/graphql", simulator.graphql_route, methods=["POST"]),
    ])
