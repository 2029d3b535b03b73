"""GET /api/v1/ai-tooling/anomalies: the spend anomalies of the last days, as the overview lists them.

The rule and the stored anomalies are `orgonaut.spend.anomalies`; a token sees the anomalies of the people
its user may see (`org.visibility`), as on the pages.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import error_responses
from orgonaut.api.schemas import AnomaliesOut, AnomalyOut, exact_cents, whole_cents
from orgonaut.org import visibility
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import anomalies

router = APIRouter(
    prefix="/ai-tooling/anomalies", tags=["Spend anomalies"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)
DaysQuery = Annotated[int, Query(ge=1, le=90, description="How many days back (default 30).")]


@router.get("", response_model=AnomaliesOut, summary="Spend anomalies of the last days",
            description="Each (person, day, provider) that cost far more than the person's usual day and their "
            "team's that day, newest first, with the numbers that made it so.")
def list_anomalies(session: SessionDep, tenant: CurrentTenant, token: CurrentToken, days: DaysQuery = 30):
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=None)
    today = tenant_today(session=session, tenant_id=tenant.id)
    found = anomalies.list_recent(session=session, tenant_id=tenant.id, viewer=viewer, days=days, today=today)
    return AnomaliesOut(today=today, days=days, data=[
        AnomalyOut(actor_id=a.actor_id, name=a.name, date=a.day, provider=a.provider,
                   cost_cents=whole_cents(a.cost_cents), cost_cents_exact=exact_cents(a.cost_cents),
                   usual_day_cents=whole_cents(a.baseline_cents), usual_day_cents_exact=exact_cents(a.baseline_cents),
                   team_median_cents=None if a.team_median_cents is None else whole_cents(a.team_median_cents),
                   ratio=float(a.ratio), model=a.model)
        for a in found])
