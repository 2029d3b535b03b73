"""The session cookie is set and cleared by HTTP answers, HttpOnly, from a single-use login ticket: the
token never passes through page state or a script (security review, finding 3)."""

from __future__ import annotations

from sqlmodel import select

from orgonaut.tenancy import login_tickets
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import LoginSession, Role
from tests.factories import make_tenant, make_user


def _sessions(session) -> list[LoginSession]:
    session.expire_all()
    return list(session.exec(select(LoginSession)))


def test_a_ticket_opens_one_http_only_session_once_and_ends_the_previous_one(session, client):
    tenant = make_tenant(session)
    user = make_user(session, tenant, role=Role.admin)
    session.commit()
    ticket = login_tickets.issue(user.id)
    client.cookies.set("orgonaut_session", "an-old-token")
    answer = client.get(f"/auth/session?ticket={ticket}&next=/teams", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/teams")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("orgonaut_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    token = cookie.split(";")[0].removeprefix("orgonaut_session=")
    assert tenancy.user_for_token(session=session, token=token).id == user.id
    assert len(_sessions(session)) == 1

    again = client.get(f"/auth/session?ticket={ticket}&next=/teams", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/login?expired=1")
    assert "set-cookie" not in again.headers and len(_sessions(session)) == 1


def test_a_login_replaces_the_session_the_browser_already_had(session, client):
    tenant = make_tenant(session)
    user = make_user(session, tenant, role=Role.admin)
    old = tenancy.start_session(session=session, user=user)
    session.commit()
    client.cookies.set("orgonaut_session", old)
    client.get(f"/auth/session?ticket={login_tickets.issue(user.id)}", follow_redirects=False)
    assert tenancy.user_for_token(session=session, token=old) is None


def test_next_must_be_a_path_of_this_app(session, client):
    tenant = make_tenant(session)
    user = make_user(session, tenant, role=Role.admin)
    session.commit()
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        answer = client.get("/auth/session", params={"ticket": login_tickets.issue(user.id), "next": bad},
                            follow_redirects=False)
        assert answer.headers["location"] == "/people", bad


def test_made_up_or_missing_tickets_open_nothing(session, client):
    for query in ("", "?ticket=", "?ticket=nope", "?ticket=" + "x" * 500):
        answer = client.get(f"/auth/session{query}", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?expired=1")
    assert _sessions(session) == []


def test_signing_out_ends_the_session_and_deletes_the_cookie(session, client):
    tenant = make_tenant(session)
    user = make_user(session, tenant, role=Role.admin)
    token = tenancy.start_session(session=session, user=user)
    session.commit()
    client.cookies.set("orgonaut_session", token)
    answer = client.get("/auth/signed-out", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    assert answer.headers["set-cookie"].startswith('orgonaut_session=""') or "Max-Age=0" in answer.headers["set-cookie"]
    assert tenancy.user_for_token(session=session, token=token) is None


def test_the_cookie_header_is_read_tolerantly():
    assert login_tickets.token_from_cookie_header("a=1; orgonaut_session=abc; b=2") == "abc"
    assert login_tickets.token_from_cookie_header("") == ""
    assert login_tickets.token_from_cookie_header('orgonaut_session="unterminated') == ""


def test_the_page_states_connection_gets_only_the_tokens_reference():
    import asyncio

    from orgonaut.api.session_reference import with_session_reference

    seen: list[dict] = []

    async def reflex(scope, receive, send):
        seen.append(dict(scope["headers"]))

    app = with_session_reference(reflex)
    cookie = b"theme=dark; orgonaut_session=the-token; other=1"
    for kind, path in (("websocket", "/_event/"), ("http", "/_event/?EIO=4&transport=polling"), ("http", "/people")):
        asyncio.run(app({"type": kind, "path": path.split("?")[0], "headers": [(b"cookie", cookie)]}, None, None))
    reference = login_tickets.reference("the-token")
    assert seen[0][b"cookie"] == seen[1][b"cookie"] == f"theme=dark; orgonaut_session={reference}; other=1".encode()
    assert seen[2][b"cookie"] == cookie  # the HTTP endpoints that set and end sessions read the token itself
    # A reference sent as the cookie is hashed again: it is no credential.
    forged = [(b"cookie", f"orgonaut_session={reference}".encode())]
    asyncio.run(app({"type": "websocket", "path": "/_event/", "headers": forged}, None, None))
    assert seen[3][b"cookie"] == f"orgonaut_session={login_tickets.reference(reference)}".encode()
