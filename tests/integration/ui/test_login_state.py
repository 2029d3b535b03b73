"""The login page's own state: a login ticket that came back used or expired says so, and a signed-in
visitor is sent on to the people page."""

from __future__ import annotations

from orgonaut.ui import routes
from orgonaut.ui.auth import EXPIRED_LOGIN_MESSAGE, AuthState
from tests.integration.ui.conftest import Tab, login_token


def _visit_login(tab: Tab, query: dict[str, str]) -> tuple[AuthState, object]:
    path = routes.LOGIN + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    tab.route(routes.LOGIN, path, **query)
    auth = tab.state(AuthState)
    return auth, auth.redirect_if_signed_in()


def test_an_expired_login_ticket_sends_back_to_the_login_page_with_a_reason(session, demo):
    auth, answer = _visit_login(Tab(""), {"expired": "1"})
    assert answer is None and auth.login_error == EXPIRED_LOGIN_MESSAGE
    auth, answer = _visit_login(Tab(""), {})
    assert answer is None and auth.login_error == ""


def test_a_signed_in_visitor_goes_on_to_the_people_page(session, demo):
    auth, answer = _visit_login(Tab(login_token(session, "admin@demo.test")), {"expired": "1"})
    assert routes.PEOPLE in repr(answer) and auth.user_email == "admin@demo.test" and auth.login_error == ""
