"""/settings/integrations/ai-tooling: connect and manage AI Tooling providers (owners and admins).

The state lives in `orgonaut.ui.pages.ai_tooling.state`, the pieces in `.components`; this module puts
the page together. `?run=<sync log id>` (the link in failed-run alerts) opens that run's details.
"""

from __future__ import annotations

import reflex as rx

from orgonaut.ui import layout
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.pages.ai_tooling import components as c
from orgonaut.ui.pages.ai_tooling.identity_upload import identity_upload_card
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState
from orgonaut.ui.pages.ai_tooling.usage_visibility import usage_visibility_card, usage_visibility_dialog

__all__ = ["AiToolingSettingsState", "ai_tooling_settings_page"]


def _content() -> rx.Component:
    return rx.cond(
        AiToolingSettingsState.plan_ok,
        rx.vstack(
            rx.text("Connect AI coding-tool providers to bring per-person usage and cost into Orgonaut. "
                    "Usage appears on people's, teams' and departments' pages.", size="2", color_scheme="gray"),
            c.provider_cards(),
            c.sync_logs(),
            c.unmatched_emails(),
            identity_upload_card(),
            usage_visibility_card(),
            c.help_section(),
            c.wizard_dialog(),
            c.backfill_dialog(),
            c.targeting_dialog(),
            c.disconnect_dialog(),
            c.credit_price_dialog(),
            c.seat_price_dialog(),
            c.run_dialog(),
            c.add_person_dialog(),
            c.link_person_dialog(),
            usage_visibility_dialog(),
            spacing="5",
            width="100%",
        ),
        c.upgrade_notice(),
    )


def ai_tooling_settings_page() -> rx.Component:
    return layout.shell(
        page_title("AI Tooling"),
        layout.guarded(_content()),
    )
