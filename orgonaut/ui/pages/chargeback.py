"""/ai-tooling/chargeback ("Chargeback"): a month's AI spend per cost centre, department and person, split by
placement allocation so it adds up to the organisation's total; closing a month; cost centre codes.

The report and its rules are `spend.chargeback` (the REST API's too); the page formats it. Owners and admins
only (finance's view of the whole tenant). The month is the page's `?month=YYYY-MM` (default: last month).
The lines download as CSV with exact amounts; the page prints without the navigation (print stylesheet).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal

import reflex as rx

from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import service as org
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import chargeback as cb
from orgonaut.spend import reconciliation
from orgonaut.tenancy.models import Ability
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.confirm import confirm_dialog
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.format import format_usd

TITLE = "Chargeback"
MONTHS_OFFERED = 13
CSV_HEADER = ["month", "for_month", "kind", "cost_centre", "department", "unit", "person", "provider", "amount_usd"]
PRINT_CSS = "@media print { nav, .no-print, [data-sidebar] { display: none !important; } body { font-size: 11px; } }"


@dataclasses.dataclass
class TotalRow:
    name: str = ""
    department: str = ""
    amount: str = ""


@dataclasses.dataclass
class LineRow:
    kind: str = ""
    cost_centre: str = ""
    department: str = ""
    unit: str = ""
    person: str = ""
    provider: str = ""
    amount: str = ""


@dataclasses.dataclass
class UnitCode:
    id: int = 0
    name: str = ""
    kind: str = ""
    code: str = ""
    effective: str = ""  # the code it bills to (its own or inherited)


def _provider(key: str) -> str:
    return PROVIDERS[key].display_name if key in PROVIDERS else key


def line_row(line: cb.Line, month: dt.date) -> LineRow:
    kind = "usage" if line.for_month == month else f"adjustment for {line.for_month:%b %Y}"
    return LineRow(kind=kind, cost_centre=line.cost_centre, department=line.department, unit=line.unit,
                   person=line.person, provider=_provider(line.provider), amount=format_usd(line.amount_cents))


def exact_usd(cents: Decimal) -> str:
    """USD to eight decimals: the exact millionths of a cent, so the lines of the CSV add up to its total."""
    return f"{(Decimal(cents) / 100).quantize(Decimal('0.00000001')):f}"


def report_csv(report: cb.Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in report.lines:
        writer.writerow([f"{report.month:%Y-%m}", f"{line.for_month:%Y-%m}",
                         "usage" if line.for_month == report.month else "adjustment", line.cost_centre,
                         line.department, line.unit, line.person, line.provider, exact_usd(line.amount_cents)])
    return out.getvalue()


def month_choices(today: dt.date) -> list[str]:
    month, months = today.replace(day=1), []
    for _ in range(MONTHS_OFFERED):
        months.append(f"{month:%Y-%m}")
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


@dataclasses.dataclass
class Choice:
    value: str = ""
    label: str = ""


@dataclasses.dataclass
class AmountRow:
    label: str = ""
    amount: str = ""


def reconciliation_rows(r: reconciliation.Reconciliation) -> list[AmountRow]:
    vendor = [AmountRow(f"Billed: {name}", format_usd(amount)) for name, amount in r.vendor_lines]
    return [
        *vendor,
        AmountRow("Billed in all", format_usd(r.vendor_total_cents)),
        AmountRow("Our per-person report (every record of the connection)",
                  format_usd(r.ours_cents + r.set_apart_cents)),
        *[AmountRow(f"… set apart: {label}", format_usd(amount)) for label, amount in r.set_apart],
        AmountRow("… of it on people's pages (matched)", format_usd(r.matched_cents)),
        *[AmountRow(label, format_usd(amount)) for label, amount in r.causes()],
    ]


class ChargebackState(AuthState):
    loaded: bool = False
    month: str = ""
    months: list[str] = []
    status_text: str = ""
    total: str = ""
    usage_total: str = ""
    adjustment_total: str = ""
    can_close: bool = False
    closing: bool = False
    by_cost_centre: list[TotalRow] = []
    by_department: list[TotalRow] = []
    lines: list[LineRow] = []
    units: list[UnitCode] = []
    csv_filename: str = ""
    # Invoice reconciliation: the connections whose vendor reports its bill, and the last result.
    reconcilable: list[Choice] = []
    reconciliation_title: str = ""
    reconciliation_rows: list[AmountRow] = []
    reconciliation_error: str = ""
    _report: cb.Report | None = None

    def _clear(self) -> None:
        self.loaded, self.status_text, self.total, self.usage_total = False, "", "", ""
        self.adjustment_total, self.can_close, self.closing = "", False, False
        self.reconcilable, self.reconciliation_title, self.reconciliation_rows = [], "", []
        self.reconciliation_error = ""
        self.by_cost_centre, self.by_department, self.lines, self.units = [], [], [], []
        self.csv_filename, self._report = "", None

    @rx.event
    def load(self):
        self._clear()
        user = self._guard(Ability.ai_tooling_manage)  # owners and admins; anyone else gets the denied view
        self.loaded = True
        if user is None:
            return
        with session_scope() as session:
            today = tenant_today(session=session, tenant_id=user.tenant_id)
            self.months = month_choices(today)
            asked = str(self.router.url.query_parameters.get("month", "")).strip()
            last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            self.month = asked if asked in self.months else f"{last_month:%Y-%m}"
            report = cb.report(session=session, tenant_id=user.tenant_id, month=self.month)
            closed = cb.closed_months(session=session, tenant_id=user.tenant_id)
            units = org.list_org_units(session=session, tenant_id=user.tenant_id, scenario_id=None)
            effective = cb.effective_cost_centres(session=session, tenant_id=user.tenant_id)
            self.reconcilable = [Choice(str(r.integration_id), r.label)
                                 for r in reconciliation.reconcilable(session=session, tenant_id=user.tenant_id)]
        self._report = report
        self._show(report, closed, today)
        self.units = [UnitCode(id=u.id, name=u.name, kind=str(OrgUnitKind(u.kind).value), code=u.cost_centre or "",
                               effective=effective.get(u.id, cb.NO_COST_CENTRE))
                      for u in sorted(units, key=lambda u: (u.kind != OrgUnitKind.company, u.name.lower()))]

    def _show(self, report: cb.Report, closed: dict, today: dt.date) -> None:
        month = report.month
        self.total, self.usage_total = format_usd(report.total_cents), format_usd(report.usage_cents)
        self.adjustment_total = format_usd(report.adjustment_cents) if report.adjustments else ""
        if report.closed_at is not None:
            self.status_text = f"Closed {report.closed_at:%-d %b %Y}: these numbers no longer change."
        elif month >= today.replace(day=1):
            self.status_text = "This month is still running: the numbers grow until it ends."
        else:
            self.status_text = "Open: a vendor revision still changes these numbers until the month is closed."
            self.can_close = not cb.refusal_to_close(month, this_month=today.replace(day=1), closed=closed)
        self.by_cost_centre = [TotalRow(name=name, amount=format_usd(amount))
                               for name, amount in report.by_cost_centre()]
        self.by_department = [TotalRow(name=cc, department=dep, amount=format_usd(amount))
                              for (cc, dep), amount in report.by_department()]
        self.lines = [line_row(line, month) for line in report.lines]
        self.csv_filename = f"chargeback-{month:%Y-%m}.csv"

    @rx.event
    def choose_month(self, value: str):
        if value in self.months:
            return rx.redirect(f"{routes.AI_CHARGEBACK}?month={value}")
        return None

    @rx.event
    def download(self):
        if self._report is None:
            return None
        return rx.download(data=report_csv(self._report), filename=self.csv_filename, mime_type="text/csv")

    @rx.event
    def ask_close(self):
        self.closing = self.can_close

    @rx.event
    def set_closing(self, is_open: bool):
        self.closing = bool(is_open) and self.can_close

    @rx.event
    def confirm_close(self):
        self.closing = False
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            return rx.toast.error(cb.NO_ACCESS)
        try:
            with session_scope() as session:
                cb.close_month(session=session, user=user, month=self.month)
        except DomainError as error:
            return rx.toast.error(str(error))
        return [ChargebackState.load, rx.toast.success(f"{self.month} is closed: its report is frozen.")]

    @rx.event
    def reconcile(self, integration_id: str):
        """Reads the vendor's bill for the month shown and sets it beside ours (a vendor call, on request)."""
        self.reconciliation_title, self.reconciliation_rows, self.reconciliation_error = "", [], ""
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            self.reconciliation_error = reconciliation.NO_ACCESS
            return
        try:
            with session_scope() as session:
                result = reconciliation.reconcile(session=session, user=user, month=self.month,
                                                  integration_id=int(integration_id) if str(integration_id).isdigit()
                                                  else -1)
        except (DomainError, ProviderError) as error:
            self.reconciliation_error = str(error)
            return
        self.reconciliation_title = (f"{result.organization_name}, {result.period_label}: "
                                     f"gap {format_usd(result.gap_cents)}")
        self.reconciliation_rows = reconciliation_rows(result)

    @rx.event
    def save_cost_centre(self, form_data: dict):
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            return rx.toast.error(cb.NO_ACCESS)
        raw_id = str(form_data.get("unit_id", ""))
        try:
            with session_scope() as session:
                unit = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=user.tenant_id, scenario_id=None,
                                                          org_unit_id=int(raw_id) if raw_id.isdigit() else -1)
                org.update_org_unit(session=session, tenant_id=user.tenant_id, org_unit_id=unit.id,
                                    cost_centre=str(form_data.get("code", "")))
                name = unit.name
        except DomainError as error:
            return rx.toast.error(str(error))
        return [ChargebackState.load, rx.toast.success(f"Cost centre of {name} saved.")]


# --- the page -----------------------------------------------------------------------------------


def _total_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.name), rx.table.cell(r.amount))


def _department_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.department), rx.table.cell(r.name), rx.table.cell(r.amount))


def _line_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.person), rx.table.cell(r.cost_centre), rx.table.cell(r.department),
        rx.table.cell(r.unit), rx.table.cell(r.provider), rx.table.cell(r.kind), rx.table.cell(r.amount),
    )


def _unit_code_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(u.name), rx.table.cell(u.kind),
        rx.table.cell(rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="unit_id", value=u.id.to_string()),
                rx.input(name="code", default_value=u.code, placeholder="inherits", size="1", max_length=40,
                         aria_label=f"Cost centre of {u.name}"),
                rx.button("Save", size="1", variant="soft", type="submit", aria_label=f"Save cost centre of {u.name}"),
                spacing="2",
            ),
            on_submit=ChargebackState.save_cost_centre, reset_on_submit=False,
        )),
        rx.table.cell(u.effective),
    )


def _amount_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.label), rx.table.cell(r.amount))


def _reconciliation() -> rx.Component:
    state = ChargebackState
    return rx.vstack(
        rx.heading("Invoice reconciliation", size="3", as_="h2"),
        rx.text("The vendor's own bill for the organisation in this month's days, beside our per-person report, "
                "with what explains the difference. Cursor reports only its current billing cycle to date: it "
                "reconciles in the current month, over the cycle's days.", size="1", color_scheme="gray"),
        rx.hstack(rx.foreach(state.reconcilable, lambda c: rx.button(
            "Reconcile ", c.label, size="1", variant="soft", on_click=state.reconcile(c.value))), wrap="wrap",
            class_name="no-print"),
        rx.cond(state.reconciliation_error != "",
                rx.callout(state.reconciliation_error, icon="triangle-alert", color_scheme="red", role="alert",
                           width="100%")),
        rx.cond(state.reconciliation_rows.length() > 0, rx.vstack(
            rx.text(state.reconciliation_title, weight="bold", size="2"),
            data_table("Invoice reconciliation", ["Line", "Amount"], state.reconciliation_rows, _amount_row),
            width="100%")),
        width="100%",
        spacing="2",
    )


def _report() -> rx.Component:
    state = ChargebackState
    return rx.vstack(
        rx.el.style(PRINT_CSS),
        rx.hstack(
            rx.el.label("Month", html_for="chargeback-month", font_size="14px"),
            rx.el.select(rx.foreach(state.months, lambda m: rx.el.option(m, value=m)), id="chargeback-month",
                         value=state.month, on_change=state.choose_month),
            rx.spacer(),
            rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1", on_click=state.download,
                      class_name="no-print"),
            rx.button(rx.icon("printer", size=14), "Print", variant="soft", size="1",
                      on_click=rx.call_script("window.print()"), class_name="no-print"),
            rx.cond(state.can_close, rx.button("Close month", size="1", color_scheme="red", on_click=state.ask_close,
                                               class_name="no-print")),
            width="100%", align="center", wrap="wrap",
        ),
        rx.text(state.status_text, size="2", color_scheme="gray"),
        rx.hstack(
            rx.text("Total ", rx.text.strong(state.total, id="chargeback-total"), size="3"),
            rx.text("usage ", state.usage_total, size="2", color_scheme="gray"),
            rx.cond(state.adjustment_total != "",
                    rx.text("adjustments for closed months ", state.adjustment_total, size="2", color_scheme="amber")),
            spacing="4", align="baseline", wrap="wrap",
        ),
        rx.heading("By cost centre", size="3", as_="h2"),
        data_table("Chargeback by cost centre", ["Cost centre", "Amount"], state.by_cost_centre, _total_row),
        rx.heading("By department", size="3", as_="h2"),
        data_table("Chargeback by department", ["Department", "Cost centre", "Amount"], state.by_department,
                   _department_row),
        rx.heading("Per person", size="3", as_="h2"),
        rx.text("A person placed in several units is split by their placements' allocation on each day.", size="1",
                color_scheme="gray"),
        data_table("Chargeback lines", ["Person", "Cost centre", "Department", "Unit", "Provider", "Kind", "Amount"],
                   state.lines, _line_row),
        rx.el.details(
            rx.el.summary(rx.text("Cost centre codes", weight="bold", as_="span"), cursor="pointer"),
            rx.text("A unit without a code bills to its nearest ancestor's.", size="1", color_scheme="gray"),
            data_table("Cost centre codes", ["Unit", "Kind", "Code", "Bills to"], state.units, _unit_code_row),
            class_name="no-print", width="100%",
        ),
        rx.cond(state.reconcilable.length() > 0, _reconciliation()),
        confirm_dialog(
            title="Close this month?", keep="Keep it open", confirm="Close month",
            description="Its report is frozen as it is now; a later vendor revision of it shows as an adjustment in "
                        "the next month instead.",
            on_confirm=state.confirm_close, open=state.closing, on_open_change=state.set_closing,
        ),
        width="100%",
        spacing="3",
    )


def chargeback_page() -> rx.Component:
    state = ChargebackState
    return layout.shell(
        page_title(TITLE),
        layout.guarded(rx.cond(state.loaded, _report(), rx.center(rx.spinner(), width="100%"))),
    )
