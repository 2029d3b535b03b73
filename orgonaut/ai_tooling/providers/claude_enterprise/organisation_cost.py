"""The Claude Enterprise organisation's bill, for invoice reconciliation (`spend.reconciliation`).

Two of the Analytics API's cost reports, both read through the `anthropic` SDK and validated here (it
does not validate its models):
- `/cost_report` (`bucket_width=1d`, `group_by[]=product`): the organisation's cost per daily bucket and
  product, amounts in cents as decimal strings ("41280.000000" is $412.80). Its sum is the bill.
- `/user_cost_report`: the same cost per user, what our per-person records are made of (`records.py`).
  The vendor documents that it leaves out "cost with no user account, such as Code Review usage and
  Claude Tag usage in Slack channels", so its sum is the tool's part of the bill, and the rest of the bill
  is that unattributed cost, not other products: every product a user uses is in the per-person report.
Reference: https://platform.claude.com/docs/en/api/admin/analytics
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from orgonaut.ai_tooling.providers.base import OrganisationCost
from orgonaut.ai_tooling.providers.claude_enterprise.records import (
    Amount,
    CostRow,
    Count,
    Text,
    amount_cents,
    convert,
    to_plain,
)
from orgonaut.ai_tooling.providers.money import sum_cost_cents

NO_USER_ACCOUNT = ("Cost the vendor gives no user account (Claude in Slack channels, Code Review): outside the "
                   "per-person report")
NO_PRODUCT = "Not attributed to a product"


class BucketResult(Struct, frozen=True, gc=False):
    amount: Amount
    list_amount: Amount
    currency: Literal["USD"]
    product: Text | None = None
    requests: Count | None = None

    def cents(self) -> Decimal:
        return amount_cents(self.amount)


class CostBucket(Struct, frozen=True, gc=False):
    starting_at: dt.datetime
    ending_at: dt.datetime
    results: Annotated[list[BucketResult], Meta(max_length=10_000)]

    def day(self) -> dt.date:
        """The UTC day the bucket is: midnight to the next midnight."""
        start = self.starting_at
        if start.tzinfo is None or start.utcoffset() != dt.timedelta(0) or start.time() != dt.time():
            raise ValueError(f"a cost bucket's starting_at {start.isoformat()} is not a UTC day's start")
        if self.ending_at != start + dt.timedelta(days=1):
            raise ValueError(f"the cost bucket from {start.isoformat()} does not end a day later")
        return start.date()


def bucket(item: Any) -> CostBucket:
    """A `/cost_report` time bucket as the SDK hands it over, checked against the documented shape."""
    return convert(to_plain(item), CostBucket)


def organisation_cost(buckets: Iterable[CostBucket], user_costs: Iterable[CostRow], start: dt.date,
                      end: dt.date) -> OrganisationCost:
    """The days' bill by product (`buckets`) beside the per-user cost of the same days (`user_costs`).

    A bucket or a user's row met twice (a cursor over a report that changed while read) counts once, the
    later kept; a day outside `start`..`end` is a malformed answer (ValueError)."""
    days: dict[dt.date, CostBucket] = {}
    for each in buckets:
        day = each.day()
        if not start <= day <= end:
            raise ValueError(f"a cost bucket is for {day}, outside the range asked for")
        days[day] = each
    lines: dict[str, list[Decimal]] = {}
    for each in days.values():
        for result in each.results:
            lines.setdefault(result.product or NO_PRODUCT, []).append(result.cents())
    per_user: dict[tuple[str, dt.date, str | None], Decimal] = {}
    for row in user_costs:
        day = row.day()
        if not start <= day <= end:
            raise ValueError(f"a user's cost row is for {day}, outside the range asked for")
        per_user[(row.actor.user_id, day, row.product)] = row.cents()
    summed = {name: sum_cost_cents(amounts) for name, amounts in lines.items()}
    return OrganisationCost(total_cents=sum_cost_cents(summed.values()), tool_cents=sum_cost_cents(per_user.values()),
                            lines=tuple(sorted(summed.items())), start=start, end=end, outside=NO_USER_ACCOUNT)
