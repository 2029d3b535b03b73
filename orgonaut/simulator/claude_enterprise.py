"""The Claude Enterprise Analytics API simulator: the documented endpoints on loopback, with faults.

API (../shared/provider-apis.md §4.2, and the `anthropic` SDK's `beta.organization.analytics`), under
`/v1/organizations/analytics`:
  GET /users?date=YYYY-MM-DD[&limit=1-1000 (100)][&page=]   per-user activity of one UTC day, by e-mail:
      {"data": [{user{type, id, email_address}, chat_metrics, claude_code_metrics{core_metrics{commit_count,
      distinct_session_count, lines_of_code{added_count, removed_count}, pull_request_count, ...},
      tool_actions{edit_tool, multi_edit_tool, notebook_edit_tool, write_tool: {accepted_count,
      rejected_count}}}, cowork_metrics, design_metrics, office_metrics, science_metrics, web_search_count,
      ...}], "next_page"}
  GET /summaries?starting_date=&ending_date=   one entry a day (seats, invites, active users, adoption)
  GET /user_cost_report?starting_at=&ending_at=[&bucket_width=1d][&group_by[]=product][&limit=1-1000 (20)]
      [&order=asc|desc][&page=]   {"data": [{actor{type:"user_actor", user_id, email_address, name, deleted},
      amount, list_amount (decimal strings of cents), currency, product, requests, starting_at, ending_at,
      ...}], "has_more", "next_page", "data_refreshed_at", "organization_id"}, ranked by amount
  GET /cost_report?starting_at=[&ending_at=][&bucket_width=1d][&group_by[]=product][&limit=1-31 (7)][&page=]
      the organisation's cost in daily buckets: {"data": [{starting_at, ending_at, results: [{amount,
      list_amount, currency, product, requests, ...}]}], "has_more", "next_page", "data_refreshed_at"}; a
      bucket holds one row (no group_by) or a row per product, [] without cost: the users' cost rows
      summed, plus Claude in Slack channels (`claude-tag`), which no user account carries
Auth: `x-api-key` or `Authorization: Bearer` (the SDK's way); any `sk-ant-…` key is valid unless the
simulator was given accepted keys; one containing `revoked` answers 401, one containing `noperm` 403
(a key without `read:analytics`). Errors are Anthropic's `{"type": "error", "error": {"type",
"message"}, "request_id"}`.

Documented limits, enforced with a 400: activity days not before 2026-01-01, at most 90 days back,
and available three days after the day ends (the message names the latest available day); cost
ranges at most 31 days, from 2026-01-01 and within 365 days (both cost reports); a page cursor is bound
to its query (the same parameters but `page`, else 400). Cost stays revisable for 30 days: `/_sim/revise` refuses
older days.

Controls: those of every simulator (base.py): faults apply to the API paths (`dup` and `endless` to
`/users` and `/user_cost_report` pages, `grow` to cost pages: a row one micro-cent above the previous
page's last, for its person and a product new to them, so the page starts with that row again);
`malformed` variants: json and shape break the body, record drops the first row's `claude_code_metrics`
(activity) or `amount` (cost; the first bucket's first result's), currency makes the first cost row
EUR. Revisions (`drop`, `change`,
`move` by e-mail) change a day's activity and cost. `GET /_sim/truth?date=` is the day now:
{"date", "users": [rows], "costs": [rows, as a one-day cost query serves them], "grown": n}.
The generated data is claude_enterprise_data.py; query checks, cursors and row revisions are
claude_enterprise_pages.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import SimulatorBase, key_verdict
from orgonaut.simulator.claude_enterprise_data import (
    GROWN_PRODUCTS,
    MICRO,
    EnterpriseUsage,
    cost_row,
    day_bounds,
    make_members,
    organisation_results,
    unattributed_cost,
)
from orgonaut.simulator.claude_enterprise_pages import (
    EARLIEST,
    MAX_RANGE_DAYS,
    BadRequest,
    api_key_of,
    check_parameters,
    cost_range,
    decode_cursor,
    email_of,
    encode_cursor,
    malformed_body,
    merged_rows,
    parse_date,
    parse_limit,
    query_fingerprint,
    revised_row,
)
from orgonaut.simulator.data import DEFAULT_ROSTER, DEFAULT_UNKNOWN_EMAILS
from orgonaut.simulator.faults import Fault, FaultError
from orgonaut.simulator.records import window
from orgonaut.simulator.revisions import Revision, revision_from_json

PREFIX = "/v1/organizations/analytics"
USERS_PATH = f"{PREFIX}/users"
SUMMARIES_PATH = f"{PREFIX}/summaries"
USER_COST_PATH = f"{PREFIX}/user_cost_report"
COST_PATH = f"{PREFIX}/cost_report"
COST_BUCKETS_DEFAULT, COST_BUCKETS_MAX = 7, 31  # daily buckets a `/cost_report` page
KEY_PATTERN = re.compile(r"sk-ant-[A-Za-z0-9_-]+")
ACTIVITY_LAG_DAYS = 3  # "available for querying three days after aggregation"
ACTIVITY_RETENTION_DAYS = 90
COST_REVISABLE_DAYS = 30
ORGANIZATION_ID = "org_sim_enterprise"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               529: "overloaded_error"}
MESSAGES = {401: "invalid x-api-key", 403: "This API key does not have the read:analytics scope.",
            429: "Number of requests has exceeded your rate limit. Please try again later.",
            500: "Internal server error", 529: "Overloaded"}
# The default roster: 14 people, one of them with a deleted account, and the two unknown contractors.
DEFAULT_DELETED = (DEFAULT_ROSTER[5],)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclasses.dataclass
class ClaudeEnterpriseConfig:
    seed: int = 0
    roster: Sequence[str] = DEFAULT_ROSTER[:14]
    unknown_emails: Sequence[str] = DEFAULT_UNKNOWN_EMAILS  # members the org does not know
    deleted: Sequence[str] = DEFAULT_DELETED  # accounts deleted since: e-mail null in cost rows
    accepted_keys: Collection[str] | None = None  # None: every well-formed key
    faults: Sequence[Fault] = ()
    revisions: Sequence[Revision] = ()
    page_size: int | None = None  # at most this many rows a page, whatever `limit` asks
    pending_invites: int = 2
    unattributed: bool = True  # Claude in Slack channels on the organisation's bill, on no user's
    activity_lag_days: int = ACTIVITY_LAG_DAYS  # days after its end that a day's activity is served
    today: Callable[[], dt.date] = _today
    request_log_size: int = 10_000


class ClaudeEnterpriseSimulator(SimulatorBase):
    """State and handlers of one Claude Enterprise simulator app."""

    request_id_header = "request-id"

    def __init__(self, config: ClaudeEnterpriseConfig):
        super().__init__(faults=config.faults, request_log_size=config.request_log_size)
        self.config = config
        self.members = make_members([*config.roster, *config.unknown_emails], seed=config.seed,
                                    deleted=config.deleted)
        self.usage = EnterpriseUsage(seed=config.seed, members=self.members)
        self._revisions: list[Revision] = []
        self._growth: dict[dt.date, list[dict[str, Any]]] = {}
        for revision in config.revisions:
            self.add_revision(revision)

    # -- errors ---------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str, *, retry_after: float | None = None) -> Response:
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
        body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}
        return JSONResponse(body, status_code=status, headers=headers)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        return self.error_response(status, MESSAGES.get(status, f"Simulated HTTP {status}."),
                                   retry_after=fault.retry_after)

    # -- a day's truth --------------------------------------------------------------------------------

    def day(self, day: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The day's activity rows and cost rows now: generated, grown, revised."""
        users = self.usage.activity(day)
        costs = [*self.usage.costs(day), *(dict(row) for row in self._growth.get(day, ()))]
        for revision in (r for r in self._revisions if r.date == day):
            users = [row for row in (revised_row(revision, row, "user") for row in users) if row is not None]
            costs = [row for row in (revised_row(revision, row, "actor") for row in costs) if row is not None]
        return users, costs

    # -- serving --------------------------------------------------------------------------------------

    async def users_route(self, request: Request) -> Response:
        return await self._api(request, self._users)

    async def summaries_route(self, request: Request) -> Response:
        return await self._api(request, self._summaries)

    async def user_cost_route(self, request: Request) -> Response:
        return await self._api(request, self._user_cost)

    async def cost_route(self, request: Request) -> Response:
        return await self._api(request, self._cost)

    async def _api(self, request: Request, handler: Callable[[Request, Fault | None], Response]) -> Response:
        auth = key_verdict(api_key_of(request), KEY_PATTERN, self.config.accepted_keys, revoked="revoked",
                           no_permission="noperm")
        entry = self.log_request(request, auth=auth)
        paged = request.url.path != SUMMARIES_PATH
        fault = self.take_fault(request.url.path, report=paged, continued="page" in request.query_params,
                                paging_modes=("endless", "dup", "grow") if request.url.path == USER_COST_PATH
                                else ("endless", "dup"))

        def answer() -> Response:
            if auth == "no_permission":
                return self.error_response(403, MESSAGES[403])
            if auth != "valid":
                return self.error_response(401, MESSAGES[401])
            try:
                return handler(request, fault)
            except BadRequest as error:
                return self.error_response(400, str(error))

        return await self.serve(entry, fault, answer)

    def _users(self, request: Request, fault: Fault | None) -> Response:
        query = request.query_params
        check_parameters(query, {"date", "limit", "page"})
        day = parse_date(query.get("date"), "date")
        self._check_activity_day(day)
        limit = parse_limit(query.get("limit"), 100)
        users, _ = self.day(day)
        chunk, next_page = self._page(USERS_PATH, request, lambda: users, limit, fault)
        return self._answer({"data": chunk, "next_page": next_page}, fault, "user")

    def _summaries(self, request: Request, fault: Fault | None) -> Response:
        query = request.query_params
        check_parameters(query, {"starting_date", "ending_date", "limit", "page"})
        start = parse_date(query.get("starting_date"), "starting_date")
        latest = self.latest_activity_day()
        end = (parse_date(query["ending_date"], "ending_date") if "ending_date" in query
               else latest + dt.timedelta(days=1))
        if start < EARLIEST:
            raise BadRequest(f"starting_date must be no earlier than {EARLIEST.isoformat()}.")
        if end <= start:
            raise BadRequest("ending_date must be after starting_date.")
        if (end - start).days > MAX_RANGE_DAYS:
            raise BadRequest(f"The date range may span at most {MAX_RANGE_DAYS} days.")
        if end > latest + dt.timedelta(days=1):
            raise BadRequest(f"Data is not available yet for the requested range; the latest available day is "
                             f"{latest.isoformat()}.")
        days = [start + dt.timedelta(days=n) for n in range((end - start).days)]
        data = [self._summary(day) for day in days]
        if fault is not None and fault.mode == "malformed":
            return malformed_body(fault.variant)
        return JSONResponse({"data": data, "next_page": None})

    def _summary(self, day: dt.date) -> dict[str, Any]:
        seats = sum(1 for member in self.members if not member.deleted)

        def active(first: dt.date) -> int:
            span = [first + dt.timedelta(days=n) for n in range((day - first).days + 1)]
            return len({row["user"]["id"] for d in span for row in self.day(d)[0] if row["last_activity_date"]})

        start, end = day_bounds(day)
        dau, wau, mau = active(day), active(day - dt.timedelta(days=6)), active(day - dt.timedelta(days=29))

        def rate(count: int) -> float | None:
            return round(count / seats * 100, 2) if seats else None

        return {"starting_at": start, "ending_at": end, "assigned_seat_count": seats,
                "pending_invite_count": self.config.pending_invites, "daily_active_user_count": dau,
                "weekly_active_user_count": wau, "monthly_active_user_count": mau, "daily_adoption_rate": rate(dau),
                "weekly_adoption_rate": rate(wau), "monthly_adoption_rate": rate(mau),
                "cowork_daily_active_user_count": 0, "cowork_weekly_active_user_count": 0,
                "cowork_monthly_active_user_count": 0}

    def _user_cost(self, request: Request, fault: Fault | None) -> Response:
        query = request.query_params
        check_parameters(query, {"starting_at", "ending_at", "bucket_width", "group_by[]", "limit", "order", "order_by",
                      "page", "exclude_deleted_users"})
        if query.get("bucket_width") and "ending_at" not in query:
            raise BadRequest("ending_at is required when bucket_width is set.")
        start, end, bucket, group_by = cost_range(query, self.config.today(), default_bucket=None)
        if query.get("exclude_deleted_users", "false") not in ("true", "false"):
            raise BadRequest("exclude_deleted_users must be true or false.")
        if query.get("order", "desc") not in ("asc", "desc") or query.get("order_by", "amount") not in (
                "amount", "list_amount"):
            raise BadRequest("order must be asc or desc, order_by amount or list_amount.")
        limit = parse_limit(query.get("limit"), 20)

        def rows() -> list[dict[str, Any]]:
            found = self.cost_rows(start.date(), end.date(), bucketed=bool(bucket), by_product=bool(group_by),
                                   order_by=query.get("order_by", "amount"), order=query.get("order", "desc"))
            if query.get("exclude_deleted_users") == "true":
                found = [row for row in found if not row["actor"]["deleted"]]
            return found

        chunk, next_page = self._page(USER_COST_PATH, request, rows, limit, fault, grow=self._grow)
        body = {"data": chunk, "has_more": next_page is not None, "next_page": next_page,
                "data_refreshed_at": f"{self.config.today().isoformat()}T04:00:00Z", "organization_id": ORGANIZATION_ID}
        return self._answer(body, fault, "actor")

    def _cost(self, request: Request, fault: Fault | None) -> Response:
        """The organisation's cost in daily buckets (`limit` buckets a page)."""
        query = request.query_params
        check_parameters(query, {"starting_at", "ending_at", "bucket_width", "group_by[]", "limit", "page"})
        start, end, _, group_by = cost_range(query, self.config.today(), default_bucket="1d")
        limit = parse_limit(query.get("limit"), COST_BUCKETS_DEFAULT)
        if limit > COST_BUCKETS_MAX:
            raise BadRequest(f"limit must be between 1 and {COST_BUCKETS_MAX} for bucket_width 1d.")
        days = [start.date() + dt.timedelta(days=n) for n in range((end - start).days)]

        def buckets() -> list[dict[str, Any]]:
            return [{"starting_at": day_bounds(day)[0], "ending_at": day_bounds(day)[1],
                     "results": self.organisation_results(day, by_product=bool(group_by))} for day in days]

        chunk, next_page = self._page(COST_PATH, request, buckets, limit, fault)
        body = {"data": chunk, "has_more": next_page is not None, "next_page": next_page,
                "data_refreshed_at": f"{self.config.today().isoformat()}T04:00:00Z"}
        return self._answer(body, fault, "bucket")

    def organisation_results(self, day: dt.date, *, by_product: bool = True) -> list[dict[str, Any]]:
        """A day's `/cost_report` results: its users' cost rows now (revised, grown) and the unattributed cost."""
        unattributed = unattributed_cost(self.config.seed, day) if self.config.unattributed else Decimal(0)
        return organisation_results(self.day(day)[1], unattributed, by_product=by_product)

    def cost_rows(self, first: dt.date, end: dt.date, *, bucketed: bool = True, by_product: bool = True,
                  order_by: str = "amount", order: str = "desc") -> list[dict[str, Any]]:
        """The cost rows of the days from `first` to `end` (exclusive) as a query serves them: ranked by
        `order_by` (ties by user id, product and bucket), summed per actor when not grouped or bucketed."""
        rows = [row for n in range((end - first).days) for row in self.day(first + dt.timedelta(days=n))[1]]
        if not (bucketed and by_product):
            rows = merged_rows(rows, bucketed=bucketed, by_product=by_product)
        rows.sort(key=lambda row: (row["actor"]["user_id"], row["product"] or "", row["starting_at"] or ""))
        rows.sort(key=lambda row: Decimal(row[order_by]), reverse=order == "desc")
        return rows

    def _grow(self, rows: list[dict[str, Any]], offset: int) -> None:
        """A new cost row for the person of the row at `offset - 1`, a micro-cent above it (so it ranks
        just before it) and of a product new to them that day."""
        neighbour = rows[offset - 1]
        day = dt.date.fromisoformat(str(neighbour["starting_at"])[:10])
        taken = {row["product"] for row in self.day(day)[1] if row["actor"]["user_id"] == neighbour["actor"]["user_id"]}
        product = next(p for p in GROWN_PRODUCTS if p not in taken)
        member = next(m for m in self.members if m.user_id == neighbour["actor"]["user_id"])
        start, end = day_bounds(day)
        grown = cost_row(member, product, Decimal(neighbour["amount"]) + MICRO, requests=1, start=start, end=end)
        grown["actor"] = dict(neighbour["actor"])  # as revised (a moved e-mail stays moved)
        self._growth.setdefault(day, []).append(grown)

    def _page(self, endpoint: str, request: Request, rows_of: Callable[[], list[dict[str, Any]]], limit: int,
              fault: Fault | None, grow: Callable[[list[dict[str, Any]], int], None] | None = None,
              ) -> tuple[list[Any], str | None]:
        """A page of the query's rows and the next page's cursor, bound to the query's other parameters."""
        rows = rows_of()
        bound = query_fingerprint(endpoint, request)
        cursor = request.query_params.get("page")
        offset, generation = decode_cursor(cursor, bound) if cursor is not None else (0, 0)
        if offset > len(rows):
            raise BadRequest("The page cursor is past the end of the results.")
        size = min(limit, self.config.page_size or limit)
        mode = fault.mode if fault is not None else None
        if mode == "grow" and grow is not None and offset > 0:
            grow(rows, offset)
            rows = rows_of()
        chunk, end = window(rows, offset=offset, limit=size + (mode == "dup"), mode=mode)
        if end < len(rows):
            return chunk, encode_cursor(bound, end)
        if mode == "endless":
            return chunk, encode_cursor(bound, end, generation + 1)
        return chunk, None

    @staticmethod
    def _answer(body: dict[str, Any], fault: Fault | None, who: str) -> Response:
        if fault is not None and fault.mode == "malformed":
            if fault.variant in ("json", "shape"):
                return malformed_body(fault.variant)
            if body["data"]:
                first = dict(body["data"][0])
                if who == "bucket":  # the first bucket's first result
                    results = [dict(result) for result in first["results"]][:1] or [{"currency": "USD"}]
                    results[0].pop("amount", None)
                    if fault.variant == "currency":
                        results[0]["currency"] = "EUR"
                    first["results"] = results
                elif fault.variant == "currency" and who == "actor":
                    first["currency"] = "EUR"
                else:
                    first.pop("claude_code_metrics" if who == "user" else "amount", None)
                body["data"] = [first, *body["data"][1:]]
        return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")

    def latest_activity_day(self) -> dt.date:
        return self.config.today() - dt.timedelta(days=self.config.activity_lag_days)

    def _check_activity_day(self, day: dt.date) -> None:
        if day < EARLIEST:
            raise BadRequest(f"date must be no earlier than {EARLIEST.isoformat()}.")
        if day < self.config.today() - dt.timedelta(days=ACTIVITY_RETENTION_DAYS):
            raise BadRequest(f"date must be within the past {ACTIVITY_RETENTION_DAYS} days.")
        latest = self.latest_activity_day()
        if day > latest:
            raise BadRequest(f"Data for {day.isoformat()} is not available yet; the latest available day is "
                             f"{latest.isoformat()}.")

    # -- controls -------------------------------------------------------------------------------------

    async def revise(self, request: Request) -> Response:
        try:
            revision = revision_from_json(await request.json())
            return JSONResponse({"revision": self.add_revision(revision).to_json()})
        except ValueError as error:  # FaultError, or a body that is not JSON
            return JSONResponse({"error": str(error) if isinstance(error, FaultError) else "the body is not JSON"},
                                status_code=400)

    def add_revision(self, revision: Revision) -> Revision:
        if revision.date < self.config.today() - dt.timedelta(days=COST_REVISABLE_DAYS):
            raise FaultError(f"cost is final after {COST_REVISABLE_DAYS} days: {revision.date} can no longer change")
        users, costs = self.day(revision.date)
        touched = sum(1 for row in users if email_of(row, "user") == revision.email.lower()) + sum(
            1 for row in costs if email_of(row, "actor") == revision.email.lower())
        revision = dataclasses.replace(revision, id=len(self._revisions) + 1, records=touched)
        self._revisions.append(revision)
        return revision

    @property
    def revisions(self) -> list[Revision]:
        return list(self._revisions)

    def truth_response(self, day: dt.date) -> Response:
        users, _ = self.day(day)
        costs = self.cost_rows(day, day + dt.timedelta(days=1))
        body = {"date": day.isoformat(), "users": users, "costs": costs, "grown": len(self._growth.get(day, ()))}
        return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")

    def clear(self) -> None:
        self._revisions = []
        self._growth.clear()

    def control_routes(self) -> list[Route]:
        routes = [route for route in super().control_routes() if route.path != "/_sim/revise"]
        return [Route("/_sim/revise", self.revise, methods=["POST"]), *routes]


def create_claude_enterprise_app(config: ClaudeEnterpriseConfig | None = None) -> Starlette:
    """The simulator as an ASGI app; `app.state.simulator` is its `ClaudeEnterpriseSimulator`."""
    simulator = ClaudeEnterpriseSimulator(config or ClaudeEnterpriseConfig())
    return simulator.app([
        Route(USERS_PATH, simulator.users_route, methods=["GET"]),
        Route(SUMMARIES_PATH, simulator.summaries_route, methods=["GET"]),
        Route(USER_COST_PATH, simulator.user_cost_route, methods=["GET"]),
        Route(COST_PATH, simulator.cost_route, methods=["GET"]),
    ])
