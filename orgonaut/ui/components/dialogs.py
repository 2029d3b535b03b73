"""Dialog content that gives focus back to the button that opened it.

Radix gives focus back to a dialog's own Trigger on close. Our dialogs open from state (a row's Edit
button, a card's action) with no Trigger, so focus fell to <body> and a keyboard user started again at
the top of the page. The element that had focus when the dialog opened is kept on the dialog's focus
container and focused again when it closes (if it is still on the page; otherwise Radix's default).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import FunctionVar

# Radix's onOpenAutoFocus / onCloseAutoFocus: both are dispatched on the dialog's focus container.
_REMEMBER_OPENER = rx.Var("((event) => { event.target.orgonautOpener = document.activeElement; })").to(FunctionVar)
_REFOCUS_OPENER = rx.Var(
    "((event) => { const opener = event.target.orgonautOpener;"
    " if (opener && opener.isConnected && opener !== document.body) { event.preventDefault(); opener.focus(); } })"
).to(FunctionVar)


def returning_focus(**props: Any) -> dict[str, Any]:
    """`props` for a dialog's content, with the handlers that give focus back to its opener."""
    return {"on_open_auto_focus": _REMEMBER_OPENER, "on_close_auto_focus": _REFOCUS_OPENER, **props}


def dialog_content(*children: rx.Component, **props: Any) -> rx.Component:
    """`rx.dialog.content` that gives focus back to its opener when it closes."""
    return rx.dialog.content(*children, **returning_focus(**props))


def alert_dialog_content(*children: rx.Component, **props: Any) -> rx.Component:
    """`rx.alert_dialog.content` that gives focus back to its opener when it closes."""
    return rx.alert_dialog.content(*children, **returning_focus(**props))
