"""What a fault does to an answer once the simulator has it: a body cut short (`reset`), sent slowly
(`drip`), or a malformed page, record or organisation (`malformed`). Which request a fault picks is
`faults.py`; `status`, `slow` and the paging faults are applied in `app.py` and `records.py`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from orgonaut.simulator.faults import Fault

_CORE_METRICS = re.compile(r'"core_metrics":\{[^{}]*\{[^{}]*\}[^{}]*\},')


def delivered(response: Response, fault: Fault | None) -> Response:
    """The response as a `reset` or `drip` fault sends it; unchanged otherwise."""
    if fault is not None and fault.mode == "reset":
        return _CutShort(response, fault.after_bytes)
    if fault is not None and fault.mode == "drip":
        return _dripped(response, fault.bytes_per_second or 1.0, fault.chunk_bytes or 1)
    return response


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


def malformed_records(records: list[str], variant: str) -> list[str] | None:
    """The page's records with the first one broken, or None when the whole page should be."""
    if variant not in ("record", "currency") or not records:
        return None
    if variant == "record":
        first = _CORE_METRICS.sub("", records[0], count=1)
    else:
        first = records[0].replace('"currency":"USD"', '"currency":"EUR"', 1)
    return [first, *records[1:]]


def malformed_page(variant: str) -> Response:
    if variant == "json":
        return Response('{"data": [{"date": "2025-', media_type="application/json")
    return Response('{"data": {"unexpected": true}, "has_more": "maybe"}', media_type="application/json")


def malformed_organization(variant: str) -> Response:
    if variant == "json":
        return Response('{"id": "org_', media_type="application/json")
    return Response('{"id": 42, "type": "organization"}', media_type="application/json")
