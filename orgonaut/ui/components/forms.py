"""Form pieces every dialog uses: a labelled field, the inline error callout, the Cancel button."""

from __future__ import annotations

import reflex as rx


def field(label: str, field_id: str, control: rx.Component) -> rx.Component:
    """`control` under its label; the label points at `field_id`, so `get_by_label` finds the control."""
    return rx.vstack(rx.el.label(label, html_for=field_id, font_size="14px", font_weight="500"), control,
                     spacing="1", width="100%")


def error_callout(message: rx.Var[str]) -> rx.Component:
    """The service's refusal under a form (role alert); nothing while `message` is empty."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
    )


def cancel_button(label: str = "Cancel") -> rx.Component:
    """Closes the dialog it is in (its `on_open_change` then resets the dialog's state)."""
    return rx.dialog.close(rx.button(label, type="button", variant="soft", color_scheme="gray"))
