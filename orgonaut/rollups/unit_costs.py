"""The team and department lists' numbers: each unit's subtree costs (last month, month to date, last
month's same days) and its distinct active users this month, for any number of units at once, from the
stored unit and member rollups: the numbers of each unit's own page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.db import micro_cents, table_of
from orgonaut.org.models import OrgUnit
from orgonaut.rollups.coverage import cents
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageRollup, Breadth
from orgonaut.rollups.periods import Period, month_to_date, previous_month, same_days_last_month, tenant_today

ROLLUPS = table_of(AiUsageRollup)
MEMBERS = table_of(AiUsageMemberRollup)
UNITS = table_of(OrgUnit)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class UnitCosts:
    """One row of the team and department lists: the unit's subtree, as its own page's cards show it."""

    org_unit_id: int
    last_month_cost_cents: Decimal
    mtd_cost_cents: Decimal
    last_month_same_days_cost_cents: Decimal  # last month, 1 .. today's day (what the change compares with)
    mtd_active_users: int

    @property
    def change_cents(self) -> Decimal:
        return self.mtd_cost_cents - self.last_month_same_days_cost_cents

    @property
    def change_pct(self) -> Decimal | None:
        if not self.last_month_same_days_cost_cents:
            return None
        return self.change_cents * 100 / self.last_month_same_days_cost_cents


def unit_costs(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_ids: Collection[int],
    provider: str | None = None,
) -> dict[int, UnitCosts]:
    """Each unit's subtree costs (last month, month to date, last month's same days) and distinct active
    users this month, in two statements over the stored rollups for any number of units: the numbers of
    each unit's own page (`queries.unit_summary(breadth="subtree")`). Units without usage get zeros."""
    today = tenant_today(session=session, tenant_id=tenant_id)
    mtd, last, same = month_to_date(today), previous_month(today), same_days_last_month(today)
    ids = sorted(set(org_unit_ids))
    found = {i: UnitCosts(i, _ZERO, _ZERO, _ZERO, 0) for i in ids}
    if not ids:
        return found
    key = scope_key(scenario_id)
    ro = ROLLUPS.c

    def period_sum(period: Period) -> Any:
        return func.sum(case((ro.usage_date.between(period.start, period.end), micro_cents(ro.cost_cents)), else_=0))

    conditions = [ro.tenant_id == tenant_id, ro.scope_key == key, ro.org_unit_id.in_(ids),
                  ro.breadth == Breadth.subtree.value, ro.usage_date.between(last.start, today)]
    if provider is not None:
        conditions.append(ro.provider == provider)
    costs = {row[0]: row[1:] for row in session.execute(
        select(ro.org_unit_id, period_sum(last), period_sum(mtd), period_sum(same))
        .where(*conditions).group_by(ro.org_unit_id))}
    # Active users: each unit's subtree is its own direct members' rows and its descendants' (the tree
    # is small; the member rows of the month are read once for every unit).
    un = UNITS.c
    in_scope = un.scenario_id.is_(None) if scenario_id is None else un.scenario_id == scenario_id
    tree = session.execute(select(un.id, un.parent_id).where(un.tenant_id == tenant_id, in_scope)).all()
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in tree:
        if parent_id is not None:
            children[parent_id].append(unit_id)
    m = MEMBERS.c
    # A literal id list: the primary key (tenant, scope, unit, day, ...) is sought per unit.
    member_conditions = [m.tenant_id == tenant_id, m.scope_key == key, m.org_unit_id.in_([u for u, _ in tree]),
                         m.usage_date.between(mtd.start, today)]
    if provider is not None:
        member_conditions.append(m.provider == provider)
    actors: dict[int, set[int]] = defaultdict(set)
    for unit_id, actor_id in session.execute(select(m.org_unit_id, m.actor_id).where(*member_conditions).distinct()):
        actors[unit_id].add(actor_id)
    for unit_id in ids:
        seen, stack, people = {unit_id}, [unit_id], set()
        while stack:  # `seen` stops a corrupt cyclic tree
            current = stack.pop()
            people |= actors.get(current, set())
            for child in children.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        row = costs.get(unit_id)
        found[unit_id] = UnitCosts(
            org_unit_id=unit_id, last_month_cost_cents=cents(row[0]) if row else _ZERO,
            mtd_cost_cents=cents(row[1]) if row else _ZERO,
            last_month_same_days_cost_cents=cents(row[2]) if row else _ZERO, mtd_active_users=len(people),
        )
    return found


