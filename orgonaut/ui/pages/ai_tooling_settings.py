"""/settings/integrations/ai-tooling: connect and manage AI Tooling providers (owners and admins)."""

from __future__ import annotations

import reflex as rx

from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout
from orgonaut.ui.auth import AuthState


class AiToolingSettingsState(AuthState):
    @rx.event
    def load(self):
        self.guard(Ability.ai_tooling_manage)


def ai_tooling_settings_page() -> rx.Component:
    return layout.shell(
        "AI Tooling",
        layout.guarded(
            AuthState.page_allowed,
            AuthState.page_checked,
            rx.text("Connect Claude Code and other AI coding-tool providers."),
        ),
    )
