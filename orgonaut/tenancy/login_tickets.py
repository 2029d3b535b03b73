"""Login tickets: how a login in the page becomes an HttpOnly session cookie.

Reflex writes cookies from JavaScript, so a session cookie it sets can be read by any script on the page
(security review, finding 3). Instead, the login page checks the password, then sends the browser to
`/auth/session?ticket=…` with a ticket: random, single use, valid for a minute, kept in Redis only as
its hash and naming only the user. That HTTP endpoint opens the login session and sets the cookie
itself, `HttpOnly` (and `Secure` over https), so the session token exists only in the browser's cookie
jar and, hashed, in the database: never in page state, Redis or a script's reach.

Reflex keeps the request headers of a tab's connection in that tab's state (in Redis), so the page
states' connection is never given the token either: an ASGI layer (`api.session_reference`) replaces the
cookie's value there with the token's reference, the SHA-256 the database keeps (`reference`). A
reference is no credential: whatever a client sends as the cookie is hashed again by that layer.
"""

from __future__ import annotations

import hashlib
import secrets
from http.cookies import CookieError, SimpleCookie

from orgonaut import kv

TICKET_SECONDS = 60
SESSION_COOKIE = "orgonaut_session"
_KEY = "login-ticket:"


def _key(ticket: str) -> str:
    return _KEY + hashlib.sha256(ticket.encode()).hexdigest()


def issue(user_id: int) -> str:
    """A ticket for this (already authenticated) user."""
    ticket = secrets.token_urlsafe(32)
    kv.locks().set(_key(ticket), str(user_id), ex=TICKET_SECONDS)
    return ticket


def claim(ticket: str | None) -> int | None:
    """The user id of a ticket not yet used nor expired, once; None otherwise."""
    if not ticket or len(ticket) > 128:
        return None
    value = kv.locks().getdel(_key(ticket))
    return int(value) if isinstance(value, str) and value.isdigit() else None


def reference(token: str) -> str:
    """What the page states know of a session token: its SHA-256, as the login session row keeps it."""
    return hashlib.sha256(token.encode()).hexdigest()


def with_references(cookie_header: str) -> str:
    """The Cookie header with the session cookie's value replaced by its reference."""
    parts = []
    for part in cookie_header.split(";"):
        name, sep, value = part.strip().partition("=")
        if name == SESSION_COOKIE and sep:
            value = reference(value.strip().strip('"'))
        parts.append(f"{name}{sep}{value}")
    return "; ".join(parts)


def token_from_cookie_header(header: str | None) -> str:
    """The session token in a request's Cookie header ("" if none or unreadable)."""
    if not header:
        return ""
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return ""
    morsel = jar.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else ""
