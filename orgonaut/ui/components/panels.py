"""Page headers with the scope badge, the not-found panel, and labelled facts."""

from __future__ import annotations

import reflex as rx

from orgonaut.ui.scope import scope_badge


def page_title(title: str) -> rx.Component:
    """The top bar's title: the page's name and the scope it shows."""
    return rx.hstack(rx.heading(title, size="6", as_="h1"), scope_badge(), align="center", spacing="3")


def detail_tab_title(subject: str, fallback: str) -> str:
    """A detail page's browser-tab title: who or what it shows ("Ana Souza · Orgonaut"), so several open
    tabs can be told apart; `fallback` ("Person") while nothing is loaded or the id is not found."""
    return f"{subject or fallback} · Orgonaut"


def not_found_panel(what: str, back_label: str, back_href: str) -> rx.Component:
    """For an id that is not in the chosen scope of the user's tenant (unknown, other scope, other tenant
    alike), so nothing about other scopes or tenants leaks."""
    return rx.center(
        rx.vstack(
            rx.icon("search-x", size=36, color=rx.color("gray", 9)),
            rx.heading(f"{what} not found", size="5", as_="h2"),
            rx.text(
                f"There is no such {what.lower()} in the scope you are looking at. The link may be wrong, "
                "or it may point into another scope: pick that scope above, then open the list again.",
                color_scheme="gray",
            ),
            rx.link(back_label, href=back_href),
            align="center",
            spacing="3",
            max_width="520px",
            text_align="center",
        ),
        padding_top="60px",
        width="100%",
    )


def fact(label: str, *value: rx.Component | rx.Var | str) -> rx.Component:
    """A labelled value in a page's header card (a definition-list pair)."""
    return rx.vstack(
        rx.el.dt(rx.text(label, size="1", color_scheme="gray", weight="medium")),
        rx.el.dd(rx.hstack(*value, spacing="2", align="center"), margin="0"),
        spacing="1",
        min_width="110px",
    )


def facts(*items: rx.Component) -> rx.Component:
    # The <dl> itself lays the pairs out: a <dl> may hold only <dt>/<dd> and <div>s of them, so no
    # flex wrapper in between (axe: definition-list, dlitem).
    return rx.el.dl(*items, display="flex", flex_wrap="wrap", column_gap="24px", row_gap="12px", margin="0")

