"""Page states driven in-process, the way Reflex drives them: one root state per browser tab, the login
cookie set, the router pointed at a page, and event handlers called on the server side.

Expected values come from the demo's definition (`orgonaut.org.demo_data`), not from the queries the
pages call, so a wrong query shows up as a wrong number.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from orgonaut.demo import seed_demo
from orgonaut.org import events
from orgonaut.org.demo_data import DEMO_PEOPLE
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Tenant, User


@pytest.fixture(autouse=True)
def _no_subscribers():
    # Other domains' subscribers (usage re-matching, rollups) are not what these tests are about.
    with events.isolated_subscribers():
        yield


@pytest.fixture
def demo(session: Session) -> Tenant:
    tenant = seed_demo(session=session, timezone="UTC")
    session.commit()
    return tenant


def login_token(session: Session, email: str) -> str:
    user = session.exec(select(User).where(User.email == email)).one()
    token = tenancy.start_session(session=session, user=user)
    session.commit()
    return token


def router_for(route: str, path: str, token: str, **params: str):
    """What Reflex gives the states of a tab on `path`: the route, its query, and the request headers of
    the tab's connection, where the (HttpOnly) session cookie the browser sent carries its reference (what
    `api.session_reference` puts there)."""
    from reflex.istate.data import RouterData

    from orgonaut.tenancy import login_tickets

    cookie = login_tickets.with_references(f"orgonaut_session={token}") if token else ""
    return RouterData.from_router_data({"pathname": route, "asPath": path, "query": params,
                                        "headers": {"cookie": cookie}})


class Tab:
    """One browser tab: a root state whose page substates share the auth and scope states. `token` is the
    session cookie its connection sent (set it to "" for a tab whose session is gone)."""

    def __init__(self, token: str, scope_cookie: str = ""):
        from reflex.state import State

        import orgonaut.orgonaut  # noqa: F401 - registers the pages, so dynamic route vars exist
        from orgonaut.ui.scope import ScopeState

        self.token = token
        self.root = State(_reflex_internal_init=True)
        self.root.router = router_for("/", "/", token)
        self.scope = self.state(ScopeState)
        self.scope.scope_cookie = scope_cookie

    def route(self, route: str, path: str, **params: str) -> None:
        self.root.router = router_for(route, path, self.token, **params)

    def state(self, state_cls):
        return self.root.get_substate(state_cls.get_full_name().split(".")[1:])

    def open(self, state_cls, route: str, path: str, **params: str):
        """Points the router at `path` (a page of `route`) and runs its on_load: login check, then load."""
        from orgonaut.ui.auth import AuthState

        self.route(route, path, **params)
        self.state(AuthState).require_login()
        page = self.state(state_cls)
        page.load()
        return page


def demo_members(units: set[str]) -> set[str]:
    """Who the demo places in `units` today: primary or secondary placements of people still there."""
    return {
        p.name for p in DEMO_PEOPLE
        if p.left_months_ago is None and (p.unit in units or (p.secondary is not None and p.secondary[0] in units))
    }
