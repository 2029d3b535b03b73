"""Small badges: actor kind and status, primary placement, allocation (over 100 % stands out)."""

from __future__ import annotations

import reflex as rx

_KIND_ICON = {"human": "user", "robot": "bot", "agent": "sparkles"}
_KIND_COLOR = {"human": "gray", "robot": "cyan", "agent": "violet"}


def kind_badge(kind: rx.Var[str]) -> rx.Component:
    return rx.badge(
        rx.match(kind, *[(k, rx.icon(icon, size=12)) for k, icon in _KIND_ICON.items()], rx.icon("user", size=12)),
        kind,
        color_scheme=rx.match(kind, *_KIND_COLOR.items(), "gray"),
        variant="soft",
    )


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=rx.cond(status == "active", "green", "gray"), variant="outline")


def primary_badge(is_primary: rx.Var[bool]) -> rx.Component:
    return rx.cond(is_primary, rx.badge("primary", color_scheme="indigo", variant="soft"), rx.fragment())


def allocation_text(allocation_pct: rx.Var[int]) -> rx.Component:
    """An allocation %; above 100 it is shown in red, never capped."""
    return rx.text(
        allocation_pct, " %",
        color=rx.cond(allocation_pct > 100, rx.color("red", 11), rx.color("gray", 12)),
        weight=rx.cond(allocation_pct > 100, "bold", "regular"),
        as_="span",
    )


def timing_badge(timing: rx.Var[str]) -> rx.Component:
    return rx.badge(
        timing, color_scheme=rx.match(timing, ("current", "green"), ("upcoming", "blue"), "gray"), variant="soft"
    )
