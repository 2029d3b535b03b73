"""What prices with effective dates share (a price per credit, `credit_prices`; a seat plan's monthly price,
`seat_prices`): the schedule of a connection's own price then each one set from a day on, the price of a day,
the checks of a new price's first day, and re-pricing the stored records a price covers, owing the rollup
refresh of the days and people whose cost changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from orgonaut.ai_tooling.changes import owe_refresh
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.errors import ValidationFailed
from orgonaut.integrations.models import Integration

EARLIEST = dt.date(2000, 1, 1)


@dataclasses.dataclass(frozen=True)
class PricePeriod:
    """A price and the days it applies to (`until`: the day before the next price, None: open)."""

    price: Decimal
    effective_from: dt.date | None  # None: the connection's own price, from the first day
    until: dt.date | None


@dataclasses.dataclass(frozen=True)
class Repriced:
    records: int  # stored person-days (per scope) whose cost was recomputed
    cost_before_cents: Decimal
    cost_after_cents: Decimal


def schedule(own: Decimal, set_from: Iterable[tuple[dt.date, Decimal]]) -> list[PricePeriod]:
    """The connection's own price, then each (first day, price) set later, oldest first."""
    periods = [PricePeriod(price=own, effective_from=None, until=None)]
    for day, price in sorted(set_from):
        periods[-1] = dataclasses.replace(periods[-1], until=day - dt.timedelta(days=1))
        periods.append(PricePeriod(price=plain(price), effective_from=day, until=None))
    return periods


def plain(amount: Decimal) -> Decimal:
    """0.050000 (as Numeric(18, 6) gives it back) as 0.05, and 100 as 100 (not 1E+2)."""
    return Decimal(format(amount.normalize(), "f"))


def price_on(periods: list[PricePeriod], day: dt.date) -> PricePeriod:
    return next(p for p in reversed(periods) if p.effective_from is None or p.effective_from <= day)


def parse_day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationFailed(f"'{str(value)[:40]}' is not a date (YYYY-MM-DD).") from None
    if day < EARLIEST:
        raise ValidationFailed(f"A price takes effect on {EARLIEST.isoformat()} or later.")
    return day


def reprice(session: Session, integration: Integration, rows: Iterable[AiToolUsageRecord],
            new_cost: Callable[[AiToolUsageRecord], tuple[Decimal, dict[str, Any]] | None], *,
            owe: bool = True) -> Repriced:
    """Gives each row the cost `new_cost` says ((cost, other fields to set with it, such as the counters or the
    per-model costs), or None: not a row this price covers), flushed, and owes the refresh of what changed
    (unless `owe` is False: a day being stored, whose refresh is owed already)."""
    before: list[Decimal] = []
    after: list[Decimal] = []
    touched: dict[int | None, tuple[set[int], dt.date, dt.date]] = {}
    for row in rows:
        priced = new_cost(row)
        if priced is None:
            continue
        cost, fields = priced
        before.append(row.total_cost_cents or Decimal(0))
        after.append(cost)
        if row.total_cost_cents == cost and all(getattr(row, name) == value for name, value in fields.items()):
            continue
        row.total_cost_cents = cost
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        actors, first, last = touched.get(row.scenario_id, (set(), row.usage_date, row.usage_date))
        if row.actor_id is not None:
            actors.add(row.actor_id)
        touched[row.scenario_id] = (actors, min(first, row.usage_date), max(last, row.usage_date))
    session.flush()
    if owe:
        for scenario_id, (actors, first, last) in touched.items():
            owe_refresh(session, tenant_id=integration.tenant_id, scenario_id=scenario_id, start=first, end=last,
                        actor_ids=actors, records=True)
    return Repriced(records=len(after), cost_before_cents=sum_cost_cents(before),
                    cost_after_cents=sum_cost_cents(after))
