"""GET /api/v1/ai-tooling/overview/active-users, /cohorts, /model-mix and /output-per-cost: the `/ai-tooling`
page's adoption, model mix and output per cost, from the functions the page calls
(`rollups.adoption`, `rollups.model_mix`, `rollups.output_per_cost`), so the two cannot disagree.

Access as for the other overview routes (`routers/overview.py`): owners and admins the whole tenant, a manager
the units of their scope, anyone else 403 `overview_not_visible`. The model mix is the whole tenant's only (no
per-person model rollup): a manager gets 403 `model_mix_not_visible`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from fastapi import APIRouter, Depends
from sqlmodel import Session

from orgonaut.api import params
from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import ApiError, error_responses
from orgonaut.api.overview_schemas import (
    ActivePointOut,
    ActiveUsersOut,
    CohortMonthOut,
    CohortsOut,
    ModelMixOut,
    ModelShareOut,
    OutputPerCostOut,
    OutputRateOut,
)
from orgonaut.api.routers.overview import NOT_VISIBLE
from orgonaut.api.schemas import USD, exact_cents, whole_cents
from orgonaut.org import visibility
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups import adoption, model_mix, output_per_cost
from orgonaut.rollups.coverage import Coverage, choose_period, coverage_of
from orgonaut.rollups.periods import Period, Range, tenant_today
from orgonaut.tenancy.models import Tenant

router = APIRouter(
    prefix="/ai-tooling/overview", tags=["AI Tooling overview"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)
MODEL_MIX_NOT_VISIBLE = ("The model mix covers the whole organisation, for owners and admins: there is no cost by "
                         "model per person to sum a manager's units from.")


@dataclass(frozen=True)
class _Asked:
    """The caller's scope, what they cover, the provider and today, as every route here needs them."""

    scenario_id: int | None
    viewer: UsageViewer
    coverage: Coverage
    provider: str | None
    today: dt.date


def _asked(session: Session, tenant: Tenant, token, scenario: str | None, provider) -> _Asked:
    scenario_id = params.resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=scenario_id)
    coverage = coverage_of(viewer)
    if coverage is None:
        raise ApiError(403, "overview_not_visible", NOT_VISIBLE)
    return _Asked(scenario_id=scenario_id, viewer=viewer, coverage=coverage,
                  provider=provider.value if provider is not None else None,
                  today=tenant_today(session=session, tenant_id=tenant.id))


def _dated(session: Session, tenant: Tenant, token, scenario: str | None, provider, range, start, end,
           ) -> tuple[_Asked, Range | None, Period]:
    """`_asked` and the period of `range` or `from`/`to` (\"all\": from the first day the caller's usage has)."""
    choice = params.choose_period(session=session, tenant=tenant, range=range, start=start, end=end)
    asked = _asked(session, tenant, token, scenario, provider)
    period = choose_period(session, asked.coverage, tenant_id=tenant.id, scenario_id=asked.scenario_id,
                           provider=asked.provider, today=asked.today, range=choice.range, start=choice.start,
                           end=choice.end)
    return asked, choice.range, period


def _money(name: str, value: Decimal) -> dict:
    return {name: whole_cents(value), f"{name}_exact": exact_cents(value)}


@router.get(
    "/active-users", response_model=ActiveUsersOut, summary="Daily, weekly and monthly active users",
    description="Distinct people with usage per day of `range` (default mtd) or `from`..`to`, per Monday-to-Sunday "
    "week and per calendar month it touches; for owners and admins the whole tenant, for a manager their units.",
)
def active_users(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, range: params.RangeQuery = None,
    start: params.FromQuery = None, end: params.ToQuery = None, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    asked, chosen, period = _dated(session, tenant, token, scenario, provider, range, start, end)
    found = adoption.active_users_for(session=session, viewer=asked.viewer, tenant_id=tenant.id,
                                      scenario_id=asked.scenario_id, today=asked.today, period=period,
                                      provider=asked.provider)
    if found is None:  # not reached: the caller is covered
        raise ApiError(403, "overview_not_visible", NOT_VISIBLE)

    def points(values: tuple[adoption.ActivePoint, ...]) -> list[ActivePointOut]:
        return [ActivePointOut(start=p.start, end=p.end, active_users=p.users) for p in values]

    return ActiveUsersOut(scenario_id=asked.scenario_id, provider=asked.provider,
                          everything=asked.coverage.everything, range=chosen, start=period.start,
                          end=period.end, days=points(found.days), weeks=points(found.weeks),
                          months=points(found.months))


@router.get(
    "/cohorts", response_model=CohortsOut, summary="Monthly cohorts: new, retained, reactivated and lapsed people",
    description="For each of the last 12 calendar months (this one to date) the people with usage that month, split "
    "into new (their first month), retained (active the month before too) and reactivated (active before, not the "
    "month before), and those lapsed (active the month before, not this month).",
)
def cohorts(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    asked = _asked(session, tenant, token, scenario, provider)
    found = adoption.cohorts_for(session=session, viewer=asked.viewer, tenant_id=tenant.id,
                                 scenario_id=asked.scenario_id, today=asked.today, provider=asked.provider)
    if found is None:  # not reached: the caller is covered
        raise ApiError(403, "overview_not_visible", NOT_VISIBLE)
    return CohortsOut(scenario_id=asked.scenario_id, provider=asked.provider, everything=asked.coverage.everything,
                      months=[CohortMonthOut(month=c.month, active=c.active, new=c.new, retained=c.retained,
                                             reactivated=c.reactivated, lapsed=c.lapsed) for c in found])


@router.get(
    "/model-mix", response_model=ModelMixOut, summary="Cost by model",
    description="The cost of `range` (default mtd) or `from`..`to` per model the providers' records name, the "
    "costliest 8 first, the rest as Other, then the cost no model accounts for; the whole tenant, for "
    "owners and admins.",
)
def model_mix_of(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, range: params.RangeQuery = None,
    start: params.FromQuery = None, end: params.ToQuery = None, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    asked, chosen, period = _dated(session, tenant, token, scenario, provider, range, start, end)
    costs = model_mix.model_costs_for(session=session, viewer=asked.viewer, tenant_id=tenant.id,
                                      scenario_id=asked.scenario_id, today=asked.today, period=period,
                                      provider=asked.provider)
    if costs is None:
        raise ApiError(403, "model_mix_not_visible", MODEL_MIX_NOT_VISIBLE)
    mix = costs.within(period)
    return ModelMixOut(
        scenario_id=asked.scenario_id, provider=asked.provider, currency=USD, range=chosen,
        start=period.start, end=period.end, **_money("cost_cents", mix.total_cents),
        rows=[ModelShareOut(label=r.label, kind=r.kind, providers=list(r.providers), models=r.models,
                            **_money("cost_cents", r.cost_cents),
                            share_pct=None if r.share_pct is None else float(r.share_pct)) for r in mix.rows],
    )


@router.get(
    "/output-per-cost", response_model=OutputPerCostOut, summary="Commits, pull requests and lines added per dollar",
    description="Over `range` (default mtd) or `from`..`to`: each metric summed over the providers that report it, "
    "per USD of those providers' cost (the cost of providers that do not report it is left out), naming both.",
)
def output_of(
    session: SessionDep, tenant: CurrentTenant, token: CurrentToken, range: params.RangeQuery = None,
    start: params.FromQuery = None, end: params.ToQuery = None, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    asked, chosen, period = _dated(session, tenant, token, scenario, provider, range, start, end)
    days = output_per_cost.output_days_for(session=session, viewer=asked.viewer, tenant_id=tenant.id,
                                           scenario_id=asked.scenario_id, today=asked.today, period=period,
                                           provider=asked.provider)
    if days is None:  # not reached: the caller is covered
        raise ApiError(403, "overview_not_visible", NOT_VISIBLE)
    rates = days.within(period).rates
    return OutputPerCostOut(
        scenario_id=asked.scenario_id, provider=asked.provider, everything=asked.coverage.everything, currency=USD,
        range=chosen, start=period.start, end=period.end,
        rates=[OutputRateOut(metric=r.metric, label=r.label, amount=r.amount, **_money("cost_cents", r.cost_cents),
                             per_dollar=None if r.per_dollar is None else f"{r.per_dollar:f}",
                             providers=list(r.providers), left_out=list(r.left_out)) for r in rates],
    )
