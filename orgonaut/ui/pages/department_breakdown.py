"""The department page's "By unit below" section: each unit right below the department, its subtree's month to
date, last month, change and active users (the team and department lists' numbers), a stacked chart of the
last six months by unit, and a CSV of the table. The numbers are `rollups.breakdown`; who sees them is the
department's own rule (`org.visibility`), and the provider filter is the page's `?provider=`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Any

import reflex as rx

from orgonaut.ai_tooling.providers.registry import display_name
from orgonaut.db import session_scope
from orgonaut.errors import NotFound
from orgonaut.org import service as org
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import breakdown as bd
from orgonaut.rollups import queries
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Ability
from orgonaut.ui import routes
from orgonaut.ui.components import charts
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_text import pct_text, plain_usd, signed_usd
from orgonaut.ui.pages.usage_filters import ProviderMixin
from orgonaut.ui.scope import ScopeState

COLUMNS = ["Unit", "Kind", "Month to date", "Last month", "Change vs same days", "Active users this month"]
CSV_HEADER = ["unit", "kind", "month_to_date_usd", "last_month_usd", "change_usd", "active_users_this_month"]
_COLORS = ("#4f46e5", "#0ea5e9", "#f97316", "#10b981", "#e11d48", "#a855f7", "#eab308", "#64748b")


@dataclasses.dataclass
class ChildRow:
    name: str = ""
    url: str = ""
    kind: str = ""
    mtd: str = ""
    last_month: str = ""
    change: str = ""
    users: str = ""


def child_row(child: bd.ChildSpend) -> ChildRow:
    c = child.costs
    url = routes.department_url(child.org_unit_id) if child.kind == OrgUnitKind.department \
        else routes.team_url(child.org_unit_id)
    return ChildRow(name=child.name, url=url, kind=child.kind.value.capitalize(), mtd=format_usd(c.mtd_cost_cents),
                    last_month=format_usd(c.last_month_cost_cents),
                    change=f"{signed_usd(c.change_cents)} ({pct_text(c.change_pct)})", users=str(c.mtd_active_users))


def breakdown_csv(result: bd.Breakdown) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for child in result.children:
        c = child.costs
        writer.writerow([child.name, child.kind.value, plain_usd(c.mtd_cost_cents), plain_usd(c.last_month_cost_cents),
                         plain_usd(c.change_cents), c.mtd_active_users])
    return out.getvalue()


def months_figure(result: bd.Breakdown) -> dict[str, Any]:
    """Cost by month, one stacked bar per unit below (each its subtree)."""
    x = [f"{m:%b %Y}" for m in result.months]
    data = [{
        "type": "bar", "name": child.name, "x": x, "y": [charts.dollars(v) for v in child.months],
        "customdata": [format_usd(v) for v in child.months],
        "hovertemplate": f"{child.name}, %{{x}}<br>%{{customdata}}<extra></extra>",
        "marker": {"color": _COLORS[n % len(_COLORS)]},
    } for n, child in enumerate(result.children)]
    return {"data": data, "layout": {
        "barmode": "stack", "height": 300, "margin": {"l": 64, "r": 16, "t": 8, "b": 40}, "showlegend": True,
        "legend": {"orientation": "h", "y": -0.2}, "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)",
        "yaxis": {"tickprefix": "$", "tickformat": ",.0f", "rangemode": "tozero", "title": {"text": "Cost (USD)"}},
    }}


class DepartmentBreakdownState(ProviderMixin, ScopeState):
    loaded_for: str = ""
    rows: list[ChildRow] = []
    figure: dict = {}
    direct_text: str = ""
    csv_filename: str = ""
    _result: bd.Breakdown | None = None

    @rx.event
    def load(self):
        self.rows, self.figure, self.direct_text, self.csv_filename, self._result = [], {}, "", "", None
        self._clear_provider()
        raw = str(self.department_id)  # the page's route argument
        self.loaded_for = raw
        user = self._require(Ability.costs_read)
        if user is None or not tenancy.can(user, Ability.org_units_read) or not raw.isdigit():
            return
        scenario_id = self._scope_for(user)
        with session_scope() as session:
            try:
                unit = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=user.tenant_id,
                                                          scenario_id=scenario_id, org_unit_id=int(raw),
                                                          kind=OrgUnitKind.department)
            except NotFound:
                return
            viewer = visibility.viewer_for(session=session, user=user, scenario_id=scenario_id)
            if not viewer.may_see_unit(unit.id):
                return  # the usage section says why
            options = queries.provider_options(session=session, tenant_id=unit.tenant_id,
                                               used=queries.unit_providers(session=session, org_unit=unit))
            provider = self._pick_provider(options)
            result = bd.breakdown(session=session, department=unit, provider=provider)
        if not result.children:
            return
        self._result = result
        self.rows = [child_row(c) for c in result.children]
        self.figure = months_figure(result)
        if result.direct_mtd_cents or result.direct_last_month_cents:
            self.direct_text = (f"People placed in the department itself (in no unit below): "
                                f"{format_usd(result.direct_mtd_cents)} this month, "
                                f"{format_usd(result.direct_last_month_cents)} last month.")
        tool = "" if provider is None else f"-{provider}"
        self.csv_filename = f"department-{unit.id}-by-unit{tool}-{result.months[-1]:%Y-%m}.csv"

    @rx.var
    def provider_label(self) -> str:
        return "" if self.chosen_provider == "all" else display_name(self.chosen_provider)

    @rx.event
    def download(self):
        if self._result is None:
            return None
        return rx.download(data=breakdown_csv(self._result), filename=self.csv_filename, mime_type="text/csv")


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(r.name, href=r.url)), rx.table.cell(r.kind), rx.table.cell(r.mtd),
        rx.table.cell(r.last_month), rx.table.cell(r.change), rx.table.cell(r.users),
    )


def breakdown_section(department_id: rx.Var) -> rx.Component:
    state = DepartmentBreakdownState
    return rx.cond(
        (state.rows.length() > 0) & (state.loaded_for == department_id.to_string()),
        rx.vstack(
            rx.hstack(
                rx.heading("By unit below", size="4", as_="h2"),
                rx.text(state.provider_label, size="2", color_scheme="gray"),
                rx.spacer(),
                rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1",
                          on_click=state.download),
                width="100%", align="center",
            ),
            rx.text("Each unit's own subtree, as on its page: a person placed in two of them counts in each.",
                    size="1", color_scheme="gray"),
            data_table("Spend by unit below", COLUMNS, state.rows, _row),
            rx.cond(state.direct_text != "", rx.text(state.direct_text, size="1", color_scheme="gray")),
            charts.chart(state.figure, state.rows.length() > 0, chart_id="department-units-by-month",
                         label="Cost by unit below, last six months", empty_title="", empty_body=""),
            width="100%",
            spacing="2",
        ),
    )
