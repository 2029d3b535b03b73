"""/departments/[department_id]: a department of the chosen scope, its child units, direct members and
subtree member count."""

from __future__ import annotations

import reflex as rx

from orgonaut.org.models import OrgUnitKind
from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout, routes
from orgonaut.ui.components.panels import detail_tab_title, not_found_panel, page_title
from orgonaut.ui.components.unit_detail import UnitPageMixin, child_units_table, members_table, unit_header
from orgonaut.ui.pages.ai_usage import department_usage_section
from orgonaut.ui.pages.department_breakdown import breakdown_section
from orgonaut.ui.scope import ScopeState


class DepartmentState(UnitPageMixin, ScopeState):
    @rx.event
    def load(self):
        self._clear_unit()
        user = self._guard(Ability.org_units_read)
        if user is not None:
            self._load_unit(user, self._scope_for(user), self.department_id, OrgUnitKind.department)

    @rx.var
    def tab_title(self) -> str:
        return detail_tab_title(self.unit.name if self.found else "", "Department")


def ai_tooling_metrics() -> rx.Component:
    """The department's AI Tooling metrics from the stored rollups; loaded by `DepartmentUsageState.load`."""
    return rx.vstack(department_usage_section(DepartmentState.unit.id),
                     breakdown_section(DepartmentState.unit.id), width="100%", spacing="4")


def department_page() -> rx.Component:
    return layout.shell(
        page_title("Departments"),
        layout.guarded(
            rx.cond(
                DepartmentState.found,
                rx.vstack(
                    rx.link("← All departments", href=routes.DEPARTMENTS, size="2"),
                    unit_header(DepartmentState, []),
                    child_units_table(DepartmentState, "No units below this department."),
                    members_table(DepartmentState, "Direct members"),
                    ai_tooling_metrics(),
                    width="100%",
                    spacing="4",
                ),
                not_found_panel("Department", "Back to Departments", routes.DEPARTMENTS),
            ),
        ),
    )
