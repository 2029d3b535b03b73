"""Security headers on every HTTP answer of the web process: pages, static files and the API
(security review, finding 8).

Reflex builds its pages with inline scripts, so the content security policy here sets only what cannot
break them: no framing (clickjacking), no plugins, no `<base>` from elsewhere. HSTS is sent when the
app's public URL is https (then every later visit is https too).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orgonaut.settings import get_settings

CONTENT_SECURITY_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"


def headers() -> list[tuple[bytes, bytes]]:
    values = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if get_settings().base_url.startswith("https://"):
        values.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return values


def with_security_headers(app: ASGIApp) -> ASGIApp:
    """An ASGI wrapper (a Reflex `api_transformer`) adding `headers()` to every HTTP response that does
    not set them itself."""
    extra = headers()

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *(h for h in extra if h[0] not in present)]}
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
