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
                       "delay": 5}, ...), {"faults": [...]} for a queue, or {"mode": "clear"}
  GET  /_sim/faults    the faults still pending
  GET  /_sim/requests  the API requests received: path, query, auth verdict, status, fault (never a key)
  POST /_sim/reset     no faults, empty request log
  GET  /_sim/health    {"status": "ok"}
"""

from __future__ import annotations

import asyncio
import base64
import binascii
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
from orgonaut.simulator.faults import Fault, FaultError, fault_from_json

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
        self._sequence = 0

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
        fault = self._take_fault(request.url.path)
        entry["fault"] = fault.label if fault else None
        if fault is not None and fault.mode == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.mode == "status":
            response: Response = error_response(fault.status or 500, f"Simulated HTTP {fault.status}.",
                                                retry_after=fault.retry_after)
        else:
            response = self._refusal(auth, request) or handler(
                request, fault if fault is not None and fault.mode == "malformed" else None
            )
        response.headers["request-id"] = request_id
        entry["status"] = response.status_code
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

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if not fault.matches(path):
                continue
            if fault.after > 0:
                fault.after -= 1
                return None
            if fault.count is not None:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def _organization(self, request: Request, malformed: Fault | None) -> Response:
        if malformed is not None:
            return _malformed_organization(malformed.variant)
        return JSONResponse({"id": self.usage.organization_id, "type": "organization",
                             "name": self.config.organization_name})

    def _usage_report(self, request: Request, malformed: Fault | None) -> Response:
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
        offset = 0
        if "page" in params:
            offset = _decode_cursor(params["page"], day)
            if offset is None or offset > len(records):
                return error_response(400, "page: invalid page cursor")
        chunk = records[offset:offset + limit]
        end = offset + len(chunk)
        next_page = _encode_cursor(day, end) if end < len(records) else None
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
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if self.config.now() < day_end + FRESHNESS:
            return []
        return self.usage.records(day)

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

    async def reset(self, request: Request) -> Response:
        self.faults = []
        self.requests.clear()
        return JSONResponse({"status": "reset"})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def _encode_cursor(day: dt.date, offset: int) -> str:
    raw = f"{day.isoformat()}|{offset}".encode()
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, day: dt.date) -> int | None:
    """The offset a cursor points at, or None when it is not one of ours for this day."""
    if not cursor.startswith(_CURSOR_PREFIX) or len(cursor) > 100:
        return None
    token = cursor[len(_CURSOR_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    cursor_day, _, offset = raw.partition("|")
    if cursor_day != day.isoformat() or not offset.isdigit():
        return None
    return int(offset)


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
            Route("/_sim/reset", simulator.reset, methods=["POST"]),
            Route("/_sim/health", simulator.health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.simulator = simulator
    return app
