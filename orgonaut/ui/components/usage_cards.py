"""Summary cards, the rollups' freshness ("updated 2 minutes ago" / "updating…"; the text comes from
`orgonaut.ui.format.updated_text`), the attribution help note, and the text formats the AI Tooling
sections share."""

from __future__ import annotations

import dataclasses
import functools

import reflex as rx

from orgonaut.rollups.periods import Period


@dataclasses.dataclass
class UsageCard:
    label: str = ""
    value: str = ""
    hint: str = ""  # the card's period in words, and which providers report the number
    change: str = ""  # against the period before ("+$12.34 (+8%) vs the 30 days before"); "" for none


NOT_REPORTED = "—"  # a metric no provider behind the number reports (never shown as 0)


def count(value: int | None) -> str:
    return NOT_REPORTED if value is None else f"{value:,}"


@functools.lru_cache(maxsize=4096)  # a chart labels every point: the same few thousand periods again and again
def period_text(period: Period) -> str:
    """"Oct 1 – 31, 2026", "Nov 1 – 25, 2026", "Dec 1, 2026 – Jan 31, 2027"."""
    start, end = period.start, period.end
    if start == end:
        return f"{end:%b} {end.day}, {end.year}"
    if start.year != end.year:
        return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"
    if start.month != end.month:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day} – {end.day}, {end.year}"


def card_grid(cards: rx.Var[list[UsageCard]], label: str) -> rx.Component:
    """Cards as a labelled definition list: each label a term, its value the definition. The <dl> is the
    grid and each card a <div> of one <dt> and its <dd>s (all a <dl> may hold); on a phone they stack."""
    return rx.el.dl(
        rx.foreach(cards, _card),
        display="grid",
        grid_template_columns=rx.breakpoints(
            initial="minmax(0, 1fr)", xs="repeat(2, minmax(0, 1fr))", sm="repeat(3, minmax(0, 1fr))",
            md="repeat(4, minmax(0, 1fr))",
        ),
        gap="12px",
        aria_label=label,
        margin="0",
        width="100%",
    )


def _card(card: rx.Var[UsageCard]) -> rx.Component:
    return rx.card(
        rx.el.dt(rx.text(card.label, size="1", color_scheme="gray", weight="medium")),
        rx.el.dd(rx.text(card.value, size="5", weight="bold"), margin="0"),
        # The period and the change describe the value too: more definitions of the same term (a <p> beside
        # them would break the list), after the value, so the first <dd> after a term is its value.
        rx.cond(card.hint != "", rx.el.dd(rx.text(card.hint, size="1", color_scheme="gray"), margin="0")),
        rx.cond(card.change != "", rx.el.dd(rx.text(card.change, size="1", color_scheme="gray"), margin="0",
                                            class_name="card-change")),
        size="1",
        display="flex",
        flex_direction="column",
        gap="4px",
    )


def freshness(pending: rx.Var[bool], updated: rx.Var[str]) -> rx.Component:
    """"updating…" while a refresh of the scope's rollups is queued or running, else when they were computed."""
    return rx.el.span(
        rx.cond(
            pending,
            rx.badge(rx.spinner(size="1"), "updating…", color_scheme="amber", variant="soft"),
            rx.text(updated, size="1", color_scheme="gray"),
        ),
        role="status",
        aria_label="Freshness",
    )


ATTRIBUTION_RULE = (
    "A day's usage counts for the units where the person had a placement that day, so last month's cost "
    "is last month's members' cost. Someone placed in two teams counts fully in each team, and once in the "
    "subtree of a unit above both. Team and department numbers come from stored rollups, refreshed in the "
    "background after each sync and org change."
)


def attribution_note() -> rx.Component:
    return rx.callout(ATTRIBUTION_RULE, icon="info", size="1", color_scheme="gray", variant="surface")
