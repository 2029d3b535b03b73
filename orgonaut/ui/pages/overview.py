"""/ai-tooling ("AI spend"): the organisation's AI spend overview for owners, admins and managers.

The state checks access on the server and formats; the numbers and what a viewer's overview covers are
one domain query, `rollups.overview.overview_for` (owners and admins: the whole tenant, unmatched usage
included; managers: the units of their scope, `org.visibility`). Members are sent to their own person
page (or told they have none); a manager without a scope is told so; roles without `costs.read` get
the denied view. Nothing of an overview reaches the browser unless the loader allowed it.

The provider filter is the page's `?provider=` (as on the person, team and department pages:
`ProviderMixin`), read at each load and passed to every read. The daily and monthly cost trend loads
the "all" range once and switches ranges from it without a query (`SpendSeries.within`).

The top-units table downloads as CSV, built on the server from the rows the table shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import reflex as rx

from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import session_scope
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import overview, periods, queries, spend_series
from orgonaut.rollups.overview import Overview, SpendFigures, UnitSpend
from orgonaut.rollups.queries import DayPoint
from orgonaut.rollups.spend_series import SpendSeries
from orgonaut.spend import anomalies, budgets
from orgonaut.spend.anomalies import AnomalyView
from orgonaut.tenancy.models import Ability, UsageReach
from orgonaut.ui import layout, routes
from orgonaut.ui.components import charts
from orgonaut.ui.components.burn_down import burn_down_figure
from orgonaut.ui.components.panels import page_title
from orgonaut.ui.components.segmented import segmented_item
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.components.usage_cards import UsageCard, card_grid, count, period_text
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.overview_anomalies import AnomalyRowView, anomalies_section, anomaly_row
from orgonaut.ui.pages.overview_details import (
    OverviewDetailsMixin,
    adoption_section,
    download_button,
    model_mix_section,
    output_section,
)
from orgonaut.ui.pages.overview_text import anomalies_csv, months_csv, providers_csv
from orgonaut.ui.pages.spend_text import pct_text, signed_usd, trend_csv, units_csv
from orgonaut.ui.pages.spend_views import budget_sentence
from orgonaut.ui.pages.usage_filters import DEFAULT_RANGE, RANGE_PARAM, ProviderMixin, page_url, replace_url_script
from orgonaut.ui.scope import LIVE, ScopeState

TITLE = "AI spend"
NO_PERSON = ("AI spend across the organisation is shown to managers, admins and owners. Your own usage is on "
             "your person page, and there is no person with your e-mail in this scope.")
NO_SCOPE = ("You are not placed in any team or department today, so there is no spend of your units to show. "
            "Your own usage is on your person page.")
UNIT_COLUMNS = ["Unit", "Kind", "Month to date", "Last month, same days", "Change", "Last month"]



@dataclasses.dataclass
class UnitRowView:
    name: str = ""
    url: str = ""
    kind: str = ""
    mtd: str = ""
    last_same_days: str = ""
    change: str = ""
    last_month: str = ""


@dataclasses.dataclass
class ProviderRowView:
    provider: str = ""
    mtd: str = ""
    last_month: str = ""
    change: str = ""
    forecast: str = ""
    active_users: str = ""
    ever_users: str = ""
    per_user: str = ""


def _unit_view(spend: UnitSpend) -> UnitRowView:
    department = spend.kind == OrgUnitKind.department
    return UnitRowView(
        name=spend.name,
        url=routes.department_url(spend.org_unit_id) if department else routes.team_url(spend.org_unit_id),
        kind="Department" if department else "Team",
        mtd=format_usd(spend.mtd_cost_cents), last_same_days=format_usd(spend.last_month_same_days_cost_cents),
        change=f"{signed_usd(spend.change_cents)} ({pct_text(spend.change_pct)})",
        last_month=format_usd(spend.last_month_cost_cents),
    )


def _per_user(figures: SpendFigures) -> str:
    cents = figures.cost_per_active_user_cents
    return "—" if cents is None else format_usd(cents)


def overview_cards(result: Overview) -> list[UsageCard]:
    total = result.total
    return [
        UsageCard("Month to date", format_usd(total.mtd_cost_cents), period_text(result.mtd)),
        UsageCard("Last month", format_usd(total.last_month_cost_cents), period_text(result.last_month)),
        UsageCard("Change vs the month before", signed_usd(total.change_cents),
                  f"{pct_text(total.change_pct)} · {period_text(result.month_before)}: "
                  f"{format_usd(total.month_before_cost_cents)}"),
        UsageCard("Forecast this month", format_usd(total.forecast_cents),
                  f"run rate: month to date over {result.today.day} days"),
        UsageCard("Active users this month", count(total.active_users), "people with any usage"),
        UsageCard("People with usage ever", count(total.ever_users), "all time"),
        UsageCard("Headcount", count(result.headcount),
                  "active people" if result.everything else "placed in your units today"),
        UsageCard("Cost per active user", _per_user(total), "this month, usage matched to a person"),
    ]


def provider_rows(result: Overview) -> list[ProviderRowView]:
    return [
        ProviderRowView(
            provider=PROVIDERS[key].display_name if key in PROVIDERS else key,
            mtd=format_usd(f.mtd_cost_cents), last_month=format_usd(f.last_month_cost_cents),
            change=f"{signed_usd(f.change_cents)} ({pct_text(f.change_pct)})", forecast=format_usd(f.forecast_cents),
            active_users=count(f.active_users), ever_users=count(f.ever_users), per_user=_per_user(f),
        )
        for key, f in result.by_provider
    ]


def day_points(series: SpendSeries) -> list[DayPoint]:
    """The trend's days as the chart module plots them (cost only: the overview has no activity)."""
    return [DayPoint(date=d.date, cost_cents=d.cost_cents, sessions=None, commits=None, pull_requests=None,
                     cost_by_provider=d.cost_by_provider) for d in series.days]


class SpendOverviewState(ProviderMixin, OverviewDetailsMixin, ScopeState):
    loaded: bool = False
    # Why there is no overview for this user ("" when there is one).
    note: str = ""
    has_usage: bool = False
    scope_text: str = ""
    cards: list[UsageCard] = []
    providers: list[ProviderRowView] = []
    unmatched_text: str = ""
    trend_figure: dict = {}
    units: list[UnitRowView] = []
    # Spend anomalies of the last 30 days (Live only) of the people the viewer sees.
    anomalies: list[AnomalyRowView] = []
    # The organisation's budget this month (Live, owners and admins), as a burn-down ("" / {}: none).
    budget_text: str = ""
    budget_figure: dict = {}
    csv_filename: str = ""
    _units: list[UnitSpend] = []
    _result: Overview | None = None
    _anomalies: list[AnomalyView] = []
    # The daily trend: "all" loaded once; the chosen range (`chosen_range`, the page's `?range=`) is cut from it.
    _series: SpendSeries | None = None

    def _clear(self) -> None:
        """State is sent to the browser: nothing of an earlier load (or login) stays there."""
        self.loaded, self.note, self.has_usage, self.scope_text = False, "", False, ""
        self.cards, self.providers, self.unmatched_text, self.trend_figure = [], [], "", {}
        self.units, self.csv_filename, self._units, self.anomalies = [], "", [], []
        self.budget_text, self.budget_figure, self._result, self._anomalies = "", {}, None, []
        self._series = None
        self._clear_provider()
        self._clear_details()

    @rx.var
    def _ranged(self) -> SpendSeries | None:
        if self._series is None or self._today is None:
            return None
        first = next((d.date for d in self._series.days if d.cost_by_provider), None)
        period = periods.period_for(self.chosen_range, today=self._today, first_usage=first)
        return self._series.within(period)

    @rx.var
    def daily_figure(self) -> dict:
        series = self._ranged
        if series is None or self._today is None:
            return {}
        return charts.cost_trend_figure(charts.buckets(day_points(series), today=self._today))

    @rx.var
    def range_months_figure(self) -> dict:
        series = self._ranged
        return charts.monthly_cost_figure(series.months) if series is not None else {}

    @rx.var
    def range_has_cost(self) -> bool:
        series = self._ranged
        return series is not None and any(d.cost_cents for d in series.days)

    @rx.var
    def range_total(self) -> str:
        series = self._ranged
        if series is None:
            return ""
        total = sum((d.cost_cents for d in series.days), Decimal(0))
        return f"{format_usd(total)} · {period_text(series.period)}"

    @rx.event
    def choose_range(self, value: str | list[str]):
        """Every section below the cards follows the range; the address keeps it (`?range=`) for a reload."""
        if isinstance(value, list):
            value = value[0] if value else ""
        if value in {r.value for r in periods.Range} and value != self.chosen_range:
            self.chosen_range = value
            url = self.router.url
            return rx.call_script(replace_url_script(page_url(
                url.path, url.query_parameters, provider=self.chosen_provider, range=value)))
        return None

    @rx.event
    def load(self):
        self._clear()
        user = self._guard(Ability.costs_read)
        if user is None:
            self.loaded = True
            return None
        scenario_id = self._scope_for(user)
        self.chosen_range = periods.range_or_default(self.router.url.query_parameters.get(RANGE_PARAM),
                                                     DEFAULT_RANGE).value
        with session_scope() as session:
            viewer = visibility.viewer_for(session=session, user=user, scenario_id=scenario_id)
            result = overview.overview_for(session=session, viewer=viewer, tenant_id=user.tenant_id,
                                           scenario_id=scenario_id)
            if result is not None:
                options = queries.provider_options(session=session, tenant_id=user.tenant_id,
                                                   used=[key for key, _ in result.by_provider])
                provider = self._pick_provider(options)
                if provider is not None:
                    result = overview.overview_for(session=session, viewer=viewer, tenant_id=user.tenant_id,
                                                   scenario_id=scenario_id, provider=provider)
                self._series = spend_series.series_for(session=session, viewer=viewer, tenant_id=user.tenant_id,
                                                       scenario_id=scenario_id, range=periods.Range.all,
                                                       provider=provider)
                first = next((d.date for d in self._series.days if d.cost_by_provider), None) if self._series else None
                self._load_details(session, viewer, tenant_id=user.tenant_id, scenario_id=scenario_id,
                                   provider=provider, today=result.today, first_usage=first)
                if scenario_id is None:  # anomalies are found in Live usage
                    found = anomalies.list_recent(session=session, tenant_id=user.tenant_id, viewer=viewer,
                                                  today=result.today)
                    self._anomalies = [a for a in found if provider is None or a.provider == provider]
                    self.anomalies = [anomaly_row(a) for a in self._anomalies]
                    status = budgets.status_for_unit(session=session, tenant_id=user.tenant_id, viewer=viewer,
                                                     org_unit_id=None, provider=provider, today=result.today)
                    if status is not None:
                        self.budget_text, self.budget_figure = budget_sentence(status), burn_down_figure(status)
        self.loaded = True
        if result is None:
            if viewer.reach == UsageReach.own and viewer.own_actor_ids:
                return rx.redirect(routes.person_url(min(viewer.own_actor_ids)))
            self.note = viewer.plan_refusal or (NO_SCOPE if viewer.reach == UsageReach.scope else NO_PERSON)
            return None
        self._show(result)
        return None

    def _show(self, result: Overview) -> None:
        self.scope_text = ("The whole organisation" if result.everything
                           else "The teams and departments you are placed in, and those below them")
        self.has_usage = result.has_usage
        if not result.has_usage:
            return
        self._result = result
        self.cards = overview_cards(result)
        self.providers = provider_rows(result)
        if result.everything and result.unmatched.all_time_cost_cents:
            self.unmatched_text = (
                f"Included above: {format_usd(result.unmatched.mtd_cost_cents)} this month and "
                f"{format_usd(result.unmatched.last_month_cost_cents)} last month of usage matched to no person "
                "(unmatched)."
            )
        self.trend_figure = charts.monthly_cost_figure(result.months)
        self._units = [*result.top_departments, *result.top_teams]
        self.units = [_unit_view(s) for s in self._units]
        self.csv_filename = self._file_name("top-units", result.mtd.start, result.today)

    @rx.event
    def download_trend(self):
        """The cost trend of the chosen range as CSV, a row per day (the loader already checked access)."""
        series = self._ranged
        if series is None:
            return None
        name = self._file_name("by-day", series.period.start, series.period.end)
        return rx.download(data=trend_csv(series), filename=name, mime_type="text/csv")

    @rx.event
    def download_months(self):
        """The last 12 months' cost per provider as CSV."""
        result = self._result
        if result is None:
            return None
        return rx.download(data=months_csv(result.months), mime_type="text/csv",
                           filename=self._file_name("by-month", result.months[0].month, result.today))

    @rx.event
    def download_providers(self):
        """The by-provider table as CSV."""
        result = self._result
        if result is None:
            return None
        return rx.download(data=providers_csv(result), mime_type="text/csv",
                           filename=self._file_name("by-provider", result.mtd.start, result.today))

    @rx.event
    def download_anomalies(self):
        """The unusual days as CSV."""
        if not self._anomalies or self._result is None:
            return None
        return rx.download(data=anomalies_csv(self._anomalies), mime_type="text/csv",
                           filename=self._file_name("unusual-days", self._result.today - dt.timedelta(days=29),
                                                    self._result.today))

    @rx.event
    def download_units(self):
        """The top-units table as CSV, from the rows the page shows (the loader already checked access)."""
        if not self._units:
            return None
        return rx.download(data=units_csv(self._units), filename=self.csv_filename, mime_type="text/csv")


# --- the page -----------------------------------------------------------------------------------


def _provider_row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(p.provider),
        rx.table.cell(p.mtd), rx.table.cell(p.last_month), rx.table.cell(p.change), rx.table.cell(p.forecast),
        rx.table.cell(p.active_users), rx.table.cell(p.ever_users), rx.table.cell(p.per_user),
    )


def _unit_row(u: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(u.name, href=u.url)),
        rx.table.cell(u.kind), rx.table.cell(u.mtd), rx.table.cell(u.last_same_days), rx.table.cell(u.change),
        rx.table.cell(u.last_month),
    )


def _provider_filter() -> rx.Component:
    """"All tools" and each offered provider, when there are two or more; and the notice when the link
    named a provider that is not offered."""
    state = SpendOverviewState
    return rx.fragment(
        rx.cond(
            state.provider_choices.length() > 2,
            rx.segmented_control.root(
                rx.foreach(state.provider_choices,
                           lambda choice: segmented_item(choice.label, choice.value)),
                value=state.chosen_provider, on_change=state.choose_provider, aria_label="AI tool", size="1",
            ),
        ),
        rx.cond(
            state.provider_notice != "",
            rx.callout(state.provider_notice, icon="info", color_scheme="amber", role="status", size="1",
                       width="100%"),
        ),
    )


def _trend() -> rx.Component:
    state = SpendOverviewState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Cost trend", size="3", as_="h2"),
                rx.text(state.range_total, size="2", color_scheme="gray"),
                rx.spacer(),
                download_button(state.download_trend, "Download the cost trend as CSV"),
                width="100%", align="center", wrap="wrap",
            ),
            charts.chart(state.daily_figure, state.range_has_cost, chart_id="spend-by-day", label="Cost by day",
                         empty_title="No usage in this range",
                         empty_body="Nothing was spent on AI tools in these days. Pick a longer range."),
            rx.cond(state.range_has_cost,
                    charts.chart(state.range_months_figure, state.range_has_cost, chart_id="spend-by-month-range",
                                 label="Cost by month in the range", empty_title="", empty_body="")),
            width="100%",
        ),
        width="100%",
    )


def _overview() -> rx.Component:
    state = SpendOverviewState
    return rx.vstack(
        rx.hstack(rx.text(state.scope_text, size="2", color_scheme="gray"), rx.spacer(), _provider_filter(),
                  width="100%", align="center", wrap="wrap"),
        card_grid(state.cards, "AI spend summary"),
        rx.cond(state.budget_text != "", rx.card(rx.vstack(
            rx.hstack(rx.heading("Budget this month", size="3", as_="h2"), rx.spacer(),
                      rx.link("All budgets", href=routes.AI_BUDGETS, size="2"), width="100%"),
            rx.text(state.budget_text, size="2"),
            charts.chart(state.budget_figure, state.budget_text != "", chart_id="overview-budget",
                         label="Budget burn-down", empty_title="", empty_body=""),
            width="100%"), width="100%")),
        rx.cond(state.unmatched_text != "", rx.text(state.unmatched_text, size="1", color_scheme="gray")),
        rx.hstack(rx.heading("By provider", size="3", as_="h2"), rx.spacer(),
                  download_button(state.download_providers, "Download spend by provider as CSV"),
                  width="100%", align="center"),
        data_table("Spend by provider", ["Provider", "Month to date", "Last month", "Change vs the month before",
                                         "Forecast", "Active users", "Ever", "Per active user"],
                   state.providers, _provider_row),
        rx.hstack(rx.heading("Over time", size="4", as_="h2"), rx.text(state.range_text, size="2", color_scheme="gray"),
                  rx.spacer(), charts.range_selector(state.chosen_range, state.choose_range, "Range"),
                  width="100%", align="center", wrap="wrap"),
        _trend(),
        adoption_section(state),
        model_mix_section(state),
        output_section(state),
        rx.card(
            rx.vstack(
                rx.hstack(rx.heading("Cost by month, last 12 months", size="3", as_="h2"), rx.spacer(),
                          download_button(state.download_months, "Download cost by month as CSV"),
                          width="100%", align="center"),
                charts.chart(state.trend_figure, state.has_usage, chart_id="spend-by-month",
                             label="Cost by month", empty_title="No usage", empty_body="Nothing was spent yet."),
                width="100%",
            ),
            width="100%",
        ),
        rx.hstack(
            rx.heading("Top departments and teams this month", size="3", as_="h2"),
            rx.spacer(),
            rx.button(rx.icon("download", size=14), "Download CSV", variant="soft", size="1",
                      on_click=state.download_units, disabled=state.units.length() == 0),
            width="100%",
            align="center",
        ),
        rx.text("Month to date against last month over the same days; each unit's subtree.", size="1",
                color_scheme="gray"),
        rx.cond(
            state.units.length() > 0,
            data_table("Top departments and teams", UNIT_COLUMNS, state.units, _unit_row),
            rx.text("No team or department had usage this month or last.", size="2", color_scheme="gray"),
        ),
        rx.cond(state.scope_value == LIVE, anomalies_section(state)),
        width="100%",
        spacing="3",
    )


def _empty() -> rx.Component:
    return layout.empty_state(
        "chart-no-axes-column", "No AI usage yet",
        "Spend shows here once a provider is connected and its first usage is synced.",
        rx.cond(SpendOverviewState.can_manage_ai_tooling,
                rx.link("Connect a provider", href=routes.AI_TOOLING_SETTINGS)),
    )


def spend_overview_page() -> rx.Component:
    state = SpendOverviewState
    return layout.shell(
        page_title(TITLE),
        layout.guarded(
            rx.cond(
                state.loaded,
                rx.cond(
                    state.note != "",
                    rx.callout(state.note, icon="eye-off", color_scheme="gray", role="note", width="100%"),
                    rx.cond(state.has_usage, _overview(), _empty()),
                ),
                rx.center(rx.spinner(), width="100%"),
            ),
        ),
    )
