"""A table inside a named region, so screen readers (and browser tests) find it by its label."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def data_table(
    label: str, columns: list[str], rows: rx.Var, render_row: Callable[[rx.Var], rx.Component]
) -> rx.Component:
    """On a narrow screen the table scrolls sideways in its own box, never the page. The box, not Radix's
    scroll area inside the table, does the scrolling (the table is at least as wide as its content), so it
    can take keyboard focus and be scrolled with the arrow keys (axe: scrollable-region-focusable)."""
    return rx.el.section(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(c) for c in columns])),
            rx.table.body(rx.foreach(rows, render_row)),
            variant="surface",
            size="2",
            width="100%",
            min_width="max-content",
        ),
        aria_label=label,
        tab_index=0,
        overflow_x="auto",
        width="100%",
        max_width="100%",
    )


def link_or_text(text: rx.Var[str], href: rx.Var[str]) -> rx.Component:
    """A link where the row has a page (teams, departments), plain text where it does not."""
    return rx.cond(href != "", rx.link(text, href=href), rx.text(text, as_="span"))
