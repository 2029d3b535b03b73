"""The overview's adoption: daily, weekly and monthly active users over time, and monthly cohorts.

Active users are distinct people (usage matched to a person; unmatched usage is nobody) with any usage of
the chosen provider (or of any provider, each person once):

- per day (DAU), per Monday-to-Sunday week (WAU) and per calendar month (MAU) of a range: its days, and
  the weeks and months it touches, each counted whole (a week or month the range cuts is not cut down);
  the current week counts whatever is stored for it, this month its days up to today (as the "Active users
  this month" card);
- cohorts, per month of the last `COHORT_MONTHS` (this one to date): the people active that month split
  into *new* (their first month with usage), *retained* (active the month before too) and *reactivated*
  (active before, but not the month before); and *lapsed*: active the month before, not this month. So
  active = new + retained + reactivated, and lapsed = last month's active - retained.

What "usage" covers is `rollups.coverage`: the whole tenant for owners and admins, read from
`ai_usage_tenant_active_users` (days and weeks, stored here: `refresh`) and `ai_usage_tenant_actor_months`
(months, first months); for a manager the usage attributed to their units, from the per-member rollups
(so a person's first month is their first with usage in those units). Nothing reads the raw records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Integer, delete, distinct, func, literal, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.db import dialect_of, month_start, rows_written, table_of, week_start
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.coverage import Coverage, coverage_of
from orgonaut.rollups.models import (
    ANY_PROVIDER,
    ActiveGrain,
    AiUsageMemberRollup,
    AiUsageTenantActiveUsers,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
)
from orgonaut.rollups.periods import Period, minus_months

RECORDS = table_of(AiToolUsageRecord)
ACTIVE = table_of(AiUsageTenantActiveUsers)
ACTOR_MONTHS = table_of(AiUsageTenantActorMonth)
TENANT_ACTORS = table_of(AiUsageTenantActor)
MEMBERS = table_of(AiUsageMemberRollup)

COHORT_MONTHS = 12


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def next_month(month: dt.date) -> dt.date:
    return minus_months(month, -1)


# --- the stored rollup ------------------------------------------------------------------------------


def refresh(session: Session, *, tenant_id: int, scenario_id: int | None, start: dt.date | None,
            end: dt.date | None, cleared: bool = False) -> int:
    """Recomputes the scope's stored active users of the days start..end and of the whole weeks they touch
    (None: every day), per provider and for every provider together. Returns the rows written; the caller
    holds the scope lock and commits."""
    key = scope_key(scenario_id)
    r = RECORDS.c
    dialect = dialect_of(session)
    constants = [literal(tenant_id, Integer()), literal(key, Integer()), literal(scenario_id, Integer())]
    rows = 0
    for grain, period, low, high in (
        (ActiveGrain.day, r.usage_date, start, end),
        (ActiveGrain.week, week_start(dialect, r.usage_date), start and week_of(start),
         end and week_of(end) + dt.timedelta(days=6)),
    ):
        if not cleared:
            stored = [ACTIVE.c.tenant_id == tenant_id, ACTIVE.c.scope_key == key, ACTIVE.c.grain == grain.value]
            if low is not None:
                stored.append(ACTIVE.c.period_start >= low)
            if high is not None:
                stored.append(ACTIVE.c.period_start <= high)
            session.execute(delete(ACTIVE).where(*stored))
        conditions = [r.tenant_id == tenant_id, r.scope_key == key, r.actor_id.is_not(None)]
        if low is not None:
            conditions.append(r.usage_date >= low)
        if high is not None:
            conditions.append(r.usage_date <= high)
        columns = ["tenant_id", "scope_key", "scenario_id", "grain", "period_start", "provider", "users"]
        grain_value = literal(grain.value)
        rows += rows_written(
            session, ACTIVE.insert().from_select(
                columns,
                select(*constants, grain_value, period, r.provider, func.count(distinct(r.actor_id)))
                .where(*conditions).group_by(period, r.provider),
            ),
        )
        rows += rows_written(
            session, ACTIVE.insert().from_select(
                columns,
                select(*constants, grain_value, period, literal(ANY_PROVIDER), func.count(distinct(r.actor_id)))
                .where(*conditions).group_by(period),
            ),
        )
    session.flush()
    return rows


# --- daily, weekly and monthly active users ---------------------------------------------------------


@dataclass(frozen=True)
class ActivePoint:
    start: dt.date  # the day, the Monday or the first of the month
    end: dt.date
    users: int


@dataclass(frozen=True)
class ActiveUsers:
    """Distinct people per day, week and month; zero periods are included (`within`)."""

    period: Period
    days: tuple[ActivePoint, ...]
    weeks: tuple[ActivePoint, ...]  # every Monday-to-Sunday week the period touches, whole
    months: tuple[ActivePoint, ...]  # every calendar month the period touches, whole (this one to date)

    def within(self, period: Period) -> ActiveUsers:
        """A range switch on a page that loaded "all" once, with no query."""
        return active_users_of(self.days, self.weeks, self.months, period)


def active_users_of(days: Iterable[ActivePoint], weeks: Iterable[ActivePoint], months: Iterable[ActivePoint],
                    period: Period) -> ActiveUsers:
    by_day = {p.start: p.users for p in days}
    by_week = {p.start: p.users for p in weeks}
    by_month = {p.start: p.users for p in months}
    week_starts, week = [], week_of(period.start)
    while week <= period.end:
        week_starts.append(week)
        week += dt.timedelta(days=7)
    month_starts, month = [], period.start.replace(day=1)
    while month <= period.end:
        month_starts.append(month)
        month = next_month(month)
    return ActiveUsers(
        period=period,
        days=tuple(ActivePoint(d, d, by_day.get(d, 0)) for d in period.days),
        weeks=tuple(ActivePoint(w, w + dt.timedelta(days=6), by_week.get(w, 0)) for w in week_starts),
        months=tuple(ActivePoint(m, next_month(m) - dt.timedelta(days=1), by_month.get(m, 0)) for m in month_starts),
    )


def active_users_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, today: dt.date,
    period: Period, provider: str | None = None,
) -> ActiveUsers | None:
    """Daily, weekly and monthly active users over `period` (a page asks for "all" once and cuts ranges from
    it); None for whoever has no overview."""
    coverage = coverage_of(viewer)
    if coverage is None:
        return None
    low_week, low_month = week_of(period.start), period.start.replace(day=1)
    high_week = week_of(period.end) + dt.timedelta(days=6)
    key = scope_key(scenario_id)
    if coverage.unit_ids is None:
        a = ACTIVE.c
        wanted = ANY_PROVIDER if provider is None else provider
        stored = session.execute(
            select(a.grain, a.period_start, a.users).where(
                a.tenant_id == tenant_id, a.scope_key == key, a.provider == wanted,
                a.period_start >= low_week, a.period_start <= period.end)
        ).all()
        days = [ActivePoint(start, start, users) for grain, start, users in stored
                if grain == ActiveGrain.day.value and period.start <= start]
        weeks = [ActivePoint(start, start, users) for grain, start, users in stored if grain == ActiveGrain.week.value]
        am = ACTOR_MONTHS.c
        conditions = [am.tenant_id == tenant_id, am.scope_key == key, am.month >= low_month, am.month <= period.end,
                      am.first_day <= today]
        if provider is not None:
            conditions.append(am.provider == provider)
        months = [ActivePoint(month, month, users) for month, users in session.execute(
            select(am.month, func.count(distinct(am.actor_id))).where(*conditions).group_by(am.month))]
        return active_users_of(days, weeks, months, period)
    dialect = dialect_of(session)
    m = MEMBERS.c
    base = [m.tenant_id == tenant_id, m.scope_key == key, m.org_unit_id.in_(list(coverage.unit_ids) or [-1])]
    if provider is not None:
        base.append(m.provider == provider)

    def counted(bucket, low: dt.date, high: dt.date) -> list[ActivePoint]:
        return [ActivePoint(start, start, users) for start, users in session.execute(
            select(bucket, func.count(distinct(m.actor_id)))
            .where(*base, m.usage_date >= low, m.usage_date <= high).group_by(bucket))]

    return active_users_of(
        counted(m.usage_date, period.start, period.end),
        counted(week_start(dialect, m.usage_date), low_week, high_week),
        counted(month_start(dialect, m.usage_date), low_month, min(next_month(period.end.replace(day=1))
                                                                   - dt.timedelta(days=1), today)),
        period,
    )


# --- cohorts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortMonth:
    month: dt.date  # the first of the month
    active: int
    new: int  # first month with usage
    retained: int  # active the month before too
    reactivated: int  # active before, not the month before
    lapsed: int  # active the month before, not this month


def cohorts_of(active: Mapping[dt.date, set[int]], first_month: Mapping[int, dt.date],
               months: Iterable[dt.date]) -> tuple[CohortMonth, ...]:
    """The rule: each month's active people split by their first month and the month before.

    `active`: the people active per month (at least the months asked for and each one's month before);
    `first_month`: each person's first month with usage."""
    found = []
    for month in months:
        now, before = active.get(month, set()), active.get(minus_months(month, 1), set())
        new = {p for p in now if first_month.get(p) == month}
        retained = now & before
        found.append(CohortMonth(month=month, active=len(now), new=len(new), retained=len(retained),
                                 reactivated=len(now - new - retained), lapsed=len(before - now)))
    return tuple(found)


def cohort_months(today: dt.date, count: int = COHORT_MONTHS) -> list[dt.date]:
    """The last `count` calendar months, this one included, oldest first."""
    this = today.replace(day=1)
    return [minus_months(this, count - 1 - i) for i in range(count)]


def cohorts_for(
    *, session: Session, viewer: UsageViewer, tenant_id: int, scenario_id: int | None, today: dt.date,
    provider: str | None = None, count: int = COHORT_MONTHS,
) -> tuple[CohortMonth, ...] | None:
    """The last `count` months' cohorts (oldest first); None for whoever has no overview."""
    coverage = coverage_of(viewer)
    if coverage is None:
        return None
    months = cohort_months(today, count)
    active, first = _active_months(session, coverage, tenant_id, scenario_id, provider, today,
                                   since=minus_months(months[0], 1))
    return cohorts_of(active, first, months)


def _active_months(
    session: Session, coverage: Coverage, tenant_id: int, scenario_id: int | None, provider: str | None,
    today: dt.date, *, since: dt.date,
) -> tuple[dict[dt.date, set[int]], dict[int, dt.date]]:
    """The people active per month from `since` to today, and the first month with usage of each of them."""
    key = scope_key(scenario_id)
    active: dict[dt.date, set[int]] = defaultdict(set)
    if coverage.unit_ids is None:
        am, ta = ACTOR_MONTHS.c, TENANT_ACTORS.c
        conditions = [am.tenant_id == tenant_id, am.scope_key == key, am.month >= since, am.first_day <= today]
        firsts = [ta.tenant_id == tenant_id, ta.scope_key == key, ta.first_day <= today]
        if provider is not None:
            conditions.append(am.provider == provider)
            firsts.append(ta.provider == provider)
        for month, actor_id in session.execute(select(am.month, am.actor_id).where(*conditions).distinct()):
            active[month].add(actor_id)
        first_day = session.execute(select(ta.actor_id, func.min(ta.first_day)).where(*firsts)
                                    .group_by(ta.actor_id)).all()
    else:
        m = MEMBERS.c
        base = [m.tenant_id == tenant_id, m.scope_key == key, m.org_unit_id.in_(list(coverage.unit_ids) or [-1]),
                m.usage_date <= today]
        if provider is not None:
            base.append(m.provider == provider)
        month = month_start(dialect_of(session), m.usage_date)
        for start, actor_id in session.execute(select(month, m.actor_id).where(*base, m.usage_date >= since)
                                               .distinct()):
            active[start].add(actor_id)
        first_day = session.execute(select(m.actor_id, func.min(m.usage_date)).where(*base)
                                    .group_by(m.actor_id)).all()
    return active, {actor_id: _as_date(day).replace(day=1) for actor_id, day in first_day}


def _as_date(value: dt.date | str) -> dt.date:
    # SQLite answers an aggregate of a date column as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

