"""The OpenAI Codex Enterprise Analytics API simulator: per-user daily usage on loopback, with faults.

API (as documented, see ../shared/provider-apis.md §3.1), at the base URL's root:
  GET /v1/analytics/codex/workspaces/{workspace_id}/usage
      ?start_time=<Unix s, inclusive>[&end_time=<Unix s, exclusive; default now>][&group_by=day]
       [&limit=1..1000, default 100][&page=<next_page>]  (or &cursor=<next_cursor>)
      -> {"object": "page", "data": [row…], "has_more": bool, "next_page": token|null}
         (`cursor_style="next_cursor"`: `next_cursor` instead of `next_page`; either token is accepted
         as `page` or `cursor`). Rows: codex_data.py, every UTC day the window touches, by day then
         user id. `group_by=week` and `group=workspace` are documented but not simulated (400).
Requests look back at most 90 days: a `start_time` earlier than now - `lookback_days` is refused 400.
Errors are OpenAI's `{"error": {"message", "type", "param", "code"}}`; a request id is sent as
`x-request-id`.

Auth is `Authorization: Bearer sk-…`. Any `sk-…` key is valid unless the simulator was given a list of
accepted keys; a key containing `revoked` answers 401 (`invalid_api_key`) and one containing `noscope`
403 (not scoped to `codex.enterprise.analytics.read`). A workspace other than `workspace_id` (when set)
answers 404. `rate_limit` (requests a minute per key, None: none; the real limit is not documented)
refuses with 429 and a `Retry-After`.

Controls: those of every simulator (base.py; faults apply to the usage path, `dup`/`endless`/`grow` to
its pages, `continued` meaning a page after the first; `malformed` variants json and shape break the
body, record and currency drop the first row's `totals`), `GET|POST /_sim/limits`, and `GET /_sim/truth?date=`
({"date", "available", "revisions", "grown", "rows"}: the day's rows as a fault-free reading gets them now,
late rows included as they are now).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import SimulatorBase, key_verdict
from orgonaut.simulator.codex_data import DAY_SECONDS, CodexUsage, day_start, make_users
from orgonaut.simulator.cursor_pages import encode
from orgonaut.simulator.data import DEFAULT_ROSTER, DEFAULT_UNKNOWN_EMAILS
from orgonaut.simulator.faults import Fault
from orgonaut.simulator.limits import RateLimits
from orgonaut.simulator.records import DayRecords, window
from orgonaut.simulator.revisions import Revision

USAGE_PATH = "/v1/analytics/codex/workspaces/{workspace_id}/usage"
SCOPE = "codex.enterprise.analytics.read"
KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_-]+")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
LOOKBACK_DAYS = 90
MAX_WINDOW_DAYS = 366  # a bound on one request's work; the real one is not documented
_TOKEN_PREFIX = "cdx1_"
_CODES = {400: ("invalid_request_error", "invalid_value"), 401: ("invalid_request_error", "invalid_api_key"),
          403: ("invalid_request_error", "insufficient_permissions"), 404: ("invalid_request_error", "not_found"),
          405: ("invalid_request_error", "method_not_allowed"), 429: ("requests", "rate_limit_exceeded")}
MESSAGES = {401: "Incorrect API key provided.",
            403: f"You have insufficient permissions for this operation. Missing scopes: {SCOPE}.",
            404: "Not found.", 429: "Rate limit reached for requests. Please try again later.",
            500: "The server had an error while processing your request.",
            503: "The server is overloaded or not ready yet."}


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BadRequest(ValueError):
    def __init__(self, message: str, param: str | None = None, code: str = "invalid_value"):
        super().__init__(message)
        self.param = param
        self.code = code


@dataclasses.dataclass
class CodexConfig:
    seed: int = 0
    roster: Sequence[str] = DEFAULT_ROSTER  # the workspace's users' e-mails
    unknown_emails: Sequence[str] = DEFAULT_UNKNOWN_EMAILS  # users the org does not know
    hidden_emails: Collection[str] | None = None  # e-mails OpenAI does not show (None: one in five by hash)
    workspace_id: str | None = None  # None: every workspace id is this workspace
    accepted_keys: Collection[str] | None = None  # None: every well-formed key
    rate_limit: int | None = None  # requests a minute per key (None: none)
    faults: Sequence[Fault] = ()
    revisions: Sequence[Revision] = ()  # made before the first request, in order
    every_day: bool = False  # everyone active every day (the bench)
    page_size: int | None = None  # at most this many rows a page, whatever `limit` asks
    cursor_style: str = "next_page"  # next_page, or next_cursor
    lookback_days: int = LOOKBACK_DAYS
    now: Callable[[], dt.datetime] = _wall_clock
    clock: Callable[[], float] | None = None  # the rate limit's seconds (default: time.monotonic)
    request_log_size: int = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class _Query:
    start: int
    end: int
    limit: int
    offset: int = 0
    generation: int = 0

    def days(self) -> list[dt.date]:
        """The UTC days the window touches, oldest first."""
        first = dt.date(1970, 1, 1) + dt.timedelta(days=self.start // DAY_SECONDS)
        last = dt.date(1970, 1, 1) + dt.timedelta(days=(self.end - 1) // DAY_SECONDS)
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class CodexSimulator(SimulatorBase):
    """State and handlers of one Codex simulator app."""

    request_id_header = "x-request-id"
    http_messages = {404: "Not found.", 405: "Method not allowed."}

    def __init__(self, config: CodexConfig):
        if config.cursor_style not in ("next_page", "next_cursor"):
            raise ValueError("cursor_style must be next_page or next_cursor")
        super().__init__(faults=config.faults, request_log_size=config.request_log_size)
        self.config = config
        self.users = make_users([*config.roster, *config.unknown_emails], seed=config.seed,
                                hidden_emails=config.hidden_emails)
        self.usage = CodexUsage(seed=config.seed, users=self.users, every_day=config.every_day)
        self.rows = DayRecords(self.usage, config.now)
        self.limits = RateLimits({"rate_limit": config.rate_limit},
                                 **({"clock": config.clock} if config.clock else {}))
        for revision in config.revisions:
            self.add_revision(revision)

    # -- errors ---------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str, *, retry_after: float | None = None,
                       param: str | None = None, code: str | None = None) -> Response:
        kind, default_code = _CODES.get(status, ("server_error", None) if status >= 500 else ("invalid_request_error",
                                                                                              None))
        headers = {"retry-after": f"{math.ceil(retry_after)}"} if retry_after is not None else None
        body = {"error": {"message": message, "type": kind, "param": param, "code": code or default_code}}
        return JSONResponse(body, status_code=status, headers=headers)

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status or 500
        return self.error_response(status, MESSAGES.get(status, f"Simulated HTTP {status}."),
                                   retry_after=fault.retry_after)

    # -- serving --------------------------------------------------------------------------------------

    async def usage_route(self, request: Request) -> Response:
        key = _bearer(request.headers.get("authorization"))
        auth = key_verdict(key, KEY_PATTERN, self.config.accepted_keys, revoked="revoked", no_permission="noscope")
        entry = self.log_request(request, auth=auth)
        token = request.query_params.get("page") or request.query_params.get("cursor")
        fault = self.take_fault(request.url.path, report=True, continued=bool(token))

        def answer() -> Response:
            if auth == "no_permission":
                return self.error_response(403, MESSAGES[403])
            if auth != "valid":
                return self.error_response(401, MESSAGES[401])
            if not self.limits.take(key or "", "rate_limit"):
                return self.error_response(429, MESSAGES[429], retry_after=60 / (self.config.rate_limit or 60))
            workspace = request.path_params["workspace_id"]
            if self.config.workspace_id is not None and workspace != self.config.workspace_id:
                return self.error_response(404, f"Workspace '{workspace[:64]}' not found.", param="workspace_id")
            try:
                return self._usage(self._query(request), fault)
            except BadRequest as error:
                return self.error_response(400, str(error), param=error.param, code=error.code)

        return await self.serve(entry, fault, answer)

    def _query(self, request: Request) -> _Query:
        params = request.query_params
        if params.get("group") is not None:
            raise BadRequest("group=workspace is not simulated: omit `group` for per-user rows.", "group")
        if params.get("group_by", "day") != "day":
            raise BadRequest("Only group_by=day is simulated (the API also has week).", "group_by")
        start = _integer(params.get("start_time"), "start_time")
        if start is None:
            raise BadRequest("Missing required parameter: 'start_time'.", "start_time", "missing_required_parameter")
        now = self.config.now()
        given_end = _integer(params.get("end_time"), "end_time")
        end = int(now.timestamp()) if given_end is None else given_end
        if end <= start:
            raise BadRequest("end_time must be after start_time.", "end_time")
        earliest = now - dt.timedelta(days=self.config.lookback_days)
        if start < int(earliest.timestamp()):
            raise BadRequest(f"start_time is too far in the past: requests can look back up to "
                             f"{self.config.lookback_days} days.", "start_time")
        if end - start > MAX_WINDOW_DAYS * DAY_SECONDS:
            raise BadRequest(f"The window between start_time and end_time can be at most {MAX_WINDOW_DAYS} days.",
                             "end_time")
        limit = _integer(params.get("limit"), "limit")
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}.", "limit")
        limit = min(limit or DEFAULT_LIMIT, self.config.page_size or MAX_LIMIT)
        token = params.get("page") or params.get("cursor")
        if token is None:
            return _Query(start, end, limit)
        decoded = _decode_token(token)
        if decoded is None or decoded[:2] != (start, end):
            raise BadRequest("Invalid page token: pass the previous answer's token with the same window.",
                             "page" if "page" in params else "cursor")
        return _Query(start, end, limit, decoded[2], decoded[3])

    def _usage(self, query: _Query, fault: Fault | None) -> Response:
        mode = fault.mode if fault is not None else None
        rows = self._rows(query)
        if mode == "grow" and 0 < query.offset <= len(rows):
            neighbour = rows[query.offset - 1]
            day = dt.date(1970, 1, 1) + dt.timedelta(days=neighbour["start_time"] // DAY_SECONDS)
            truth = self.rows.truth(day)
            index = next((n for n, row in enumerate(truth) if row is neighbour), None)
            if index is None:  # a late row served partial: the user's last row
                index = max(n for n, row in enumerate(truth) if row["user_id"] == neighbour["user_id"])
            self.rows.grow(day, index + 1)
            rows = self._rows(query)
        chunk, end = window(rows, offset=query.offset, limit=query.limit + (mode == "dup"), mode=mode)
        more = end < len(rows) or mode == "endless"
        token = _encode_token(query.start, query.end, end, query.generation + (end >= len(rows))) if more else None
        if fault is not None and fault.mode == "malformed":
            if fault.variant == "json":
                return Response('{"object": "page", "data": [{"start_time": 17', media_type="application/json")
            if fault.variant == "shape":
                return Response('{"object": "page", "data": {"unexpected": true}, "has_more": "maybe"}',
                                media_type="application/json")
            chunk = [{k: v for k, v in row.items() if k != "totals"} if n == 0 else row for n, row in enumerate(chunk)]
        answer: dict[str, Any] = {"object": "page", "data": chunk, "has_more": more}
        answer["next_cursor" if self.config.cursor_style == "next_cursor" else "next_page"] = token
        return Response(encode(answer), media_type="application/json")

    def _rows(self, query: _Query) -> list[dict[str, Any]]:
        return [row for day in query.days() for row in self.served(day)]

    def served(self, day: dt.date) -> list[dict[str, Any]]:
        """The day's rows as the API serves them now (late rows absent or partial)."""
        now = self.config.now()
        rows = (self.usage.as_of(row, day, now) for row in self.rows.truth(day))
        return [row for row in rows if row is not None]

    # -- controls -------------------------------------------------------------------------------------

    def add_revision(self, revision: Revision) -> Revision:
        return self.rows.add_revision(revision)

    @property
    def revisions(self) -> list[Revision]:
        return self.rows.revisions

    def truth_response(self, day: dt.date) -> Response:
        rows = self.served(day)
        ended = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return Response(encode({
            "date": day.isoformat(), "available": self.config.now() >= ended, "day_start": day_start(day),
            "revisions": [revision.id for revision in self.revisions if revision.date == day],
            "grown": self.rows.grown(day), "rows": rows,
        }), media_type="application/json")

    def clear(self) -> None:
        self.rows.clear()
        self.limits.set({"rate_limit": self.config.rate_limit})


def _bearer(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


def _integer(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,12}", value):
        raise BadRequest(f"Invalid '{name}': expected a non-negative integer.", name)
    return int(value)


def _encode_token(start: int, end: int, offset: int, generation: int) -> str:
    raw = f"{start}|{end}|{offset}|{generation}"
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, int, int, int] | None:
    if not token.startswith(_TOKEN_PREFIX) or len(token) > 200:
        return None
    body = token[len(_TOKEN_PREFIX):]
    try:
        parts = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if len(parts) != 4 or not all(part.isdigit() for part in parts):
        return None
    start, end, offset, generation = (int(part) for part in parts)
    return start, end, offset, generation


def create_codex_app(config: CodexConfig | None = None) -> Starlette:
    """The Codex simulator as an ASGI app; `app.state.simulator` is its `CodexSimulator`."""
    simulator = CodexSimulator(config or CodexConfig())
    return simulator.app([
        Route(USAGE_PATH, simulator.usage_route, methods=["GET"]),
        *simulator.limits.control_routes(),
    ])
