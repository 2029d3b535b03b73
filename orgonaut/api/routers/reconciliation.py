"""GET /api/v1/ai-tooling/reconciliation?integration_id=&month=YYYY-MM: a connection's month reconciled with
the vendor's own bill (`orgonaut.spend.reconciliation`, the chargeback page's), read from the vendor now.
Owners and admins; a connection of another tenant is 404; a vendor that does not answer is 502. Cursor
reports only its current billing cycle: another month is 422, and start/end are the cycle's days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.api import params
from orgonaut.api.deps import CurrentToken, SessionDep, require_ai_tooling
from orgonaut.api.errors import ApiError, bad_param, error_responses
from orgonaut.api.schemas import ReconciliationLineOut, ReconciliationOut, exact_cents
from orgonaut.errors import ValidationFailed
from orgonaut.spend import reconciliation
from orgonaut.spend.budgets import parse_month

router = APIRouter(
    prefix="/ai-tooling/reconciliation", tags=["Invoice reconciliation"], dependencies=[Depends(require_ai_tooling)],
    responses=error_responses(401, 403, 404, 422, 502),
)
IntegrationQuery = Annotated[int, Query(ge=1, le=params.MAX_ID, description="The connection (an integration id).")]
MonthQuery = Annotated[str, Query(max_length=10, description="YYYY-MM.")]


def _lines(pairs) -> list[ReconciliationLineOut]:
    return [ReconciliationLineOut(label=label, amount_cents_exact=exact_cents(amount)) for label, amount in pairs]


@router.get("", response_model=ReconciliationOut, summary="A connection's month beside the vendor's own bill")
def reconcile(session: SessionDep, token: CurrentToken, integration_id: IntegrationQuery, month: MonthQuery):
    try:
        first = parse_month(month)
    except ValidationFailed as error:
        raise bad_param("month", f"month: {error}") from None
    try:
        r = reconciliation.reconcile(session=session, user=token.user, integration_id=integration_id, month=first)
    except ProviderError as error:
        raise ApiError(502, "vendor_error", str(error)) from None
    return ReconciliationOut(
        integration_id=r.integration_id, provider=r.provider, organization_name=r.organization_name, start=r.start,
        end=r.end, current_billing_cycle=r.current_cycle, vendor_total_cents_exact=exact_cents(r.vendor_total_cents),
        vendor_tool_cents_exact=exact_cents(r.vendor_tool_cents), ours_cents_exact=exact_cents(r.ours_cents),
        matched_cents_exact=exact_cents(r.matched_cents), unmatched_cents_exact=exact_cents(r.unmatched_cents),
        api_key_cents_exact=exact_cents(r.api_key_cents), gap_cents_exact=exact_cents(r.gap_cents),
        vendor_lines=_lines(r.vendor_lines), causes=_lines(r.causes()), set_apart=_lines(r.set_apart))
