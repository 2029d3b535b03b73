"""/people: everyone in the chosen scope."""

from __future__ import annotations

import reflex as rx

from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout
from orgonaut.ui.auth import AuthState


class PeopleState(AuthState):
    @rx.event
    def load(self):
        self.guard(Ability.teams_read)


def people_page() -> rx.Component:
    return layout.shell(
        "People",
        layout.guarded(AuthState.page_allowed, AuthState.page_checked, rx.text("People in your organisation.")),
    )
