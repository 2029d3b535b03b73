"""Settings → AI Tooling → Who sees usage: whether managers see person-level numbers or unit totals
only (`Tenant.managers_see_people`, the rule is `orgonaut.org.visibility`). Owners change it, after a
confirmation; admins see it.

Its own small state (not a dialog of `AiToolingSettingsState`): it loads on the page's load, and every
handler asks the server again who is signed in and whether they hold `tenant.manage`.
"""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import visibility
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, Tenant
from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.confirm import confirm_dialog

PEOPLE = "people"
TOTALS = "totals"
SAVED = {PEOPLE: "Managers now see the usage of each person in their units.",
         TOTALS: "Managers now see unit totals only."}


class UsageVisibilityState(AuthState):
    loaded: bool = False
    can_change: bool = False
    managers_see: str = PEOPLE  # what is stored
    pending: str = ""  # the choice waiting for confirmation ("" when no dialog is open)

    @rx.event
    def load(self):
        self.loaded, self.can_change, self.pending = False, False, ""
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            return
        with session_scope() as session:
            tenant = session.get_one(Tenant, user.tenant_id)
            self.managers_see = PEOPLE if tenant.managers_see_people else TOTALS
        self.can_change = tenancy.can(user, Ability.tenant_manage)
        self.loaded = True

    @rx.event
    def choose(self, value: str | list[str]):
        """Opens the confirmation for a different choice (nothing is stored yet)."""
        value = value[0] if isinstance(value, list) and value else value
        if value not in (PEOPLE, TOTALS) or value == self.managers_see:
            return None
        if self._require(Ability.tenant_manage) is None:
            return rx.toast.error("Only owners can change who sees usage.")
        self.pending = str(value)
        return None

    @rx.event
    def set_dialog_open(self, is_open: bool):
        if not is_open:
            self.pending = ""

    @rx.event
    def confirm(self):
        choice, self.pending = self.pending, ""
        if choice not in (PEOPLE, TOTALS):
            return None
        user = self._require(Ability.tenant_manage)
        if user is None:
            return rx.toast.error("Only owners can change who sees usage.")
        try:
            with session_scope() as session:
                visibility.set_managers_see_people(session=session, user=user, managers_see_people=choice == PEOPLE)
        except DomainError as error:
            return rx.toast.error(str(error))
        self.managers_see = choice
        return rx.toast.success(SAVED[choice])


def _option(value: str, label: str) -> rx.Component:
    return rx.text(rx.flex(rx.radio_group.item(value=value), label, spacing="2", align="center"),
                   as_="label", size="2")


def usage_visibility_card() -> rx.Component:
    state = UsageVisibilityState
    return rx.cond(
        state.loaded,
        rx.card(
            rx.vstack(
                rx.heading("Who sees usage", size="4", as_="h2"),
                rx.text("Members see AI usage on their own person page only; owners and admins see everyone's. "
                        "Managers see their own page and the units they are placed in, with the units below them.",
                        size="2", color_scheme="gray"),
                rx.radio_group.root(
                    rx.vstack(
                        _option(PEOPLE, "Managers see each person in their units (default)"),
                        _option(TOTALS, "Managers see unit totals only"),
                        spacing="2",
                    ),
                    value=rx.cond(state.pending != "", state.pending, state.managers_see),
                    on_change=state.choose,
                    disabled=~state.can_change,
                    aria_label="What managers see",
                ),
                rx.cond(~state.can_change, rx.text("Only owners can change this.", size="1", color_scheme="gray")),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


def usage_visibility_dialog() -> rx.Component:
    state = UsageVisibilityState
    return confirm_dialog(
        title="Change what managers see?",
        description=rx.cond(
            state.pending == TOTALS,
            "Managers will see only the totals of their units: no person's cost, sessions, commits or pull "
            "requests, except on their own page.",
            "Managers will see the cost, sessions, commits and pull requests of each person in their units.",
        ),
        keep="Cancel", confirm="Change", on_confirm=state.confirm,
        open=state.pending != "", on_open_change=state.set_dialog_open,
    )
