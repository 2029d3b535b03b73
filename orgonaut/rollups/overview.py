"""The org-wide AI spend overview (`/ai-tooling`): cards, a monthly cost trend and the top units, for
a tenant, a scope (Live or a scenario) and what the viewer may see (`org.visibility`). The rules are
here, once; the page and (later) the API present them.

What a viewer's overview covers:

- who sees everything (owners, admins): every usage record of the tenant in the scope, read from the
  whole-tenant rollups (`ai_usage_tenant_rollups` per day, provider and matched or not;
  `ai_usage_tenant_actor_months` for distinct people), so the totals equal the raw records without
  reading them. Usage matched to nobody (`actor_id` NULL) is in the totals and reported apart as
  `unmatched`; usage of people without a placement is in the totals (it counts in no unit). The top
  units' subtree rollups would not do: they leave out unmatched usage and unplaced people, count a
  person placed under two top units twice, and a tenant may have several roots or none;
- a manager: the usage attributed to the units of their scope (`UsageViewer.scope_unit_ids`), from the
  per-member rollups with each (person, day, provider) once, however many of those units the person
  was placed in: the same rule as a subtree's total (see docs/architecture.md, "Rollups");
- anyone else: no overview (`overview_for` answers None).

The numbers (months are calendar months in the tenant's zone, "today" is `periods.tenant_today`):

- month to date (1st .. today), last month, the month before it; change = last month - the month
  before (and in % of the month before; None when it was 0);
- forecast for this month, a simple run rate: month-to-date cost / days elapsed (today included) x
  days in the month. It assumes the rest of the month spends like the days so far; it ignores that
  providers report a day late (today and yesterday are often not in yet) and weekends, so it reads
  low early in a month;
- active users this month: distinct people with any usage month to date; people with usage ever: all
  time (unmatched usage is nobody and counts in neither);
- headcount: everyone: the active human people of the scope; a manager: the people placed today in
  their scope's units (`UsageViewer.scope_actor_ids`);
- cost per active user: month-to-date cost of matched usage / active users this month (None without
  active users); unmatched cost belongs to no known person, so it is left out of it;
- each of these per provider (headcount is the org's, not a provider's);
- a trend of the last 12 calendar months (this one to date), cost per provider;
- top units: departments and teams of the scope by month-to-date cost (their subtree rollups), with
  last month's cost over the same days of the month (1 .. today's day, clamped to last month's length)
  and the change against it, so a partial month is compared with a partial month.

Money is USD cents as exact `Decimal` (`providers.money.sum_cost_cents`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import scope_key
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.db import micro_cents, table_of
from orgonaut.org.models import Actor, ActorKind, ActorStatus, OrgUnit, OrgUnitKind
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.models import (
    AiUsageMemberRollup,
    AiUsageRollup,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
    AiUsageTenantRollup,
    Breadth,
)
from orgonaut.rollups.periods import (
    Period,
    Range,
    minus_months,
    month_to_date,
    parse_range,
    period_for,
    previous_month,
    tenant_today,
)
from orgonaut.tenancy.models import UsageReach

ROLLUPS = table_of(AiUsageRollup)
MEMBERS = table_of(AiUsageMemberRollup)
TENANT_ROLLUPS = table_of(AiUsageTenantRollup)
ACTOR_MONTHS = table_of(AiUsageTenantActorMonth)
TENANT_ACTORS = table_of(AiUsageTenantActor)
UNITS = table_of(OrgUnit)
ACTORS = table_of(Actor)

TREND_MONTHS = 12
_ZERO = Decimal(0)
_SCALE = Decimal("0.000001")  # the columns' scale (Numeric(18, 6))


@dataclass(frozen=True)
class SpendFigures:
    """One column of cards: all providers together, or one provider."""

    mtd_cost_cents: Decimal
    last_month_cost_cents: Decimal
    month_before_cost_cents: Decimal
    forecast_cents: Decimal
    active_users: int  # distinct people with usage month to date
    ever_users: int  # distinct people with usage, all time
    matched_mtd_cost_cents: Decimal  # month to date, usage matched to a person
    last_month_same_days_cost_cents: Decimal = _ZERO  # last month, 1 .. today's day of the month

    @property
    def change_cents(self) -> Decimal:
        """Last month against the month before it."""
        return self.last_month_cost_cents - self.month_before_cost_cents

    @property
    def change_pct(self) -> Decimal | None:
        if not self.month_before_cost_cents:
            return None
        return self.change_cents * 100 / self.month_before_cost_cents

    @property
    def cost_per_active_user_cents(self) -> Decimal | None:
        if not self.active_users:
            return None
        return (self.matched_mtd_cost_cents / self.active_users).quantize(_SCALE)


@dataclass(frozen=True)
class UnmatchedSpend:
    """Usage matched to nobody (included in the totals): month to date, last month, the month before."""

    mtd_cost_cents: Decimal
    last_month_cost_cents: Decimal
    month_before_cost_cents: Decimal
    all_time_cost_cents: Decimal


@dataclass(frozen=True)
class MonthCost:
    month: dt.date  # the first of the month
    cost_by_provider: tuple[tuple[str, Decimal], ...]  # providers with cost that month, by key

    @property
    def cost_cents(self) -> Decimal:
        return sum_cost_cents(c for _, c in self.cost_by_provider)


@dataclass(frozen=True)
class UnitSpend:
    org_unit_id: int
    name: str
    kind: OrgUnitKind
    mtd_cost_cents: Decimal
    last_month_same_days_cost_cents: Decimal  # last month, 1 .. today's day of the month
    last_month_cost_cents: Decimal  # the whole of last month

    @property
    def change_cents(self) -> Decimal:
        return self.mtd_cost_cents - self.last_month_same_days_cost_cents

    @property
    def change_pct(self) -> Decimal | None:
        if not self.last_month_same_days_cost_cents:
            return None
        return self.change_cents * 100 / self.last_month_same_days_cost_cents


@dataclass(frozen=True)
class Overview:
    today: dt.date
    mtd: Period
    last_month: Period
    month_before: Period
    everything: bool  # the whole tenant (unmatched included), not a manager's units
    total: SpendFigures
    by_provider: tuple[tuple[str, SpendFigures], ...]  # providers with any usage in the scope, by key
    unmatched: UnmatchedSpend
    headcount: int
    all_time_cost_cents: Decimal
    months: tuple[MonthCost, ...]  # the last TREND_MONTHS months, oldest first
    top_departments: tuple[UnitSpend, ...]
    top_teams: tuple[UnitSpend, ...]

    @property
    def has_usage(self) -> bool:
        """Any usage record (or, for a manager, any usage attributed to their units), even at no cost."""
        return bool(self.by_provider)


def forecast_cents(mtd_cost_cents: Decimal, today: dt.date) -> Decimal:
    """This month's run rate: month-to-date cost / days elapsed (today included) x days in the month."""
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    return (mtd_cost_cents * days_in_month / today.day).quantize(_SCALE)


def same_days_last_month(today: dt.date) -> Period:
    """Last month from its 1st to today's day of the month (clamped to its length)."""
    last = previous_month(today)
    return Period(last.start, last.start.replace(day=min(today.day, last.end.day)))


def overview_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, top: int = 10,
    provider: str | None = None,
) -> Overview | None:
    """The overview `viewer` may see in the scope; None for members and viewers (no overview for them)
    and for a manager without a scope."""
    if viewer.reach == UsageReach.everyone:
        return overview(session=session, tenant_id=tenant_id, scenario_id=scenario_id, unit_ids=None, top=top,
                        provider=provider)
    if viewer.reach == UsageReach.scope and viewer.scope_unit_ids:
        return overview(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                        unit_ids=viewer.scope_unit_ids, headcount_actor_ids=viewer.scope_actor_ids, top=top,
                        provider=provider)
    return None


def overview(
    *, session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
    headcount_actor_ids: Collection[int] = (), top: int = 10, provider: str | None = None,
) -> Overview:
    """The overview of the whole tenant (`unit_ids` None) or of the usage attributed to `unit_ids`
    (each person-day-provider once); see the module docstring for every number."""
    today = tenant_today(session=session, tenant_id=tenant_id)
    mtd, last = month_to_date(today), previous_month(today)
    before = previous_month(last.start)
    trend_start = minus_months(today.replace(day=1), TREND_MONTHS - 1)
    costs_of = _sources(session, tenant_id, scenario_id, unit_ids, provider, today)

    # Every sum in SQL, one row per (provider, matched or not): the periods' costs, then the trend's months.
    same = same_days_last_month(today)
    month_starts = [minus_months(trend_start, -i) for i in range(TREND_MONTHS)]
    windows = [mtd, last, before, Period(dt.date.min, today), same,
               *(Period(m, minus_months(m, -1) - dt.timedelta(days=1)) for m in month_starts)]
    c = costs_of.c
    sums = session.execute(
        select(c.provider, c.matched,
               *[func.sum(case((c.usage_date.between(w.start, w.end), c.cost), else_=0)) for w in windows])
        .group_by(c.provider, c.matched)
    ).all()
    # Per provider: [mtd, last month, the month before, all time, last month's same days, matched mtd].
    costs: dict[str, list[list[Decimal]]] = defaultdict(lambda: [[], [], [], [], [], []])
    unmatched: list[list[Decimal]] = [[], [], [], []]
    by_month: dict[dt.date, dict[str, list[Decimal]]] = {m: defaultdict(list) for m in month_starts}
    for key, is_matched, *amounts in sums:
        cents = [_cents(a) for a in amounts]
        for i in range(5):
            costs[key][i].append(cents[i])
        if is_matched:
            costs[key][5].append(cents[0])
        else:
            for i in range(4):
                unmatched[i].append(cents[i])
        for month, amount in zip(month_starts, cents[5:], strict=True):
            by_month[month][key].append(amount)

    users_by_provider, users_total = _user_counts(session, tenant_id, scenario_id, unit_ids, provider, today)

    def figures(buckets: list[list[Decimal]], active: int, ever: int) -> SpendFigures:
        mtd_cost = sum_cost_cents(buckets[0])
        return SpendFigures(
            mtd_cost_cents=mtd_cost, last_month_cost_cents=sum_cost_cents(buckets[1]),
            month_before_cost_cents=sum_cost_cents(buckets[2]), forecast_cents=forecast_cents(mtd_cost, today),
            active_users=active, ever_users=ever, matched_mtd_cost_cents=sum_cost_cents(buckets[5]),
            last_month_same_days_cost_cents=sum_cost_cents(buckets[4]),
        )

    providers = sorted(costs)
    by_provider = tuple(
        (key, figures(costs[key], *users_by_provider.get(key, (0, 0)))) for key in providers
    )
    everything: list[list[Decimal]] = [[], [], [], [], [], []]
    for key in providers:
        for i in range(6):
            everything[i].extend(costs[key][i])

    months = tuple(
        MonthCost(month=m, cost_by_provider=tuple(
            (key, total) for key in sorted(by_month[m]) if (total := sum_cost_cents(by_month[m][key]))))
        for m in month_starts
    )
    departments, teams = ((), ()) if not top else _top_units(session, tenant_id, scenario_id, unit_ids, provider,
                                                              today, top)
    return Overview(
        today=today, mtd=mtd, last_month=last, month_before=before, everything=unit_ids is None,
        total=figures(everything, users_total[0], users_total[1]),
        by_provider=by_provider,
        unmatched=UnmatchedSpend(*(sum_cost_cents(amounts) for amounts in unmatched)),
        headcount=_headcount(session, tenant_id, scenario_id, unit_ids, headcount_actor_ids),
        all_time_cost_cents=sum_cost_cents(everything[3]),
        months=months, top_departments=departments, top_teams=teams,
    )


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
    return _months(((d.date, key, cost) for d in days for key, cost in d.cost_by_provider), first, count,
                   exact=True)


def series_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None,
    range: Range | str | None = Range.mtd, start: dt.date | None = None, end: dt.date | None = None,
    provider: str | None = None,
) -> SpendSeries | None:
    """The cost trend `viewer` may see (None where `overview_for` is None), stacked by provider, for
    one of the five ranges or explicit dates (`periods.period_for`), from the same rollups as the cards."""
    if viewer.reach == UsageReach.everyone:
        unit_ids: Collection[int] | None = None
    elif viewer.reach == UsageReach.scope and viewer.scope_unit_ids:
        unit_ids = viewer.scope_unit_ids
    else:
        return None
    today = tenant_today(session=session, tenant_id=tenant_id)
    explicit = start is not None or end is not None
    chosen = None if explicit else parse_range(range or Range.mtd)
    if chosen == Range.all:
        bounds: Period | None = None  # read up to today, then start at the first day with usage
    else:
        bounds = period_for(chosen, today=today, start=start, end=end)
    rows = _day_costs(session, tenant_id, scenario_id, unit_ids, provider, today, bounds)
    if bounds is None:
        bounds = period_for(Range.all, today=today, first_usage=min((row[0] for row in rows), default=None))
    by_day: dict[dt.date, list[tuple[str, Decimal]]] = defaultdict(list)
    for day, key, cost in rows:
        by_day[day].append((key, _cents(cost)))
    days = tuple(DayCost(date=day, cost_by_provider=tuple(sorted(by_day.get(day, ())))) for day in bounds.days)
    return SpendSeries(period=bounds, days=days, months=months_of(days, bounds))


def _day_costs(
    session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
    provider: str | None, today: dt.date, period: Period | None,
) -> list[Any]:
    """(day, provider, `micro_cents` cost) with usage, in the period (None: up to today)."""
    start, end = (None, today) if period is None else (period.start, period.end)
    key = scope_key(scenario_id)
    if unit_ids is None:
        t = TENANT_ROLLUPS.c
        conditions = [t.tenant_id == tenant_id, t.scope_key == key, t.usage_date <= end]
        if start is not None:
            conditions.append(t.usage_date >= start)
        if provider is not None:
            conditions.append(t.provider == provider)
        return list(session.execute(
            select(t.usage_date, t.provider, func.sum(micro_cents(t.cost_cents))).where(*conditions)
            .group_by(t.usage_date, t.provider).order_by(t.usage_date, t.provider)
        ).all())
    m = MEMBERS.c
    conditions = [m.tenant_id == tenant_id, m.scope_key == key, m.usage_date <= end,
                  m.org_unit_id.in_(sorted(unit_ids) or [-1])]
    if start is not None:
        conditions.append(m.usage_date >= start)
    if provider is not None:
        conditions.append(m.provider == provider)
    # Each (person, day, provider) once, however many of the units the person was placed in.
    usage = (
        select(m.actor_id.label("actor_id"), m.usage_date.label("usage_date"), m.provider.label("provider"),
               micro_cents(m.cost_cents).label("cost"))
        .where(*conditions).distinct().subquery("usage")
    )
    u = usage.c
    return list(session.execute(
        select(u.usage_date, u.provider, func.sum(u.cost)).group_by(u.usage_date, u.provider)
        .order_by(u.usage_date, u.provider)
    ).all())


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
            org_unit_id=unit_id, last_month_cost_cents=_cents(row[0]) if row else _ZERO,
            mtd_cost_cents=_cents(row[1]) if row else _ZERO,
            last_month_same_days_cost_cents=_cents(row[2]) if row else _ZERO, mtd_active_users=len(people),
        )
    return found


# --- pieces -------------------------------------------------------------------------------------


def _sources(
    session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
    provider: str | None, today: dt.date,
) -> Any:
    """SQL: the costs the overview sums, up to today (usage_date, provider, matched, cost as `micro_cents`)."""
    key = scope_key(scenario_id)
    if unit_ids is None:
        # The whole tenant: its own rollups, every record once (see the module docstring for why not
        # the top units' rollups).
        t = TENANT_ROLLUPS.c
        days = [t.tenant_id == tenant_id, t.scope_key == key, t.usage_date <= today]
        if provider is not None:
            days.append(t.provider == provider)
        return select(t.usage_date.label("usage_date"), t.provider.label("provider"), (t.matched == 1).label("matched"),
                      micro_cents(t.cost_cents).label("cost")).where(*days).subquery()
    u = _member_usage(tenant_id, scenario_id, unit_ids, provider, today).c
    return select(u.usage_date, u.provider, u.actor_id.is_not(None).label("matched"), u.cost).subquery("costs")


def _member_usage(tenant_id: int, scenario_id: int | None, unit_ids: Collection[int], provider: str | None,
                  today: dt.date) -> Any:
    """SQL: (actor_id, usage_date, provider, cost) attributed to the units, each person-day-provider once."""
    m = MEMBERS.c
    conditions = [m.tenant_id == tenant_id, m.scope_key == scope_key(scenario_id), m.usage_date <= today,
                  m.org_unit_id.in_(sorted(unit_ids) or [-1])]
    if provider is not None:
        conditions.append(m.provider == provider)
    # A person placed in two of the units has one member row per unit for the day, each with their whole
    # cost: DISTINCT keeps one (the same rule as a subtree's total).
    return (
        select(m.actor_id.label("actor_id"), m.usage_date.label("usage_date"), m.provider.label("provider"),
               micro_cents(m.cost_cents).label("cost"))
        .where(*conditions)
        .distinct()
        .subquery("usage")
    )


def _user_counts(
    session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
    provider: str | None, today: dt.date,
) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """People with usage up to today: per provider (active this month, ever) and in all."""
    key = scope_key(scenario_id)
    mtd = month_to_date(today)
    if unit_ids is None:
        # The whole tenant: this month's actor-month rows, and one first day per person and provider.
        am, ta = ACTOR_MONTHS.c, TENANT_ACTORS.c
        this_month = [am.tenant_id == tenant_id, am.scope_key == key, am.month == mtd.start, am.first_day <= today]
        ever = [ta.tenant_id == tenant_id, ta.scope_key == key, ta.first_day <= today]
        if provider is not None:
            this_month.append(am.provider == provider)
            ever.append(ta.provider == provider)
        active = dict(session.execute(select(am.provider, func.count()).where(*this_month).group_by(am.provider)).all())
        users = {key_: (active.get(key_, 0), count) for key_, count in session.execute(
            select(ta.provider, func.count()).where(*ever).group_by(ta.provider))}
        total_active = session.execute(select(func.count(distinct(am.actor_id))).where(*this_month)).scalar_one()
        total_ever = session.execute(select(func.count(distinct(ta.actor_id))).where(*ever)).scalar_one()
        return users, (total_active, total_ever)
    u = _member_usage(tenant_id, scenario_id, unit_ids, provider, today).c
    counts = [func.count(distinct(case((u.usage_date >= mtd.start, u.actor_id)))), func.count(distinct(u.actor_id))]
    users = {row[0]: (row[1], row[2]) for row in session.execute(select(u.provider, *counts).group_by(u.provider))}
    total_active, total_ever = session.execute(select(*counts)).one()
    return users, (total_active, total_ever)


def _months(day_rows: Iterable[Any], first: dt.date, count: int, *, exact: bool = False) -> tuple[MonthCost, ...]:
    """(day, provider, cost) summed per month; costs are `micro_cents` sums, or cents with `exact`."""
    starts = [minus_months(first, -i) for i in range(count)]
    by_month: dict[dt.date, dict[str, list[Decimal]]] = {s: defaultdict(list) for s in starts}
    for day, key, cost in day_rows:
        month = by_month.get(day.replace(day=1))
        if month is not None:
            month[key].append(cost if exact else _cents(cost))
    return tuple(
        MonthCost(month=s, cost_by_provider=tuple(
            (key, total) for key in sorted(by_month[s]) if (total := sum_cost_cents(by_month[s][key]))
        ))
        for s in starts
    )


def _headcount(session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
               actor_ids: Collection[int]) -> int:
    a = ACTORS.c
    if unit_ids is not None:
        return len(actor_ids)
    scope = a.scenario_id.is_(None) if scenario_id is None else a.scenario_id == scenario_id
    return session.execute(
        select(func.count()).select_from(ACTORS).where(
            a.tenant_id == tenant_id, scope, a.status == ActorStatus.active.value, a.kind == ActorKind.human.value)
    ).scalar_one()


def _top_units(
    session: Session, tenant_id: int, scenario_id: int | None, unit_ids: Collection[int] | None,
    provider: str | None, today: dt.date, top: int,
) -> tuple[tuple[UnitSpend, ...], tuple[UnitSpend, ...]]:
    """Departments and teams (of `unit_ids`, or all) with usage this month or last, by month-to-date cost."""
    mtd, last, same = month_to_date(today), previous_month(today), same_days_last_month(today)
    ro, un = ROLLUPS.c, UNITS.c

    def period_sum(period: Period) -> Any:
        return func.sum(case((ro.usage_date.between(period.start, period.end), micro_cents(ro.cost_cents)), else_=0))

    # The units first: a literal id list lets the database seek the rollups' primary key per unit
    # (tenant, scope, unit, breadth, day) instead of scanning every unit's rows.
    unit_conditions = [un.tenant_id == tenant_id,
                       un.scenario_id.is_(None) if scenario_id is None else un.scenario_id == scenario_id,
                       un.kind.in_([OrgUnitKind.department.value, OrgUnitKind.team.value])]
    if unit_ids is not None:
        unit_conditions.append(un.id.in_(sorted(unit_ids) or [-1]))
    units = {row[0]: (row[1], OrgUnitKind(row[2]))
             for row in session.execute(select(un.id, un.name, un.kind).where(*unit_conditions))}
    if not units:
        return (), ()
    conditions = [
        ro.tenant_id == tenant_id, ro.scope_key == scope_key(scenario_id), ro.org_unit_id.in_(sorted(units)),
        ro.breadth == Breadth.subtree.value, ro.usage_date.between(last.start, mtd.end),
    ]
    if provider is not None:
        conditions.append(ro.provider == provider)
    rows = session.execute(
        select(ro.org_unit_id, period_sum(mtd), period_sum(same), period_sum(last))
        .where(*conditions)
        .group_by(ro.org_unit_id)
    ).all()
    spends = [
        UnitSpend(org_unit_id=row[0], name=units[row[0]][0], kind=units[row[0]][1], mtd_cost_cents=_cents(row[1]),
                  last_month_same_days_cost_cents=_cents(row[2]), last_month_cost_cents=_cents(row[3]))
        for row in rows
    ]
    spends.sort(key=lambda s: (-s.mtd_cost_cents, -s.last_month_cost_cents, s.name.lower(), s.org_unit_id))
    departments = tuple(s for s in spends if s.kind == OrgUnitKind.department)[:top]
    teams = tuple(s for s in spends if s.kind == OrgUnitKind.team)[:top]
    return departments, teams


def _cents(value: Any) -> Decimal:
    """A sum of `micro_cents` amounts back to exact cents."""
    return (Decimal(int(value)) / 1_000_000).quantize(_SCALE) if value is not None else _ZERO
