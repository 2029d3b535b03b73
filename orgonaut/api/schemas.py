"""Response models of the REST API: the OpenAPI document is generated from these.

Money: every `*cost_cents` field is whole USD cents, rounded half-up from the exact stored amount, and
its `*_exact` sibling is that exact amount as a decimal string (cents with six places), for callers
that add many values up. `currency` says the unit; AI Tooling costs are always USD.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from orgonaut.api.params import ProviderName
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import Period, Range

Currency = Literal["USD"]
USD: Currency = "USD"
_EXACT = Decimal("0.000001")


def whole_cents(value: Decimal) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def exact_cents(value: Decimal | int) -> str:
    return f"{Decimal(value).quantize(_EXACT, rounding=ROUND_HALF_UP):f}"


def reported_cents(value: Decimal | None) -> tuple[int | None, str | None]:
    """Whole and exact cents of a cost a provider may not report (None stays None)."""
    return (None, None) if value is None else (whole_cents(value), exact_cents(value))


class PeriodOut(BaseModel):
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(start=period.start, end=period.end)


class UsageRecordOut(BaseModel):
    id: int
    usage_date: dt.date
    provider: str
    actor_id: int | None = Field(description="The matched actor; null when the e-mail matched no actor.")
    source_email: str
    scenario_id: int | None = Field(description="null for Live, else the scenario or snapshot id.")
    sessions_count: int | None = Field(description="null, here and in the other counts and the cost: the "
                                                   "provider does not report this metric (not a zero).")
    lines_added: int | None
    lines_removed: int | None
    commits_count: int | None
    pull_requests_count: int | None
    total_input_tokens: int | None
    total_output_tokens: int | None
    total_cache_read_tokens: int | None
    total_cache_creation_tokens: int | None
    cost_cents: int | None
    cost_cents_exact: str | None
    currency: Currency
    tool_actions: dict[str, Any]
    model_breakdown: list[dict[str, Any]]
    updated_at: dt.datetime


class UsagePage(BaseModel):
    data: list[UsageRecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class MonthCosts(BaseModel):
    """Last month's and this month's cost, in the tenant's calendar months."""

    currency: Currency
    last_month: PeriodOut
    mtd: PeriodOut
    last_month_cost_cents: int
    last_month_cost_cents_exact: str
    mtd_cost_cents: int
    mtd_cost_cents_exact: str


class ActivityTotals(BaseModel):
    sessions: int | None = Field(description="All time, like the rest of the activity counts. Every count is "
                                             "null where no provider behind it reports that metric.")
    commits: int | None
    pull_requests: int | None
    lines_added: int | None
    lines_removed: int | None
    tabs_accepted: int | None = Field(None, description="All time; reported by Cursor only, null where no "
                                                        "provider behind the number reports it.")
    agent_requests: int | None = Field(None, description="As tabs_accepted.")


class ActorSummaryOut(MonthCosts, ActivityTotals):
    actor_id: int
    name: str
    scenario_id: int | None
    has_usage: bool = Field(description="False when the person has no usage at all (the page hides the section).")
    active_providers: int
    providers: list[str]
    first_usage_date: dt.date | None
    last_usage_date: dt.date | None


class ProviderCostOut(BaseModel):
    provider: str
    cost_cents: int
    cost_cents_exact: str


class SeriesPointOut(BaseModel):
    date: dt.date
    cost_cents: int
    cost_cents_exact: str
    by_provider: list[ProviderCostOut] = Field(description="The day's cost per provider with usage that day.")
    sessions: int | None
    commits: int | None
    pull_requests: int | None


class ActorSeriesOut(BaseModel):
    actor_id: int
    scenario_id: int | None
    currency: Currency
    range: Range | None = Field(description="The range asked for; null when from/to were given.")
    start: dt.date
    end: dt.date
    points: list[SeriesPointOut] = Field(description="One point per day from start to end, zero days included.")


class MemberOut(BaseModel):
    actor_id: int
    name: str
    cost_cents: int
    cost_cents_exact: str
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    lines_added: int | None


class UnitSummaryOut(MonthCosts, ActivityTotals):
    org_unit_id: int
    name: str
    scenario_id: int | None
    scope: Breadth = Field(description="direct: actors placed in the unit itself; subtree: also every unit below.")
    last_month_active_users: int = Field(description="Distinct actors with usage in the period.")
    mtd_active_users: int
    total_cost_cents: int = Field(description="All time, like the activity counts.")
    total_cost_cents_exact: str
    first_usage_date: dt.date | None
    computed_at: dt.datetime | None = Field(description="When the stored rollups were last computed; null: never.")


class TeamSummaryOut(UnitSummaryOut):
    members_range: Range | None = Field(description="The range of the member breakdown; null when from/to were given.")
    members: list[MemberOut] = Field(
        description="People placed directly in the team during that range, highest cost first."
    )


class DepartmentSummaryOut(UnitSummaryOut):
    pass


class SpendFiguresOut(BaseModel):
    """One column of the overview's cards: every provider together, or one provider."""

    mtd_cost_cents: int = Field(description="This month to date (1st .. today, the tenant's calendar).")
    mtd_cost_cents_exact: str
    last_month_cost_cents: int
    last_month_cost_cents_exact: str
    month_before_cost_cents: int
    month_before_cost_cents_exact: str
    change_cents: int = Field(description="Last month minus the month before it.")
    change_cents_exact: str
    change_pct: float | None = Field(description="change_cents in % of the month before; null when that was 0.")
    forecast_cents: int = Field(description="This month's run rate: month-to-date cost / days elapsed (today "
                                            "included) x days in the month.")
    forecast_cents_exact: str
    active_users: int = Field(description="Distinct people with usage this month to date.")
    ever_users: int = Field(description="Distinct people with any usage up to today.")
    cost_per_active_user_cents: int | None = Field(
        description="Month-to-date cost of usage matched to a person / active users; null without active users.")
    cost_per_active_user_cents_exact: str | None


class ProviderFiguresOut(SpendFiguresOut):
    provider: str


class UnmatchedSpendOut(BaseModel):
    mtd_cost_cents: int
    mtd_cost_cents_exact: str
    last_month_cost_cents: int
    last_month_cost_cents_exact: str
    all_time_cost_cents: int
    all_time_cost_cents_exact: str


class OverviewOut(BaseModel):
    scenario_id: int | None
    provider: str | None = Field(description="The provider asked for; null: every provider.")
    currency: Currency
    today: dt.date
    mtd: PeriodOut
    last_month: PeriodOut
    month_before: PeriodOut
    everything: bool = Field(description="True: the whole tenant (unmatched usage included); false: the usage "
                                         "attributed to a manager's units.")
    headcount: int = Field(description="Active people of the scope (a manager's: placed in their units today).")
    all_time_cost_cents: int
    all_time_cost_cents_exact: str
    total: SpendFiguresOut
    by_provider: list[ProviderFiguresOut] = Field(description="Providers with usage in the scope, by key.")
    unmatched: UnmatchedSpendOut = Field(description="Usage matched to nobody (in the totals); 0 for a manager.")


class PeriodCostOut(BaseModel):
    cost_cents: int
    cost_cents_exact: str
    by_provider: list[ProviderCostOut] = Field(description="Cost per provider with usage, by key.")


class OverviewDayOut(PeriodCostOut):
    date: dt.date


class OverviewMonthOut(PeriodCostOut):
    month: dt.date = Field(description="The first of the month; its days inside the range only.")


class OverviewSeriesOut(BaseModel):
    scenario_id: int | None
    provider: str | None
    currency: Currency
    range: Range | None = Field(description="The range asked for; null when from/to were given.")
    start: dt.date
    end: dt.date
    days: list[OverviewDayOut] = Field(description="One point per day from start to end, zero days included.")
    months: list[OverviewMonthOut] = Field(description="The same days summed per calendar month.")


class UnitSpendOut(BaseModel):
    org_unit_id: int
    name: str
    kind: Literal["department", "team"]
    mtd_cost_cents: int
    mtd_cost_cents_exact: str
    previous_cost_cents: int = Field(description="Last month over the same days (1 .. today's day of the month).")
    previous_cost_cents_exact: str
    change_cents: int = Field(description="mtd_cost_cents minus previous_cost_cents.")
    change_cents_exact: str
    change_pct: float | None = Field(description="In % of the previous period; null when it was 0.")
    last_month_cost_cents: int = Field(description="The whole of last month.")
    last_month_cost_cents_exact: str


class TopUnitsOut(BaseModel):
    scenario_id: int | None
    provider: str | None
    currency: Currency
    mtd: PeriodOut
    previous: PeriodOut = Field(description="Last month's same days, the period the change compares with.")
    departments: list[UnitSpendOut] = Field(description="Highest month-to-date cost first.")
    teams: list[UnitSpendOut]


class BudgetPointOut(BaseModel):
    date: dt.date
    cost_cents: int
    cost_cents_exact: str


class BudgetOut(BaseModel):
    org_unit_id: int | None = Field(description="The Live org unit (its subtree's spend); null: the whole tenant.")
    unit_name: str
    provider: str | None = Field(description="One provider's spend; null: all providers.")
    month: dt.date = Field(description="The budget's month (its first day).")
    currency: str = USD
    amount_cents: int
    spent_cents: int
    spent_cents_exact: str
    used_pct: float
    forecast_cents: int = Field(description="The month's expected cost: the complete days' cost, today at least at "
                                "its rate, the days left at the mean of the month's weekdays and weekend days "
                                "(the last 28 days' in the month's first week). docs/forecast.md.")
    forecast_cents_exact: str
    forecast_pct: float
    forecast_basis: str
    next_change_month: dt.date | None = Field(description="A later month from which another amount applies.")
    next_change_amount_cents: int | None = Field(description="That amount; null with a month: the budget ends.")
    actual: list[BudgetPointOut] = Field(description="Cumulative cost per day of the month so far.")
    projected: list[BudgetPointOut] = Field(description="Cumulative forecast per day from today to month end.")


class BudgetsOut(BaseModel):
    today: dt.date
    data: list[BudgetOut]


class BudgetIn(BaseModel):
    org_unit_id: int | None = Field(default=None, ge=1, le=2_147_483_647,
                                    description="A Live org unit's id; null or absent: the whole tenant.")
    provider: ProviderName | None = Field(default=None, description="A provider; null: all providers.")
    amount_usd: str = Field(max_length=40, examples=["1500.00"],
                            description="USD a month, more than 0 and at most 100,000,000, such as 1500 or 1500.50.")
    effective_month: str = Field(max_length=10, description="YYYY-MM: this month or a later one.",
                                 examples=["2027-01"])


class AnomalyOut(BaseModel):
    actor_id: int
    name: str
    date: dt.date
    provider: str
    cost_cents: int
    cost_cents_exact: str
    usual_day_cents: int = Field(description="The median of the person's 28 days before (days without usage: 0).")
    usual_day_cents_exact: str
    team_median_cents: int | None = Field(description="Their team's median that day; null: too few peers.")
    ratio: float = Field(description="The day's cost over the usual day (over $2 when that is less).")
    model: str = Field(description="The model with the largest cost that day (empty when not reported).")


class AnomaliesOut(BaseModel):
    today: dt.date
    days: int
    data: list[AnomalyOut]


class ChargebackLineOut(BaseModel):
    for_month: dt.date = Field(description="The month the cost was incurred: the report's, or an earlier closed "
                               "month's for an adjustment.")
    kind: Literal["usage", "adjustment"]
    cost_centre: str
    department: str
    unit: str
    unit_id: int | None
    actor_id: int | None
    person: str = Field(description="The person's name, or the unmatched usage's source.")
    provider: str
    amount_cents_exact: str = Field(description="Exact USD cents, to a millionth of a cent: the lines add up to "
                                    "the total exactly.")


class ChargebackTotalOut(BaseModel):
    cost_centre: str
    department: str | None = None
    amount_cents_exact: str


class ChargebackOut(BaseModel):
    month: dt.date
    currency: str = USD
    closed_at: dt.datetime | None = Field(description="When the month was closed (its report frozen); null: open.")
    total_cents: int
    total_cents_exact: str
    usage_cents_exact: str
    adjustment_cents_exact: str
    by_cost_centre: list[ChargebackTotalOut]
    by_department: list[ChargebackTotalOut]
    lines: list[ChargebackLineOut]


class IdleSeatOut(BaseModel):
    actor_id: int
    name: str
    provider: str
    plan: str
    last_used: dt.date | None = Field(description="The last day with activity we hold; null: none.")
    monthly_cost_cents: int | None = Field(description="The seat's cost over the last 30 days; null when the "
                                                       "connection has no seat price (Cursor, Claude Enterprise).")
    monthly_cost_cents_exact: str | None


class IdleSeatsOut(BaseModel):
    today: dt.date
    days: int
    total_cents: int
    total_cents_exact: str
    data: list[IdleSeatOut]


class ReconciliationLineOut(BaseModel):
    label: str
    amount_cents_exact: str


class ReconciliationOut(BaseModel):
    integration_id: int
    provider: str
    organization_name: str
    start: dt.date
    end: dt.date
    currency: str = USD
    vendor_total_cents_exact: str = Field(description="What the vendor bills the organisation in these days.")
    vendor_tool_cents_exact: str = Field(description="The bill's lines for this tool (what the per-person report "
                                         "covers).")
    current_billing_cycle: bool = Field(
        default=False, description="True when the vendor reports only its current billing cycle to date (Cursor): "
        "start and end are the cycle's days, and only the current month can be asked for.")
    ours_cents_exact: str = Field(description="Every stored record of the connection in these days that the "
                                  "vendor's figure counts (those in `set_apart` are not).")
    matched_cents_exact: str
    unmatched_cents_exact: str
    api_key_cents_exact: str
    gap_cents_exact: str = Field(description="The tool's billed lines minus ours.")
    vendor_lines: list[ReconciliationLineOut]
    causes: list[ReconciliationLineOut]
    set_apart: list[ReconciliationLineOut] = Field(
        default=[], description="Our usage the vendor's figure does not count (Cursor's service accounts).")
