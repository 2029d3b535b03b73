"""The Anthropic Admin API simulator: the documented Claude Code report on loopback, with faults.

API (as documented, see ../shared/provider-apis.md):
  GET /v1/organizations/me
  GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD[&limit=1..1000][&page=cursor]
  GET /v1/organizations/cost_report?starting_at=RFC3339[&ending_at=RFC3339][&bucket_width=1d][&limit=1..31]
      [&page=cursor]: daily buckets of the organisation's cost, `amount` in cents as a decimal string; each
      available day holds a "Claude Code" line (the day's report, every actor, summed exactly) and a
      "Messages API" line (other API usage, from a hash of the seed and day: what no per-person report has)
Errors use the documented envelope `{"type": "error", "error": {"type": ..., "message": ...}}`, and
every API answer carries a `request-id` header.

Keys: `x-api-key` must look like `sk-ant-admin01-<letters, digits, - or _>`; any such key is valid
unless the simulator was given a list of accepted keys. A key containing `-revoked` answers 401 and
one containing `-noperm` answers 403: the real API has no such rule, it is how tests and the demo
reach those errors. `anthropic-version` is required, as on the real API.

Test and demo controls (not part of the real API, never faulted): those of every simulator
(base.py): faults ({"mode": "status", "status": 429, "retry_after": 1, "count": 2}, {"status": 401},
{"mode": "malformed", "variant": "json"}, {"mode": "slow", "delay": 5}, {"status": 429, "rate": 0.7,
"seed": 3}, {"mode": "reset", "after_bytes": 100}, {"mode": "drip", "bytes_per_second": 500},
{"mode": "endless"}, {"mode": "dup"}, {"mode": "grow"}, ...; see faults.py), revisions ({"date":
"YYYY-MM-DD", "action": "drop" | "change" | "move", "email": ..., "factor": 1.5 (change), "to_email":
... (move)}; see revisions.py), the request log, reset and health. Here `GET /_sim/truth?date=` is the
day's whole report as a fault-free paging would see it now (after revisions and growth): {"date",
"available", "records", "grown", "revisions", "data"}; `grown` lists the indexes in `data` of records
a grow fault added.

This module is the routing and the request handling (keys, faults picked per request, the envelope,
the controls); what a day serves and its cursors are `records.py`, what a fault does to an answer
`fault_effects.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Sequence
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import SimulatorBase, key_verdict
from orgonaut.simulator.data import (
    DEFAULT_API_KEY_NAMES,
    DEFAULT_ROSTER,
    DEFAULT_UNKNOWN_EMAILS,
    UsageGenerator,
    hash64,
)
from orgonaut.simulator.fault_effects import malformed_organization, malformed_page, malformed_records
from orgonaut.simulator.faults import Fault
from orgonaut.simulator.records import DayRecords, decode_cursor
from orgonaut.simulator.revisions import Revision

ORGANIZATION_PATH = "/v1/organizations/me"
USAGE_REPORT_PATH = "/v1/organizations/usage_report/claude_code"
COST_REPORT_PATH = "/v1/organizations/cost_report"
COST_DEFAULT_LIMIT, COST_MAX_LIMIT = 7, 31
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


class Simulator(SimulatorBase):
    """State and handlers of one simulator app."""

    def __init__(self, config: SimulatorConfig):
        super().__init__(faults=config.faults, request_log_size=config.request_log_size)
        self.config = config
        self.usage = UsageGenerator(
            seed=config.seed, roster=config.roster, unknown_emails=config.unknown_emails,
            api_key_names=config.api_key_names, every_day=config.every_day, date_style=config.date_style,
        )
        self.records = DayRecords(self.usage, config.now)
        for revision in config.revisions:
            self.records.add_revision(revision)

    # -- the API ----------------------------------------------------------------------------------

    async def organization(self, request: Request) -> Response:
        return await self._api(request, self._organization)

    async def usage_report(self, request: Request) -> Response:
        return await self._api(request, self._usage_report)

    async def cost_report(self, request: Request) -> Response:
        return await self._api(request, self._cost_report)

    def error_response(self, status: int, message: str, *, retry_after: float | None = None) -> Response:
        return error_response(status, message, retry_after=retry_after)

    async def _api(self, request: Request, handler: Callable[[Request, Fault | None], Response]) -> Response:
        auth = key_verdict(request.headers.get("x-api-key"), KEY_PATTERN, self.config.accepted_keys,
                           revoked="-revoked", no_permission="-noperm")
        entry = self.log_request(request, auth=auth, anthropic_version=request.headers.get("anthropic-version"))
        report = request.url.path == USAGE_REPORT_PATH
        fault = self.take_fault(request.url.path, report=report, continued=report and "page" in request.query_params)
        return await self.serve(entry, fault, lambda: self._refusal(auth, request) or handler(request, fault))

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

    def _cost_report(self, request: Request, fault: Fault | None) -> Response:
        if fault is not None and fault.mode == "malformed":
            return malformed_page(fault.variant)
        params = request.query_params
        start = _moment(params.get("starting_at"))
        if start is None:
            return error_response(400, "starting_at: required, an RFC 3339 timestamp at midnight UTC")
        end = _moment(params.get("ending_at")) if "ending_at" in params else start + dt.timedelta(days=COST_MAX_LIMIT)
        if end is None or end <= start:
            return error_response(400, "ending_at: must be an RFC 3339 timestamp after starting_at")
        if params.get("bucket_width", "1d") != "1d":
            return error_response(400, "bucket_width: only 1d is supported")
        raw_limit = params.get("limit", str(COST_DEFAULT_LIMIT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= COST_MAX_LIMIT:
            return error_response(400, f"limit: must be an integer between 1 and {COST_MAX_LIMIT}")
        first: dt.date | None = start
        if "page" in params:
            first = _moment(params["page"].removeprefix("page_"))
        if first is None or not start <= first < end:
            return error_response(400, "page: invalid page cursor")
        days = [first + dt.timedelta(days=n) for n in range(min(int(raw_limit), (end - first).days))]
        following = first + dt.timedelta(days=len(days))
        buckets = [{"starting_at": f"{day.isoformat()}T00:00:00Z",
                    "ending_at": f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z",
                    "results": self._cost_lines(day)} for day in days]
        more = following < end
        return JSONResponse({"data": buckets, "has_more": more,
                             "next_page": f"page_{following.isoformat()}T00:00:00Z" if more else None})

    def _cost_lines(self, day: dt.date) -> list[dict[str, object]]:
        if not self.records.is_available(day):
            return []
        claude_code = Decimal(0)
        for record in self.records.truth(day):
            for model in json.loads(record, parse_float=Decimal)["model_breakdown"]:
                claude_code += Decimal(str(model["estimated_cost"]["amount"]))
        other = Decimal(hash64(f"{self.config.seed}|messages|{day}") % 500_000) / 100  # up to $50 a day
        return [_cost_line(claude_code, "Claude Code"), _cost_line(other, "Messages API")]

    # -- controls (base.py) ----------------------------------------------------------------------

    def add_revision(self, revision: Revision) -> Revision:
        return self.records.add_revision(revision)

    @property
    def revisions(self) -> list[Revision]:
        return self.records.revisions

    def truth_response(self, day: dt.date) -> Response:
        available = self.records.is_available(day)
        records = self.records.truth(day) if available else []
        grown = self.records.grown(day) if available else []
        header = {"date": day.isoformat(), "available": available, "records": len(records), "grown": grown,
                  "revisions": [revision.id for revision in self.records.revisions if revision.date == day]}
        head = json.dumps(header, separators=(",", ":"))[:-1]
        return Response(f'{head},"data":[{",".join(records)}]}}', media_type="application/json")

    def clear(self) -> None:
        self.records.clear()


def _moment(value: str | None) -> dt.date | None:
    """An RFC 3339 timestamp at midnight UTC ("2026-11-01T00:00:00Z") as its date."""
    if value is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00(\.0+)?Z", value):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _cost_line(cents: Decimal, description: str) -> dict[str, object]:
    return {"amount": format(cents.normalize(), "f") if cents else "0", "currency": "USD", "cost_type": "tokens",
            "description": description, "model": None, "service_tier": "standard", "token_type": None,
            "context_window": None, "workspace_id": None, "inference_geo": None}


def create_app(config: SimulatorConfig | None = None) -> Starlette:
    """The simulator as an ASGI app; `app.state.simulator` is its `Simulator`."""
    simulator = Simulator(config or SimulatorConfig())
    return simulator.app([Route(ORGANIZATION_PATH, simulator.organization, methods=["GET"]),
                          Route(USAGE_REPORT_PATH, simulator.usage_report, methods=["GET"]),
                          Route(COST_REPORT_PATH, simulator.cost_report, methods=["GET"])])
