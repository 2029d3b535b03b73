"""The confirmation before a destructive action: a question, what happens, keep or go ahead."""

from __future__ import annotations

from typing import Any

import reflex as rx

from orgonaut.ui.components.dialogs import alert_dialog_content


def confirm_dialog(
    *, title: rx.Component | str, description: rx.Component | str, keep: str, confirm: str,
    on_confirm: Any, open: rx.Var[bool], on_open_change: Any,  # noqa: A002 - Reflex's prop name
) -> rx.Component:
    """An alert dialog: `keep` closes it, `confirm` (red) runs `on_confirm`; `on_open_change` hears closes."""
    return rx.alert_dialog.root(
        alert_dialog_content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(keep, variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm, color_scheme="red", on_click=on_confirm)),
                justify="end",
                spacing="2",
                padding_top="12px",
            ),
            max_width="460px",
        ),
        open=open,
        on_open_change=on_open_change,
    )
