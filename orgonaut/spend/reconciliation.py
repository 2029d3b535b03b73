"""Invoice reconciliation: for one connection and month, our per-person sum next to what the vendor bills the
organisation (its own cost report, `ReportsOrganisationCost`), with the gap and its known causes.

- The days: the month's, up to yesterday (a vendor reports a day once it has ended).
- Ours: every stored record of the connection in those days (Live's copy; a connection that targets only
  scenarios, its first scenario's), apart: matched to a person, matched to nobody, and API keys (in the
  per-person report, billed to no person).
- The vendor's: the organisation's lines in those days; the tool's own lines (Claude Code's) are what the
  per-person report covers, any other product on the same bill is outside it.
- Gap = the vendor's tool lines - ours. The known causes are listed with their amounts; what is left is
  unexplained (a revision not synced yet, or what the vendor leaves out of one report).

Reads the vendor on request (an admin clicks "Reconcile" or calls the API): it is the vendor's live figure.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX, ReportsOrganisationCost
from orgonaut.db import micro_cents, table_of
from orgonaut.errors import Forbidden, ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend.budgets import parse_month
from orgonaut.tenancy.models import Ability, User
from orgonaut.tenancy.service import can

RECORDS = table_of(AiToolUsageRecord)
NO_ACCESS = "Invoice reconciliation is for owners and admins."


@dataclass(frozen=True)
class Reconciliation:
    integration_id: int
    provider: str
    organization_name: str
    start: dt.date
    end: dt.date
    vendor_total_cents: Decimal
    vendor_tool_cents: Decimal
    vendor_lines: tuple[tuple[str, Decimal], ...]
    matched_cents: Decimal
    unmatched_cents: Decimal
    api_key_cents: Decimal

    @property
    def ours_cents(self) -> Decimal:
        return self.matched_cents + self.unmatched_cents + self.api_key_cents

    @property
    def other_products_cents(self) -> Decimal:
        return self.vendor_total_cents - self.vendor_tool_cents

    @property
    def gap_cents(self) -> Decimal:
        return self.vendor_tool_cents - self.ours_cents

    @property
    def billed_to_people_cents(self) -> Decimal:
        return self.matched_cents

    def causes(self) -> list[tuple[str, Decimal]]:
        """Why the bill is more than what people's pages show: each known cause and what is left."""
        return [
            ("Usage matched to no person (in the per-person report, on nobody's page)", self.unmatched_cents),
            ("API keys (in the per-person report, billed to no person)", self.api_key_cents),
            ("Other products on the same bill (outside the per-person report)", self.other_products_cents),
            ("Unexplained (a revision not synced yet, or left out of one report)", self.gap_cents),
        ]


@dataclass(frozen=True)
class Reconcilable:
    integration_id: int
    label: str  # "Claude Code (Acme)"


def reconcilable(*, session: Session, tenant_id: int) -> list[Reconcilable]:
    """The tenant's connections whose vendor reports the organisation's billed cost."""
    found = []
    for integration in ai_tooling.list_integrations(session=session, tenant_id=tenant_id):
        if registry.get_provider_info(integration.provider).reports_organisation_cost:
            name = registry.display_name(integration.provider)
            label = f"{name} ({integration.organization_name})" if integration.organization_name else name
            found.append(Reconcilable(integration_id=integration.id, label=label))
    return found


def reconcile(*, session: Session, user: User, integration_id: int, month: dt.date | str) -> Reconciliation:
    if not can(user, Ability.ai_tooling_manage):
        raise Forbidden(NO_ACCESS)
    integration = ai_tooling.get_integration_or_raise(session=session, tenant_id=user.tenant_id,
                                                      integration_id=integration_id)
    month = parse_month(month)
    today = tenant_today(session=session, tenant_id=user.tenant_id)
    start, end = month, min(month.replace(day=calendar.monthrange(month.year, month.month)[1]),
                            today - dt.timedelta(days=1))
    if end < start:
        raise ValidationFailed(f"{month:%B %Y} has no complete day yet to reconcile.")
    client = registry.create_provider(integration.provider, credentials=integrations.read_config(integration),
                                      api_base=integration.api_base)
    if not isinstance(client, ReportsOrganisationCost):
        raise ValidationFailed(f"{registry.display_name(integration.provider)} does not report the organisation's "
                               "billed cost yet, so it cannot be reconciled here.")
    vendor = client.organisation_cost(start, end)  # a ProviderError says why the vendor did not answer
    matched, unmatched, api_keys = _ours(session, integration.id, start, end)
    return Reconciliation(
        integration_id=integration.id, provider=integration.provider,
        organization_name=integration.organization_name or registry.display_name(integration.provider),
        start=start, end=end, vendor_total_cents=vendor.total_cents, vendor_tool_cents=vendor.tool_cents,
        vendor_lines=vendor.lines, matched_cents=matched, unmatched_cents=unmatched, api_key_cents=api_keys)


def _ours(session: Session, integration_id: int, start: dt.date, end: dt.date) -> tuple[Decimal, Decimal, Decimal]:
    r = RECORDS.c
    scope = session.execute(sa_select(func.min(r.scope_key)).where(r.integration_id == integration_id)).scalar()
    kind = case((r.actor_id.is_not(None), "matched"), (r.source_email.startswith(API_KEY_PREFIX), "api_key"),
                else_="unmatched")
    micro = func.sum(micro_cents(r.total_cost_cents))
    sums = dict(session.execute(
        sa_select(kind, micro).where(r.integration_id == integration_id, r.scope_key == (scope or 0),
                                     r.usage_date >= start, r.usage_date <= end).group_by(kind)).all())
    cents = {name: Decimal(int(sums.get(name) or 0)) / 1_000_000 for name in ("matched", "unmatched", "api_key")}
    return cents["matched"], cents["unmatched"], cents["api_key"]
