"""The overview's adoption (active users, cohorts), model mix and output per cost: the page state's part that
loads them (`OverviewDetailsMixin`, mixed into `overview.SpendOverviewState`) and the sections that show them.

Everything comes from the domain (`rollups.adoption`, `rollups.model_mix`, `rollups.output_per_cost`, which read
stored rollups only), loaded once with the page for every day up to today; the chosen range is cut from it,
so a range switch runs no query, as for the cost trend. Each table and chart downloads as CSV
(`overview_text`), built from the same values as the table.
"""

from __future__ import annotations

import datetime as dt

import reflex as rx
from sqlmodel import Session

from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups import adoption, model_mix, output_per_cost, periods
from orgonaut.rollups.adoption import ActiveUsers, CohortMonth
from orgonaut.rollups.model_mix import ModelCosts, ModelMix
from orgonaut.rollups.output_per_cost import OutputDays, OutputPerCost
from orgonaut.rollups.periods import Period
from orgonaut.ui.components import adoption_charts, charts
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.components.usage_cards import period_text
from orgonaut.ui.pages import overview_text as text
from orgonaut.ui.pages.usage_filters import ALL_PROVIDERS, DEFAULT_RANGE
from orgonaut.ui.scope import LIVE

NO_MODEL_MIX = ("The model mix covers the whole organisation and is shown to admins and owners: costs by model "
                "are not kept per person, so there is none for your units alone.")


def _plain(value):
    """A state value without Reflex's change-tracking proxy (the builders only read it)."""
    return getattr(value, "__wrapped__", value)


class OverviewDetailsMixin(rx.State, mixin=True):
    """The chosen range (shared with the cost trend) and the adoption, model mix and output per cost."""

    chosen_range: str = DEFAULT_RANGE.value
    _today: dt.date | None = None
    _first_usage: dt.date | None = None  # where "All" starts
    _active: ActiveUsers | None = None
    _cohorts: list[CohortMonth] = []
    _models: ModelCosts | None = None
    _output: OutputDays | None = None
    cohort_figure: dict = {}
    cohort_table: list[text.CohortRowView] = []
    model_note: str = ""  # why there is no model mix ("" when there is one)

    def _clear_details(self) -> None:
        self._today, self._first_usage, self._active, self._cohorts = None, None, None, []
        self._models, self._output, self.cohort_figure, self.cohort_table, self.model_note = None, None, {}, [], ""

    def _load_details(self, session: Session, viewer: UsageViewer, *, tenant_id: int, scenario_id: int | None,
                      provider: str | None, today: dt.date, first_usage: dt.date | None) -> None:
        """Every day up to today (from the first with usage), once per page load."""
        self._today, self._first_usage = today, first_usage
        everything = Period(min(first_usage or today, today), today)
        common = dict(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=scenario_id, today=today,
                      provider=provider)
        self._active = adoption.active_users_for(period=everything, **common)
        self._cohorts = list(adoption.cohorts_for(**common) or ())
        self.cohort_figure = adoption_charts.cohorts_figure(self._cohorts) if self._cohorts else {}
        self.cohort_table = text.cohort_rows(self._cohorts)
        self._models = model_mix.model_costs_for(**common)
        self.model_note = "" if self._models is not None else NO_MODEL_MIX
        self._output = output_per_cost.output_days_for(**common)

    def _file_name(self, what: str, start: dt.date, end: dt.date) -> str:
        scope = "live" if getattr(self, "scope_value", LIVE) == LIVE else f"scenario-{self.scope_value}"
        chosen = getattr(self, "chosen_provider", ALL_PROVIDERS)
        tool = "" if chosen == ALL_PROVIDERS else f"-{chosen}"
        return f"ai-spend-{what}-{scope}{tool}-{start}-to-{end}.csv"

    @rx.var
    def _period(self) -> Period | None:
        if self._today is None:
            return None
        return periods.period_for(self.chosen_range, today=self._today, first_usage=self._first_usage)

    @rx.var
    def range_text(self) -> str:
        period = self._period
        return period_text(period) if period is not None else ""

    # --- active users ---

    @rx.var
    def _active_in_range(self) -> ActiveUsers | None:
        period, active = self._period, _plain(self._active)
        return active.within(period) if period is not None and active is not None else None

    @rx.var
    def active_figure(self) -> dict:
        active = self._active_in_range
        return adoption_charts.active_users_figure(active) if active is not None else {}

    @rx.var
    def has_active(self) -> bool:
        active = self._active_in_range
        return active is not None and any(p.users for p in active.months)

    @rx.var
    def active_table(self) -> list[text.ActiveRowView]:
        active = self._active_in_range
        return text.active_rows(active) if active is not None else []

    # --- model mix ---

    @rx.var
    def _mix(self) -> ModelMix | None:
        period, models = self._period, _plain(self._models)
        return models.within(period) if period is not None and models is not None else None

    @rx.var
    def model_figure(self) -> dict:
        mix = self._mix
        return adoption_charts.model_mix_figure(mix) if mix is not None else {}

    @rx.var
    def has_models(self) -> bool:
        mix = self._mix
        return mix is not None and bool(mix.rows)

    @rx.var
    def model_table(self) -> list[text.ModelRowView]:
        mix = self._mix
        return text.model_rows(mix) if mix is not None else []

    # --- output per cost ---

    @rx.var
    def _rates(self) -> OutputPerCost | None:
        period, output = self._period, _plain(self._output)
        return output.within(period) if period is not None and output is not None else None

    @rx.var
    def output_table(self) -> list[text.OutputRowView]:
        rates = self._rates
        return text.output_rows(rates) if rates is not None else []

    # --- downloads (the loader checked access; nothing is read again) ---

    @rx.event
    def download_active_users(self):
        active = self._active_in_range
        if active is None:
            return None
        return rx.download(data=text.active_csv(active), mime_type="text/csv",
                           filename=self._file_name("active-users", active.period.start, active.period.end))

    @rx.event
    def download_cohorts(self):
        cohorts = _plain(self._cohorts)
        if not cohorts:
            return None
        return rx.download(data=text.cohorts_csv(cohorts), mime_type="text/csv",
                           filename=self._file_name("cohorts", cohorts[0].month, self._today or cohorts[-1].month))

    @rx.event
    def download_models(self):
        mix = self._mix
        if mix is None:
            return None
        return rx.download(data=text.model_csv(mix), mime_type="text/csv",
                           filename=self._file_name("by-model", mix.period.start, mix.period.end))

    @rx.event
    def download_output(self):
        rates = self._rates
        if rates is None:
            return None
        return rx.download(data=text.output_csv(rates), mime_type="text/csv",
                           filename=self._file_name("output-per-cost", rates.period.start, rates.period.end))


# --- the sections ---------------------------------------------------------------------------------


def download_button(on_click, label: str) -> rx.Component:
    return rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1", on_click=on_click,
                     aria_label=label)


def _heading(title: str, on_download, label: str, note: str | rx.Var[str] = "") -> rx.Component:
    return rx.hstack(
        rx.heading(title, size="3", as_="h2"),
        rx.text(note, size="2", color_scheme="gray"),
        rx.spacer(),
        download_button(on_download, label),
        width="100%", align="center", wrap="wrap",
    )


def _active_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.period), rx.table.cell(r.grain), rx.table.cell(r.users))


def adoption_section(state) -> rx.Component:
    """Active users over the chosen range, and the last 12 months' cohorts."""
    return rx.fragment(
        rx.card(rx.vstack(
            _heading("Active users", state.download_active_users, "Download active users as CSV",
                     state.range_text),
            rx.text("People with any usage in a day, a Monday-to-Sunday week and a calendar month (weeks and "
                    "months the range touches, counted whole).", size="1", color_scheme="gray"),
            charts.chart(state.active_figure, state.has_active, chart_id="active-users", label="Active users",
                         empty_title="No active users in this range", empty_body="Pick a longer range."),
            rx.el.details(
                rx.el.summary(rx.text("Active users as a table", size="1", color_scheme="gray", as_="span"),
                              cursor="pointer"),
                data_table("Active users by period", ["Period", "Per", "People"], state.active_table, _active_row),
            ),
            width="100%",
        ), width="100%"),
        rx.card(rx.vstack(
            _heading("Cohorts, last 12 months", state.download_cohorts, "Download cohorts as CSV"),
            rx.text("Each month's active people: new (their first month), retained (active the month before too), "
                    "reactivated (active before, not the month before); lapsed: active the month before, not this "
                    "one (below zero).", size="1", color_scheme="gray"),
            charts.chart(state.cohort_figure, state.cohort_table.length() > 0, chart_id="cohorts", label="Cohorts",
                         empty_title="No usage yet", empty_body=""),
            data_table("Cohorts by month", text.COHORT_COLUMNS, state.cohort_table, _cohort_row),
            width="100%",
        ), width="100%"),
    )


def _cohort_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.month), rx.table.cell(r.active), rx.table.cell(r.new),
                        rx.table.cell(r.retained), rx.table.cell(r.reactivated), rx.table.cell(r.lapsed))


def _model_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.model), rx.table.cell(r.providers), rx.table.cell(r.cost),
                        rx.table.cell(r.share))


def model_mix_section(state) -> rx.Component:
    """Cost by model over the chosen range (the whole organisation's), or why there is none."""
    return rx.card(rx.vstack(
        _heading("Cost by model", state.download_models, "Download cost by model as CSV", state.range_text),
        rx.cond(
            state.model_note != "",
            rx.text(state.model_note, size="2", color_scheme="gray", role="note"),
            rx.fragment(
                rx.text("The models the providers' records name and what each cost; \"not split by model\" is cost "
                        "a provider does not divide by model (GitHub Copilot's seats and credits, Claude Enterprise's "
                        "products).", size="1", color_scheme="gray"),
                charts.chart(state.model_figure, state.has_models, chart_id="model-mix", label="Cost by model",
                             empty_title="No cost in this range", empty_body="Pick a longer range."),
                rx.cond(state.has_models,
                        data_table("Cost by model", text.MODEL_COLUMNS, state.model_table, _model_row)),
            ),
        ),
        width="100%",
    ), width="100%")


def _output_row(r: rx.Var) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(r.metric), rx.table.cell(r.per_dollar), rx.table.cell(r.amount),
                        rx.table.cell(r.cost), rx.table.cell(r.source))


def output_section(state) -> rx.Component:
    """Commits, pull requests and lines added per dollar over the chosen range, and where each comes from."""
    return rx.card(rx.vstack(
        _heading("Output per dollar", state.download_output, "Download output per dollar as CSV",
                 state.range_text),
        rx.text("Each over the providers that report it, per dollar of their cost only (the cost of the others is "
                "left out).", size="1", color_scheme="gray"),
        data_table("Output per dollar", text.OUTPUT_COLUMNS, state.output_table, _output_row),
        width="100%",
    ), width="100%")
