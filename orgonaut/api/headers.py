"""One Authorization and one X-Tenant header per request (security review, finding 7).

With two Authorization headers, one layer could check the first token and another key its answer by
the second: a request carrying tokens of two tenants could then be served the other tenant's cached
answer. A repeated credential header is refused with 400 before anything reads it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Receive, Scope, Send

SINGLE_HEADERS = (b"authorization", b"x-tenant")


class OneOfEachCredential:
    """ASGI middleware: 400 `duplicate_header` when a credential header is sent more than once."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = [name.lower() for name, _ in scope["headers"]]
            for header in SINGLE_HEADERS:
                if names.count(header) > 1:
                    await _refuse(send, header.decode())
                    return
        await self.app(scope, receive, send)


async def _refuse(send: Send, header: str) -> None:
    body = json.dumps({"error": {"code": "duplicate_header", "param": header,
                                 "message": f"Send the {header.title()} header once."}}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
