"""An ASGI layer (a Reflex `api_transformer`) that keeps the session token out of the page states: on the
page states' connection (Socket.IO at `/_event`, WebSocket or long polling) the session cookie's value is
replaced by its reference before Reflex reads the headers, which it keeps in the tab's state in Redis
(`tenancy.login_tickets` says why and why a reference is no credential)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from orgonaut.tenancy import login_tickets

EVENT_PATH = "/_event"  # Reflex's Socket.IO endpoint


def with_session_reference(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and str(scope.get("path", "")).startswith(EVENT_PATH):
            headers = [(name, login_tickets.with_references(value.decode("latin-1")).encode("latin-1"))
                       if name.lower() == b"cookie" else (name, value) for name, value in scope.get("headers", [])]
            scope = {**scope, "headers": headers}
        await app(scope, receive, send)

    return wrapped
