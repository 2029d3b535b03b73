"""Invoice reconciliation: for one connection and month, our per-person sum next to what the vendor bills the
organisation (its own cost report, `ReportsOrganisationCost`), with the gap and its known causes.

- The days: the month's, up to yesterday (a vendor reports a day once it has ended), or up to the last day
  the vendor's answer covers (Claude Enterprise serves a day's usage three days after it). A vendor that
  reports only its current billing cycle to date (`BillPeriod.current_cycle`: Cursor) reconciles the current
  month only, and the days are the cycle's, from its first day to today, as the vendor's answer says.
- Ours: every stored record of the connection in those days (Live's copy; a connection that targets only
  scenarios, its first scenario's), apart: matched to a person, matched to nobody, and API keys (in the
  per-person report, billed to no person). Sources the vendor's figure does not count (Cursor's service
  accounts are in no member's spend) are set apart, outside ours.
- The vendor's: the organisation's lines in those days; the tool's part is what the per-person report
  covers, the rest of the bill is outside it (other products, or cost the vendor gives no user).
- Gap = the vendor's tool part - ours. The known causes are listed with their amounts; what is left is
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
from orgonaut.ai_tooling.providers.base import (
    API_KEY_PREFIX,
    NOT_A_PERSON,
    OTHER_PRODUCTS,
    OrganisationCost,
    ReportsOrganisationCost,
)
from orgonaut.ai_tooling.providers.declaration import BillPeriod
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
    current_cycle: bool = False  # the vendor's current billing cycle to date, not a calendar month's days
    outside_label: str = OTHER_PRODUCTS  # what the bill holds beyond the tool's part
    set_apart: tuple[tuple[str, Decimal], ...] = ()  # our usage the vendor's figure does not count

    @property
    def ours_cents(self) -> Decimal:
        """Our records the vendor's tool part counts (those set apart are not)."""
        return self.matched_cents + self.unmatched_cents + self.api_key_cents

    @property
    def set_apart_cents(self) -> Decimal:
        return sum((amount for _, amount in self.set_apart), Decimal(0))

    @property
    def other_products_cents(self) -> Decimal:
        return self.vendor_total_cents - self.vendor_tool_cents

    @property
    def gap_cents(self) -> Decimal:
        return self.vendor_tool_cents - self.ours_cents

    @property
    def billed_to_people_cents(self) -> Decimal:
        return self.matched_cents

    @property
    def period_label(self) -> str:
        days = f"{self.start:%-d %b} – {self.end:%-d %b %Y}"
        return f"current billing cycle, {days}" if self.current_cycle else days

    def causes(self) -> list[tuple[str, Decimal]]:
        """Why the bill is more than what people's pages show: each known cause and what is left."""
        return [
            ("Usage matched to no person (in the per-person report, on nobody's page)", self.unmatched_cents),
            ("API keys (in the per-person report, billed to no person)", self.api_key_cents),
            (self.outside_label, self.other_products_cents),
            ("Unexplained (a revision not synced yet, or left out of one report)", self.gap_cents),
        ]


@dataclass(frozen=True)
class Reconcilable:
    integration_id: int
    label: str  # "Claude Code (Acme)"; "Cursor (acme.com), current billing cycle"


def reconcilable(*, session: Session, tenant_id: int) -> list[Reconcilable]:
    """The tenant's connections whose vendor reports the organisation's billed cost."""
    found = []
    for integration in ai_tooling.list_integrations(session=session, tenant_id=tenant_id):
        info = registry.get_provider_info(integration.provider)
        if info.reports_organisation_cost:
            name = registry.display_name(integration.provider)
            label = f"{name} ({integration.organization_name})" if integration.organization_name else name
            if info.bill_period is BillPeriod.current_cycle:
                label += ", current billing cycle"
            found.append(Reconcilable(integration_id=integration.id, label=label))
    return found


def only_current_cycle_message(name: str, this_month: dt.date) -> str:
    return (f"{name} reports only the spend of its current billing cycle, so only the current month "
            f"({this_month:%B %Y}) can be reconciled: it covers the cycle from its first day to today.")


def reconcile(*, session: Session, user: User, integration_id: int, month: dt.date | str) -> Reconciliation:
    if not can(user, Ability.ai_tooling_manage):
        raise Forbidden(NO_ACCESS)
    integration = ai_tooling.get_integration_or_raise(session=session, tenant_id=user.tenant_id,
                                                      integration_id=integration_id)
    info = registry.get_provider_info(integration.provider)
    month = parse_month(month)
    today = tenant_today(session=session, tenant_id=user.tenant_id)
    current_cycle = info.bill_period is BillPeriod.current_cycle
    if current_cycle:
        # A snapshot of the cycle so far: no other month can be read, and its days are the vendor's to say.
        if month != today.replace(day=1):
            raise ValidationFailed(only_current_cycle_message(info.display_name, today.replace(day=1)))
        start, end = month, today
    else:
        start, end = month, min(month.replace(day=calendar.monthrange(month.year, month.month)[1]),
                                today - dt.timedelta(days=1))
        if end < start:
            raise ValidationFailed(f"{month:%B %Y} has no complete day yet to reconcile.")
    client = registry.create_provider(integration.provider, credentials=integrations.read_config(integration),
                                      api_base=integration.api_base)
    if not isinstance(client, ReportsOrganisationCost):
        raise ValidationFailed(f"{info.display_name} does not report the organisation's billed cost yet, so it "
                               "cannot be reconciled here.")
    vendor = client.organisation_cost(start, end)  # a ProviderError says why the vendor did not answer
    if vendor.end < vendor.start:  # a vendor whose days come later than a day after (Claude Enterprise)
        raise ValidationFailed(f"{info.display_name} has not served any day of {month:%B %Y} yet, so there is "
                               "nothing to reconcile.")
    ours = _ours(session, integration.id, vendor)
    set_apart = tuple((f"{NOT_A_PERSON.get(prefix, prefix)}s (in our report; the vendor's figure leaves them out)",
                       ours[prefix]) for prefix in vendor.leaves_out)
    return Reconciliation(
        integration_id=integration.id, provider=integration.provider,
        organization_name=integration.organization_name or info.display_name,
        start=vendor.start, end=vendor.end, vendor_total_cents=vendor.total_cents,
        vendor_tool_cents=vendor.tool_cents, vendor_lines=vendor.lines, matched_cents=ours["matched"],
        unmatched_cents=ours["unmatched"], api_key_cents=ours["api_key"], current_cycle=current_cycle,
        outside_label=vendor.outside, set_apart=set_apart)


def _ours(session: Session, integration_id: int, vendor: OrganisationCost) -> dict[str, Decimal]:
    """Our records' cost in the vendor's days: matched, unmatched, api_key, and one entry per source prefix
    the vendor's figure leaves out (whoever the records are matched to)."""
    r = RECORDS.c
    scope = session.execute(sa_select(func.min(r.scope_key)).where(r.integration_id == integration_id)).scalar()
    left_out = [(r.source_email.startswith(prefix), prefix) for prefix in vendor.leaves_out]  # checked first
    kind = case(*left_out, (r.actor_id.is_not(None), "matched"),
                (r.source_email.startswith(API_KEY_PREFIX), "api_key"), else_="unmatched")
    micro = func.sum(micro_cents(r.total_cost_cents))
    sums = dict(session.execute(
        sa_select(kind, micro).where(r.integration_id == integration_id, r.scope_key == (scope or 0),
                                     r.usage_date >= vendor.start, r.usage_date <= vendor.end).group_by(kind)).all())
    names = ("matched", "unmatched", "api_key", *vendor.leaves_out)
    return {name: Decimal(int(sums.get(name) or 0)) / 1_000_000 for name in names}
