"""What every vendor simulator shares: the request log, the fault queue and how a fault is applied
to an answer, revisions, and the test and demo controls under `/_sim/` (never faulted).

Controls (the same for every simulator):
  POST /_sim/faults    a fault object (see faults.py), {"faults": [...]} for a queue, or {"mode": "clear"}
  GET  /_sim/faults    the faults still pending
  POST /_sim/revise    change a day from now on (see revisions.py)
  GET  /_sim/revisions the revisions made, in order, each with the number of records it touched
  GET  /_sim/truth?date=YYYY-MM-DD
                       the day as a fault-free reading would see it now (its shape is the vendor's)
  GET  /_sim/requests  the API requests received: path, query, auth verdict, status, fault (never a key)
  POST /_sim/reset     no faults, revisions or growth, empty request log (and the vendor's own state)
  GET  /_sim/health    {"status": "ok"}

A vendor's simulator subclasses `SimulatorBase`: it answers its API through `serve()` (which applies
the request's fault: `slow` waits, `status` answers the vendor's error body, `reset`/`drip` cut or
pace the body) and implements `error_response`, `add_revision`, `revisions` and `truth`.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.fault_effects import delivered
from orgonaut.simulator.faults import PAGING_MODES, Fault, FaultError, fault_from_json
from orgonaut.simulator.revisions import Revision, parse_day, revision_from_json

HTTP_MESSAGES = {404: "Not found", 405: "Method not allowed"}


class SimulatorBase:
    """The state and controls every vendor simulator has."""

    request_id_header: str | None = "request-id"

    def __init__(self, *, faults: Sequence[Fault] = (), request_log_size: int = 10_000):
        self.faults: list[Fault] = [dataclasses.replace(fault) for fault in faults]
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=request_log_size)
        self._sequence = 0

    # -- what a vendor's simulator provides ------------------------------------------------------

    def error_response(self, status: int, message: str, *, retry_after: float | None = None) -> Response:
        """The vendor's error body for `status`."""
        raise NotImplementedError

    def add_revision(self, revision: Revision) -> Revision:
        """Records the revision; returns it numbered, with the count of records it touched."""
        raise NotImplementedError

    @property
    def revisions(self) -> list[Revision]:
        raise NotImplementedError

    def truth_response(self, day: Any) -> Response:
        """`GET /_sim/truth` for a day."""
        raise NotImplementedError

    def fault_response(self, fault: Fault) -> Response:
        """What a `status` fault answers: the vendor's error body."""
        return self.error_response(fault.status or 500, f"Simulated HTTP {fault.status}.",
                                   retry_after=fault.retry_after)

    def clear(self) -> None:
        """The vendor's own state back to its start (revisions, growth, ...), for `/_sim/reset`."""

    # -- serving an API request ------------------------------------------------------------------

    def next_request_id(self) -> str:
        self._sequence += 1
        return f"req_sim_{self._sequence:010d}"

    def log_request(self, request: Request, **details: Any) -> dict[str, Any]:
        """A new entry in the request log (its `status` and `fault` filled in by `serve`)."""
        entry: dict[str, Any] = {
            "request_id": self.next_request_id(), "method": request.method, "path": request.url.path,
            "query": dict(request.query_params), **details,
            "user_agent": request.headers.get("user-agent"), "fault": None, "status": None,
        }
        self.requests.append(entry)
        return entry

    def take_fault(self, path: str, *, report: bool = False, continued: bool = False,
                   paging_modes: Sequence[str] = PAGING_MODES) -> Fault | None:
        """The fault for this request, if any: the first queued fault that matches it decides."""
        for fault in list(self.faults):
            if not fault.matches(path, report=report, continued=continued, paging_modes=paging_modes):
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

    async def serve(self, entry: dict[str, Any], fault: Fault | None, answer: Callable[[], Response]) -> Response:
        """The answer to a logged API request under its fault: `slow` waits first, `status` answers
        the vendor's error instead, `reset` and `drip` change how the body is sent."""
        entry["fault"] = fault.label if fault else None
        if fault is not None and fault.mode == "slow":
            await asyncio.sleep(fault.delay)
        response = self.fault_response(fault) if fault is not None and fault.mode == "status" else answer()
        if self.request_id_header:
            response.headers[self.request_id_header] = entry["request_id"]
        entry["status"] = response.status_code
        return delivered(response, fault)

    # -- controls ---------------------------------------------------------------------------------

    async def set_faults(self, request: Request) -> Response:
        data = await json_body(request)
        if data is NOT_JSON:
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
        data = await json_body(request)
        if data is NOT_JSON:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        try:
            revision = revision_from_json(data)
        except FaultError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"revision": self.add_revision(revision).to_json()})

    async def list_revisions(self, request: Request) -> Response:
        return JSONResponse({"revisions": [revision.to_json() for revision in self.revisions]})

    async def truth(self, request: Request) -> Response:
        try:
            day = parse_day(request.query_params.get("date"))
        except FaultError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return self.truth_response(day)

    async def reset(self, request: Request) -> Response:
        self.faults = []
        self.requests.clear()
        self.clear()
        return JSONResponse({"status": "reset"})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def app(self, api_routes: list[Route]) -> Starlette:
        """The ASGI app: the vendor's API routes, then the controls; `app.state.simulator` is this."""
        app = Starlette(routes=[*api_routes, *self.control_routes()], exception_handlers={HTTPException: http_error})
        app.state.simulator = self
        return app

    def control_routes(self) -> list[Route]:
        return [
            Route("/_sim/faults", self.set_faults, methods=["POST"]),
            Route("/_sim/faults", self.list_faults, methods=["GET"]),
            Route("/_sim/requests", self.list_requests, methods=["GET"]),
            Route("/_sim/revise", self.revise, methods=["POST"]),
            Route("/_sim/revisions", self.list_revisions, methods=["GET"]),
            Route("/_sim/truth", self.truth, methods=["GET"]),
            Route("/_sim/reset", self.reset, methods=["POST"]),
            Route("/_sim/health", self.health, methods=["GET"]),
        ]


NOT_JSON: Any = Ellipsis  # what json_body gives for a body that is not JSON


async def json_body(request: Request) -> Any:
    """The request's JSON body, or NOT_JSON."""
    try:
        return await request.json()
    except ValueError:
        return NOT_JSON


def key_verdict(key: str | None, pattern: re.Pattern[str], accepted: Collection[str] | None, *,
                revoked: str, no_permission: str) -> str:
    """What a simulator makes of an API key: missing, malformed, revoked (it contains `revoked`: 401),
    no_permission (it contains `no_permission`: 403), unknown (not among the `accepted` keys when
    some are given) or valid. The markers are the simulators' rule, not the vendors'."""
    if not key:
        return "missing"
    if not pattern.fullmatch(key):
        return "malformed"
    if revoked in key:
        return "revoked"
    if no_permission in key:
        return "no_permission"
    if accepted is not None and key not in accepted:
        return "unknown"
    return "valid"


async def http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) in the simulator's vendor error body."""
    simulator: SimulatorBase = request.app.state.simulator
    status = error.status_code if isinstance(error, HTTPException) else 500
    response = simulator.error_response(status, simulator_message(simulator, status))
    if simulator.request_id_header:
        response.headers[simulator.request_id_header] = simulator.next_request_id()
    return response


def simulator_message(simulator: SimulatorBase, status: int) -> str:
    messages: dict[int, str] = getattr(simulator, "http_messages", HTTP_MESSAGES)
    return messages.get(status, "Internal error")
