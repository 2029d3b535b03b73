"""A table inside a named region, so screen readers (and browser tests) find it by its label."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def sort_header(key: str, header: str, sort: rx.Var[str], on_sort: Callable[[str], Any]) -> rx.Component:
    """A column header that sorts the list by `key` (`sort` is the list's sort as its URL names it: "name"
    ascending, "-name" descending); it says which way with aria-sort."""
    ascending = sort == key
    descending = sort == "-" + key
    icon = rx.cond(ascending, "arrow-up", rx.cond(descending, "arrow-down", "chevrons-up-down"))
    return rx.table.column_header_cell(
        rx.button(header, rx.icon(icon, size=12), variant="ghost", size="1", color_scheme="gray",
                  high_contrast=ascending | descending, on_click=on_sort(key)),
        aria_sort=rx.cond(ascending, "ascending", rx.cond(descending, "descending", "none")),
    )


def sorted_table(
    label: str, columns: list[tuple[str, str]], sort: rx.Var[str], on_sort: Callable[[str], Any], rows: rx.Var,
    render_row: Callable[[rx.Var], rx.Component],
) -> rx.Component:
    """`data_table` whose headers sort: `columns` are (sort key, header); a key of "" is not sortable."""
    headers = [sort_header(key, header, sort, on_sort) if key else rx.table.column_header_cell(header)
               for key, header in columns]
    return rx.el.section(
        rx.table.root(
            rx.table.header(rx.table.row(*headers)),
            rx.table.body(rx.foreach(rows, render_row)),
            variant="surface",
            size="2",
            width="100%",
        ),
        aria_label=label,
        width="100%",
    )
