"""The Cursor Admin API simulator: the documented team endpoints on loopback, with faults.

API (as documented, see ../shared/provider-apis.md §1), at the base URL's root:
  GET  /teams/members                 {"teamMembers": [{"id": "user_…", "name", "email", "role", "isRemoved"}]}
  POST /teams/daily-usage-data        {"startDate", "endDate"[, "page", "pageSize"]} -> {"data": [row…],
                                      "period"[, "pagination"]}: without page/pageSize only active
                                      users' rows; with them every member on the team in the period
                                      (`isActive` false rows of zeros too) and `pagination`
  POST /teams/filtered-usage-events   {"startDate", "endDate"[, "email", "userId", "serviceAccountId",
                                      "page", "pageSize" (default 100, at most 1,000)]} ->
                                      {"totalUsageEventsCount", "pagination", "usageEvents", "period"},
                                      events newest first
  POST /teams/spend                   {["searchTerm", "sortBy", "sortDirection", "page", "pageSize"]} ->
                                      {"teamMemberSpend", "subscriptionCycleStart", "totalMembers",
                                      "totalPages"}: each member's spend in the billing cycle so far, the
                                      usage events' cost summed (cursor_spend.py; `billing_cycle_day`)
Auth is HTTP Basic with the Admin API key as user name and an empty password. Any `key_…` or `crsr_…`
key is valid unless the simulator was given a list of accepted keys; a key containing `revoked`
answers 401 `{"error": "Unauthorized", "message": "Invalid API key"}` and one containing `noperm`
403 `{"error": "Forbidden", "message": "Enterprise access required"}` (the plan lacks Admin API access).
Errors are `{"error": "<HTTP reason>", "message": …}`. Days become available an hour after they end.

Rate limits are per team (a key's team: `key_teams`, else `team_id`) and per minute, token buckets:
`rate_limit` for /teams/members, daily usage and spend ("most endpoints", 20 on the real API), and
`events_rate_limit` for usage events (60); None is no limit (the tests' default; the CLI's are the
real ones). A refused request gets 429 "Rate limit exceeded. Please try again later." and no
`Retry-After` (none is documented).

The team has no name in the documented responses: a client names it after its members' e-mail
domain (the most common one of the members not removed). `team_name`, when set, is sent as an extra
top-level `teamName` in /teams/members (not in the docs) for a client that prefers a name.

Details the docs leave open, as simulated: unpaginated rows carry `isActive` too (always true); a
paginated daily-usage page holds `pageSize` users with each one's rows of the period; `page_size`
caps the users or events a page whatever `pageSize` asks (pages shorter than asked, as the contract
suite wants), and `pagination.pageSize` says the cap; `row_style="older"` drops `userId` and `day`;
`member_style` gives members as the newest docs (`id` "user_…"), "number" (`id` a number) or "oldest"
(no `id`, no `isRemoved`, removed members not listed).
The default roster has one member removed on 6 March 2025 and one who joined on 5 March 2025.

Controls: those of every simulator (base.py; faults apply to the paths above, `dup`/`endless` to
paginated daily-usage pages and event pages, `grow` to event pages, `continued` meaning page > 1;
a `dup` page holds the previous page's last record, then its own `pageSize`, so page numbers skip
nothing; `malformed` variants: json and shape break the body, record drops the first record's
e-mail, currency makes its money text),
and `GET /_sim/team` ({"id", "name", "domain"}: the name a client should show), `GET|POST
/_sim/limits` ({"rate_limit": n|null, "events_rate_limit": n|null}: change the limits until reset).
`GET /_sim/truth?date=` is the day as a fault-free reading sees it now (cursor_truth.py).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import NOT_JSON, SimulatorBase, json_body, key_verdict
from orgonaut.simulator.cursor_data import CursorUsage, make_members, make_service_accounts
from orgonaut.simulator.cursor_pages import (
    DEFAULT_PAGE_SIZE,
    MEMBER_STYLES,
    MESSAGES,
    NOT_IN_TEAM,
    BadRequest,
    Query,
    basic_user,
    encode,
    malformed_body,
    malformed_records,
    member_json,
    parse_query,
    reason,
)
from orgonaut.simulator.cursor_spend import SPEND_STYLES, spend_answer
from orgonaut.simulator.cursor_truth import day_truth
from orgonaut.simulator.data import DEFAULT_ROSTER, DEFAULT_UNKNOWN_EMAILS, ROSTER_DOMAIN
from orgonaut.simulator.faults import Fault
from orgonaut.simulator.limits import RateLimits
from orgonaut.simulator.records import DayRecords, window
from orgonaut.simulator.revisions import Revision

MEMBERS_PATH = "/teams/members"
DAILY_USAGE_PATH = "/teams/daily-usage-data"
EVENTS_PATH = "/teams/filtered-usage-events"
SPEND_PATH = "/teams/spend"
KEY_PATTERN = re.compile(r"(key_|crsr_)[A-Za-z0-9_-]+")
REAL_RATE_LIMIT = 20
REAL_EVENTS_RATE_LIMIT = 60
# The default roster's changes: one member removed on 6 March 2025 (usage until the 5th), one who
# joined on 5 March 2025 (absent from periods that end before).
DEFAULT_REMOVED = {DEFAULT_ROSTER[5]: dt.date(2025, 3, 6)}
DEFAULT_JOINED = {DEFAULT_ROSTER[9]: dt.date(2025, 3, 5)}
DEFAULT_SERVICE_ACCOUNTS = ("agent-runner",)


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class CursorConfig:
    seed: int = 0
    roster: Sequence[str] = DEFAULT_ROSTER  # the members' e-mails (the first is the owner)
    unknown_emails: Sequence[str] = DEFAULT_UNKNOWN_EMAILS  # members the org does not know
    removed: Mapping[str, dt.date] = dataclasses.field(default_factory=lambda: dict(DEFAULT_REMOVED))
    joined: Mapping[str, dt.date] = dataclasses.field(default_factory=lambda: dict(DEFAULT_JOINED))
    service_accounts: Sequence[str] = DEFAULT_SERVICE_ACCOUNTS  # names; e-mail <name>@<team domain>
    team_id: str = "team_sim"
    team_name: str | None = None  # None, as documented: the team is named after its members' domain
    accepted_keys: Collection[str] | None = None  # None: every well-formed key
    key_teams: Mapping[str, str] = dataclasses.field(default_factory=dict)  # key -> team (rate limits)
    rate_limit: int | None = None  # per team and minute: members, daily usage (real: 20)
    events_rate_limit: int | None = None  # per team and minute: usage events (real: 60)
    faults: Sequence[Fault] = ()
    revisions: Sequence[Revision] = ()  # made before the first request, in order
    every_day: bool = False  # everyone active every day (the bench)
    page_size: int | None = None  # at most this many users / events a page, whatever pageSize asks
    row_style: str = "newest"  # daily-usage rows: newest, or older (no `userId`, no `day`)
    member_style: str = "newest"  # /teams/members: newest, number (numeric `id`) or oldest (no id, no isRemoved)
    billing_cycle_day: int = 17  # the day of the month the team's billing cycle starts (/teams/spend)
    spend_style: str = "newest"  # /teams/spend: newest, or older (calendar month, `spendCents` only)
    now: Callable[[], dt.datetime] = _wall_clock
    clock: Callable[[], float] | None = None  # the rate limits' seconds (default: time.monotonic)
    request_log_size: int = 10_000


class CursorSimulator(SimulatorBase):
    """State and handlers of one Cursor simulator app."""

    request_id_header = None  # the Cursor API documents none
    http_messages = {404: "Resource not found", 405: "Method not allowed"}

    def __init__(self, config: CursorConfig):
        if config.row_style not in ("newest", "older"):
            raise ValueError("row_style must be newest or older")
        if config.member_style not in MEMBER_STYLES:
            raise ValueError(f"member_style must be one of {', '.join(MEMBER_STYLES)}")
        if config.spend_style not in SPEND_STYLES or not 1 <= config.billing_cycle_day <= 31:
            raise ValueError("spend_style must be newest or older, billing_cycle_day from 1 to 31")
        super().__init__(faults=config.faults, request_log_size=config.request_log_size)
        self.config = config
        self.members = make_members([*config.roster, *config.unknown_emails], seed=config.seed,
                                    joined=config.joined, removed=config.removed)
        self.domain = collections.Counter(m.email.split("@")[-1].lower() for m in self.members
                                          if m.removed is None).most_common(1)[0][0] if self.members else ROSTER_DOMAIN
        self.service_accounts = make_service_accounts(config.service_accounts, self.domain, seed=config.seed)
        self.usage = CursorUsage(seed=config.seed, members=self.members, service_accounts=self.service_accounts,
                                 every_day=config.every_day)
        self.events = DayRecords(self.usage, config.now)
        self.activity = DayRecords(self.usage.activity, config.now)
        self.limits = RateLimits(self._configured_limits(), **({"clock": config.clock} if config.clock else {}))
        for revision in config.revisions:
            self.add_revision(revision)

    def _configured_limits(self) -> dict[str, int | None]:
        return {"rate_limit": self.config.rate_limit, "events_rate_limit": self.config.events_rate_limit}

    # -- errors ---------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str, *, retry_after: float | None = None) -> Response:
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
        return JSONResponse({"error": reason(status), "message": message}, status_code=status, headers=headers)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        return self.error_response(status, MESSAGES.get(status, f"Simulated HTTP {status}."),
                                   retry_after=fault.retry_after)

    # -- serving --------------------------------------------------------------------------------------

    async def members_route(self, request: Request) -> Response:
        return await self._api(request, "rate_limit", None, lambda body, fault: self._members(fault))

    async def daily_usage_route(self, request: Request) -> Response:
        return await self._api(request, "rate_limit", False, self._daily_usage)

    async def events_route(self, request: Request) -> Response:
        return await self._api(request, "events_rate_limit", True, self._usage_events)

    async def spend_route(self, request: Request) -> Response:
        return await self._api(request, "rate_limit", None, self._spend)

    async def _api(self, request: Request, group: str, events: bool | None,
                   handler: Callable[[Any, Fault | None], Response]) -> Response:
        key = basic_user(request.headers.get("authorization"))
        auth = key_verdict(key, KEY_PATTERN, self.config.accepted_keys, revoked="revoked", no_permission="noperm")
        team = self.config.key_teams.get(key or "", self.config.team_id)
        body = (await json_body(request) if await request.body() else None) if request.method == "POST" else None
        entry = self.log_request(request, auth=auth, team=team, body=body if isinstance(body, dict) else None)
        page = body.get("page", 1) if isinstance(body, dict) else 1
        paged = events is True or (events is False and isinstance(body, dict)
                                   and ("page" in body or "pageSize" in body))
        continued = paged and isinstance(page, int) and page > 1
        fault = self.take_fault(request.url.path, report=paged, continued=continued,
                                paging_modes=("endless", "dup", "grow") if events else ("endless", "dup"))

        def answer() -> Response:
            refusal = self._refusal(auth)
            if refusal is not None:
                return refusal
            if not self.limits.take(team, group):
                return self.error_response(429, MESSAGES[429])
            if body is NOT_JSON:
                return self.error_response(400, "Request body must be a JSON object")
            try:
                return handler(body, fault)
            except BadRequest as error:
                return self.error_response(400, str(error))

        return await self.serve(entry, fault, answer)

    def _refusal(self, auth: str) -> Response | None:
        if auth == "no_permission":
            return self.error_response(403, MESSAGES[403])
        return None if auth == "valid" else self.error_response(401, MESSAGES[401])

    def _members(self, fault: Fault | None) -> Response:
        if fault is not None and fault.mode == "malformed":
            broken = malformed_body("members", fault.variant)
            if broken is not None:
                return Response(broken, media_type="application/json")
        today = self.config.now().date()
        listed = (member_json(m, today, self.config.member_style) for m in self.members
                  if m.joined is None or m.joined <= today)
        members = [member for member in listed if member is not None]
        if fault is not None and fault.mode == "malformed":
            members = malformed_records(members, fault.variant)
        answer: dict[str, Any] = {"teamMembers": members}
        if self.config.team_name is not None:
            answer["teamName"] = self.config.team_name
        return Response(encode(answer), media_type="application/json")

    def _daily_usage(self, body: Any, fault: Fault | None) -> Response:
        query = parse_query(body, events=False)
        rows = [row for day in query.days() for row in self.activity.available(day)]
        answer: dict[str, Any] = {}
        if not query.paginated:
            chunk = [row for row in rows if row["isActive"]]
        else:
            users = list(dict.fromkeys(row["email"].lower() for row in rows))
            size, page = self._page_size(query), query.page or 1
            mode = fault.mode if fault is not None else None
            chosen, end = window(users, offset=(page - 1) * size, limit=size + (mode == "dup"), mode=mode)
            order = {email: n for n, email in enumerate(chosen)}
            chunk = sorted((row for row in rows if row["email"].lower() in order),
                           key=lambda row: order[row["email"].lower()])
            answer["pagination"] = {
                "page": page, "pageSize": size, "totalUsers": len(users), "totalPages": math.ceil(len(users) / size),
                "hasNextPage": end < len(users) or mode == "endless", "hasPreviousPage": page > 1,
            }
        if self.config.row_style == "older":
            chunk = [{k: v for k, v in row.items() if k not in ("userId", "day")} for row in chunk]
        return self._page(fault, "rows", {"data": chunk, "period": query.period(), **answer}, "data")

    def _usage_events(self, body: Any, fault: Fault | None) -> Response:
        query = parse_query(body, events=True)
        self._check_filters(query)
        size, page = self._page_size(query), query.page or 1
        offset = (page - 1) * size
        mode = fault.mode if fault is not None else None
        events = self._events(query)
        if mode == "grow" and 0 < offset <= len(events):
            neighbour = events[offset - 1]
            day = dt.date(1970, 1, 1) + dt.timedelta(milliseconds=int(neighbour["timestamp"]))
            index = next(n for n, event in enumerate(self.events.truth(day)) if event is neighbour)
            self.events.grow(day, index + 1)
            events = self._events(query)
        # dup: this page's records after the previous page's last (pageSize + 1), as page numbers go on
        chunk, end = window(events, offset=offset, limit=size + (mode == "dup"), mode=mode)
        answer = {
            "totalUsageEventsCount": len(events),
            "pagination": {"numPages": math.ceil(len(events) / size), "currentPage": page, "pageSize": size,
                           "hasNextPage": end < len(events) or mode == "endless", "hasPreviousPage": page > 1},
            "usageEvents": chunk, "period": query.period(),
        }
        return self._page(fault, "events", answer, "usageEvents")

    def _events(self, query: Query) -> list[dict[str, Any]]:
        email = query.email.lower() if query.email is not None else None
        user_email = next((m.email.lower() for m in self.members if m.user_id == query.user_id), None)
        return [event for day in reversed(query.days()) for event in self.events.available(day)
                if query.start <= int(event["timestamp"]) <= query.end
                and (email is None or event["userEmail"].lower() == email)
                and (query.user_id is None or (event["userEmail"].lower() == user_email
                                               and "serviceAccountId" not in event))
                and (query.service_account_id is None or event.get("serviceAccountId") == query.service_account_id)]

    def _spend(self, body: Any, fault: Fault | None) -> Response:
        if fault is not None and fault.mode == "malformed":
            broken = malformed_body("spend", fault.variant)
            if broken is not None:
                return Response(broken, media_type="application/json")
        answer = spend_answer(self, body)
        if fault is not None and fault.mode == "malformed":
            answer["teamMemberSpend"] = malformed_records(answer["teamMemberSpend"], fault.variant)
        return Response(encode(answer), media_type="application/json")

    def _check_filters(self, query: Query) -> None:
        emails = {m.email.lower() for m in self.members} | {s.email.lower() for s in self.service_accounts}
        if query.email is not None and query.email.lower() not in emails:
            raise BadRequest(NOT_IN_TEAM)
        if query.user_id is not None and all(m.user_id != query.user_id for m in self.members):
            raise BadRequest(NOT_IN_TEAM)
        if query.service_account_id is not None and all(
                s.id != query.service_account_id for s in self.service_accounts):
            raise BadRequest("Resource not found")

    def _page_size(self, query: Query) -> int:
        asked = query.page_size or DEFAULT_PAGE_SIZE
        return min(asked, self.config.page_size or asked)

    @staticmethod
    def _page(fault: Fault | None, what: str, answer: dict[str, Any], records: str) -> Response:
        if fault is not None and fault.mode == "malformed":
            broken = malformed_body(what, fault.variant)
            if broken is not None:
                return Response(broken, media_type="application/json")
            answer[records] = malformed_records(answer[records], fault.variant)
        return Response(encode(answer), media_type="application/json")

    # -- controls -------------------------------------------------------------------------------------

    def add_revision(self, revision: Revision) -> Revision:
        rows = self.activity.add_revision(revision)
        made = self.events.add_revision(revision)
        return dataclasses.replace(made, records=made.records + rows.records)

    @property
    def revisions(self) -> list[Revision]:
        return self.events.revisions

    def truth_response(self, day: dt.date) -> Response:
        return Response(encode(day_truth(self, day)), media_type="application/json")

    def clear(self) -> None:
        self.events.clear()
        self.activity.clear()
        self.limits.set(self._configured_limits())

    async def team(self, request: Request) -> Response:
        return JSONResponse({"id": self.config.team_id, "name": self.config.team_name or self.domain,
                             "domain": self.domain})


def create_cursor_app(config: CursorConfig | None = None) -> Starlette:
    """The Cursor simulator as an ASGI app; `app.state.simulator` is its `CursorSimulator`."""
    simulator = CursorSimulator(config or CursorConfig())
    return simulator.app([
        Route(MEMBERS_PATH, simulator.members_route, methods=["GET"]),
        Route(DAILY_USAGE_PATH, simulator.daily_usage_route, methods=["POST"]),
        Route(EVENTS_PATH, simulator.events_route, methods=["POST"]),
        Route(SPEND_PATH, simulator.spend_route, methods=["POST"]),
        Route("/_sim/team", simulator.team, methods=["GET"]),
        *simulator.limits.control_routes(),
    ])
