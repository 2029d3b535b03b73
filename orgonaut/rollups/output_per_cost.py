"""The overview's output per cost: commits, pull requests and lines added per dollar over a range.

The rule, once: a metric per dollar sums the metric and the cost of only the providers that report that
metric (their declaration's `ProviderInfo.metrics`): a provider that does not report commits (Cursor,
GitHub Copilot, Codex) spent money that bought no counted commit, so its cost is left out of the
denominator rather than making the rate look worse. Each rate names the providers it is from (with usage
in the range) and those left out. No reporting provider with cost: no rate (None).

From the rollups the cards read (`rollups.coverage`): the whole tenant's day rows (unmatched usage included,
as in the cost cards) or a manager's units' member rows, each person-day-provider once. A page loads every
day up to today once and cuts each range from it (`OutputDays.within`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.ai_tooling.providers.declaration import Metric
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import micro_cents, table_of
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.coverage import cents, coverage_of, member_usage
from orgonaut.rollups.models import AiUsageTenantRollup
from orgonaut.rollups.periods import Period

TENANT_ROLLUPS = table_of(AiUsageTenantRollup)

# (rollup column, label, the declared metric that says which providers report it)
OUTPUTS: tuple[tuple[str, str, Metric], ...] = (
    ("commits", "Commits", Metric.commits),
    ("pull_requests", "Pull requests", Metric.pull_requests),
    ("lines_added", "Lines added", Metric.lines_added),
)
_RATE = Decimal("0.0001")


def reports(provider: str, metric: Metric) -> bool:
    """Whether the provider reports the metric (a provider this build does not know reports nothing)."""
    info = PROVIDERS.get(provider)
    return info is not None and metric in info.metrics


@dataclass(frozen=True)
class OutputDay:
    date: dt.date
    provider: str
    cost_cents: Decimal
    commits: int | None
    pull_requests: int | None
    lines_added: int | None


@dataclass(frozen=True)
class OutputRate:
    metric: str  # the rollup column: commits, pull_requests, lines_added
    label: str
    amount: int  # summed over the reporting providers
    cost_cents: Decimal  # the reporting providers' cost
    providers: tuple[str, ...]  # reporting providers with usage in the period, registry order
    left_out: tuple[str, ...]  # providers with usage that do not report it, registry order (then unknown keys)

    @property
    def per_dollar(self) -> Decimal | None:
        """The metric per USD of the reporting providers' cost; None without such cost."""
        if not self.providers or self.cost_cents <= 0:
            return None
        return (Decimal(self.amount) * 100 / self.cost_cents).quantize(_RATE)


@dataclass(frozen=True)
class OutputPerCost:
    period: Period
    rates: tuple[OutputRate, ...]  # in `OUTPUTS` order


def _ordered(keys: Iterable[str]) -> tuple[str, ...]:
    order = {key: i for i, key in enumerate(PROVIDERS)}
    return tuple(sorted(set(keys), key=lambda k: (order.get(k, len(order)), k)))


def rates_of(days: Iterable[OutputDay], period: Period) -> OutputPerCost:
    costs: dict[str, list[Decimal]] = defaultdict(list)
    amounts: dict[tuple[str, str], int] = defaultdict(int)
    for d in days:
        if not period.start <= d.date <= period.end:
            continue
        costs[d.provider].append(d.cost_cents)
        for column, _, _ in OUTPUTS:
            amounts[(d.provider, column)] += getattr(d, column) or 0
    used = _ordered(costs)
    rates = []
    for column, label, metric in OUTPUTS:
        reporting = tuple(p for p in used if reports(p, metric))
        rates.append(OutputRate(
            metric=column, label=label, amount=sum(amounts[(p, column)] for p in reporting),
            cost_cents=sum_cost_cents(c for p in reporting for c in costs[p]), providers=reporting,
            left_out=tuple(p for p in used if p not in reporting),
        ))
    return OutputPerCost(period=period, rates=tuple(rates))


@dataclass(frozen=True)
class OutputDays:
    """Cost and output per (day, provider) of a coverage up to today; ranges are cut from it."""

    days: tuple[OutputDay, ...]

    def within(self, period: Period) -> OutputPerCost:
        return rates_of(self.days, period)


def output_days_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, today: dt.date,
    period: Period | None = None, provider: str | None = None,
) -> OutputDays | None:
    """Cost, commits, pull requests and lines added per day and provider (of `period`, else up to today);
    None for whoever has no overview."""
    coverage = coverage_of(viewer)
    if coverage is None:
        return None
    start, end = (None, today) if period is None else (period.start, period.end)
    names = [column for column, _, _ in OUTPUTS]
    if coverage.unit_ids is None:
        t = TENANT_ROLLUPS.c
        conditions = [t.tenant_id == tenant_id, t.scope_key == scope_key(scenario_id), t.usage_date <= end]
        if start is not None:
            conditions.append(t.usage_date >= start)
        if provider is not None:
            conditions.append(t.provider == provider)
        statement = (select(t.usage_date, t.provider, func.sum(micro_cents(t.cost_cents)),
                            *[func.sum(t[name]) for name in names])
                     .where(*conditions).group_by(t.usage_date, t.provider))
    else:
        u = member_usage(tenant_id, scenario_id, coverage.unit_ids, provider, start=start, end=end,
                         metrics=("cost_cents", *names)).c
        statement = (select(u.usage_date, u.provider, func.sum(u.cost), *[func.sum(u[name]) for name in names])
                     .group_by(u.usage_date, u.provider))
    rows = session.execute(statement.order_by("usage_date", "provider")).all()
    return OutputDays(days=tuple(
        OutputDay(date=day, provider=key, cost_cents=cents(micro), commits=_count(commits),
                  pull_requests=_count(prs), lines_added=_count(lines))
        for day, key, micro, commits, prs, lines in rows))


def _count(value: int | None) -> int | None:
    return None if value is None else int(value)
