"""GitHub's billing usage report, the organisation's (or enterprise's) bill, for invoice reconciliation
(`spend.reconciliation`): `GET /organizations/{org}/settings/billing/usage?year=&month=` (the enhanced billing
platform's "usage data for all paid products"), decoded strictly and summed exactly.

An answer is `{"usageItems": [{date, product, sku, quantity, unitType, pricePerUnit, grossAmount,
discountAmount, netAmount, organizationName, repositoryName}]}`, amounts in dollars as JSON numbers (each
read through its shortest text, as the per-user AI-credit amounts are: `records.credit_cents`). `quantity`
is an integer in the older reference and a number in the newer: both are read. `date` is a day, with or
without a time.

Copilot's lines (product "Copilot") are the tool's: what our records hold per person is the seat's share
plus the AI credits (premium requests before June 2026). Every other product (Actions, Packages, ...) is on
the same bill, outside the per-person report. Assumption, not in GitHub's reference (which documents the
fields, not the SKUs): Copilot's licences are billed in this report as daily Copilot lines (third-party
billing exports show SKU `copilot_for_business`, unit `user-months`). A report without them leaves the seat
prices in the gap, below ours.
References: https://docs.github.com/en/rest/billing/enhanced-billing ,
https://docs.github.com/en/billing/reference/billing-reports
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, TypeVar

from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers import vendor_http
from orgonaut.ai_tooling.providers.base import OrganisationCost
from orgonaut.ai_tooling.providers.money import exact_cents, sum_cost_cents

COPILOT = "copilot"
MAX_DOLLARS = Decimal(10**9)
Text = Annotated[str, Meta(min_length=1, max_length=200)]
_T = TypeVar("_T")


class BillingItem(Struct, frozen=True, gc=False):
    date: Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")]
    product: Text
    sku: Text
    netAmount: float  # noqa: N815 - GitHub's field names: dollars, as a JSON number
    quantity: float | None = None  # an integer in the older reference
    unitType: Text | None = None  # noqa: N815
    pricePerUnit: float | None = None  # noqa: N815
    grossAmount: float | None = None  # noqa: N815
    discountAmount: float | None = None  # noqa: N815
    organizationName: Annotated[str, Meta(max_length=200)] | None = None  # noqa: N815
    repositoryName: Annotated[str, Meta(max_length=400)] | None = None  # noqa: N815

    def day(self) -> dt.date:
        """The item's UTC day (a time, if any, with its offset, read in UTC)."""
        moment = dt.datetime.fromisoformat(self.date)
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC)
        return moment.date()

    def cents(self) -> Decimal:
        """`netAmount` in exact cents: the float through its shortest text, the decimal GitHub wrote."""
        dollars = Decimal(str(self.netAmount))
        if not dollars.is_finite() or abs(dollars) > MAX_DOLLARS:
            raise ValueError(f"a netAmount of {str(self.netAmount)[:40]} is out of range")
        return exact_cents(dollars * 100)

    def is_copilot(self) -> bool:
        return self.product.strip().lower() == COPILOT


class BillingUsage(Struct, frozen=True, gc=False):
    usageItems: Annotated[list[BillingItem], Meta(max_length=200_000)]  # noqa: N815


def parse_billing_usage(body: bytes) -> BillingUsage:
    usage = vendor_http.decode(body, BillingUsage)
    for number, item in enumerate(usage.usageItems):
        try:
            item.day()
        except ValueError:
            raise ValueError(f"usageItems[{number}].date: {item.date[:40]!r} is not a date") from None
    return usage


def organisation_cost(items: Iterable[BillingItem], start: dt.date, end: dt.date) -> OrganisationCost:
    """The items of the days from `start` to `end` summed per product and SKU, exactly; Copilot's are the tool's.
    Items of other days (a month's report asked for some of its days) are left out."""
    lines: dict[tuple[bool, str], list[Decimal]] = {}
    for item in items:
        if start <= item.day() <= end:
            key = (item.is_copilot(), f"{item.product.strip()}: {item.sku.strip()}")
            lines.setdefault(key, []).append(item.cents())
    summed = {key: sum_cost_cents(amounts) for key, amounts in lines.items()}
    return OrganisationCost(
        total_cents=sum_cost_cents(summed.values()),
        tool_cents=sum_cost_cents(amount for (copilot, _), amount in summed.items() if copilot),
        lines=tuple(sorted((name, amount) for (_, name), amount in summed.items())), start=start, end=end)


def months(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """The (year, month) of every month the days from `start` to `end` touch: one report each."""
    found, first = [], start.replace(day=1)
    while first <= end:
        found.append((first.year, first.month))
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return found
