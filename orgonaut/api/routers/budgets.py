"""GET, PUT and DELETE /api/v1/ai-tooling/budgets: monthly budgets and where each stands this month.

The rules and the numbers are `orgonaut.spend.budgets`, which the budgets page calls too: the same spend,
forecast and share used. Who sees which budget is the page's rule (owners and admins all, a manager those
of the units in their scope); setting and removing take `ai-tooling.manage` (owners and admins). Bad input
is a 422 that names the problem and changes nothing; a unit that is not a Live unit of the tenant is 404.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from orgonaut.api import params
from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import bad_param, error_responses
from orgonaut.api.schemas import BudgetIn, BudgetOut, BudgetPointOut, BudgetsOut, exact_cents, whole_cents
from orgonaut.errors import ValidationFailed
from orgonaut.org import visibility
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import budgets

router = APIRouter(
    prefix="/ai-tooling/budgets", tags=["Budgets"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)


@contextlib.contextmanager
def _param(name: str) -> Iterator[None]:
    """A refused value names its parameter (the domain's message stays)."""
    try:
        yield
    except ValidationFailed as error:
        raise bad_param(name, f"{name}: {error}") from None


def _points(points: tuple[tuple[dt.date, Decimal], ...]) -> list[BudgetPointOut]:
    return [BudgetPointOut(date=day, cost_cents=whole_cents(cost), cost_cents_exact=exact_cents(cost))
            for day, cost in points]


def budget_out(status: budgets.BudgetStatus) -> BudgetOut:
    forecast = status.forecast
    month, amount = status.next_change or (None, None)
    return BudgetOut(
        org_unit_id=status.key.org_unit_id, unit_name=status.unit_name, provider=status.key.provider,
        month=status.month, amount_cents=status.amount_cents, spent_cents=whole_cents(status.spent_cents),
        spent_cents_exact=exact_cents(status.spent_cents), used_pct=float(status.used_pct),
        forecast_cents=whole_cents(forecast.forecast_cents), forecast_cents_exact=exact_cents(forecast.forecast_cents),
        forecast_pct=float(status.forecast_pct), forecast_basis=forecast.basis, next_change_month=month,
        next_change_amount_cents=amount, actual=_points(forecast.actual), projected=_points(forecast.projected),
    )


@router.get("", response_model=BudgetsOut, summary="The budgets in force this month and where each stands",
            description="Every budget of this month the token's user may see, with spend so far, the forecast to "
            "month end, the share used, and the burn-down (cumulative actual and forecast per day).")
def list_budgets(session: SessionDep, tenant: CurrentTenant, token: CurrentToken):
    viewer = visibility.viewer_for(session=session, user=token.user, scenario_id=None)
    today = tenant_today(session=session, tenant_id=tenant.id)
    statuses = budgets.list_statuses(session=session, tenant_id=tenant.id, viewer=viewer, today=today)
    return BudgetsOut(today=today, data=[budget_out(s) for s in statuses])


@router.put("", response_model=BudgetOut, summary="Set a budget from a month on",
            description="Sets the monthly budget of the whole tenant (no `org_unit_id`) or a Live unit, for all "
            "providers or one, from `effective_month` on (this month or later); setting the same key and month "
            "again replaces it. Owners and admins.")
def set_budget(session: SessionDep, tenant: CurrentTenant, token: CurrentToken, body: BudgetIn):
    with _param("amount_usd"):
        budgets.parse_amount(body.amount_usd)
    with _param("effective_month"):
        budgets.starting_month(session, tenant.id, body.effective_month)
    status = budgets.set_budget(session=session, user=token.user, org_unit_id=body.org_unit_id,
                                provider=body.provider.value if body.provider is not None else None,
                                amount=body.amount_usd, effective_month=body.effective_month)
    session.commit()
    return budget_out(status)


MonthQuery = Annotated[str, Query(max_length=10, description="YYYY-MM: this month or a later one.")]
UnitQuery = Annotated[int | None, Query(ge=1, le=params.MAX_ID, description="The Live unit; absent: the tenant.")]


@router.delete("", status_code=204, response_class=Response, summary="End a budget from a month on",
               description="The budget of the key no longer applies from `effective_month` on (the months before "
               "keep theirs). Owners and admins.")
def remove_budget(session: SessionDep, tenant: CurrentTenant, token: CurrentToken, effective_month: MonthQuery,
                  org_unit_id: UnitQuery = None, provider: params.ProviderQuery = None) -> Response:
    with _param("effective_month"):
        budgets.starting_month(session, tenant.id, effective_month)
    budgets.remove_budget(session=session, user=token.user, org_unit_id=org_unit_id,
                          provider=provider.value if provider is not None else None, effective_month=effective_month)
    session.commit()
    return Response(status_code=204)

