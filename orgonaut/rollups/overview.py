"""The org-wide AI spend overview (`/ai-tooling`): cards, a monthly cost trend and the top units, for
a tenant, a scope (Live or a scenario) and what the viewer may see (`org.visibility`). The rules are
here, once; the page and the API present them. The overview's other parts are modules of their own:
the daily trend (`spend_series`), adoption (`adoption`), cost by model (`model_mix`) and output per dollar
(`output_per_cost`); which usage a viewer covers is decided for all of them in `coverage`.

What a viewer's overview covers (`coverage.coverage_of`):

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
from collections.abc import Collection
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
from orgonaut.rollups.coverage import cents, coverage_of, member_usage
from orgonaut.rollups.models import (
    AiUsageRollup,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
    AiUsageTenantRollup,
    Breadth,
)
from orgonaut.rollups.periods import (
    Period,
    minus_months,
    month_to_date,
    previous_month,
    same_days_last_month,
    tenant_today,
)
from orgonaut.rollups.spend_series import MonthCost

ROLLUPS = table_of(AiUsageRollup)
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


def overview_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, top: int = 10,
    provider: str | None = None,
) -> Overview | None:
    """The overview `viewer` may see in the scope; None for members and viewers (no overview for them)
    and for a manager without a scope."""
    coverage = coverage_of(viewer)
    if coverage is None:
        return None
    return overview(session=session, tenant_id=tenant_id, scenario_id=scenario_id, unit_ids=coverage.unit_ids,
                    headcount_actor_ids=viewer.scope_actor_ids if coverage.unit_ids is not None else (), top=top,
                    provider=provider)


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
        amounts_cents = [cents(a) for a in amounts]
        for i in range(5):
            costs[key][i].append(amounts_cents[i])
        if is_matched:
            costs[key][5].append(amounts_cents[0])
        else:
            for i in range(4):
                unmatched[i].append(amounts_cents[i])
        for month, amount in zip(month_starts, amounts_cents[5:], strict=True):
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
    u = member_usage(tenant_id, scenario_id, unit_ids, provider, end=today).c
    return select(u.usage_date, u.provider, u.actor_id.is_not(None).label("matched"), u.cost).subquery("costs")


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
    u = member_usage(tenant_id, scenario_id, unit_ids, provider, end=today).c
    counts = [func.count(distinct(case((u.usage_date >= mtd.start, u.actor_id)))), func.count(distinct(u.actor_id))]
    users = {row[0]: (row[1], row[2]) for row in session.execute(select(u.provider, *counts).group_by(u.provider))}
    total_active, total_ever = session.execute(select(*counts)).one()
    return users, (total_active, total_ever)


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
        UnitSpend(org_unit_id=row[0], name=units[row[0]][0], kind=units[row[0]][1], mtd_cost_cents=cents(row[1]),
                  last_month_same_days_cost_cents=cents(row[2]), last_month_cost_cents=cents(row[3]))
        for row in rows
    ]
    spends.sort(key=lambda s: (-s.mtd_cost_cents, -s.last_month_cost_cents, s.name.lower(), s.org_unit_id))
    departments = tuple(s for s in spends if s.kind == OrgUnitKind.department)[:top]
    teams = tuple(s for s in spends if s.kind == OrgUnitKind.team)[:top]
    return departments, teams
