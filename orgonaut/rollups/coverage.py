"""What an overview reader covers, and the pieces every overview read shares.

Who sees everything (owners, admins) reads the whole-tenant rollups: every record once, unmatched usage and
people without a placement included. A manager reads the usage attributed to the units of their scope
(`UsageViewer.scope_unit_ids`) from the per-member rollups, each (person, day, provider) once however many
of those units the person was placed in: the rule of a subtree's total (docs/architecture.md, "Rollups").
Anyone else has no overview. The overview's cards, trend, adoption, model mix and output per cost all ask
`coverage_of` first, so they cannot disagree on who is covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.db import micro_cents, table_of
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageTenantRollup
from orgonaut.rollups.periods import Period, Range, parse_range, period_for
from orgonaut.tenancy.models import UsageReach

MEMBERS = table_of(AiUsageMemberRollup)
TENANT_ROLLUPS = table_of(AiUsageTenantRollup)

_ZERO = Decimal(0)
_SCALE = Decimal("0.000001")  # the money columns' scale (Numeric(18, 6))


@dataclass(frozen=True)
class Coverage:
    """The usage an overview reads: the whole tenant (`unit_ids` None) or a manager's units."""

    unit_ids: tuple[int, ...] | None

    @property
    def everything(self) -> bool:
        return self.unit_ids is None


EVERYTHING = Coverage(unit_ids=None)


def coverage_of(viewer: UsageViewer) -> Coverage | None:
    """The whole tenant for owners and admins, a manager's units, None for everyone else (and for a manager
    without a scope)."""
    if viewer.reach == UsageReach.everyone:
        return EVERYTHING
    if viewer.reach == UsageReach.scope and viewer.scope_unit_ids:
        return Coverage(unit_ids=tuple(sorted(viewer.scope_unit_ids)))
    return None


def units(unit_ids: Collection[int] | None) -> Coverage:
    return EVERYTHING if unit_ids is None else Coverage(unit_ids=tuple(sorted(unit_ids)))


def member_usage(
    tenant_id: int, scenario_id: int | None, unit_ids: Collection[int], provider: str | None, *,
    start: dt.date | None = None, end: dt.date | None = None, metrics: Collection[str] = ("cost_cents",),
) -> Any:
    """SQL: (actor_id, usage_date, provider, *metrics) attributed to the units, each person-day-provider once;
    `cost_cents` comes as `micro_cents` named `cost`, other metrics under their own names."""
    m = MEMBERS.c
    conditions = [m.tenant_id == tenant_id, m.scope_key == scope_key(scenario_id),
                  m.org_unit_id.in_(sorted(unit_ids) or [-1])]
    if start is not None:
        conditions.append(m.usage_date >= start)
    if end is not None:
        conditions.append(m.usage_date <= end)
    if provider is not None:
        conditions.append(m.provider == provider)
    columns = [micro_cents(m.cost_cents).label("cost") if name == "cost_cents" else m[name].label(name)
               for name in metrics]
    # A person placed in two of the units has one member row per unit for the day, each with their whole
    # usage: DISTINCT keeps one (the same rule as a subtree's total).
    return (
        select(m.actor_id.label("actor_id"), m.usage_date.label("usage_date"), m.provider.label("provider"), *columns)
        .where(*conditions)
        .distinct()
        .subquery("usage")
    )


def first_usage_day(session: Session, coverage: Coverage, *, tenant_id: int, scenario_id: int | None,
                    provider: str | None, today: dt.date) -> dt.date | None:
    """The first day with usage the coverage holds, up to today (what the "all" range starts at)."""
    if coverage.unit_ids is None:
        t = TENANT_ROLLUPS.c
        conditions = [t.tenant_id == tenant_id, t.scope_key == scope_key(scenario_id), t.usage_date <= today]
        if provider is not None:
            conditions.append(t.provider == provider)
        return session.execute(select(func.min(t.usage_date)).where(*conditions)).scalar_one()
    m = MEMBERS.c
    conditions = [m.tenant_id == tenant_id, m.scope_key == scope_key(scenario_id),
                  m.org_unit_id.in_(list(coverage.unit_ids) or [-1]), m.usage_date <= today]
    if provider is not None:
        conditions.append(m.provider == provider)
    return session.execute(select(func.min(m.usage_date)).where(*conditions)).scalar_one()


def choose_period(
    session: Session, coverage: Coverage, *, tenant_id: int, scenario_id: int | None, provider: str | None,
    today: dt.date, range: Range | str | None = Range.mtd, start: dt.date | None = None, end: dt.date | None = None,
) -> Period:
    """One of the five ranges or explicit dates (`periods.period_for`); "all" starts at the coverage's first day
    with usage."""
    if start is not None or end is not None:
        return period_for(None, today=today, start=start, end=end)
    chosen = parse_range(range or Range.mtd)
    first = None
    if chosen == Range.all:
        first = first_usage_day(session, coverage, tenant_id=tenant_id, scenario_id=scenario_id, provider=provider,
                                today=today)
    return period_for(chosen, today=today, first_usage=first)


def cents(micro: Any) -> Decimal:
    """A sum of `micro_cents` amounts back to exact cents."""
    return (Decimal(int(micro)) / 1_000_000).quantize(_SCALE) if micro is not None else _ZERO
