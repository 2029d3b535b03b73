"""The cost columns of the team and department lists: last month, month to date, the change against
last month's same days and this month's active users per unit, sortable, with a totals row.

Numbers come from the rollups (`rollups.unit_costs.unit_costs`: each unit's subtree, as its own page's
cards) and only for the units whose usage the signed-in user may see (`org.visibility`); other rows show
"—" and count in no total. The totals row is the listed units' usage with each person-day once
(`rollups.overview.overview`): a person in two teams, or a department inside another, is not counted
twice, so it can be less than the column's sum.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import reflex as rx
from sqlmodel import Session

from orgonaut.org import visibility
from orgonaut.rollups import overview, unit_costs
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability, User
from orgonaut.ui.components import rows
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_text import pct_text, signed_usd

HIDDEN = "—"
# Sortable columns: key -> label.
COST_COLUMNS = {"last_month": "Last month", "mtd": "Month to date", "change": "Change vs same days",
                "active": "Active users"}


@dataclasses.dataclass
class CostCells:
    last_month: str = ""
    mtd: str = ""
    change: str = ""
    active: str = ""


def cells(costs: unit_costs.UnitCosts | None) -> CostCells:
    if costs is None:
        return CostCells(HIDDEN, HIDDEN, HIDDEN, HIDDEN)
    return CostCells(
        last_month=format_usd(costs.last_month_cost_cents), mtd=format_usd(costs.mtd_cost_cents),
        change=f"{signed_usd(costs.change_cents)} ({pct_text(costs.change_pct)})", active=f"{costs.mtd_active_users:,}",
    )


def visible_costs(
    session: Session, user: User, scenario_id: int | None, unit_ids: list[int],
) -> tuple[dict[int, unit_costs.UnitCosts], CostCells | None]:
    """Costs of the listed units the user may see, and the totals row (None: the user sees no costs)."""
    if not tenancy.can(user, Ability.costs_read):
        return {}, None
    viewer = visibility.viewer_for(session=session, user=user, scenario_id=scenario_id)
    shown = [i for i in unit_ids if viewer.may_see_unit(i)]
    if not shown:
        return {}, None
    costs = unit_costs.unit_costs(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id,
                                org_unit_ids=shown)
    union = overview.overview(session=session, tenant_id=user.tenant_id, scenario_id=scenario_id, unit_ids=shown,
                              top=0).total
    total = CostCells(
        last_month=format_usd(union.last_month_cost_cents), mtd=format_usd(union.mtd_cost_cents),
        change=f"{signed_usd(union.mtd_cost_cents - union.last_month_same_days_cost_cents)} "
               f"({pct_text(_pct(union.mtd_cost_cents, union.last_month_same_days_cost_cents))})",
        active=f"{union.active_users:,}",
    )
    return costs, total


def _pct(now: Decimal, before: Decimal) -> Decimal | None:
    return None if not before else (now - before) * 100 / before


def sort_value(key: str, name: str, costs: unit_costs.UnitCosts | None) -> tuple:
    """Rows sort by the column's number; rows the user may not see last; ties by name."""
    if costs is None:
        return (1, Decimal(0), name.lower())
    number = {"last_month": costs.last_month_cost_cents, "mtd": costs.mtd_cost_cents, "change": costs.change_cents,
              "active": Decimal(costs.mtd_active_users)}.get(key)
    return (0, number if number is not None else Decimal(0), name.lower())


def sortable_header(label: str, key: str, sort_column: rx.Var[str], descending: rx.Var[bool], on_sort) -> rx.Component:
    arrow = rx.cond(sort_column == key, rx.cond(descending, " ↓", " ↑"), "")
    return rx.table.column_header_cell(
        rx.button(label, arrow, variant="ghost", size="1", on_click=on_sort(key), aria_label=f"Sort by {label}"),
    )


@dataclasses.dataclass
class CostedUnitRow(rows.UnitRow):
    last_month: str = ""
    mtd: str = ""
    change: str = ""
    active: str = ""


def costed(row: rows.UnitRow, costs: unit_costs.UnitCosts | None) -> CostedUnitRow:
    return CostedUnitRow(**dataclasses.asdict(row), **dataclasses.asdict(cells(costs)))


def sorted_rows(found: list[CostedUnitRow], costs: dict[int, unit_costs.UnitCosts], key: str,
                descending: bool) -> list[CostedUnitRow]:
    """By name, or by a cost column (rows the user may not see stay last either way)."""
    if key not in COST_COLUMNS:
        return sorted(found, key=lambda r: (r.name.lower(), r.id), reverse=descending)
    shown = sorted((r for r in found if r.id in costs), key=lambda r: sort_value(key, r.name, costs[r.id]),
                   reverse=descending)
    return [*shown, *(r for r in found if r.id not in costs)]


class UnitCostsMixin(rx.State, mixin=True):
    """The sortable cost columns and the totals row of a unit list (teams, departments)."""

    show_costs: bool = False
    totals: CostCells = CostCells()
    sort_column: str = "name"
    sort_desc: bool = False
    _costs: dict[int, unit_costs.UnitCosts] = {}

    def _rows(self) -> list[CostedUnitRow]:
        raise NotImplementedError

    def _set_rows(self, found: list[CostedUnitRow]) -> None:
        raise NotImplementedError

    def _load_costs(self, session: Session, user: User, scenario_id: int | None,
                    found: list[rows.UnitRow]) -> list[CostedUnitRow]:
        self._costs, totals = visible_costs(session, user, scenario_id, [r.id for r in found])
        self.show_costs, self.totals = totals is not None, totals or CostCells()
        return sorted_rows([costed(r, self._costs.get(r.id)) for r in found], self._costs, self.sort_column,
                           self.sort_desc)

    def _clear_costs(self) -> None:
        self.show_costs, self.totals, self._costs = False, CostCells(), {}

    @rx.event
    def sort_by(self, key: str):
        """Click a header: sort by it (numbers highest first), click again to reverse."""
        if key not in COST_COLUMNS and key != "name":
            return
        if key == self.sort_column:
            self.sort_desc = not self.sort_desc
        else:
            self.sort_column, self.sort_desc = key, key != "name"
        self._set_rows(sorted_rows(self._rows(), self._costs, self.sort_column, self.sort_desc))


def cost_cells(r: rx.Var) -> list[rx.Component]:
    return [rx.table.cell(r.last_month), rx.table.cell(r.mtd), rx.table.cell(r.change), rx.table.cell(r.active)]


def cost_headers(state) -> list[rx.Component]:
    return [sortable_header(label, key, state.sort_column, state.sort_desc, state.sort_by)
            for key, label in COST_COLUMNS.items()]


def totals_row(state, label: str, leading_blanks: int) -> rx.Component:
    t = state.totals
    return rx.table.row(
        rx.table.row_header_cell(rx.text(label, weight="bold")),
        *[rx.table.cell("") for _ in range(leading_blanks)],
        rx.table.cell(t.last_month), rx.table.cell(t.mtd), rx.table.cell(t.change), rx.table.cell(t.active),
    )


def costed_table(state, label: str, name_header: str, other_headers: list[str], unit_rows: rx.Var,
                 render_row, totals_label: str) -> rx.Component:
    """The list's table: sortable name and cost headers (costs only for users who see some), the rows,
    and the totals row."""
    name = sortable_header(name_header, "name", state.sort_column, state.sort_desc, state.sort_by)
    plain = [rx.table.column_header_cell(h) for h in other_headers]
    return rx.el.section(
        rx.table.root(
            rx.table.header(rx.table.row(name, *plain, rx.cond(state.show_costs, rx.fragment(*cost_headers(state))))),
            rx.table.body(
                rx.foreach(unit_rows, render_row),
                rx.cond(state.show_costs, totals_row(state, totals_label, len(other_headers))),
            ),
            variant="surface", size="2", width="100%",
        ),
        aria_label=label,
        width="100%",
    )
