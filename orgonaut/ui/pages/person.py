"""/people/[person_id]: one actor in the chosen scope, their identities ("Also known as"), their
placements, and the edit modal."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import NotFound
from orgonaut.org import queries
from orgonaut.org import service as org
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui import layout, routes
from orgonaut.ui.components import rows
from orgonaut.ui.components.actor_edit import ActorEditMixin, actor_edit_dialog
from orgonaut.ui.components.badges import allocation_text, kind_badge, primary_badge, status_badge, timing_badge
from orgonaut.ui.components.identities import IdentitiesMixin, identities_section
from orgonaut.ui.components.panels import detail_tab_title, fact, facts, not_found_panel, page_title
from orgonaut.ui.components.tables import data_table, link_or_text
from orgonaut.ui.pages.ai_usage import person_usage_section
from orgonaut.ui.pages.ai_usage_state import PersonUsageState
from orgonaut.ui.scope import ScopeState


class PersonState(ActorEditMixin, IdentitiesMixin, ScopeState):
    found: bool = False
    person: rows.PersonView = rows.PersonView()
    placements: list[rows.PlacementRow] = []

    @rx.event
    def load(self):
        self._close_actor_edit()
        # State is sent to the browser: nothing of the person shown before stays there.
        self.found, self.person, self.placements = False, rows.PersonView(), []
        user = self._guard(Ability.placements_read)
        if user is not None:
            self._load(user)

    def _load(self, user: User) -> None:
        scenario_id = self._scope_for(user)
        self.found, self.person, self.placements = False, rows.PersonView(), []
        self.identities, self._identities_actor_id = [], 0
        if not self.person_id.isdigit():
            return
        with session_scope() as session:
            try:
                actor = org.get_actor_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                                        scenario_id=scenario_id, actor_id=int(self.person_id))
            except NotFound:
                return
            today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
            placed = queries.placements_of_actor(session=session, actor_id=actor.id)
            self._load_identities(session, user.tenant_id, actor.id)
        self.person = rows.person_view(actor, placed, today)
        self.placements = [rows.placement_row(actor, p, unit, today) for p, unit in placed]
        self.found = True

    def _actor_saved(self, user: User) -> None:
        self._load(user)

    def _identities_changed(self, user: User):
        """The identities list, and the usage section: the change re-matched usage (after its commit)."""
        self._load(user)
        return PersonUsageState.load

    @rx.var
    def tab_title(self) -> str:
        return detail_tab_title(self.person.name if self.found else "", "Person")

    @rx.var
    def over_allocated(self) -> bool:
        return self.person.current_allocation_pct > 100


def ai_tooling_section() -> rx.Component:
    """The person's AI Tooling usage (hidden when they have none); loaded by `PersonUsageState.load`."""
    return person_usage_section(PersonState.person.id)


def _placement_row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(link_or_text(p.unit_name, p.unit_url)),
        rx.table.cell(p.unit_kind),
        rx.table.cell(allocation_text(p.allocation_pct)),
        rx.table.cell(p.effective_fte),
        rx.table.cell(primary_badge(p.is_primary)),
        rx.table.cell(p.start),
        rx.table.cell(rx.cond(p.end != "", p.end, "open-ended")),
        rx.table.cell(timing_badge(p.timing)),
    )


def _header() -> rx.Component:
    person = PersonState.person
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(person.name, size="5", as_="h2"),
                rx.spacer(),
                rx.cond(
                    PersonState.can_edit_scope,
                    rx.button(rx.icon("pencil", size=14), "Edit", on_click=PersonState.open_actor_edit(person.id)),
                ),
                width="100%",
                align="center",
            ),
            facts(
                fact("Kind", kind_badge(person.kind)),
                fact("E-mail", rx.text(rx.cond(person.email != "", person.email, "none"), as_="span")),
                fact("FTE", rx.text(person.fte, as_="span")),
                fact("Status", status_badge(person.status)),
                fact("Allocated now", allocation_text(person.current_allocation_pct),
                     rx.cond(PersonState.over_allocated,
                             rx.badge("over-allocated", color_scheme="red", variant="soft"))),
                fact("Effective FTE now", rx.text(person.current_effective_fte, as_="span")),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _placements() -> rx.Component:
    return rx.vstack(
        rx.heading("Placements", size="4", as_="h2"),
        rx.cond(
            PersonState.placements.length() > 0,
            data_table(
                "Placements",
                ["Unit", "Kind", "Allocation", "Effective FTE", "Primary", "Start", "End", ""],
                PersonState.placements,
                _placement_row,
            ),
            layout.empty_state("map-pin-off", "No placements", "This person is not placed in any unit."),
        ),
        rx.text("Effective FTE = FTE × allocation. Allocations above 100 % are shown as they are.",
                size="1", color_scheme="gray"),
        width="100%",
        spacing="2",
    )


def person_page() -> rx.Component:
    return layout.shell(
        page_title("People"),
        layout.guarded(
            rx.cond(
                PersonState.found,
                rx.vstack(
                    rx.link("← All people", href=routes.PEOPLE, size="2"),
                    _header(),
                    identities_section(PersonState, PersonState.can_edit_scope),
                    _placements(),
                    ai_tooling_section(),
                    actor_edit_dialog(PersonState),
                    width="100%",
                    spacing="4",
                ),
                not_found_panel("Person", "Back to People", routes.PEOPLE),
            ),
        ),
    )
