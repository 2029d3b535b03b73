"""/teams: every team of the chosen scope with its parent unit and member counts, and (for users who
see usage) its costs and active users from the rollups, sortable, with a totals row (`unit_costs`)."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.org import queries
from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout
from orgonaut.ui.components import rows
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.tables import link_or_text
from orgonaut.ui.pages.unit_costs import CostedUnitRow, UnitCostsMixin, cost_cells, costed_table
from orgonaut.ui.scope import ScopeState


class TeamsState(UnitCostsMixin, ScopeState):
    teams: list[CostedUnitRow] = []

    def _rows(self) -> list[CostedUnitRow]:
        return self.teams

    def _set_rows(self, found: list[CostedUnitRow]) -> None:
        self.teams = found

    @rx.event
    def load(self):
        user = self._guard(Ability.teams_read)
        if user is None:
            self.teams = []  # state is sent to the browser: nothing from an earlier login stays there
            self._clear_costs()
            return
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
            found = queries.list_teams(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, on=today)
            self.teams = self._load_costs(session, user, scenario_id, [rows.unit_row(summary) for summary in found])


def _row(t: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(t.name, href=t.url)),
        rx.table.cell(link_or_text(t.parent_name, t.parent_url)),
        rx.table.cell(t.team_type),
        rx.table.cell(t.direct_count),
        rx.cond(TeamsState.show_costs, rx.fragment(*cost_cells(t))),
    )


def teams_page() -> rx.Component:
    return layout.shell(
        page_title("Teams"),
        layout.guarded(
            rx.cond(
                TeamsState.teams.length() > 0,
                costed_table(TeamsState, "Teams", "Team", ["Parent unit", "Type", "Members"], TeamsState.teams, _row,
                             "All teams (each person once)"),
                layout.empty_state("users-round", "No teams yet", "This scope has no teams."),
            ),
        ),
    )
