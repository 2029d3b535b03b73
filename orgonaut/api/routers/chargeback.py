"""GET /api/v1/ai-tooling/chargeback?month=YYYY-MM: a month's chargeback, the numbers of the chargeback page.

The report and its rules are `orgonaut.spend.chargeback`: each record split over its person's placements by
allocation, so the lines add up to the tenant's total exactly; a closed month is frozen, later revisions of
it are adjustment lines in the next month. Owners and admins only (403 otherwise).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from orgonaut.api.deps import CurrentTenant, CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import ApiError, bad_param, error_responses
from orgonaut.api.schemas import ChargebackLineOut, ChargebackOut, ChargebackTotalOut, exact_cents, whole_cents
from orgonaut.errors import ValidationFailed
from orgonaut.spend import chargeback as cb
from orgonaut.spend.budgets import parse_month
from orgonaut.tenancy.models import Ability
from orgonaut.tenancy.service import can

router = APIRouter(
    prefix="/ai-tooling/chargeback", tags=["Chargeback"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422),
)
MonthQuery = Annotated[str, Query(max_length=10, description="YYYY-MM.")]


@router.get("", response_model=ChargebackOut, summary="A month's chargeback per cost centre, department and person")
def chargeback(session: SessionDep, tenant: CurrentTenant, token: CurrentToken, month: MonthQuery):
    if not can(token.user, Ability.ai_tooling_manage):
        raise ApiError(403, "forbidden", cb.NO_ACCESS)
    try:
        first = parse_month(month)
    except ValidationFailed as error:
        raise bad_param("month", f"month: {error}") from None
    report = cb.report(session=session, tenant_id=tenant.id, month=first)
    return ChargebackOut(
        month=report.month, closed_at=report.closed_at, total_cents=whole_cents(report.total_cents),
        total_cents_exact=exact_cents(report.total_cents), usage_cents_exact=exact_cents(report.usage_cents),
        adjustment_cents_exact=exact_cents(report.adjustment_cents),
        by_cost_centre=[ChargebackTotalOut(cost_centre=name, amount_cents_exact=exact_cents(amount))
                        for name, amount in report.by_cost_centre()],
        by_department=[ChargebackTotalOut(cost_centre=cc, department=dep, amount_cents_exact=exact_cents(amount))
                       for (cc, dep), amount in report.by_department()],
        lines=[ChargebackLineOut(
            for_month=line.for_month, kind="usage" if line.for_month == report.month else "adjustment",
            cost_centre=line.cost_centre, department=line.department, unit=line.unit, unit_id=line.unit_id,
            actor_id=line.actor_id, person=line.person, provider=line.provider,
            amount_cents_exact=exact_cents(line.amount_cents)) for line in report.lines],
    )
