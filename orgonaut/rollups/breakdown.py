"""A department's spend by the units right below it: which team drives it.

Each child unit's row is its subtree, as its own page and the team and department lists show it
(`unit_costs.unit_costs`); the months are each child's subtree cost per calendar month, from the same stored
rollups. A person placed in two of the children counts in each (as on their pages), so the rows can add
up to more than the department's own subtree total; people placed in the department itself count in no
child and are said apart (`direct_*`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.db import micro_cents, table_of
from orgonaut.org import units as org_units
from orgonaut.org.models import OrgUnit, OrgUnitKind
from orgonaut.rollups import unit_costs
from orgonaut.rollups.models import AiUsageRollup, Breadth
from orgonaut.rollups.periods import minus_months, month_to_date, previous_month, tenant_today

MONTHS = 6
ROLLUPS = table_of(AiUsageRollup)
_MICRO = Decimal(1_000_000)


@dataclass(frozen=True)
class ChildSpend:
    org_unit_id: int
    name: str
    kind: OrgUnitKind
    costs: unit_costs.UnitCosts
    months: tuple[Decimal, ...]  # cost per month of `Breakdown.months`


@dataclass(frozen=True)
class Breakdown:
    months: tuple[dt.date, ...]  # first days, oldest first; the last one is this month (to date)
    children: tuple[ChildSpend, ...]  # by month-to-date cost, largest first, then name
    direct_mtd_cents: Decimal  # people placed in the department itself, this month
    direct_last_month_cents: Decimal


def breakdown(*, session: Session, department: OrgUnit, provider: str | None = None) -> Breakdown:
    tenant_id, scenario_id = department.tenant_id, department.scenario_id
    today = tenant_today(session=session, tenant_id=tenant_id)
    first = minus_months(today.replace(day=1), MONTHS - 1)
    months = tuple(minus_months(today.replace(day=1), MONTHS - 1 - n) for n in range(MONTHS))
    children = [c for c in org_units.list_org_units(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
                if c.parent_id == department.id]
    ids = [c.id for c in children]
    costs = unit_costs.unit_costs(session=session, tenant_id=tenant_id, scenario_id=scenario_id, org_unit_ids=ids,
                                provider=provider)
    r = ROLLUPS.c
    month = func.strftime("%Y-%m", r.usage_date) if session.get_bind().dialect.name == "sqlite" \
        else func.to_char(r.usage_date, "YYYY-MM")
    conditions = [r.tenant_id == tenant_id, r.scope_key == scope_key(scenario_id), r.usage_date >= first,
                  r.usage_date <= today]
    if provider is not None:
        conditions.append(r.provider == provider)
    per_month: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if ids:
        for unit_id, label, micro in session.execute(
            select(r.org_unit_id, month, func.sum(micro_cents(r.cost_cents)))
            .where(*conditions, r.org_unit_id.in_(ids), r.breadth == Breadth.subtree.value)
            .group_by(r.org_unit_id, month)):
            per_month[unit_id][label] = Decimal(int(micro or 0)) / _MICRO
    mtd, last = month_to_date(today), previous_month(today)
    this_month = r.usage_date >= mtd.start
    direct_mtd, direct_last = session.execute(
        select(func.sum(case((this_month, micro_cents(r.cost_cents)), else_=0)),
               func.sum(case((this_month, 0), else_=micro_cents(r.cost_cents))))
        .where(*conditions[:2], r.org_unit_id == department.id, r.breadth == Breadth.direct.value,
               r.usage_date >= last.start, r.usage_date <= today, *conditions[4:])).one()
    rows = [ChildSpend(org_unit_id=c.id, name=c.name, kind=OrgUnitKind(c.kind), costs=costs[c.id],
                       months=tuple(per_month[c.id].get(f"{m:%Y-%m}", Decimal(0)) for m in months))
            for c in children]
    rows.sort(key=lambda row: (-row.costs.mtd_cost_cents, row.name.lower()))
    return Breakdown(months=months, children=tuple(rows),
                     direct_mtd_cents=Decimal(int(direct_mtd or 0)) / _MICRO,
                     direct_last_month_cents=Decimal(int(direct_last or 0)) / _MICRO)
