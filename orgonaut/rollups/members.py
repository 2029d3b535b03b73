"""A team's usage by member, from the per-member rollups: every person placed directly in the team during a
range (zero when they had no usage) with their cost and activity in it.

`team_member_breakdown` lists them all (the REST API's team summary); `team_member_page` is the team page's
table: one page sorted by any column, the count of everyone listed, and the totals row over all of them
(not the page), in one place so the page and its totals cannot disagree. Costs are summed as whole
millionths of a cent (`db.micro_cents`), exact on both databases, so the totals row equals the range's
total however the people are paged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select, union
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.db import micro_cents, table_of
from orgonaut.org.models import Actor, OrgUnit, Placement
from orgonaut.paging import Page, PageRequest, Sort, count_of, fetch
from orgonaut.rollups.models import AiUsageMemberRollup
from orgonaut.rollups.periods import Period, Range, parse_range, period_for, tenant_today

MEMBERS = table_of(AiUsageMemberRollup)
PLACEMENTS = table_of(Placement)
ACTORS = table_of(Actor)

# The table's sortable columns, each a MemberRow field (cost: cost_cents); ties go by name, then id.
MEMBER_SORTS = ("name", "cost", "sessions", "commits", "pull_requests", "lines_added")
MEMBER_DEFAULT_SORT = Sort("cost", descending=True)
_METRICS = ("sessions", "commits", "pull_requests", "lines_added")
_MICRO = Decimal(1_000_000)


@dataclass(frozen=True)
class MemberRow:
    actor_id: int
    name: str
    cost_cents: Decimal
    sessions: int | None  # None: summed rows none of which reports it; 0 for a member without usage
    commits: int | None
    pull_requests: int | None
    lines_added: int | None


@dataclass(frozen=True)
class MemberPage:
    rows: Page[MemberRow]
    totals: MemberRow  # every member listed, on every page (actor_id 0, no name)
    left_out: int  # members of the range the viewer may not see: neither listed nor in the totals


def _period(session: Session, org_unit: OrgUnit, range: Range | str | None, start: dt.date | None,
            end: dt.date | None, provider: str | None) -> Period:
    m = MEMBERS.c
    first = None
    if start is None and end is None and parse_range(range or Range.mtd) == Range.all:
        first = session.execute(select(func.min(m.usage_date)).where(*_own_rows(org_unit, provider))).scalar_one()
    return period_for(range, today=tenant_today(session=session, tenant_id=org_unit.tenant_id), first_usage=first,
                      start=start, end=end)


def _own_rows(org_unit: OrgUnit, provider: str | None) -> list[Any]:
    m = MEMBERS.c
    rows = [m.tenant_id == org_unit.tenant_id, m.scope_key == scope_key(org_unit.scenario_id),
            m.org_unit_id == org_unit.id]
    return rows if provider is None else [*rows, m.provider == provider]


def _members(org_unit: OrgUnit, period: Period, provider: str | None) -> Any:
    """SQL: one row per member (placed in the unit during the period, or with usage attributed to it):
    actor_id, name, cost (micro cents), and the activity counts (0 for a member without usage)."""
    m = MEMBERS.c
    in_period = m.usage_date.between(period.start, period.end)
    usage = (
        select(m.actor_id.label("actor_id"), func.sum(micro_cents(m.cost_cents)).label("cost"),
               *[func.sum(m[metric]).label(metric) for metric in _METRICS], func.count().label("days"))
        .where(*_own_rows(org_unit, provider), in_period)
        .group_by(m.actor_id)
        .subquery("usage")
    )
    p = PLACEMENTS.c
    placed = select(p.actor_id.label("actor_id")).where(
        p.org_unit_id == org_unit.id, p.start_date <= period.end, or_(p.end_date.is_(None), p.end_date >= period.start)
    )
    members = union(placed, select(m.actor_id).where(*_own_rows(org_unit, provider), in_period)).subquery("members")
    used = usage.c.days.is_not(None)
    return (
        select(ACTORS.c.id.label("actor_id"), ACTORS.c.name.label("name"),
               func.coalesce(usage.c.cost, 0).label("cost"),
               *[case((used, usage.c[metric]), else_=0).label(metric) for metric in _METRICS])
        .join_from(members, ACTORS, ACTORS.c.id == members.c.actor_id)
        .outerjoin(usage, usage.c.actor_id == members.c.actor_id)
        .subquery("team_members")
    )


def _row(row: Any) -> MemberRow:
    return MemberRow(
        actor_id=row.actor_id, name=row.name, cost_cents=_cents(row.cost), sessions=_count(row.sessions),
        commits=_count(row.commits), pull_requests=_count(row.pull_requests), lines_added=_count(row.lines_added),
    )


def _order(members: Any, sort: Sort) -> list[Any]:
    """ORDER BY for a sort: a metric not reported (NULL) below every reported value, zero included;
    ties by name, then id, always ascending."""
    name = func.lower(members.c.name)
    if sort.key == "name":
        return [name.desc() if sort.descending else name.asc(), members.c.actor_id]
    column = members.c["cost" if sort.key == "cost" else sort.key]
    reported = case((column.is_(None), 0), else_=1)
    keys = [reported, func.coalesce(column, 0)]
    return [*[key.desc() if sort.descending else key.asc() for key in keys], name, members.c.actor_id]


def team_member_breakdown(
    *, session: Session, org_unit: OrgUnit, range: Range | str | None = Range.mtd, start: dt.date | None = None,
    end: dt.date | None = None, provider: str | None = None,
) -> list[MemberRow]:
    """One row per actor placed directly in the unit during the range (zero when they had no usage),
    with their cost and activity in the range; highest cost first."""
    members = _members(org_unit, _period(session, org_unit, range, start, end, provider), provider)
    return [_row(row) for row in session.execute(select(members).order_by(*_order(members, MEMBER_DEFAULT_SORT)))]


def team_member_page(
    *, session: Session, org_unit: OrgUnit, request: PageRequest, sort: Sort = MEMBER_DEFAULT_SORT,
    range: Range | str | None = Range.mtd, start: dt.date | None = None, end: dt.date | None = None,
    provider: str | None = None, visible_actor_ids: Collection[int] | None = None,
) -> MemberPage:
    """One page of the breakdown, sorted by one of `MEMBER_SORTS` (another key: the default), with the
    totals row over every member listed. `visible_actor_ids` (None: everyone) lists only those people;
    `left_out` counts the others."""
    members = _members(org_unit, _period(session, org_unit, range, start, end, provider), provider)
    listed = select(members)
    if visible_actor_ids is not None:
        listed = listed.where(members.c.actor_id.in_(sorted(visible_actor_ids)))
    shown = listed.subquery("shown")
    sums = session.execute(select(
        func.count(), func.sum(shown.c.cost), *[func.sum(shown.c[metric]) for metric in _METRICS],
    )).one()
    chosen = sort if sort.key in MEMBER_SORTS else MEMBER_DEFAULT_SORT
    page = fetch(session, listed.order_by(*_order(members, chosen)), request, total=int(sums[0]))
    left_out = 0 if visible_actor_ids is None else count_of(session, select(members)) - int(sums[0])
    totals = MemberRow(actor_id=0, name="", cost_cents=_cents(sums[1]),
                       **{metric: _count(value) for metric, value in zip(_METRICS, sums[2:], strict=True)})
    return MemberPage(rows=page.map(_row), totals=totals, left_out=left_out)


def _cents(micro: Any) -> Decimal:
    return (Decimal(int(micro)) / _MICRO).quantize(Decimal("0.000001")) if micro is not None else Decimal(0)


def _count(value: Any) -> int | None:
    return None if value is None else int(value)
