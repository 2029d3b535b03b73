"""Cursor's spend of the team's current billing cycle, `POST /teams/spend`, for invoice reconciliation
(`spend.reconciliation`): the only organisation-wide figure the Admin API gives, so a cycle-to-date snapshot,
never another period (the declaration's `BillPeriod.current_cycle`).

A page is `{"teamMemberSpend": [...], "subscriptionCycleStart": epoch ms, "totalMembers", "totalPages"}`. A
member's `overallSpendCents` is their whole spend including the plan's included usage, `spendCents` the
on-demand part only; both in cents with fractions since June 2026 (read exactly as Decimals). The docs say
event-level cost reconciles with these totals by summing `chargedCents`, which is what our records hold, so
the members' `overallSpendCents` are the tool's part. The older docs have neither `subscriptionCycleStart`
(the period is "the current calendar month") nor `overallSpendCents` (`spendCents` is a member's only figure).

Service accounts are not members: their usage events, kept under `service-account:<name>` in our records,
are in no member's spend, so the figure leaves them out (`leaves_out`).
Reference: https://cursor.com/docs/account/teams/admin-api
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import SERVICE_ACCOUNT_PREFIX, OrganisationCost
from orgonaut.ai_tooling.providers.money import exact_cents, sum_cost_cents

MAX_AMOUNT_CENTS = 10**12
INCLUDED = "Included usage (within the plan)"
ON_DEMAND = "On-demand usage (beyond the plan)"
MEMBERS = "Members' spend"
Text = Annotated[str, Meta(max_length=320)]


class MemberSpend(Struct, frozen=True, gc=False):
    spendCents: Decimal  # noqa: N815 - the vendor's field names
    email: Text | None = None
    userId: Text | int | None = None  # noqa: N815 - "user_…" in the newest docs
    name: Text | None = None
    overallSpendCents: Decimal | None = None  # noqa: N815 - newest docs only

    def who(self) -> str:
        return str(self.userId) if self.userId is not None else (self.email or "").strip().lower()


class SpendPage(Struct, frozen=True, gc=False):
    teamMemberSpend: Annotated[list[MemberSpend], Meta(max_length=100_000)]  # noqa: N815
    subscriptionCycleStart: Annotated[int, Meta(ge=0, le=10**14)] | None = None  # noqa: N815 - epoch ms
    totalMembers: Annotated[int, Meta(ge=0)] | None = None  # noqa: N815
    totalPages: Annotated[int, Meta(ge=0)] | None = None  # noqa: N815


def parse_spend_page(body: bytes) -> SpendPage:
    page = vendor_http.decode(body, SpendPage)
    for number, member in enumerate(page.teamMemberSpend):
        for name, amount in (("spendCents", member.spendCents), ("overallSpendCents", member.overallSpendCents)):
            if amount is not None and (not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT_CENTS):
                raise ValueError(f"teamMemberSpend[{number}].{name}: {amount} cents is out of range")
        if member.overallSpendCents is not None and member.spendCents > member.overallSpendCents:
            raise ValueError(f"teamMemberSpend[{number}]: the on-demand spend is more than the whole spend")
        if member.who() == "":
            raise ValueError(f"teamMemberSpend[{number}] names no member (no userId, no email)")
    return page


def organisation_cost(pages: list[SpendPage], today: dt.date) -> OrganisationCost:
    """The members' spend from the cycle's first day to `today` (UTC). A member met on two pages (the list
    changed while it was read) counts once, the later kept; pages that disagree on the cycle are refused."""
    starts = {page.subscriptionCycleStart for page in pages}
    if len(starts) > 1:
        raise ValueError("the billing cycle changed while the spend was read")
    cycle = next(iter(starts), None)
    first = (dt.datetime.fromtimestamp(cycle / 1000, dt.UTC).date() if cycle is not None
             else today.replace(day=1))  # the older docs: "the current calendar month"
    if first > today:
        raise ValueError(f"the billing cycle starts on {first}, after today")
    members = {member.who(): member for page in pages for member in page.teamMemberSpend}.values()
    lines: tuple[tuple[str, Decimal], ...]
    if all(member.overallSpendCents is not None for member in members):
        overall = sum_cost_cents(exact_cents(m.overallSpendCents or Decimal(0)) for m in members)
        on_demand = sum_cost_cents(exact_cents(m.spendCents) for m in members)
        lines = ((INCLUDED, overall - on_demand), (ON_DEMAND, on_demand))
    else:  # the older shape: `spendCents` is a member's only figure
        overall = sum_cost_cents(exact_cents(m.overallSpendCents or m.spendCents) for m in members)
        lines = ((MEMBERS, overall),)
    return OrganisationCost(total_cents=overall, tool_cents=overall, lines=lines, start=first, end=today,
                            leaves_out=(SERVICE_ACCOUNT_PREFIX,))
