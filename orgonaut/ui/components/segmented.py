"""Segmented controls whose arrow keys choose, as radio buttons do.

Radix's segmented control exposes its items as radios, but on the keyboard the arrow keys only move
focus and Space or Enter chooses (a toggle group's behaviour); the WAI-ARIA radio group chooses the
item the arrows move to. An item that takes keyboard focus (`:focus-visible`, so not a mouse click,
which chooses by itself) and is not chosen yet is clicked, which goes through the control's own
`on_change`. Tabbing into the control lands on the chosen item, so it changes nothing.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import FunctionVar

_CHOOSE_ON_KEYBOARD_FOCUS = rx.Var(
    "((event) => { const item = event.currentTarget;"
    " if (item.matches(':focus-visible') && item.getAttribute('aria-checked') !== 'true') { item.click(); } })"
).to(FunctionVar)


def segmented_item(label: str | rx.Var[str], value: str | rx.Var[str]) -> rx.Component:
    """`rx.segmented_control.item` chosen by the arrow keys too."""
    return rx.segmented_control.item(label, value=value, on_focus=_CHOOSE_ON_KEYBOARD_FOCUS)
