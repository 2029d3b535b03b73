"""The Anthropic Admin API simulator: the documented Claude Code report on loopback, with faults.

API (as documented, see ../shared/provider-apis.md):
  GET /v1/organizations/me
  GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD[&limit=1..1000][&page=cursor]
Errors use the documented envelope `{"type": "error", "error": {"type": ..., "message": ...}}`, and
every API answer carries a `request-id` header.

Keys: `x-api-key` must look like `sk-ant-admin01-<letters, digits, - or _>`; any such key is valid
unless the simulator was given a list of accepted keys. A key containing `-revoked` answers 401 and
one containing `-noperm` answers 403: the real API has no such rule, it is how tests and the demo
reach those errors. `anthropic-version` is required, as on the real API.

Test and demo controls (not part of the real API, never faulted):
  POST /_sim/faults    a fault object ({"mode": "status", "status": 429, "retry_after": 1, "count": 2},
                       {"status": 401}, {"mode": "malformed", "variant": "json"}, {"mode": "slow",
                       "delay": 5}, {"status": 429, "rate": 0.7, "seed": 3}, {"mode": "reset",
                       "after_bytes": 100}, {"mode": "drip", "bytes_per_second": 500}, {"mode":
                       "endless"}, {"mode": "dup"}, {"mode": "grow"}, ...; see faults.py), {"faults":
                       [...]} for a queue, or {"mode": "clear"}
  GET  /_sim/faults    the faults still pending
  POST /_sim/revise    change a day from now on: {"date": "YYYY-MM-DD", "action": "drop" | "change" |
                       "move", "email": ..., "factor": 1.5 (change), "to_email": ... (move)}; see
                       revisions.py
  GET  /_sim/revisions the revisions made, in order, each with the number of records it touched
  GET  /_sim/truth?date=YYYY-MM-DD
                       the day's whole report as a fault-free paging would see it now (after
                       revisions and growth): {"date", "available", "records", "grown", "revisions",
                       "data"}; `grown` lists the indexes in `data` of records a grow fault added
  GET  /_sim/requests  the API requests received: path, query, auth verdict, status, fault (never a key)
  POST /_sim/reset     no faults, revisions or growth, empty request log
  GET  /_sim/health    {"status": "ok"}

A day's truth is its generated records, with the records grow faults added inserted where they
were added, then the day's revisions applied in order. Paging serves exactly that list (cursors are
offsets into it) unless a fault says otherwise.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import dataclasses
import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from orgonaut.simulator.data import (
    DEFAULT_API_KEY_NAMES,
    DEFAULT_ROSTER,
    DEFAULT_UNKNOWN_EMAILS,
    UsageGenerator,
)
from orgonaut.simulator.faults import Fault, FaultError, fault_from_json
from orgonaut.simulator.revisions import Revision, parse_day, revision_from_json

ORGANIZATION_PATH = "/v1/organizations/me"
USAGE_REPORT_PATH = "/v1/organizations/usage_report/claude_code"
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
FRESHNESS = dt.timedelta(hours=1)  # the API returns only data older than an hour
KEY_PATTERN = re.compile(r"sk-ant-admin01-[A-Za-z0-9_-]+")
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    405: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
    529: "overloaded_error",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURSOR_PREFIX = "sim1_"
_CORE_METRICS = re.compile(r'"core_metrics":\{[^{}]*\{[^{}]*\}[^{}]*\},')


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class SimulatorConfig:
    seed: int = 0
    roster: Sequence[str] = DEFAULT_ROSTER
    unknown_emails: Sequence[str] = DEFAULT_UNKNOWN_EMAILS
    api_key_names: Sequence[str] = DEFAULT_API_KEY_NAMES
    organization_name: str = "Orgonaut Demo (simulated)"
    accepted_keys: Collection[str] | None = None  # None: every well-formed key
    faults: Sequence[Fault] = ()
    revisions: Sequence[Revision] = ()  # made before the first request, in order
    every_day: bool = False  # everyone active every day (the bench), instead of the weekday rhythm
    date_style: str = "rfc3339"  # the record's `date`: rfc3339 (2025-08-08T00:00:00Z) or date (2025-08-08)
    now: Callable[[], dt.datetime] = _wall_clock
    request_log_size: int = 10_000


def error_response(status: int, message: str, *, retry_after: float | None = None) -> JSONResponse:
    """The documented error envelope."""
    body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error" if status >= 500
                                                                   else "invalid_request_error"),
                                       "message": message}}
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


@dataclasses.dataclass(slots=True)
class _DayView:
    """A day's truth: `records` as served; `rows` the generated and grown records before revisions,
    `sources[i]` the index in `rows` of `records[i]`, `grown` the indexes in `records` of grown ones."""

    records: list[str]
    rows: list[str]
    sources: list[int]
    grown: list[int]


class Simulator:
    """State and handlers of one simulator app."""

    def __init__(self, config: SimulatorConfig):
        self.config = config
        self.usage = UsageGenerator(
            seed=config.seed, roster=config.roster, unknown_emails=config.unknown_emails,
            api_key_names=config.api_key_names, every_day=config.every_day, date_style=config.date_style,
        )
        self.faults: list[Fault] = [dataclasses.replace(fault) for fault in config.faults]
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=config.request_log_size)
        self.revisions: list[Revision] = []
        self._growth: dict[dt.date, list[tuple[int, str]]] = {}  # (index in the rows, record), in order
        self._views: dict[dt.date, _DayView] = {}  # days with revisions or growth
        self._sequence = 0
        for revision in config.revisions:
            self.add_revision(revision)

    # -- the API ----------------------------------------------------------------------------------

    async def organization(self, request: Request) -> Response:
        return await self._api(request, self._organization)

    async def usage_report(self, request: Request) -> Response:
        return await self._api(request, self._usage_report)

    def next_request_id(self) -> str:
        self._sequence += 1
        return f"req_sim_{self._sequence:010d}"

    async def _api(self, request: Request, handler: Callable[[Request, Fault | None], Response]) -> Response:
        request_id = self.next_request_id()
        auth = self._auth_verdict(request.headers.get("x-api-key"))
        entry: dict[str, Any] = {
            "request_id": request_id, "method": request.method, "path": request.url.path,
            "query": dict(request.query_params), "auth": auth,
            "anthropic_version": request.headers.get("anthropic-version"),
            "user_agent": request.headers.get("user-agent"), "fault": None, "status": None,
        }
        self.requests.append(entry)
        report = request.url.path == USAGE_REPORT_PATH
        fault = self._take_fault(request.url.path, report=report, continued=report and "page" in request.query_params)
        entry["fault"] = fault.label if fault else None
        if fault is not None and fault.mode == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.mode == "status":
            response: Response = error_response(fault.status or 500, f"Simulated HTTP {fault.status}.",
                                                retry_after=fault.retry_after)
        else:
            response = self._refusal(auth, request) or handler(request, fault)
        response.headers["request-id"] = request_id
        entry["status"] = response.status_code
        if fault is not None and fault.mode == "reset":
            return _CutShort(response, fault.after_bytes)
        if fault is not None and fault.mode == "drip":
            return _dripped(response, fault.bytes_per_second or 1.0, fault.chunk_bytes or 1)
        return response

    def _auth_verdict(self, key: str | None) -> str:
        if not key:
            return "missing"
        if not KEY_PATTERN.fullmatch(key):
            return "malformed"
        if "-revoked" in key:
            return "revoked"
        if "-noperm" in key:
            return "no_permission"
        if self.config.accepted_keys is not None and key not in self.config.accepted_keys:
            return "unknown"
        return "valid"

    @staticmethod
    def _refusal(auth: str, request: Request) -> Response | None:
        if auth == "missing":
            return error_response(401, "x-api-key header is required")
        if auth in ("malformed", "revoked", "unknown"):
            return error_response(401, "invalid x-api-key")
        if auth == "no_permission":
            return error_response(403, "This API key does not have permission to read organization usage reports.")
        if not request.headers.get("anthropic-version"):
            return error_response(400, "anthropic-version: header is required")
        return None

    def _take_fault(self, path: str, *, report: bool = False, continued: bool = False) -> Fault | None:
        for fault in list(self.faults):
            if not fault.matches(path, report=report, continued=continued):
                continue
            if fault.after > 0:
                fault.after -= 1
                return None
            if not fault.picks():
                continue  # a rate fault that did not pick this request: the next fault may
            if fault.count is not None:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def _organization(self, request: Request, fault: Fault | None) -> Response:
        if fault is not None and fault.mode == "malformed":
            return _malformed_organization(fault.variant)
        return JSONResponse({"id": self.usage.organization_id, "type": "organization",
                             "name": self.config.organization_name})

    def _usage_report(self, request: Request, fault: Fault | None) -> Response:
        params = request.query_params
        starting_at = params.get("starting_at")
        if starting_at is None:
            return error_response(400, "starting_at: field required")
        if not _DATE.fullmatch(starting_at):
            return error_response(400, "starting_at: must be a UTC date in YYYY-MM-DD format")
        try:
            day = dt.date.fromisoformat(starting_at)
        except ValueError:
            return error_response(400, "starting_at: not a valid date")
        raw_limit = params.get("limit", str(DEFAULT_LIMIT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            return error_response(400, f"limit: must be an integer between 1 and {MAX_LIMIT}")
        limit = int(raw_limit)
        records = self._available_records(day)
        offset, generation = 0, 0
        if "page" in params:
            decoded = _decode_cursor(params["page"], day)
            if decoded is None or decoded[0] > len(records):
                return error_response(400, "page: invalid page cursor")
            offset, generation = decoded
        mode = fault.mode if fault is not None else None
        start, size = offset, limit
        if mode == "grow" and offset > 0:
            self._grow(day, offset)
            records = self._available_records(day)
        elif mode == "dup" and offset > 0:
            start, size = offset - 1, max(limit, 2)  # the previous page's last record first
        chunk = records[start:start + size]
        end = start + len(chunk)
        if end < len(records):
            next_page: str | None = _encode_cursor(day, end)
        elif mode == "endless":
            next_page = _encode_cursor(day, end, generation + 1)  # past the end: empty pages, fresh cursors
        else:
            next_page = None
        malformed = fault if mode == "malformed" else None
        if malformed is not None:
            chunk = _malformed_records(chunk, malformed.variant)
            if chunk is None:
                return _malformed_page(malformed.variant)
        body = (f'{{"data":[{",".join(chunk)}],"has_more":{"true" if next_page else "false"},'
                f'"next_page":{json.dumps(next_page)}}}')
        return Response(body, media_type="application/json")

    def _available_records(self, day: dt.date) -> list[str]:
        """Nothing for today or the future: only data older than an hour, so a day appears once it has
        been over for an hour."""
        return self._truth(day) if self._is_available(day) else []

    def _is_available(self, day: dt.date) -> bool:
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return self.config.now() >= day_end + FRESHNESS

    def _truth(self, day: dt.date) -> list[str]:
        """The day's records after growth and revisions, whatever the clock says."""
        if day not in self._growth and not any(revision.date == day for revision in self.revisions):
            return self.usage.records(day)
        return self._view(day).records

    def _view(self, day: dt.date) -> _DayView:
        view = self._views.get(day)
        if view is None:
            view = self._views[day] = self._build_view(day)
        return view

    def _build_view(self, day: dt.date) -> _DayView:
        rows = list(self.usage.records(day))
        added = [False] * len(rows)
        for index, record in self._growth.get(day, ()):
            rows.insert(index, record)
            added.insert(index, True)
        revisions = [revision for revision in self.revisions if revision.date == day]
        view = _DayView([], rows, [], [])
        for index, row in enumerate(rows):
            record: str | None = row
            for revision in revisions:
                record = revision.apply(record)
                if record is None:
                    break
            if record is None:
                continue
            if added[index]:
                view.grown.append(len(view.records))
            view.records.append(record)
            view.sources.append(index)
        return view

    def _grow(self, day: dt.date, offset: int) -> None:
        """A new record joins the day just before `offset` (1 <= offset <= the day's length): a new
        row for the actor of the record served at `offset - 1`, which therefore survives the day's
        revisions too and lands at `offset - 1`, pushing that record to `offset`."""
        view = self._view(day)
        index = view.sources[offset - 1]
        growth = self._growth.setdefault(day, [])
        growth.append((index, self.usage.grown_record(day, view.rows[index], len(growth))))
        self._views.pop(day, None)

    # -- controls ---------------------------------------------------------------------------------

    async def set_faults(self, request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        try:
            if isinstance(data, dict) and data.get("mode") == "clear":
                faults: list[Fault] = []
            elif isinstance(data, dict) and "faults" in data and isinstance(data["faults"], list):
                faults = [fault_from_json(item) for item in data["faults"]]
            else:
                faults = [fault_from_json(data)]
        except (FaultError, TypeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        self.faults = faults
        return JSONResponse({"faults": [fault.to_json() for fault in self.faults]})

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"faults": [fault.to_json() for fault in self.faults]})

    async def list_requests(self, request: Request) -> Response:
        return JSONResponse({"requests": list(self.requests)})

    async def revise(self, request: Request) -> Response:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        try:
            revision = revision_from_json(data)
        except FaultError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"revision": self.add_revision(revision).to_json()})

    def add_revision(self, revision: Revision) -> Revision:
        """Records the revision (numbered, with the count of the day's records it touches now)."""
        touched = sum(1 for record in self._truth(revision.date) if revision.touches(record))
        revision = dataclasses.replace(revision, id=len(self.revisions) + 1, records=touched)
        self.revisions.append(revision)
        self._views.pop(revision.date, None)
        return revision

    async def list_revisions(self, request: Request) -> Response:
        return JSONResponse({"revisions": [revision.to_json() for revision in self.revisions]})

    async def truth(self, request: Request) -> Response:
        try:
            day = parse_day(request.query_params.get("date"))
        except FaultError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        available = self._is_available(day)
        records = self._truth(day) if available else []
        grown = self._view(day).grown if available and day in self._growth else []
        header = {"date": day.isoformat(), "available": available, "records": len(records), "grown": grown,
                  "revisions": [revision.id for revision in self.revisions if revision.date == day]}
        head = json.dumps(header, separators=(",", ":"))[:-1]
        return Response(f'{head},"data":[{",".join(records)}]}}', media_type="application/json")

    async def reset(self, request: Request) -> Response:
        self.faults = []
        self.requests.clear()
        self.revisions = []
        self._growth.clear()
        self._views.clear()
        return JSONResponse({"status": "reset"})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def _encode_cursor(day: dt.date, offset: int, generation: int = 0) -> str:
    """An opaque cursor for an offset into the day; `generation` (the endless fault's pages past the
    end) makes each of those cursors distinct."""
    raw = f"{day.isoformat()}|{offset}" + (f"|{generation}" if generation else "")
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, day: dt.date) -> tuple[int, int] | None:
    """The (offset, generation) a cursor points at, or None when it is not one of ours for this day."""
    if not cursor.startswith(_CURSOR_PREFIX) or len(cursor) > 100:
        return None
    token = cursor[len(_CURSOR_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    cursor_day, _, rest = raw.partition("|")
    offset, _, generation = rest.partition("|")
    if cursor_day != day.isoformat() or not offset.isdigit() or not (generation or "0").isdigit():
        return None
    return int(offset), int(generation or "0")


class _CutShort(Response):
    """A response whose connection is closed after `keep` bytes of its body (at most the body's
    length minus one): the headers announce the whole body, and the app returns without finishing
    it, so uvicorn closes the connection and the client sees the body end early (httpx:
    `RemoteProtocolError`, "peer closed connection without sending complete message body")."""

    def __init__(self, response: Response, keep: int):
        self.status_code = response.status_code
        self.raw_headers = response.raw_headers
        self.background = None
        self.body = bytes(response.body)[:max(0, min(keep, len(response.body) - 1))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self.body:
            await send({"type": "http.response.body", "body": self.body, "more_body": True})
        _quiet_cut.expect()


class _QuietCut(logging.Filter):
    """Drops uvicorn's "returned without completing response" error line once for each cut the
    simulator made on purpose; any other such line still shows."""

    MESSAGE = "ASGI callable returned without completing response."

    def __init__(self) -> None:
        super().__init__()
        self.pending = 0

    def expect(self) -> None:
        self.pending += 1
        logging.getLogger("uvicorn.error").addFilter(self)  # once: the same filter is not added twice

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pending and record.getMessage() == self.MESSAGE:
            self.pending -= 1
            return False
        return True


_quiet_cut = _QuietCut()


def _dripped(response: Response, bytes_per_second: float, chunk_bytes: int) -> Response:
    """The same response, its body sent `chunk_bytes` at a time at `bytes_per_second` (a pause
    before each chunk, so the whole body takes about its length / bytes_per_second)."""
    body = bytes(response.body)
    pause = chunk_bytes / bytes_per_second

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), chunk_bytes):
            await asyncio.sleep(pause)
            yield body[start:start + chunk_bytes]

    dripped = StreamingResponse(chunks(), status_code=response.status_code)
    dripped.raw_headers = list(response.raw_headers)  # with the whole body's content-length
    return dripped


def _malformed_records(records: list[str], variant: str) -> list[str] | None:
    """The page's records with the first one broken, or None when the whole page should be."""
    if variant not in ("record", "currency") or not records:
        return None
    if variant == "record":
        first = _CORE_METRICS.sub("", records[0], count=1)
    else:
        first = records[0].replace('"currency":"USD"', '"currency":"EUR"', 1)
    return [first, *records[1:]]


def _malformed_page(variant: str) -> Response:
    if variant == "json":
        return Response('{"data": [{"date": "2025-', media_type="application/json")
    return Response('{"data": {"unexpected": true}, "has_more": "maybe"}', media_type="application/json")


def _malformed_organization(variant: str) -> Response:
    if variant == "json":
        return Response('{"id": "org_', media_type="application/json")
    return Response('{"id": 42, "type": "organization"}', media_type="application/json")


async def _http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    message = "Not found" if status == 404 else "Method not allowed" if status == 405 else "Internal error"
    response = error_response(status, message)
    response.headers["request-id"] = request.app.state.simulator.next_request_id()
    return response


def create_app(config: SimulatorConfig | None = None) -> Starlette:
    """The simulator as an ASGI app; `app.state.simulator` is its `Simulator`."""
    simulator = Simulator(config or SimulatorConfig())
    app = Starlette(
        routes=[
            Route(ORGANIZATION_PATH, simulator.organization, methods=["GET"]),
            Route(USAGE_REPORT_PATH, simulator.usage_report, methods=["GET"]),
            Route("/_sim/faults", simulator.set_faults, methods=["POST"]),
            Route("/_sim/faults", simulator.list_faults, methods=["GET"]),
            Route("/_sim/requests", simulator.list_requests, methods=["GET"]),
            Route("/_sim/revise", simulator.revise, methods=["POST"]),
            Route("/_sim/revisions", simulator.list_revisions, methods=["GET"]),
            Route("/_sim/truth", simulator.truth, methods=["GET"]),
            Route("/_sim/reset", simulator.reset, methods=["POST"]),
            Route("/_sim/health", simulator.health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.simulator = simulator
    return app
