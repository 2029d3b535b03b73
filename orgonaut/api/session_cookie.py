"""The two HTTP endpoints that set and clear the session cookie (`tenancy.login_tickets` says why they are
HTTP rather than page events): `/auth/session?ticket=…&next=/path` opens the login session of a ticket
and sets the cookie HttpOnly; `/auth/signed-out` ends the session of the cookie it receives and deletes it.
Both answer with a redirect to a page of this app (a `next` that is not a local path goes to the people
page: no open redirect)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from orgonaut import paths
from orgonaut.db import session_scope
from orgonaut.settings import get_settings
from orgonaut.tenancy import login_tickets
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import User

_HOME, _LOGIN = paths.PEOPLE, paths.LOGIN


def _local(path: str | None) -> str:
    path = path or ""
    if not path.startswith("/") or path.startswith("//") or "\\" in path or any(ord(c) < 32 for c in path):
        return _HOME
    return path


def _redirect(path: str) -> RedirectResponse:
    response = RedirectResponse(path, status_code=303)
    response.headers["cache-control"] = "no-store"
    return response


def _open_session(request: Request) -> RedirectResponse:
    user_id = login_tickets.claim(request.query_params.get("ticket"))
    if user_id is None:  # used, expired or made up: log in again
        return _redirect(f"{_LOGIN}?expired=1")
    previous = login_tickets.token_from_cookie_header(request.headers.get("cookie"))
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return _redirect(_LOGIN)
        token = tenancy.start_session(session=session, user=user, replacing=previous or None)
    settings = get_settings()
    response = _redirect(_local(request.query_params.get("next")))
    response.set_cookie(login_tickets.SESSION_COOKIE, token, max_age=settings.session_days * 86400, path="/",
                        httponly=True, samesite="strict", secure=settings.base_url.startswith("https://"))
    return response


def _sign_out(request: Request) -> RedirectResponse:
    token = login_tickets.token_from_cookie_header(request.headers.get("cookie"))
    if token:
        with session_scope() as session:
            tenancy.end_session(session=session, token=token)
    response = _redirect(_LOGIN)
    response.delete_cookie(login_tickets.SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def open_session(request: Request) -> RedirectResponse:
    import anyio.to_thread  # the database calls run off the event loop

    return await anyio.to_thread.run_sync(_open_session, request)


async def sign_out(request: Request) -> RedirectResponse:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(_sign_out, request)


ROUTES = [Route(paths.AUTH_SESSION, open_session, methods=["GET"]),
          Route(paths.AUTH_SIGNED_OUT, sign_out, methods=["GET"])]
