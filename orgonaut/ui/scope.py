"""The scope switcher: Live, a scenario, or a read-only archived scenario or snapshot.

Where the choice lives: a browser-session cookie (`orgonaut_scope`, no max-age, so it ends with the
browser session) holding `<login fingerprint>:<scope>`. The fingerprint is a short hash of the login
session's token, so the choice belongs to one login session: after logging out and in again (or when
someone else signs in on the same browser) it no longer matches and the scope falls back to Live. A
cookie rather than Reflex state because Reflex state is per browser tab and expires with the state
manager; a cookie is shared by the tabs of one browser session and survives a reload.

The cookie is only a preference, never trusted: every page load resolves it against the signed-in
user's tenant (`ScopeState._scope_for`), and an unknown or foreign scenario id means Live.
Page states subclass `ScopeState` and call `self._scope_for(user)` in their `load`.
"""

from __future__ import annotations

import dataclasses
import hashlib

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.org import service as org
from orgonaut.org.models import Scenario, ScenarioKind
from orgonaut.tenancy.models import User
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState

SCOPE_COOKIE = "orgonaut_scope"
LIVE = "live"
LIVE_NAME = "Live"
# A detail page's ids belong to one scope: after a switch it shows the same unit or person in the new scope
# (`org.counterpart_unit`, `org.counterpart_actor`), or its list page when they do not exist there.
_LIST_OF_DETAIL = {"/people/": routes.PEOPLE, "/teams/": routes.TEAMS, "/departments/": routes.DEPARTMENTS}


@dataclasses.dataclass
class ScopeOption:
    value: str = ""
    label: str = ""


def _option(scenario: Scenario) -> ScopeOption:
    if scenario.kind == ScenarioKind.snapshot:
        label = f"{scenario.name} · snapshot · read-only"
    elif scenario.read_only:
        label = f"{scenario.name} · archived · read-only"
    else:
        label = scenario.name
    return ScopeOption(value=str(scenario.id), label=label)


class ScopeState(AuthState):
    scope_cookie: str = rx.Cookie("", name=SCOPE_COOKIE, same_site="strict")
    # What the pages show; set from the database on every resolve, never from the cookie alone.
    scope_value: str = LIVE
    scope_name: str = LIVE_NAME
    scope_read_only: bool = False
    active_scopes: list[ScopeOption] = []
    read_only_scopes: list[ScopeOption] = []

    def _fingerprint(self) -> str:
        return hashlib.sha256(self._session_reference().encode()).hexdigest()[:16]

    def _chosen(self) -> str:
        fingerprint, _, value = self.scope_cookie.partition(":")
        return value if value and fingerprint == self._fingerprint() else LIVE

    def _scope_for(self, user: User) -> int | None:
        """The scope this user's pages load (None = Live), checked against their tenant."""
        with session_scope() as session:
            scenarios = org.list_scenarios(session=session, tenant_id=user.tenant_id)
        chosen = next((s for s in scenarios if str(s.id) == self._chosen()), None)
        self.active_scopes = [_option(s) for s in scenarios if not s.read_only]
        self.read_only_scopes = [_option(s) for s in scenarios if s.read_only]
        self.scope_value = LIVE if chosen is None else str(chosen.id)
        self.scope_name = LIVE_NAME if chosen is None else chosen.name
        self.scope_read_only = chosen is not None and chosen.read_only
        return None if chosen is None else chosen.id

    @rx.var
    def scope_is_live(self) -> bool:
        return self.scope_value == LIVE

    @rx.var
    def can_edit_scope(self) -> bool:
        """Edit controls show only for users with org.write in a writable scope (handlers re-check)."""
        return self.can_edit_org and not self.scope_read_only

    @rx.event
    def load_scopes(self):
        """On mount of the switcher, so it is filled on every page of the shell."""
        user = self._current_user()
        if user is not None:
            self._scope_for(user)
        else:  # nothing of an earlier login's scenarios stays in the browser
            self.active_scopes, self.read_only_scopes = [], []
            self.scope_value, self.scope_name, self.scope_read_only = LIVE, LIVE_NAME, False

    @rx.event
    def choose_scope(self, value: str | list[str]):
        user = self._current_user()
        if user is None:
            return rx.redirect(routes.LOGIN)
        value = value[0] if isinstance(value, list) else value
        scenario = None
        if value.isdigit():
            with session_scope() as session:
                scenario = org.get_scenario(session=session, tenant_id=user.tenant_id, scenario_id=int(value))
        # An unknown or foreign id is not remembered: the user lands on Live.
        self.scope_cookie = f"{self._fingerprint()}:{scenario.id if scenario is not None else LIVE}"
        scope = self._scope_for(user)
        path = self.router.url.path or routes.PEOPLE
        # Navigating (even to the same path) runs the page's on_load again, which loads the new scope.
        return rx.redirect(_same_page_in(user.tenant_id, path, scope))


def _same_page_in(tenant_id: int, path: str, scenario_id: int | None) -> str:
    """`path` in scope `scenario_id`: a detail page of the same unit or person there, else its list page."""
    for prefix, list_page in _LIST_OF_DETAIL.items():
        if not path.startswith(prefix):
            continue
        raw = path[len(prefix):].strip("/").split("/")[0]
        if not raw.isdigit():
            return list_page
        with session_scope() as session:
            if prefix == "/people/":
                same = org.counterpart_actor(session=session, tenant_id=tenant_id, actor_id=int(raw),
                                             scenario_id=scenario_id)
            else:
                same = org.counterpart_unit(session=session, tenant_id=tenant_id, org_unit_id=int(raw),
                                            scenario_id=scenario_id)
        return f"{prefix}{same}" if same is not None else list_page
    return path


def scope_badge() -> rx.Component:
    """The scope a page shows: "Live" or the scenario's name, and "read-only" where it is."""
    return rx.hstack(
        rx.badge(
            rx.icon(rx.cond(ScopeState.scope_is_live, "radio", "git-branch"), size=12),
            ScopeState.scope_name,
            color_scheme=rx.cond(ScopeState.scope_is_live, "green", "indigo"),
            variant="soft",
        ),
        rx.cond(
            ScopeState.scope_read_only,
            rx.badge(rx.icon("lock", size=12), "read-only", color_scheme="amber", variant="soft"),
        ),
        spacing="1",
        aria_label="Scope",
        role="status",
    )


def scope_switcher() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label="Scope", min_width="200px"),
        rx.select.content(
            rx.select.group(rx.select.item(LIVE_NAME, value=LIVE)),
            rx.cond(
                ScopeState.active_scopes.length() > 0,
                rx.select.group(
                    rx.select.label("Scenarios"),
                    rx.foreach(ScopeState.active_scopes, lambda o: rx.select.item(o.label, value=o.value)),
                ),
            ),
            rx.cond(
                ScopeState.read_only_scopes.length() > 0,
                rx.select.group(
                    rx.select.label("Read-only"),
                    rx.foreach(ScopeState.read_only_scopes, lambda o: rx.select.item(o.label, value=o.value)),
                ),
            ),
        ),
        value=ScopeState.scope_value,
        on_change=ScopeState.choose_scope,
        on_mount=ScopeState.load_scopes,
        size="2",
    )


layout.TOP_BAR_EXTRAS.append(scope_switcher)
