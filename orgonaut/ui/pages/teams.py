"""/teams: every team of the chosen scope with its parent unit and member counts."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.org import queries
from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout
from orgonaut.ui.components import rows
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.tables import data_table, link_or_text
from orgonaut.ui.scope import ScopeState


class TeamsState(ScopeState):
    teams: list[rows.UnitRow] = []

    @rx.event
    def load(self):
        user = self._guard(Ability.teams_read)
        if user is None:
            self.teams = []  # state is sent to the browser: nothing from an earlier login stays there
            return
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
            found = queries.list_teams(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, on=today)
        self.teams = [rows.unit_row(summary) for summary in found]


def _row(t: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(t.name, href=t.url)),
        rx.table.cell(link_or_text(t.parent_name, t.parent_url)),
        rx.table.cell(t.team_type),
        rx.table.cell(t.direct_count),
    )


def teams_page() -> rx.Component:
    return layout.shell(
        page_title("Teams"),
        layout.guarded(
            rx.cond(
                TeamsState.teams.length() > 0,
                data_table("Teams", ["Team", "Parent unit", "Type", "Members"], TeamsState.teams, _row),
                layout.empty_state("users-round", "No teams yet", "This scope has no teams."),
            ),
        ),
    )
