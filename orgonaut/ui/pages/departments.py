"""/departments: every department of the chosen scope with direct and subtree member counts, and (for users
who see usage) its costs and active users from the rollups, sortable, with a totals row (`unit_costs`)."""

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


class DepartmentsState(UnitCostsMixin, ScopeState):
    departments: list[CostedUnitRow] = []

    def _rows(self) -> list[CostedUnitRow]:
        return self.departments

    def _set_rows(self, found: list[CostedUnitRow]) -> None:
        self.departments = found

    @rx.event
    def load(self):
        user = self._guard(Ability.org_units_read)
        if user is None:
            self.departments = []  # state is sent to the browser: nothing from an earlier login stays there
            self._clear_costs()
            return
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
            found = queries.list_departments(
                session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, on=today
            )
            self.departments = self._load_costs(session, user, scenario_id,
                                                [rows.unit_row(summary) for summary in found])


def _row(d: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(d.name, href=d.url)),
        rx.table.cell(link_or_text(d.parent_name, d.parent_url)),
        rx.table.cell(d.direct_count),
        rx.table.cell(d.subtree_count),
        rx.cond(DepartmentsState.show_costs, rx.fragment(*cost_cells(d))),
    )


def departments_page() -> rx.Component:
    return layout.shell(
        page_title("Departments"),
        layout.guarded(
            rx.cond(
                DepartmentsState.departments.length() > 0,
                costed_table(
                    DepartmentsState, "Departments", "Department", ["Parent unit", "Direct members",
                                                                     "Members in subtree"],
                    DepartmentsState.departments, _row, "All departments (each person once)",
                ),
                layout.empty_state("building-2", "No departments yet", "This scope has no departments."),
            ),
        ),
    )
