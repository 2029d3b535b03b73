"""GET /api/v1/ai-tooling/teams/{id}/summary and /departments/{id}/summary: aggregates of an org unit.

The numbers come from `orgonaut.rollups.queries` (the stored rollups), the functions the team and
department pages call. `scope=direct` counts people placed in the unit itself, `scope=subtree` (the
default) also everyone placed in units below it.

Who sees what (`orgonaut.org.visibility`): a unit whose usage the token's user may not see is 404, as
another tenant's id; a team's `members` lists only the people whose usage the user may see (none when
they see unit totals only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from orgonaut.api import params
from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import error_responses
from orgonaut.api.schemas import (
    USD,
    DepartmentSummaryOut,
    MemberOut,
    PeriodOut,
    TeamSummaryOut,
    exact_cents,
    whole_cents,
)
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnit, OrgUnitKind
from orgonaut.rollups import queries
from orgonaut.rollups.models import Breadth

ScopeQuery = Annotated[
    Breadth, Query(description="direct: people placed in the unit itself; subtree (default): and below it.")
]

teams_router = APIRouter(
    prefix="/ai-tooling/teams", tags=["AI Tooling teams"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)
departments_router = APIRouter(
    prefix="/ai-tooling/departments", tags=["AI Tooling departments"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)


def _summary_fields(session: Session, unit: OrgUnit, scope: Breadth, provider: str | None) -> dict:
    summary = queries.unit_summary(session=session, org_unit=unit, breadth=scope, provider=provider)
    return {
        "org_unit_id": unit.id, "name": unit.name, "scenario_id": unit.scenario_id, "scope": summary.breadth,
        "currency": USD, "last_month": PeriodOut.of(summary.last_month), "mtd": PeriodOut.of(summary.mtd),
        "last_month_cost_cents": whole_cents(summary.last_month_cost_cents),
        "last_month_cost_cents_exact": exact_cents(summary.last_month_cost_cents),
        "mtd_cost_cents": whole_cents(summary.mtd_cost_cents),
        "mtd_cost_cents_exact": exact_cents(summary.mtd_cost_cents),
        "last_month_active_users": summary.last_month_active_users, "mtd_active_users": summary.mtd_active_users,
        "total_cost_cents": whole_cents(summary.cost_cents), "total_cost_cents_exact": exact_cents(summary.cost_cents),
        "sessions": summary.sessions, "commits": summary.commits, "pull_requests": summary.pull_requests,
        "lines_added": summary.lines_added, "lines_removed": summary.lines_removed,
        "tabs_accepted": summary.provider_metric("tabs_accepted"),
        "agent_requests": summary.provider_metric("agent_requests"),
        "first_usage_date": summary.first_usage_date, "computed_at": summary.computed_at,
    }


@teams_router.get(
    "/{id}/summary", response_model=TeamSummaryOut, summary="A team's cost, active users and members",
    description="Cost and distinct active users last month and month to date, all-time activity, and the "
    "per-member breakdown over `range` (default mtd) or `from`..`to`.",
)
def team_summary(
    id: params.IdPath, session: SessionDep, tenant: CurrentTenant, token: CurrentToken,
    scope: ScopeQuery = Breadth.subtree, range: params.RangeQuery = None, start: params.FromQuery = None,
    end: params.ToQuery = None,
    scenario: params.ScenarioQuery = None, provider: params.ProviderQuery = None,
):
    choice = params.choose_period(session=session, tenant=tenant, range=range, start=start, end=end)
    scenario_id = params.resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    team = visibility.get_visible_unit_or_raise(session=session, user=token.user, scenario_id=scenario_id,
                                                org_unit_id=id, kind=OrgUnitKind.team)
    fields = _summary_fields(session, team, scope, provider)
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=scenario_id)
    members = [] if not viewer.may_see_people_of_unit(team.id) else [
        m for m in queries.team_member_breakdown(session=session, org_unit=team, range=choice.range,
                                                 start=choice.start, end=choice.end, provider=provider)
        if viewer.may_see_actor(m.actor_id)
    ]
    return TeamSummaryOut(
        **fields, members_range=choice.range,
        members=[
            MemberOut(
                actor_id=m.actor_id, name=m.name, cost_cents=whole_cents(m.cost_cents),
                cost_cents_exact=exact_cents(m.cost_cents), sessions=m.sessions, commits=m.commits,
                pull_requests=m.pull_requests, lines_added=m.lines_added,
            )
            for m in members
        ],
    )


@departments_router.get(
    "/{id}/summary", response_model=DepartmentSummaryOut, summary="A department's cost and active users",
    description="Cost and distinct active users last month and month to date, and all-time activity, for the "
    "people placed in the department itself (scope=direct) or also below it (scope=subtree, the default).",
)
def department_summary(
    id: params.IdPath, session: SessionDep, tenant: CurrentTenant, token: CurrentToken,
    scope: ScopeQuery = Breadth.subtree, scenario: params.ScenarioQuery = None,
    provider: params.ProviderQuery = None,
):
    scenario_id = params.resolve_scenario(session=session, tenant=tenant, scenario=scenario)
    department = visibility.get_visible_unit_or_raise(session=session, user=token.user, scenario_id=scenario_id,
                                                      org_unit_id=id, kind=OrgUnitKind.department)
    return DepartmentSummaryOut(**_summary_fields(session, department, scope, provider))
