"""Form pieces every dialog uses: a labelled field, the inline error callout, the Cancel button."""

from __future__ import annotations

from typing import Any

import reflex as rx


def field(label: str, field_id: str, control: rx.Component) -> rx.Component:
    """`control` under its label; the label points at `field_id`, so `get_by_label` finds the control."""
    return rx.vstack(rx.el.label(label, html_for=field_id, font_size="14px", font_weight="500"), control,
                     spacing="1", width="100%")


def error_callout(message: rx.Var[str], error_id: str | None = None) -> rx.Component:
    """The service's refusal under a form (role alert); nothing while `message` is empty. With `error_id`,
    the field it is about points at it (`invalid_when`)."""
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", role="alert", width="100%",
                   **({"id": error_id} if error_id else {})),
    )


def cancel_button(label: str = "Cancel") -> rx.Component:
    """Closes the dialog it is in (its `on_open_change` then resets the dialog's state)."""
    return rx.dialog.close(rx.button(label, type="button", variant="soft", color_scheme="gray"))


def labelled_upload(label: str, *children: rx.Component, **props: Any) -> rx.Component:
    """`rx.upload` whose file input has an accessible name: Reflex renders that input itself, hidden and
    unlabelled (axe: "Form elements must have labels"), and takes no props for it."""
    upload = rx.upload(*children, **props)
    pending = [upload]
    while pending:
        component = pending.pop()
        if component.tag == "input":
            component.custom_attrs["aria-label"] = label
        pending.extend(child for child in component.children if isinstance(child, rx.Component))
    return upload


def invalid_when(message: rx.Var[str], error_id: str) -> dict[str, Any]:
    """Props for a control whose form shows `message` (an `error_callout` with id `error_id`) when it is
    refused: marked invalid and described by the message, so a screen reader says why on the field."""
    has_error = message != ""
    return {"aria_invalid": rx.cond(has_error, "true", "false"),
            "aria_describedby": rx.cond(has_error, error_id, "")}
