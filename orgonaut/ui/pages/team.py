"""/teams/[team_id]: a team of the chosen scope, its parent unit and its members with allocation."""

from __future__ import annotations

import reflex as rx

from orgonaut.org.models import OrgUnitKind
from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout, routes
from orgonaut.ui.components.panels import detail_tab_title, fact, not_found_panel, page_title
from orgonaut.ui.components.unit_detail import UnitPageMixin, child_units_table, members_table, unit_header
from orgonaut.ui.pages.ai_usage import team_usage_section
from orgonaut.ui.scope import ScopeState


class TeamState(UnitPageMixin, ScopeState):
    @rx.event
    def load(self):
        self._clear_unit()
        user = self._guard(Ability.teams_read)
        if user is not None:
            self._load_unit(user, self._scope_for(user), self.team_id, OrgUnitKind.team)

    @rx.var
    def tab_title(self) -> str:
        return detail_tab_title(self.unit.name if self.found else "", "Team")


def ai_tooling_metrics() -> rx.Component:
    """The team's AI Tooling metrics from the stored rollups; loaded by `TeamUsageState.load`."""
    return team_usage_section(TeamState.unit.id)


def team_page() -> rx.Component:
    return layout.shell(
        page_title("Teams"),
        layout.guarded(
            rx.cond(
                TeamState.found,
                rx.vstack(
                    rx.link("← All teams", href=routes.TEAMS, size="2"),
                    unit_header(TeamState, [fact("Type", rx.text(
                        rx.cond(TeamState.unit.team_type != "", TeamState.unit.team_type, "none"), as_="span"))]),
                    members_table(TeamState, "Members"),
                    rx.cond(TeamState.child_units.length() > 0, child_units_table(TeamState, "")),
                    ai_tooling_metrics(),
                    width="100%",
                    spacing="4",
                ),
                not_found_panel("Team", "Back to Teams", routes.TEAMS),
            ),
        ),
    )
