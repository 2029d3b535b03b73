"""What a team's and a department's page share: loading one unit of the chosen scope and showing its
header, child units and direct members."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import NotFound
from orgonaut.org import queries
from orgonaut.org import service as org
from orgonaut.org.models import OrgUnitKind
from orgonaut.paging import DEFAULT_SIZE, parse_page
from orgonaut.tenancy.models import User
from orgonaut.ui import layout
from orgonaut.ui.components import rows
from orgonaut.ui.components.badges import allocation_text, kind_badge, primary_badge
from orgonaut.ui.components.pager import PagerView, address, pager, pager_view
from orgonaut.ui.components.panels import fact, facts
from orgonaut.ui.components.tables import data_table, link_or_text

# The direct members' table is paged: `?placed_page=` and `?placed_size=` (default 50) in the unit page's address,
# beside whatever else it holds (the usage section's range, provider and member table).
PLACED_PARAMS = ("placed_page", "placed_size")


class UnitPageMixin(rx.State, mixin=True):
    found: bool = False
    unit: rows.UnitRow = rows.UnitRow()
    child_units: list[rows.UnitRow] = []
    members: list[rows.MemberRow] = []  # one page of the direct members, by name
    members_total: int = 0
    members_pager: PagerView = PagerView()
    # The direct members' effective FTE summed (all of them, not the page).
    members_fte: str = ""

    def _clear_unit(self) -> None:
        """State is sent to the browser: nothing of the unit shown before stays there."""
        self.found, self.unit, self.child_units, self.members, self.members_fte = False, rows.UnitRow(), [], [], ""
        self.members_total, self.members_pager = 0, PagerView()

    def _load_unit(self, user: User, scenario_id: int | None, raw_id: str, kind: OrgUnitKind) -> None:
        """Fills the page for unit `raw_id` if it is a `kind` of the user's tenant in `scenario_id`."""
        self._clear_unit()
        if not raw_id.isdigit():
            return
        params = self.router.url.query_parameters
        with session_scope() as session:
            try:
                unit = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                                          scenario_id=scenario_id, org_unit_id=int(raw_id), kind=kind)
            except NotFound:
                return
            today = queries.tenant_today(session=session, tenant_id=user.tenant_id)
            summary = queries.unit_summary(session=session, unit=unit, on=today)
            children = queries.child_units(session=session, org_unit_id=unit.id, on=today)
            found = queries.unit_members_page(session=session, org_unit_id=unit.id, on=today,
                                              request=parse_page(params.get("placed_page"), params.get("placed_size")))
        self.unit = rows.unit_row(summary)
        self.child_units = [rows.unit_row(child) for child in children]
        self.members = [rows.member_row(actor, placement) for actor, placement in found.members.items]
        self.members_total = found.members.total
        self.members_fte = rows.fte_text(found.effective_fte)
        self.members_pager = pager_view(found.members, lambda page: self._placed_address(page, found.members.size))
        self.found = True

    def _placed_address(self, page: int, size: int) -> str:
        url = self.router.url
        params = {key: value for key, value in url.query_parameters.items() if key not in PLACED_PARAMS}
        return address(url.path, {**params, "placed_page": page if page > 1 else None,
                                  "placed_size": size if size != DEFAULT_SIZE else None})

    @rx.var
    def members_text(self) -> str:
        count = self.members_total
        return f"{count:,} {'member' if count == 1 else 'members'}"


def unit_header(state: type[UnitPageMixin], extra_facts: list[rx.Component]) -> rx.Component:
    unit = state.unit
    return rx.card(
        rx.vstack(
            rx.heading(unit.name, size="5", as_="h2"),
            rx.cond(unit.purpose != "", rx.text(unit.purpose, color_scheme="gray", size="2")),
            facts(
                fact("Parent unit", link_or_text(unit.parent_name, unit.parent_url)),
                *extra_facts,
                fact("Direct members", rx.text(unit.direct_count, as_="span")),
                fact("Members in subtree", rx.text(unit.subtree_count, as_="span")),
                fact("Direct effective FTE", rx.text(state.members_fte, as_="span")),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _child_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(link_or_text(u.name, u.url)),
        rx.table.cell(u.kind),
        rx.table.cell(u.direct_count),
        rx.table.cell(u.subtree_count),
    )


def child_units_table(state: type[UnitPageMixin], empty_text: str) -> rx.Component:
    return rx.vstack(
        rx.heading("Units below", size="4", as_="h2"),
        rx.cond(
            state.child_units.length() > 0,
            data_table("Units below", ["Unit", "Kind", "Direct members", "Members in subtree"], state.child_units,
                       _child_row),
            rx.text(empty_text, color_scheme="gray", size="2"),
        ),
        width="100%",
        spacing="2",
    )


def _member_row(m: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(m.name, href=m.url)),
        rx.table.cell(kind_badge(m.kind)),
        rx.table.cell(rx.cond(m.email != "", m.email, rx.text("none", color_scheme="gray", as_="span"))),
        rx.table.cell(allocation_text(m.allocation_pct)),
        rx.table.cell(m.effective_fte),
        rx.table.cell(primary_badge(m.is_primary)),
    )


def members_table(state: type[UnitPageMixin], heading: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.heading(heading, size="4", as_="h2"), rx.text(state.members_text, size="2", color_scheme="gray"),
                  align="baseline"),
        rx.cond(
            state.members.length() > 0,
            rx.vstack(
                data_table(heading, ["Name", "Kind", "E-mail", "Allocation", "Effective FTE", "Primary"],
                           state.members, _member_row),
                pager(state.members_pager, heading),
                width="100%",
                spacing="2",
            ),
            layout.empty_state("users", "Nobody placed here", "No one is placed directly in this unit today."),
        ),
        width="100%",
        spacing="2",
    )
