"""The overview's cost trend over a range: cost per day and per calendar month, stacked by provider, from the
rollups the overview's cards read (`rollups.coverage`: the whole tenant's, or a manager's units' member rows).
A page loads "all" once and cuts each range from it (`SpendSeries.within`), so a range switch runs no query.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.db import micro_cents, table_of
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.coverage import Coverage, cents, coverage_of, member_usage
from orgonaut.rollups.models import AiUsageTenantRollup
from orgonaut.rollups.periods import Period, Range, minus_months, parse_range, period_for, tenant_today

TENANT_ROLLUPS = table_of(AiUsageTenantRollup)


@dataclass(frozen=True)
class MonthCost:
    month: dt.date  # the first of the month
    cost_by_provider: tuple[tuple[str, Decimal], ...]  # providers with cost that month, by key

    @property
    def cost_cents(self) -> Decimal:
        return sum_cost_cents(c for _, c in self.cost_by_provider)


@dataclass(frozen=True)
class DayCost:
    date: dt.date
    cost_by_provider: tuple[tuple[str, Decimal], ...]  # providers with usage that day, by key

    @property
    def cost_cents(self) -> Decimal:
        return sum_cost_cents(c for _, c in self.cost_by_provider)


@dataclass(frozen=True)
class SpendSeries:
    """The overview's cost trend over a range: one point per day (zero days included) and the same
    days summed per calendar month (a month the range cuts holds only its days in the range)."""

    period: Period
    days: tuple[DayCost, ...]
    months: tuple[MonthCost, ...]

    def within(self, period: Period) -> SpendSeries:
        """Every day of `period` (zero where this series has none, e.g. before the first usage) and
        their months: a range switch on a page that loaded "all" once, with no query."""
        by_day = {d.date: d for d in self.days}
        days = tuple(by_day.get(day) or DayCost(date=day, cost_by_provider=()) for day in period.days)
        return SpendSeries(period=period, days=days, months=months_of(days, period))


def months_of(days: Iterable[DayCost], period: Period) -> tuple[MonthCost, ...]:
    """The days summed per calendar month, one entry per month the period touches, oldest first."""
    first = period.start.replace(day=1)
    count = (period.end.year - first.year) * 12 + period.end.month - first.month + 1
    starts = [minus_months(first, -i) for i in range(count)]
    by_month: dict[dt.date, dict[str, list[Decimal]]] = {s: defaultdict(list) for s in starts}
    for d in days:
        month = by_month.get(d.date.replace(day=1))
        if month is not None:
            for key, cost in d.cost_by_provider:
                month[key].append(cost)
    return tuple(
        MonthCost(month=s, cost_by_provider=tuple(
            (key, total) for key in sorted(by_month[s]) if (total := sum_cost_cents(by_month[s][key]))
        ))
        for s in starts
    )


def series_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None,
    range: Range | str | None = Range.mtd, start: dt.date | None = None, end: dt.date | None = None,
    provider: str | None = None,
) -> SpendSeries | None:
    """The cost trend `viewer` may see (None where `overview_for` is None), stacked by provider, for
    one of the five ranges or explicit dates (`periods.period_for`), from the same rollups as the cards."""
    coverage = coverage_of(viewer)
    if coverage is None:
        return None
    today = tenant_today(session=session, tenant_id=tenant_id)
    explicit = start is not None or end is not None
    chosen = None if explicit else parse_range(range or Range.mtd)
    if chosen == Range.all:
        bounds: Period | None = None  # read up to today, then start at the first day with usage
    else:
        bounds = period_for(chosen, today=today, start=start, end=end)
    rows = _day_costs(session, coverage, tenant_id, scenario_id, provider, today, bounds)
    if bounds is None:
        bounds = period_for(Range.all, today=today, first_usage=min((row[0] for row in rows), default=None))
    by_day: dict[dt.date, list[tuple[str, Decimal]]] = defaultdict(list)
    for day, key, cost in rows:
        by_day[day].append((key, cents(cost)))
    days = tuple(DayCost(date=day, cost_by_provider=tuple(sorted(by_day.get(day, ())))) for day in bounds.days)
    return SpendSeries(period=bounds, days=days, months=months_of(days, bounds))


def _day_costs(
    session: Session, coverage: Coverage, tenant_id: int, scenario_id: int | None, provider: str | None,
    today: dt.date, period: Period | None,
) -> list[Any]:
    """(day, provider, `micro_cents` cost) with usage, in the period (None: up to today)."""
    start, end = (None, today) if period is None else (period.start, period.end)
    if coverage.unit_ids is None:
        t = TENANT_ROLLUPS.c
        conditions = [t.tenant_id == tenant_id, t.scope_key == scope_key(scenario_id), t.usage_date <= end]
        if start is not None:
            conditions.append(t.usage_date >= start)
        if provider is not None:
            conditions.append(t.provider == provider)
        return list(session.execute(
            select(t.usage_date, t.provider, func.sum(micro_cents(t.cost_cents))).where(*conditions)
            .group_by(t.usage_date, t.provider).order_by(t.usage_date, t.provider)
        ).all())
    u = member_usage(tenant_id, scenario_id, coverage.unit_ids, provider, start=start, end=end).c
    return list(session.execute(
        select(u.usage_date, u.provider, func.sum(u.cost)).group_by(u.usage_date, u.provider)
        .order_by(u.usage_date, u.provider)
    ).all())
