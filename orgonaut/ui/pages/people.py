"""/people: everyone in the chosen scope, searchable by name or e-mail, filtered by kind, sorted by any
column and paged on the server (`org.queries.people_page`).

The list is its address: `?q=` (the search), `?kind=`, `?sort=` ("name", "-fte"), `?page=` and `?size=`
(default 50). The load reads them, leniently (a bad value is its default, a page past the end the last
page); searching, filtering and sorting show page 1 and rewrite the address in place; the pager's links
navigate, so the load runs again. A reload or a shared link shows the same page.
"""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import queries
from orgonaut.org.models import ActorKind
from orgonaut.paging import DEFAULT_SIZE, PageRequest, parse_page, parse_sort, search_term
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui import layout, routes
from orgonaut.ui.components import rows
from orgonaut.ui.components.badges import kind_badge, status_badge
from orgonaut.ui.components.pager import PagerView, address, pager, pager_view, replace_address
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.segmented import segmented_item
from orgonaut.ui.components.tables import link_or_text, sorted_table
from orgonaut.ui.scope import ScopeState

ALL_KINDS = "all"
COLUMNS = [("name", "Name"), ("email", "E-mail"), ("kind", "Kind"), ("fte", "FTE"), ("home_unit", "Home unit"),
           ("status", "Status")]


class PeopleState(ScopeState):
    search: str = ""
    kind_filter: str = ALL_KINDS
    sort: str = queries.PEOPLE_DEFAULT_SORT.value  # as the URL names it: "name", "-fte"
    people: list[rows.PersonListRow] = []
    total: int = 0  # everyone who matches, on every page
    pager: PagerView = PagerView()
    filter_error: str = ""
    _page: PageRequest = PageRequest()

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        self.search = search_term(params.get("q"))
        kind = str(params.get("kind", "")).strip()
        self.kind_filter = kind if kind in {k.value for k in ActorKind} else ALL_KINDS
        self.sort = parse_sort(params.get("sort"), queries.PEOPLE_SORTS, queries.PEOPLE_DEFAULT_SORT).value
        self._page = parse_page(params.get("page"), params.get("size"))
        user = self._guard(Ability.placements_read)
        if user is None:
            self.people, self.total, self.pager = [], 0, PagerView()  # nothing of an earlier login stays
            return None
        self._load(user)
        # A bad or too large page number shows another page: the address then names the one shown.
        shown = self._address(self._page.page)
        return None if shown == self.router.url.path + _query(params) else replace_address(shown)

    def _address(self, page: int) -> str:
        size = self._page.size if self._page.size != DEFAULT_SIZE else None
        return address(routes.PEOPLE, {
            "q": self.search, "kind": self.kind_filter if self.kind_filter != ALL_KINDS else None,
            "sort": self.sort if self.sort != queries.PEOPLE_DEFAULT_SORT.value else None,
            "page": page if page > 1 else None, "size": size,
        })

    def _load(self, user: User) -> None:
        scenario_id = self._scope_for(user)
        self.filter_error = ""
        try:
            with session_scope() as session:
                found = queries.people_page(
                    session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, request=self._page,
                    search=self.search, kind=None if self.kind_filter == ALL_KINDS else self.kind_filter,
                    sort=parse_sort(self.sort, queries.PEOPLE_SORTS, queries.PEOPLE_DEFAULT_SORT),
                )
        except DomainError as error:
            self.people, self.total, self.pager, self.filter_error = [], 0, PagerView(), str(error)
            return
        self._page = PageRequest(page=found.page, size=found.size)
        self.people = [rows.person_list_row(row) for row in found.items]
        self.total = found.total
        self.pager = pager_view(found, self._address)

    def _reload_first_page(self):
        """After a new search, filter or sort: its first page, and the address says so."""
        user = self._require(Ability.placements_read)
        if user is None:
            return None
        self._page = PageRequest(page=1, size=self._page.size)
        self._load(user)
        return replace_address(self._address(1))

    @rx.event
    def search_people(self, value: str):
        self.search = search_term(value)
        return self._reload_first_page()

    @rx.event
    def filter_kind(self, value: str | list[str]):
        chosen = value[0] if isinstance(value, list) else value
        self.kind_filter = chosen if chosen in {k.value for k in ActorKind} else ALL_KINDS
        return self._reload_first_page()

    @rx.event
    def sort_by(self, key: str):
        """The column's natural order first (names A→Z), the other way on a second click."""
        current = parse_sort(self.sort, queries.PEOPLE_SORTS, queries.PEOPLE_DEFAULT_SORT)
        chosen = parse_sort(key, queries.PEOPLE_SORTS, queries.PEOPLE_DEFAULT_SORT)
        self.sort = ("" if current.key != chosen.key or current.descending else "-") + chosen.key
        return self._reload_first_page()

    @rx.event
    def clear_filters(self):
        self.search, self.kind_filter = "", ALL_KINDS
        return self._reload_first_page()

    @rx.var
    def filtered(self) -> bool:
        return self.search.strip() != "" or self.kind_filter != ALL_KINDS

    @rx.var
    def count_text(self) -> str:
        return f"{self.total:,} {'person' if self.total == 1 else 'people'}"


def _query(params) -> str:
    """The address's query as `address` writes it, to tell whether the address already names the page."""
    return address("", dict(params))


def _row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(p.name, href=p.url)),
        rx.table.cell(rx.cond(p.email != "", p.email, rx.text("none", color_scheme="gray", as_="span"))),
        rx.table.cell(kind_badge(p.kind)),
        rx.table.cell(p.fte),
        rx.table.cell(link_or_text(p.home_unit, p.home_url)),
        rx.table.cell(status_badge(p.status)),
    )


def _filters() -> rx.Component:
    return rx.hstack(
        rx.debounce_input(
            rx.input(
                rx.input.slot(rx.icon("search", size=14)),
                placeholder="Name or e-mail",
                aria_label="Search people",
                value=PeopleState.search,
                on_change=PeopleState.search_people,
                width="280px",
            ),
            debounce_timeout=300,
        ),
        rx.segmented_control.root(
            segmented_item("All", ALL_KINDS),
            *[segmented_item(f"{k.value.capitalize()}s", k.value) for k in ActorKind],
            value=PeopleState.kind_filter,
            on_change=PeopleState.filter_kind,
            aria_label="Kind",
        ),
        rx.spacer(),
        rx.text(PeopleState.count_text, size="2", color_scheme="gray", role="status"),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _results() -> rx.Component:
    return rx.cond(
        PeopleState.people.length() > 0,
        rx.vstack(
            sorted_table("People", COLUMNS, PeopleState.sort, PeopleState.sort_by, PeopleState.people, _row),
            pager(PeopleState.pager, "People"),
            width="100%",
            spacing="2",
        ),
        rx.cond(
            PeopleState.filtered,
            layout.empty_state(
                "search-x", "No one matches", "Nobody in this scope matches the search and kind filter.",
                rx.button("Clear filters", variant="soft", on_click=PeopleState.clear_filters),
            ),
            layout.empty_state("users", "No people yet", "Nobody is in this scope yet."),
        ),
    )


def people_page() -> rx.Component:
    return layout.shell(
        page_title("People"),
        layout.guarded(
            rx.vstack(
                _filters(),
                rx.cond(
                    PeopleState.filter_error != "",
                    rx.callout(PeopleState.filter_error, icon="triangle-alert", color_scheme="red", role="alert"),
                ),
                _results(),
                width="100%",
                spacing="3",
            ),
        ),
    )
