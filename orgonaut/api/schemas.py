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
