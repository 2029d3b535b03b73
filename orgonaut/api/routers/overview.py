"""GET /api/v1/ai-tooling/overview, /overview/series and /overview/top-units: the org-wide spend
overview, the numbers of the `/ai-tooling` page.

Every number comes from `orgonaut.rollups.overview` (the stored rollups), the functions the page calls,
so the two cannot disagree. Who sees what is `orgonaut.org.visibility`, as for the page: owners and
admins the whole tenant, a manager the units of their scope; anyone else (and a manager without a
scope) is refused with 403 `overview_not_visible`: there is no id to hide, so not 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from orgonaut.api import params
from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import ApiError, error_responses
from orgonaut.api.schemas import (
    USD,
    OverviewDayOut,
    OverviewMonthOut,
    OverviewOut,
    OverviewSeriesOut,
    PeriodOut,
    ProviderCostOut,
    ProviderFiguresOut,
    SpendFiguresOut,
    TopUnitsOut,
    UnitSpendOut,
    UnmatchedSpendOut,
    exact_cents,
    reported_cents,
    whole_cents,
)
from orgonaut.org import visibility
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups import overview as ov
from orgonaut.rollups import spend_series
from orgonaut.rollups.periods import same_days_last_month
from orgonaut.tenancy.models import Tenant

router = APIRouter(
    prefix="/ai-tooling/overview", tags=["AI Tooling overview"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)

LimitQuery = Annotated[int, Query(ge=1, le=100, description="Departments and teams each, at most.")]
NOT_VISIBLE = "The spend overview is for owners, admins and managers with units in their scope."


def _viewer(session: Session, tenant: Tenant, token, scenario: str | None) -> tuple[int | None, UsageViewer]:
    scenario_id = params.resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    return scenario_id, visibility.viewer_for(session=session, user=token.user, scenario_id=scenario_id)


def _refused() -> ApiError:
    return ApiError(403, "overview_not_visible", NOT_VISIBLE)


def _money(name: str, value: Decimal) -> dict:
    return {name: whole_cents(value), f"{name}_exact": exact_cents(value)}


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 2))


def _figures(f: ov.SpendFigures) -> dict:
    per_user, per_user_exact = reported_cents(f.cost_per_active_user_cents)
    return {
        **_money("mtd_cost_cents", f.mtd_cost_cents), **_money("last_month_cost_cents", f.last_month_cost_cents),
        **_money("month_before_cost_cents", f.month_before_cost_cents), **_money("change_cents", f.change_cents),
        "change_pct": _pct(f.change_pct), **_money("forecast_cents", f.forecast_cents),
        "active_users": f.active_users, "ever_users": f.ever_users,
        "cost_per_active_user_cents": per_user, "cost_per_active_user_cents_exact": per_user_exact,
    }


def _by_provider(costs: tuple[tuple[str, Decimal], ...]) -> list[ProviderCostOut]:
    return [ProviderCostOut(provider=key, **_money("cost_cents", cost)) for key, cost in costs]


@router.get(
    "", response_model=OverviewOut, summary="The organisation's AI spend: the overview's cards",
    description="This month to date, last month, the change against the month before, this month's forecast, "
    "active users this month / people with usage / headcount and cost per active user, in total and per "
    "provider; for owners and admins the whole tenant, for a manager the units of their scope.",
)
def overview_cards(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    scenario_id, viewer = _viewer(session, tenant, token, scenario)
    key = provider.value if provider is not None else None
    result = ov.overview_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=scenario_id,
                             provider=key, top=0)
    if result is None:
        raise _refused()
    unmatched = result.unmatched
    return OverviewOut(
        scenario_id=scenario_id, provider=key, currency=USD, today=result.today, mtd=PeriodOut.of(result.mtd),
        last_month=PeriodOut.of(result.last_month), month_before=PeriodOut.of(result.month_before),
        everything=result.everything, headcount=result.headcount,
        **_money("all_time_cost_cents", result.all_time_cost_cents),
        total=SpendFiguresOut(**_figures(result.total)),
        by_provider=[ProviderFiguresOut(provider=p, **_figures(f)) for p, f in result.by_provider],
        unmatched=UnmatchedSpendOut(
            **_money("mtd_cost_cents", unmatched.mtd_cost_cents),
            **_money("last_month_cost_cents", unmatched.last_month_cost_cents),
            **_money("all_time_cost_cents", unmatched.all_time_cost_cents),
        ),
    )


@router.get(
    "/series", response_model=OverviewSeriesOut, summary="The organisation's AI spend by day and by month",
    description="Cost per day over `range` (default mtd) or `from`..`to`, zero days included, and the same days "
    "per calendar month; each point split by provider.",
)
def overview_series(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, range: params.RangeQuery = None,
    start: params.FromQuery = None, end: params.ToQuery = None, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    choice = params.choose_period(session=session, tenant=tenant, range=range, start=start, end=end)
    scenario_id, viewer = _viewer(session, tenant, token, scenario)
    key = provider.value if provider is not None else None
    series = spend_series.series_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=scenario_id,
                           range=choice.range, start=choice.start, end=choice.end, provider=key)
    if series is None:
        raise _refused()
    return OverviewSeriesOut(
        scenario_id=scenario_id, provider=key, currency=USD, range=choice.range, start=series.period.start,
        end=series.period.end,
        days=[OverviewDayOut(date=d.date, **_money("cost_cents", d.cost_cents),
                             by_provider=_by_provider(d.cost_by_provider)) for d in series.days],
        months=[OverviewMonthOut(month=m.month, **_money("cost_cents", m.cost_cents),
                                 by_provider=_by_provider(m.cost_by_provider)) for m in series.months],
    )


def _unit(u: ov.UnitSpend) -> UnitSpendOut:
    return UnitSpendOut(
        org_unit_id=u.org_unit_id, name=u.name, kind=u.kind.value, **_money("mtd_cost_cents", u.mtd_cost_cents),
        **_money("previous_cost_cents", u.last_month_same_days_cost_cents), **_money("change_cents", u.change_cents),
        change_pct=_pct(u.change_pct), **_money("last_month_cost_cents", u.last_month_cost_cents),
    )


@router.get(
    "/top-units", response_model=TopUnitsOut, summary="Departments and teams by month-to-date cost",
    description="The departments and teams (of a manager's scope, or all) with the highest cost this month to "
    "date, each with last month's cost over the same days and the change against it.",
)
def overview_top_units(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, limit: LimitQuery = 10,
    scenario: params.ScenarioQuery = None, provider: params.ProviderQuery = None,
):
    scenario_id, viewer = _viewer(session, tenant, token, scenario)
    key = provider.value if provider is not None else None
    result = ov.overview_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=scenario_id,
                             provider=key, top=limit)
    if result is None:
        raise _refused()
    return TopUnitsOut(
        scenario_id=scenario_id, provider=key, currency=USD, mtd=PeriodOut.of(result.mtd),
        previous=PeriodOut.of(same_days_last_month(result.today)),
        departments=[_unit(u) for u in result.top_departments], teams=[_unit(u) for u in result.top_teams],
    )
