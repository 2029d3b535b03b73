"""/ai-tooling/budgets ("Budgets"): monthly budgets, where each stands this month, and a burn-down chart.

The numbers and the rules are `spend.budgets` (the REST API's too): spend so far, the forecast to month
end (`rollups.forecast`), the share used. Owners and admins see every budget and set or remove them;
managers see the budgets of the units in their scope; members and viewers are told the page is not theirs.
Budgets are Live: the page reads Live whatever scope the other pages show.

The budgets table downloads as CSV, built on the server from the rows the table shows.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from decimal import Decimal

import reflex as rx

from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.org.units import list_org_units
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import budgets
from orgonaut.spend.budgets import BudgetKey, BudgetStatus
from orgonaut.tenancy.models import Ability, UsageReach
from orgonaut.ui import layout
from orgonaut.ui.auth import AuthState
from orgonaut.ui.components.burn_down import burn_down_figure
from orgonaut.ui.components.charts import chart
from orgonaut.ui.components.confirm import confirm_dialog
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_text import plain_usd

TITLE = "Budgets"
WHOLE = "tenant"
ALL = "all"
NOT_FOR_YOU = "Budgets are shown to managers, admins and owners."
COLUMNS = ["Budget", "Provider", "Budget this month", "Spent", "Used", "Forecast", "Status", "Next change"]
CSV_HEADER = ["unit", "provider", "month", "budget_usd", "spent_usd", "used_pct", "forecast_usd", "forecast_pct",
              "status"]


@dataclasses.dataclass
class BudgetRowView:
    key: str = ""  # "<unit id or tenant>:<provider or all>"
    unit: str = ""
    provider: str = ""
    amount: str = ""
    spent: str = ""
    used: str = ""
    forecast: str = ""
    status: str = ""
    color: str = "green"
    next_change: str = ""


@dataclasses.dataclass
class Choice:
    value: str = ""
    label: str = ""


def key_text(key: BudgetKey) -> str:
    return f"{key.org_unit_id or WHOLE}:{key.provider or ALL}"


def parse_key(text: str) -> BudgetKey | None:
    unit, _, provider = str(text).partition(":")
    if provider != ALL and provider not in PROVIDERS:
        return None
    if unit != WHOLE and not unit.isdigit():
        return None
    return BudgetKey(org_unit_id=None if unit == WHOLE else int(unit), provider=None if provider == ALL else provider)


def status_label(status: BudgetStatus) -> tuple[str, str]:
    if status.spent_cents > status.amount_cents:
        return "Over budget", "red"
    if status.over_forecast:
        return "Forecast over", "amber"
    return "On track", "green"


def row_view(status: BudgetStatus) -> BudgetRowView:
    label, color = status_label(status)
    change = ""
    if status.next_change is not None:
        month, amount = status.next_change
        change = f"{month:%b %Y}: " + ("ends" if amount is None else format_usd(Decimal(amount)))
    return BudgetRowView(
        key=key_text(status.key), unit=status.unit_name, provider=status.provider_name,
        amount=format_usd(Decimal(status.amount_cents)), spent=format_usd(status.spent_cents),
        used=f"{status.used_pct} %", forecast=f"{format_usd(status.forecast.forecast_cents)} ({status.forecast_pct} %)",
        status=label, color=color, next_change=change,
    )


def budgets_csv(statuses: list[BudgetStatus]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for s in statuses:
        writer.writerow([s.unit_name, s.provider_name, f"{s.month:%Y-%m}", plain_usd(Decimal(s.amount_cents)),
                         plain_usd(s.spent_cents), str(s.used_pct), plain_usd(s.forecast.forecast_cents),
                         str(s.forecast_pct), status_label(s)[0]])
    return out.getvalue()


class BudgetsState(AuthState):
    loaded: bool = False
    note: str = ""
    can_edit: bool = False
    month_text: str = ""
    this_month: str = ""  # YYYY-MM, the form's default
    rows: list[BudgetRowView] = []
    chosen: str = ""
    burn_figure: dict = {}
    burn_title: str = ""
    burn_note: str = ""
    unit_choices: list[Choice] = []
    provider_choices: list[Choice] = []
    form_open: bool = False
    form_error: str = ""
    removing: str = ""
    csv_filename: str = ""
    _statuses: list[BudgetStatus] = []

    def _clear(self) -> None:
        self.loaded, self.note, self.can_edit, self.month_text, self.rows = False, "", False, "", []
        self.chosen, self.burn_figure, self.burn_title, self.burn_note = "", {}, "", ""
        self.unit_choices, self.provider_choices, self.form_error, self.removing = [], [], "", ""
        self.csv_filename, self._statuses = "", []

    @rx.event
    def load(self):
        self._clear()
        self.form_open = False
        user = self._guard(Ability.costs_read)
        self.loaded = True
        if user is None:
            return
        with session_scope() as session:
            viewer = visibility.viewer_for(session=session, user=user, scenario_id=None)
            if viewer.reach not in (UsageReach.everyone, UsageReach.scope):
                self.note = viewer.plan_refusal or NOT_FOR_YOU
                return
            today = tenant_today(session=session, tenant_id=user.tenant_id)
            self._statuses = budgets.list_statuses(session=session, tenant_id=user.tenant_id, viewer=viewer,
                                                   today=today)
            self.can_edit = Ability.ai_tooling_manage.value in self.abilities
            if self.can_edit:
                units = list_org_units(session=session, tenant_id=user.tenant_id, scenario_id=None)
                self.unit_choices = [Choice(WHOLE, "Whole organization")] + [
                    Choice(str(u.id), f"{u.name} ({OrgUnitKind(u.kind).value})")
                    for u in sorted(units, key=lambda u: u.name.lower()) if u.kind != OrgUnitKind.company]
                self.provider_choices = [Choice(ALL, "All providers")] + [
                    Choice(key, info.display_name) for key, info in PROVIDERS.items()]
        self.month_text = f"{today:%B %Y}, as of {today:%-d %b}"
        self.this_month = f"{today:%Y-%m}"
        self.csv_filename = f"budgets-{today:%Y-%m}.csv"
        self.rows = [row_view(s) for s in self._statuses]
        if self._statuses:
            self._show(key_text(self._statuses[0].key))

    def _show(self, key: str) -> None:
        status = next((s for s in self._statuses if key_text(s.key) == key), None)
        if status is None:
            return
        self.chosen = key
        self.burn_figure = burn_down_figure(status)
        self.burn_title = f"{status.unit_name} · {status.provider_name}"
        f = status.forecast
        self.burn_note = (f"Forecast from the {f.basis}: {format_usd(f.weekday_rate_cents)} a weekday, "
                          f"{format_usd(f.weekend_rate_cents)} a weekend day.")

    @rx.event
    def choose(self, key: str):
        self._show(key)

    @rx.event
    def download(self):
        if not self._statuses:
            return None
        return rx.download(data=budgets_csv(self._statuses), filename=self.csv_filename, mime_type="text/csv")

    @rx.event
    def set_form_open(self, is_open: bool):
        self.form_open, self.form_error = bool(is_open), ""

    @rx.event
    def save(self, form_data: dict):
        self.form_error = ""
        user = self._require(Ability.ai_tooling_manage)
        if user is None:
            self.form_error = budgets.NO_ACCESS
            return None
        unit = str(form_data.get("unit", WHOLE))
        provider = str(form_data.get("provider", ALL))
        try:
            with session_scope() as session:
                status = budgets.set_budget(
                    session=session, user=user, org_unit_id=None if unit == WHOLE else _int(unit),
                    provider=None if provider == ALL else provider, amount=str(form_data.get("amount", "")),
                    effective_month=str(form_data.get("month", "")))
        except DomainError as error:
            self.form_error = str(error)
            return None
        self.form_open = False
        saved = f"Budget saved: {format_usd(Decimal(status.amount_cents))} a month for {status.unit_name}, " \
                f"{status.provider_name.lower() if status.key.provider is None else status.provider_name}, " \
                f"from {status.month:%B %Y}."
        return [BudgetsState.load, rx.toast.success(saved)]

    @rx.event
    def ask_remove(self, key: str):
        self.removing = key if parse_key(key) is not None else ""

    @rx.event
    def set_remove_open(self, is_open: bool):
        if not is_open:
            self.removing = ""

    @rx.event
    def confirm_remove(self):
        key = parse_key(self.removing)
        self.removing = ""
        user = self._require(Ability.ai_tooling_manage)
        if key is None or user is None:
            return rx.toast.error(budgets.NO_ACCESS if user is None else "That budget no longer exists.")
        try:
            with session_scope() as session:
                budgets.remove_budget(session=session, user=user, org_unit_id=key.org_unit_id, provider=key.provider,
                                      effective_month=self.this_month)
        except DomainError as error:
            return rx.toast.error(str(error))
        return [BudgetsState.load, rx.toast.success("Budget removed from this month on.")]


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


# --- the page -----------------------------------------------------------------------------------


def _row(r: rx.Var) -> rx.Component:
    state = BudgetsState
    return rx.table.row(
        rx.table.row_header_cell(rx.link(r.unit, on_click=state.choose(r.key), href="#burn-down", cursor="pointer")),
        rx.table.cell(r.provider), rx.table.cell(r.amount), rx.table.cell(r.spent), rx.table.cell(r.used),
        rx.table.cell(r.forecast), rx.table.cell(rx.badge(r.status, color_scheme=r.color)),
        rx.table.cell(rx.hstack(
            rx.text(r.next_change, size="2"),
            rx.cond(state.can_edit, rx.button("Remove", size="1", variant="soft", color_scheme="red",
                                              on_click=state.ask_remove(r.key), aria_label="Remove budget")),
            align="center",
        )),
    )


def _form() -> rx.Component:
    state = BudgetsState
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=14), "Set a budget", size="2")),
        dialog_content(
            rx.dialog.title("Set a monthly budget"),
            rx.dialog.description("For the whole organization or a unit (its teams below included), all providers "
                                  "or one, from a month on. Setting it again for the same month replaces it.",
                                  size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    field("Unit", "budget-unit", rx.el.select(
                        rx.foreach(state.unit_choices, lambda c: rx.el.option(c.label, value=c.value)),
                        id="budget-unit", name="unit", default_value=WHOLE)),
                    field("Provider", "budget-provider", rx.el.select(
                        rx.foreach(state.provider_choices, lambda c: rx.el.option(c.label, value=c.value)),
                        id="budget-provider", name="provider", default_value=ALL)),
                    field("Amount per month (USD)", "budget-amount",
                          rx.input(id="budget-amount", name="amount", placeholder="5000", input_mode="decimal",
                                   required=True)),
                    field("From (month)", "budget-month",
                          rx.input(id="budget-month", name="month", type="month", default_value=state.this_month,
                                   required=True)),
                    error_callout(state.form_error),
                    rx.hstack(cancel_button(), rx.button("Save budget", type="submit"), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=state.save,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=state.form_open,
        on_open_change=state.set_form_open,
    )


def _budgets() -> rx.Component:
    state = BudgetsState
    return rx.vstack(
        rx.hstack(
            rx.text(state.month_text, size="2", color_scheme="gray"),
            rx.spacer(),
            rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1", on_click=state.download,
                      disabled=state.rows.length() == 0),
            rx.cond(state.can_edit, _form()),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(
            state.rows.length() > 0,
            rx.vstack(
                data_table("Budgets this month", COLUMNS, state.rows, _row),
                rx.card(
                    rx.vstack(
                        rx.heading(state.burn_title, size="3", id="burn-down", as_="h2"),
                        rx.text("Spend so far (solid), the forecast to month end (dashed) and the budget (red).",
                                size="1", color_scheme="gray"),
                        chart(state.burn_figure, state.chosen != "", chart_id="budget-burn-down",
                              label="Budget burn-down", empty_title="", empty_body=""),
                        rx.text(state.burn_note, size="1", color_scheme="gray"),
                        width="100%",
                    ),
                    width="100%",
                ),
                width="100%",
                spacing="3",
            ),
            layout.empty_state("piggy-bank", "No budgets this month", rx.text(
                rx.cond(state.can_edit, "Set a budget for the organization or a unit: alerts go out at 50 %, 80 % "
                        "and 100 %, and when the forecast goes over it.",
                        "Owners and admins set budgets; the ones for your units show here."),
                color_scheme="gray", size="2")),
        ),
        confirm_dialog(
            title="Remove this budget?", keep="Keep it", confirm="Remove",
            description="It no longer applies from this month on; earlier months keep theirs, and no more alerts "
                        "go out for it.",
            on_confirm=state.confirm_remove, open=state.removing != "", on_open_change=state.set_remove_open,
        ),
        width="100%",
        spacing="3",
    )


def budgets_page() -> rx.Component:
    state = BudgetsState
    return layout.shell(
        page_title(TITLE),
        layout.guarded(
            rx.cond(
                state.loaded,
                rx.cond(state.note != "",
                        rx.callout(state.note, icon="eye-off", color_scheme="gray", role="note", width="100%"),
                        _budgets()),
                rx.center(rx.spinner(), width="100%"),
            ),
        ),
    )
