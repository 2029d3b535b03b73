"""Login state shared by every page: who is signed in, by the session cookie.

The cookie is HttpOnly: set and cleared by HTTP endpoints (`api.session_cookie`, via a login ticket). The
page states see only its reference (the hash the database keeps), put in their connection's request
headers by `api.session_reference` and read here on the server (`_session_reference`): the token itself is
never in page state, which Reflex keeps in Redis and mirrors to the browser (security review, finding 3).

Every protected page runs `AuthState.require_login` on load, and every event handler that reads or
changes data calls `self._current_user()` / `self._require(ability)` again on the server: hiding a
button is never the check.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.tenancy import login_tickets
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, Tenant, User
from orgonaut.ui import routes

EXPIRED_LOGIN_MESSAGE = "That sign-in took too long or was already used: log in again."


class AuthState(rx.State):
    user_email: str = ""
    user_name: str = ""
    user_role: str = ""
    tenant_name: str = ""
    tenant_slug: str = ""
    abilities: list[str] = []
    login_error: str = ""
    # Set by `_guard()` in each page's on_load: whether this user may see the page's content.
    page_checked: bool = False
    page_allowed: bool = False

    # --- server-side checks, used by every page state -------------------------------------------

    def _session_reference(self) -> str:
        """The reference of the session cookie the browser sent when it opened this tab's connection."""
        return login_tickets.token_from_cookie_header(self.router.headers.cookie)

    def _current_user(self) -> User | None:
        with session_scope() as session:
            return tenancy.user_for_session_hash(session=session, token_hash=self._session_reference())

    def _current_tenant(self, user: User) -> Tenant:
        with session_scope() as session:
            return session.get_one(Tenant, user.tenant_id)

    def _require(self, ability: Ability | str | None = None) -> User | None:
        """The signed-in user if they hold `ability` (or any user when None), else None."""
        user = self._current_user()
        if user is None:
            return None
        if ability is not None and not tenancy.can(user, ability):
            return None
        return user

    def _guard(self, ability: Ability | str | None = None) -> User | None:
        """For a page's on_load: decides (on the server) whether its content may be shown."""
        user = self._require(ability)
        self.page_checked = True
        self.page_allowed = user is not None
        return user

    def _remember(self, user: User | None) -> None:
        if user is None:
            self.user_email = self.user_name = self.user_role = self.tenant_name = self.tenant_slug = ""
            self.abilities = []
            return
        tenant = self._current_tenant(user)
        self.user_email = user.email
        self.user_name = user.name or user.email
        self.user_role = str(user.role)
        self.tenant_name = tenant.name
        self.tenant_slug = tenant.slug
        self.abilities = sorted(a.value for a in tenancy.abilities_of(user.role))

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_email)

    @rx.var
    def can_manage_ai_tooling(self) -> bool:
        return Ability.ai_tooling_manage.value in self.abilities

    @rx.var
    def can_manage_api_tokens(self) -> bool:
        return Ability.api_tokens_manage.value in self.abilities

    @rx.var
    def sees_spend_overview(self) -> bool:
        """Whether the navigation offers "AI spend" (owners, admins, managers); its loader checks again."""
        return Ability.costs_read.value in self.abilities and self.user_role in {"owner", "admin", "manager"}

    @rx.var
    def can_edit_org(self) -> bool:
        return Ability.org_write.value in self.abilities

    # --- events -------------------------------------------------------------------------------

    @rx.event
    def require_login(self):
        """On load of every protected page: refresh who is signed in, or go to the login page."""
        self.page_checked = False
        self.page_allowed = False
        user = self._current_user()
        self._remember(user)
        if user is None:
            return rx.redirect(routes.LOGIN)
        return None

    @rx.event
    def redirect_if_signed_in(self):
        user = self._current_user()
        self._remember(user)
        if user is not None:
            return rx.redirect(routes.PEOPLE)
        # `/auth/session` sends a used or expired login ticket back here.
        if self.router.url.query_parameters.get("expired") == "1":
            self.login_error = EXPIRED_LOGIN_MESSAGE
        return None

    @rx.event
    def go_home(self):
        user = self._current_user()
        self._remember(user)
        return rx.redirect(routes.PEOPLE if user is not None else routes.LOGIN)

    @rx.event
    async def login(self, form_data: dict):
        self.login_error = ""
        email = str(form_data.get("email", ""))
        password = str(form_data.get("password", ""))
        try:
            # The password hash takes a quarter of a second of CPU: off the event loop, so every other
            # tab and the API on this process keep answering (security review, finding 1).
            user = await asyncio.to_thread(_check_password, email, password, self.router.session.client_ip)
        except DomainError as error:
            self.login_error = str(error)
            return None
        # The cookie is set by an HTTP answer (HttpOnly), which also ends this browser's previous session:
        # a full navigation, since the page router would only render the path client-side.
        ticket = login_tickets.issue(user.id)
        url = f"{routes.AUTH_SESSION}?{urlencode({'ticket': ticket, 'next': routes.PEOPLE})}"
        return rx.call_script(f"window.location.assign({json.dumps(url)})")

    @rx.event
    async def logout_everywhere(self):
        """Ends every session of this user (other browsers and devices too), then logs this tab out."""
        with session_scope() as session:
            user = tenancy.user_for_session_hash(session=session, token_hash=self._session_reference())
            if user is not None:
                tenancy.end_all_sessions(session=session, user=user)
        return await self._log_out_tab()

    @rx.event
    async def logout(self):
        return await self._log_out_tab()

    async def _log_out_tab(self):
        with session_scope() as session:
            tenancy.end_session_by_hash(session=session, token_hash=self._session_reference())
        # Every page state of this tab back to its defaults: people, costs, unmatched e-mails, a token
        # secret not yet dismissed must not wait in the store for the tab's next load (security review,
        # finding 4). A state is reset only once loaded, so load each first.
        for state_class in _descendants(AuthState):
            await self.get_state(state_class)
        self.reset()
        # Then a new tab identity (the reload drops the in-page copy of every var), through the endpoint
        # that deletes the HttpOnly cookie and goes on to the login page.
        return rx.call_script(_NEW_TAB_IDENTITY)


# Reflex keeps the tab's state token in sessionStorage; without it the login page starts a new state.
_NEW_TAB_IDENTITY = f"window.sessionStorage.removeItem('token'); window.location.replace('{routes.AUTH_SIGNED_OUT}')"


def _descendants(state_class: type[Any]) -> list[type[Any]]:
    found: list[type[Any]] = []
    for substate in state_class.get_substates():
        found += [substate, *_descendants(substate)]
    return found


def _check_password(email: str, password: str, client: str) -> User:
    """The user whose credentials these are, or DomainError (in a worker thread, with its own DB session)."""
    with session_scope() as session:
        return tenancy.authenticate(session=session, email=email, password=password, client=client)
