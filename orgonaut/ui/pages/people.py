"""/people: everyone in the chosen scope, searchable by name or e-mail and filtered by kind."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import queries
from orgonaut.org.models import ActorKind
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui import layout
from orgonaut.ui.components import rows
from orgonaut.ui.components.badges import kind_badge, status_badge
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.segmented import segmented_item
from orgonaut.ui.components.tables import data_table, link_or_text
from orgonaut.ui.scope import ScopeState

ALL_KINDS = "all"


class PeopleState(ScopeState):
    search: str = ""
    kind_filter: str = ALL_KINDS
    people: list[rows.PersonListRow] = []
    filter_error: str = ""

    @rx.event
    def load(self):
        user = self._guard(Ability.placements_read)
        if user is None:
            self.people = []  # state is sent to the browser: nothing from an earlier login stays there
            return
        self._load(user)

    def _load(self, user: User) -> None:
        scenario_id = self._scope_for(user)
        self.filter_error = ""
        try:
            with session_scope() as session:
                found = queries.list_people(
                    session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, search=self.search,
                    kind=None if self.kind_filter == ALL_KINDS else self.kind_filter,
                )
        except DomainError as error:
            self.people, self.filter_error = [], str(error)
            return
        self.people = [rows.person_list_row(row) for row in found]

    @rx.event
    def search_people(self, value: str):
        self.search = value
        user = self._require(Ability.placements_read)
        if user is not None:
            self._load(user)

    @rx.event
    def filter_kind(self, value: str | list[str]):
        self.kind_filter = value[0] if isinstance(value, list) else value
        user = self._require(Ability.placements_read)
        if user is not None:
            self._load(user)

    @rx.event
    def clear_filters(self):
        self.search, self.kind_filter = "", ALL_KINDS
        user = self._require(Ability.placements_read)
        if user is not None:
            self._load(user)

    @rx.var
    def filtered(self) -> bool:
        return self.search.strip() != "" or self.kind_filter != ALL_KINDS

    @rx.var
    def count_text(self) -> str:
        count = len(self.people)
        return f"{count} {'person' if count == 1 else 'people'}"


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
        data_table("People", ["Name", "E-mail", "Kind", "FTE", "Home unit", "Status"], PeopleState.people, _row),
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
