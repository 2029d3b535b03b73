"""GET /api/v1/ai-tooling/idle-seats?days=30: paid seats unused for `days`, as the idle seats page lists them
(`orgonaut.spend.idle_seats`), for the people the token's user may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import error_responses
from orgonaut.api.schemas import IdleSeatOut, IdleSeatsOut, exact_cents, whole_cents
from orgonaut.org import visibility
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import idle_seats

router = APIRouter(
    prefix="/ai-tooling/idle-seats", tags=["Idle seats"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)
DaysQuery = Annotated[int, Query(ge=idle_seats.MIN_DAYS, le=idle_seats.MAX_DAYS, description="Unused for this many "
                                 "days (default 30).")]


@router.get("", response_model=IdleSeatsOut, summary="Seats nobody used in the last days")
def list_idle_seats(session: SessionDep, tenant: CurrentTenant, token: CurrentToken, days: DaysQuery = 30):
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=None)
    today = tenant_today(session=session, tenant_id=tenant.id)
    seats = idle_seats.find(session=session, tenant_id=tenant.id, viewer=viewer, days=days, today=today)
    total = idle_seats.total_cents(seats)
    return IdleSeatsOut(today=today, days=days, total_cents=whole_cents(total), total_cents_exact=exact_cents(total),
                        data=[IdleSeatOut(actor_id=s.actor_id, name=s.name, provider=s.provider, plan=s.plan,
                                          last_used=s.last_used,
                                          monthly_cost_cents=None if s.monthly_cost_cents is None
                                          else whole_cents(s.monthly_cost_cents),
                                          monthly_cost_cents_exact=None if s.monthly_cost_cents is None
                                          else exact_cents(s.monthly_cost_cents))
                              for s in seats])
