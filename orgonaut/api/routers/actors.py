"""GET /api/v1/ai-tooling/actors/{id}/summary and /series: one person's AI Tooling usage.

The numbers come from `orgonaut.rollups.queries`, the functions the person page calls. A person whose
usage the token's user may not see (`orgonaut.org.visibility`) is 404, as another tenant's id.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import error_responses
from orgonaut.api.params import (
    FromQuery,
    IdPath,
    ProviderQuery,
    RangeQuery,
    ScenarioQuery,
    ToQuery,
    choose_period,
    resolve_scenario,
)
from orgonaut.api.schemas import (
    USD,
    ActorSeriesOut,
    ActorSummaryOut,
    PeriodOut,
    ProviderCostOut,
    SeriesPointOut,
    exact_cents,
    whole_cents,
)
from orgonaut.org import visibility
from orgonaut.rollups import periods, queries

router = APIRouter(
    prefix="/ai-tooling/actors", tags=["AI Tooling people"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)


def series_points(points: list[queries.DayPoint]) -> list[SeriesPointOut]:
    return [
        SeriesPointOut(
            date=p.date, cost_cents=whole_cents(p.cost_cents), cost_cents_exact=exact_cents(p.cost_cents),
            sessions=p.sessions, commits=p.commits, pull_requests=p.pull_requests,
            by_provider=[ProviderCostOut(provider=key, cost_cents=whole_cents(cost), cost_cents_exact=exact_cents(cost))
                         for key, cost in p.cost_by_provider],
        )
        for p in points
    ]


@router.get(
    "/{id}/summary", response_model=ActorSummaryOut, summary="A person's cost and activity",
    description="Cost last month and month to date (the tenant's calendar), and all-time activity.",
)
def actor_summary(id: IdPath, session: SessionDep, tenant: CurrentTenant, token: CurrentToken,
                  scenario: ScenarioQuery = None, provider: ProviderQuery = None):
    scenario_id = resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    actor = visibility.get_visible_actor_or_raise(session=session, user=token.user, scenario_id=scenario_id,
                                                  actor_id=id)
    summary = queries.person_summary(session=session, actor=actor, provider=provider)
    if summary is None:
        today = periods.tenant_today(session=session, tenant_id=tenant.id)
        return ActorSummaryOut(
            actor_id=actor.id, name=actor.name, scenario_id=actor.scenario_id, has_usage=False, currency=USD,
            last_month=PeriodOut.of(periods.previous_month(today)), mtd=PeriodOut.of(periods.month_to_date(today)),
            last_month_cost_cents=0, last_month_cost_cents_exact=exact_cents(0), mtd_cost_cents=0,
            mtd_cost_cents_exact=exact_cents(0), sessions=0, commits=0, pull_requests=0, lines_added=0,
            lines_removed=0, active_providers=0, providers=[], first_usage_date=None, last_usage_date=None,
        )
    return ActorSummaryOut(
        actor_id=actor.id, name=actor.name, scenario_id=actor.scenario_id, has_usage=True, currency=USD,
        last_month=PeriodOut.of(summary.last_month), mtd=PeriodOut.of(summary.mtd),
        last_month_cost_cents=whole_cents(summary.last_month_cost_cents),
        last_month_cost_cents_exact=exact_cents(summary.last_month_cost_cents),
        mtd_cost_cents=whole_cents(summary.mtd_cost_cents), mtd_cost_cents_exact=exact_cents(summary.mtd_cost_cents),
        sessions=summary.sessions, commits=summary.commits, pull_requests=summary.pull_requests,
        lines_added=summary.lines_added, lines_removed=summary.lines_removed,
        tabs_accepted=summary.provider_metric("tabs_accepted"),
        agent_requests=summary.provider_metric("agent_requests"),
        active_providers=summary.active_providers, providers=list(summary.providers),
        first_usage_date=summary.first_usage_date, last_usage_date=summary.last_usage_date,
    )


@router.get(
    "/{id}/series", response_model=ActorSeriesOut, summary="A person's daily cost and activity",
    description="One point per day over `range` (default mtd) or `from`..`to`, zero days included.",
)
def actor_series(
    id: IdPath, session: SessionDep, tenant: CurrentTenant, token: CurrentToken, range: RangeQuery = None,
    start: FromQuery = None, end: ToQuery = None, scenario: ScenarioQuery = None, provider: ProviderQuery = None,
):
    choice = choose_period(session=session, tenant=tenant, range=range, start=start, end=end)
    scenario_id = resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    actor = visibility.get_visible_actor_or_raise(session=session, user=token.user, scenario_id=scenario_id,
                                                  actor_id=id)
    points = queries.person_series(session=session, actor=actor, range=choice.range, start=choice.start,
                                   end=choice.end, provider=provider)
    return ActorSeriesOut(
        actor_id=actor.id, scenario_id=actor.scenario_id, currency=USD, range=choice.range,
        start=points[0].date, end=points[-1].date, points=series_points(points),
    )
