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

This module is the routing and the request handling (keys, faults picked per request, the envelope,
the controls); what a day serves and its cursors are `records.py`, what a fault does to an answer
`fault_effects.py`.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.data import (
    DEFAULT_API_KEY_NAMES,
    DEFAULT_ROSTER,
    DEFAULT_UNKNOWN_EMAILS,
    UsageGenerator,
)
from orgonaut.simulator.fault_effects import delivered, malformed_organization, malformed_page, malformed_records
from orgonaut.simulator.faults import Fault, FaultError, fault_from_json
from orgonaut.simulator.records import DayRecords, decode_cursor
from orgonaut.simulator.revisions import Revision, parse_day, revision_from_json

ORGANIZATION_PATH = "/v1/organizations/me"
USAGE_REPORT_PATH = "/v1/organizations/usage_report/claude_code"
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
KEY_PATTERN = re.compile(r"sk-ant-admin01-[A-Za-z0-9_-]+")
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
    405: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
    529: "overloaded_error",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    # At most this many records a page, whatever `limit` asks: a vendor whose pages run shorter than
    # asked (the contract suite pages a client through a day this way). None: `limit` records.
    page_size: int | None = None
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
        self.records = DayRecords(self.usage, config.now)
        self._sequence = 0
        for revision in config.revisions:
            self.records.add_revision(revision)

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
        return delivered(response, fault)

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
            return malformed_organization(fault.variant)
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
        limit = min(int(raw_limit), self.config.page_size or MAX_LIMIT)
        records = self.records.available(day)
        offset, generation = 0, 0
        if "page" in params:
            decoded = decode_cursor(params["page"], day)
            if decoded is None or decoded[0] > len(records):
                return error_response(400, "page: invalid page cursor")
            offset, generation = decoded
        mode = fault.mode if fault is not None else None
        chunk, next_page = self.records.page(day, records, offset=offset, generation=generation, limit=limit,
                                             mode=mode)
        malformed = fault if mode == "malformed" else None
        if malformed is not None:
            broken = malformed_records(chunk, malformed.variant)
            if broken is None:
                return malformed_page(malformed.variant)
            chunk = broken
        body = (f'{{"data":[{",".join(chunk)}],"has_more":{"true" if next_page else "false"},'
                f'"next_page":{json.dumps(next_page)}}}')
        return Response(body, media_type="application/json")

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
        return JSONResponse({"revision": self.records.add_revision(revision).to_json()})

    async def list_revisions(self, request: Request) -> Response:
        return JSONResponse({"revisions": [revision.to_json() for revision in self.records.revisions]})

    async def truth(self, request: Request) -> Response:
        try:
            day = parse_day(request.query_params.get("date"))
        except FaultError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        available = self.records.is_available(day)
        records = self.records.truth(day) if available else []
        grown = self.records.grown(day) if available else []
        header = {"date": day.isoformat(), "available": available, "records": len(records), "grown": grown,
                  "revisions": [revision.id for revision in self.records.revisions if revision.date == day]}
        head = json.dumps(header, separators=(",", ":"))[:-1]
        return Response(f'{head},"data":[{",".join(records)}]}}', media_type="application/json")

    async def reset(self, request: Request) -> Response:
        self.faults = []
        self.requests.clear()
        self.records.clear()
        return JSONResponse({"status": "reset"})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


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
