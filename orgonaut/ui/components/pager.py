"""The pager under a paged list: "1–50 of 10,000", Previous and Next, and links to nearby pages.

Each link is a real address (the list's page, size, search and sort in its query), so a reload or a shared
link shows the same page and following one runs the page's load again. The links are built on the server
(`pager_view`) from a `Page` (`orgonaut.paging`) and a function that gives a page number's address.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

import reflex as rx

from orgonaut.paging import Page

# Pages linked on each side of the current one (besides the first and the last).
AROUND = 2


@dataclasses.dataclass
class PageLink:
    label: str = ""  # the page number, or "…" for pages left out
    href: str = ""  # "" for "…" and for the current page
    current: bool = False


@dataclasses.dataclass
class PagerView:
    summary: str = ""  # "1–50 of 10,000"; "" for an empty list
    previous_href: str = ""  # "" on the first page
    next_href: str = ""  # "" on the last page
    links: list[PageLink] = dataclasses.field(default_factory=list)  # empty when everything fits on one page


def page_numbers(page: int, pages: int, around: int = AROUND) -> list[int | None]:
    """The page numbers to link: the first, the last and `around` on each side of `page`; None where two
    pages or more are left out."""
    wanted = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    numbers: list[int | None] = []
    for number in wanted:
        gap = number - (numbers[-1] or 0) if numbers else 1
        if gap == 2:  # "…" in place of one page would hide it for nothing
            numbers.append(number - 1)
        elif gap > 2:
            numbers.append(None)
        numbers.append(number)
    return numbers


def summary_text(page: Page) -> str:
    if page.total == 0:
        return ""
    return f"{page.first_index:,}–{page.last_index:,} of {page.total:,}"


def pager_view(page: Page, href: Callable[[int], str]) -> PagerView:
    links = [] if page.pages == 1 else [
        PageLink(label="…") if number is None
        else PageLink(label=str(number), href="" if number == page.page else href(number), current=number == page.page)
        for number in page_numbers(page.page, page.pages)
    ]
    return PagerView(
        summary=summary_text(page),
        previous_href=href(page.page - 1) if page.page > 1 else "",
        next_href=href(page.page + 1) if page.page < page.pages else "",
        links=links,
    )


def address(path: str, params: Mapping[str, object]) -> str:
    """`path` with the parameters that are set (None and "" left out, so defaults keep the address short)."""
    kept = {key: str(value) for key, value in params.items() if value is not None and value != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def replace_address(url: str):
    """Shows `url` in the address bar without navigating (the page already shows what it names), keeping
    the router's own history state so Back and Forward still work. Later events read the new query."""
    return rx.call_script(f"window.history.replaceState(window.history.state, '', {json.dumps(url)})")


def _page_link(link: rx.Var, label: str) -> rx.Component:
    return rx.cond(
        link.current,
        rx.text(link.label, as_="span", weight="bold", aria_current="page", padding_x="6px"),
        rx.cond(link.href != "",
                rx.link(link.label, href=link.href, aria_label=f"{label}: page " + link.label, padding_x="6px"),
                rx.text(link.label, as_="span", color_scheme="gray", aria_hidden="true")),
    )


def _step(text: str, href: rx.Var, label: str) -> rx.Component:
    return rx.cond(href != "", rx.link(text, href=href, aria_label=f"{label}: {text.lower()} page"),
                   rx.text(text, as_="span", color_scheme="gray", aria_disabled="true"))


def pager(view: rx.Var, label: str) -> rx.Component:
    """The pager of the list named `label` (its links are named "People: page 3", "People: next page")."""
    return rx.el.nav(
        rx.hstack(
            # Announced when it changes, but no role="status": a page can hold several pagers beside its own status.
            rx.text(view.summary, size="2", color_scheme="gray", aria_live="polite"),
            rx.spacer(),
            rx.cond(
                view.links.length() > 0,
                rx.hstack(
                    _step("Previous", view.previous_href, label),
                    rx.foreach(view.links, lambda link: _page_link(link, label)),
                    _step("Next", view.next_href, label),
                    spacing="1",
                    align="center",
                    wrap="wrap",
                ),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        aria_label=f"{label} pages",
        width="100%",
    )
