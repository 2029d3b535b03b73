"""Read side of AI Tooling usage for the person, team and department pages and the REST API.

Team and department numbers come from the stored rollups only (`orgonaut.rollups.models`), never
from `ai_tool_usage_records`; one person's numbers read that person's raw records, which are few and
indexed by (actor_id, usage_date). Which dates a range covers is `rollups.periods`.

Series have one point per day with zero days filled in, so charts are continuous; a range without
usage is all zero points (pages show their empty state then). Money is USD cents as `Decimal`;
the pages turn it into text with `ui.format.format_usd`.

`person_summary` and `unit_summary` (the REST API's) count activity all time and cost last month and
month-to-date; the pages' range cards are sums of a series (`ui/pages/usage_views.py`). Every read takes
`provider=` (None: every provider); which
providers a page offers is `provider_options`. Counters only one provider reports (Cursor's tabs
accepted and agent requests, in a record's `provider_metrics`) are summed from one person's records;
the rollup tables do not carry them. "Active users" is a true distinct count of actors with usage in the
period, read from the per-member rollups, never a sum of daily counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers.declaration import Metric
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import table_of
from orgonaut.errors import ValidationFailed
from orgonaut.integrations.models import Integration, IntegrationCategory
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups.counters import PROVIDER_METRICS, record_counter, reports_provider_metric
from orgonaut.rollups.members import MemberRow as MemberRow  # the member table's rows live in members.py
from orgonaut.rollups.members import team_member_breakdown as team_member_breakdown
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageRollup, AiUsageRollupScope, Breadth
from orgonaut.rollups.periods import Period, Range, month_to_date, parse_range, period_for, previous_month, tenant_today

RECORDS = table_of(AiToolUsageRecord)
ROLLUPS = table_of(AiUsageRollup)
MEMBERS = table_of(AiUsageMemberRollup)
SCOPES = table_of(AiUsageRollupScope)
UNITS = table_of(OrgUnit)
ACTORS = table_of(Actor)
INTEGRATIONS = table_of(Integration)


_ZERO = Decimal(0)


# Activity counts are None where every record behind them comes from a provider that does not
# report that metric ("not reported", shown as "—"); a unit or person with no usage at all has 0.
@dataclass(frozen=True)
class DayPoint:
    date: dt.date
    cost_cents: Decimal
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    # The day's cost per provider with usage that day, by provider key (the cost chart stacks them);
    # empty on a day without usage (a zero-filled day).
    cost_by_provider: tuple[tuple[str, Decimal], ...] = field(default=(), compare=False)
    # The range cards sum these too (`ui.pages.usage_views`), so cards and charts read one series.
    lines_added: int | None = field(default=0, compare=False)
    lines_removed: int | None = field(default=0, compare=False)
    # By `PROVIDER_METRICS` key; None where no record of the day reports the counter.
    provider_metrics: tuple[tuple[str, int | None], ...] = field(default=(), compare=False)

    @property
    def used(self) -> bool:
        """The day had usage rows (of any provider), even if at $0."""
        return bool(self.cost_by_provider)


@dataclass(frozen=True)
class PersonSummary:
    actor_id: int
    last_month: Period
    mtd: Period
    last_month_cost_cents: Decimal
    mtd_cost_cents: Decimal
    # All time:
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    lines_added: int | None
    lines_removed: int | None
    providers: tuple[str, ...]  # distinct providers with usage, sorted
    first_usage_date: dt.date | None  # None: no usage (`person_summary(..., or_empty=True)`)
    last_usage_date: dt.date | None
    # All time, by `PROVIDER_METRICS` key: None where no record behind it reports the counter.
    provider_metrics: tuple[tuple[str, int | None], ...] = ()

    def provider_metric(self, key: str) -> int | None:
        return dict(self.provider_metrics).get(key)

    @property
    def active_providers(self) -> int:
        return len(self.providers)


@dataclass(frozen=True)
class UnitSummary:
    org_unit_id: int
    breadth: Breadth
    last_month: Period
    mtd: Period
    last_month_cost_cents: Decimal
    mtd_cost_cents: Decimal
    last_month_active_users: int
    mtd_active_users: int
    # All time:
    cost_cents: Decimal
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    lines_added: int | None
    lines_removed: int | None
    first_usage_date: dt.date | None
    computed_at: dt.datetime | None  # newest computation among the unit's rollup rows
    # All time, by `PROVIDER_METRICS` key: None where no record behind the rollups reports the counter.
    provider_metrics: tuple[tuple[str, int | None], ...] = ()

    def provider_metric(self, key: str) -> int | None:
        return dict(self.provider_metrics).get(key)


def parse_breadth(value: Breadth | str) -> Breadth:
    try:
        return Breadth(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown scope '{value}'. Valid: {', '.join(b.value for b in Breadth)}."
        ) from None



# --- one person (raw records) -------------------------------------------------------------------


def _person_records(actor: Actor, provider: str | None = None) -> list[Any]:
    conditions = [
        RECORDS.c.actor_id == actor.id,
        RECORDS.c.tenant_id == actor.tenant_id,
        RECORDS.c.scope_key == scope_key(actor.scenario_id),
    ]
    return conditions if provider is None else [*conditions, RECORDS.c.provider == provider]


def provider_options(*, session: Session, tenant_id: int, used: Iterable[str] = ()) -> tuple[str, ...]:
    """The providers a page's filter offers, in the registry's order: those the tenant connected (in
    any state: a disconnected one keeps its usage) and those in `used` (the page's own usage)."""
    connected = set(session.execute(
        select(INTEGRATIONS.c.provider).where(
            INTEGRATIONS.c.tenant_id == tenant_id, INTEGRATIONS.c.category == IntegrationCategory.ai_tooling.value,
        ).distinct()
    ).scalars())
    wanted = connected | set(used)
    return tuple(key for key in PROVIDERS if key in wanted)


def unit_providers(*, session: Session, org_unit: OrgUnit) -> tuple[str, ...]:
    """The providers with usage in the unit's subtree rollups (any day), sorted."""
    return tuple(session.execute(
        select(ROLLUPS.c.provider).where(*_unit_rollups(org_unit, Breadth.subtree)).distinct().order_by(
            ROLLUPS.c.provider)
    ).scalars())


def _provider_metric_sums(session: Session, actor: Actor, provider: str | None) -> tuple[tuple[str, int | None], ...]:
    """Each `PROVIDER_METRICS` counter summed over the person's records of the providers that report it;
    None where none of those records carries it."""
    keys = [key for key, _ in PROVIDER_METRICS]
    totals = session.execute(
        select(*[func.sum(record_counter(key)) for key in keys]).where(*_person_records(actor, provider))
    ).one()
    return _counters(keys, totals)


def _counters(keys: list[str], totals: Iterable[Any]) -> tuple[tuple[str, int | None], ...]:
    return tuple((key, None if value is None else int(value)) for key, value in zip(keys, totals, strict=True))


def person_summary(
    *, session: Session, actor: Actor, provider: str | None = None, or_empty: bool = False,
) -> PersonSummary | None:
    """The person's cards; None when the actor has no usage (the page hides the section), or with
    `or_empty` a summary of none: $0, and 0 for a metric `provider` reports, None ("—") for one it does not."""
    today = tenant_today(session=session, tenant_id=actor.tenant_id)
    mtd, last = month_to_date(today), previous_month(today)
    r = RECORDS.c
    rows = session.execute(
        select(
            r.provider,
            func.sum(case((r.usage_date.between(last.start, last.end), r.total_cost_cents), else_=_ZERO)),
            func.sum(case((r.usage_date.between(mtd.start, mtd.end), r.total_cost_cents), else_=_ZERO)),
            func.sum(r.sessions_count), func.sum(r.commits_count), func.sum(r.pull_requests_count),
            func.sum(r.lines_added), func.sum(r.lines_removed), func.min(r.usage_date), func.max(r.usage_date),
        )
        .where(*_person_records(actor, provider))
        .group_by(r.provider)
        .order_by(r.provider)
    ).all()
    if not rows:
        return _empty_summary(actor, last, mtd, provider) if or_empty else None
    return PersonSummary(
        actor_id=actor.id, last_month=last, mtd=mtd,
        last_month_cost_cents=_cents(sum((row[1] or _ZERO for row in rows), _ZERO)),
        mtd_cost_cents=_cents(sum((row[2] or _ZERO for row in rows), _ZERO)),
        sessions=_total(row[3] for row in rows),
        commits=_total(row[4] for row in rows),
        pull_requests=_total(row[5] for row in rows),
        lines_added=_total(row[6] for row in rows),
        lines_removed=_total(row[7] for row in rows),
        providers=tuple(row[0] for row in rows),
        first_usage_date=min(row[8] for row in rows),
        last_usage_date=max(row[9] for row in rows),
        provider_metrics=_provider_metric_sums(session, actor, provider),
    )


def _empty_summary(actor: Actor, last: Period, mtd: Period, provider: str | None) -> PersonSummary:
    info = PROVIDERS.get(provider) if provider is not None else None

    def reported(metric: Metric) -> int | None:
        return 0 if info is None or metric in info.metrics else None

    return PersonSummary(
        actor_id=actor.id, last_month=last, mtd=mtd, last_month_cost_cents=_ZERO, mtd_cost_cents=_ZERO,
        sessions=reported(Metric.sessions), commits=reported(Metric.commits),
        pull_requests=reported(Metric.pull_requests), lines_added=reported(Metric.lines_added),
        lines_removed=reported(Metric.lines_removed), providers=(), first_usage_date=None, last_usage_date=None,
        provider_metrics=tuple((key, 0 if info is not None and reports_provider_metric(info, key) else None)
                               for key, _ in PROVIDER_METRICS),
    )


def person_series(
    *, session: Session, actor: Actor, range: Range | str | None = Range.mtd, start: dt.date | None = None,
    end: dt.date | None = None, provider: str | None = None,
) -> list[DayPoint]:
    """The person's daily cost and activity over the range, one point per day."""
    r = RECORDS.c
    return _series(
        session, tenant_id=actor.tenant_id, range=range, start=start, end=end, date_column=r.usage_date,
        metrics=(r.total_cost_cents, r.sessions_count, r.commits_count, r.pull_requests_count, r.lines_added,
                 r.lines_removed, *[record_counter(key) for key, _ in PROVIDER_METRICS]),
        provider_column=r.provider, conditions=_person_records(actor, provider),
    )


# --- units (stored rollups only) ----------------------------------------------------------------


def _unit_rollups(org_unit: OrgUnit, breadth: Breadth, provider: str | None = None) -> list[Any]:
    conditions = [
        ROLLUPS.c.tenant_id == org_unit.tenant_id,
        ROLLUPS.c.scope_key == scope_key(org_unit.scenario_id),
        ROLLUPS.c.org_unit_id == org_unit.id,
        ROLLUPS.c.breadth == breadth.value,
    ]
    return conditions if provider is None else [*conditions, ROLLUPS.c.provider == provider]


def _member_units(session: Session, org_unit: OrgUnit, breadth: Breadth) -> Any:
    """SQL: the member-rollup rows that count for the unit at this breadth."""
    if breadth == Breadth.direct:
        return MEMBERS.c.org_unit_id == org_unit.id
    tree = select(UNITS.c.id.label("id")).where(UNITS.c.id == org_unit.id).cte("subtree", recursive=True)
    child = UNITS.alias("child")
    # UNION stops at a unit already seen, so a corrupt cyclic tree still terminates.
    tree = tree.union(select(child.c.id).where(child.c.parent_id == tree.c.id))
    # The ids are fetched first: a literal list lets the database walk the primary key per unit,
    # where a join to the recursive query's (unknown-sized) result scans every member row.
    return MEMBERS.c.org_unit_id.in_(list(session.execute(select(tree.c.id)).scalars()))


def _members_of(org_unit: OrgUnit, provider: str | None = None) -> list[Any]:
    conditions = [MEMBERS.c.tenant_id == org_unit.tenant_id, MEMBERS.c.scope_key == scope_key(org_unit.scenario_id)]
    return conditions if provider is None else [*conditions, MEMBERS.c.provider == provider]


def active_users(
    *, session: Session, org_unit: OrgUnit, breadth: Breadth | str, start: dt.date, end: dt.date
) -> int:
    """Distinct actors with usage attributed to the unit (at this breadth) between start and end."""
    chosen = parse_breadth(breadth)
    return session.execute(
        select(func.count(distinct(MEMBERS.c.actor_id))).where(
            *_members_of(org_unit), _member_units(session, org_unit, chosen), MEMBERS.c.usage_date.between(start, end)
        )
    ).scalar_one()


def active_users_by_period(
    *, session: Session, org_unit: OrgUnit, breadth: Breadth | str, periods: dict[str, Period],
    provider: str | None = None,
) -> dict[str, int]:
    """Distinct actors with usage attributed to the unit in each of `periods` (by name), one statement:
    the range cards' "Active users" for every range and the period before it."""
    if not periods:
        return {}
    chosen = parse_breadth(breadth)
    m = MEMBERS.c
    names = list(periods)
    counts = session.execute(
        select(*[func.count(distinct(case((m.usage_date.between(periods[n].start, periods[n].end), m.actor_id))))
                 for n in names]).where(
            *_members_of(org_unit, provider), _member_units(session, org_unit, chosen),
            m.usage_date.between(min(p.start for p in periods.values()), max(p.end for p in periods.values())),
        )
    ).one()
    return {name: int(value) for name, value in zip(names, counts, strict=True)}


def unit_summary(*, session: Session, org_unit: OrgUnit, breadth: Breadth | str,
                 provider: str | None = None) -> UnitSummary:
    """A team's or department's cards: cost last month and month-to-date, distinct active users in
    both, and all-time activity; from the stored rollups."""
    chosen = parse_breadth(breadth)
    today = tenant_today(session=session, tenant_id=org_unit.tenant_id)
    mtd, last = month_to_date(today), previous_month(today)
    u = ROLLUPS.c
    totals = session.execute(
        select(
            func.sum(case((u.usage_date.between(last.start, last.end), u.cost_cents), else_=_ZERO)),
            func.sum(case((u.usage_date.between(mtd.start, mtd.end), u.cost_cents), else_=_ZERO)),
            func.sum(u.cost_cents), func.sum(u.sessions), func.sum(u.commits), func.sum(u.pull_requests),
            func.sum(u.lines_added), func.sum(u.lines_removed), func.min(u.usage_date), func.max(u.computed_at),
            *[func.sum(u[key]) for key, _ in PROVIDER_METRICS],
        ).where(*_unit_rollups(org_unit, chosen, provider), u.usage_date <= today)
    ).one()

    m = MEMBERS.c
    users = session.execute(
        select(
            func.count(distinct(case((m.usage_date <= last.end, m.actor_id)))),
            func.count(distinct(case((m.usage_date >= mtd.start, m.actor_id)))),
        ).where(
            *_members_of(org_unit, provider), _member_units(session, org_unit, chosen),
            m.usage_date.between(last.start, today),
        )
    ).one()
    used = totals[8] is not None
    return UnitSummary(
        org_unit_id=org_unit.id, breadth=chosen, last_month=last, mtd=mtd,
        last_month_cost_cents=_cents(totals[0]), mtd_cost_cents=_cents(totals[1]),
        last_month_active_users=users[0], mtd_active_users=users[1],
        cost_cents=_cents(totals[2]), sessions=_count(totals[3], used), commits=_count(totals[4], used),
        pull_requests=_count(totals[5], used), lines_added=_count(totals[6], used),
        lines_removed=_count(totals[7], used), first_usage_date=totals[8], computed_at=totals[9],
        provider_metrics=_counters([key for key, _ in PROVIDER_METRICS], totals[10:]),
    )


def unit_series(
    *, session: Session, org_unit: OrgUnit, breadth: Breadth | str, range: Range | str | None = Range.mtd,
    start: dt.date | None = None, end: dt.date | None = None, provider: str | None = None,
) -> list[DayPoint]:
    """The unit's daily cost and activity over the range (one point per day), from the rollups."""
    chosen = parse_breadth(breadth)
    u = ROLLUPS.c
    return _series(
        session, tenant_id=org_unit.tenant_id, range=range, start=start, end=end, date_column=u.usage_date,
        metrics=(u.cost_cents, u.sessions, u.commits, u.pull_requests, u.lines_added, u.lines_removed,
                 *[u[key] for key, _ in PROVIDER_METRICS]),
        provider_column=u.provider, conditions=_unit_rollups(org_unit, chosen, provider),
    )


def last_computed_at(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_id: int | None = None,
    breadth: Breadth | str | None = None,
) -> dt.datetime | None:
    """When the unit's rollups (or, without a unit, any rollup of the scope) were last computed;
    None when never. Pages show it as "updated 2 minutes ago"."""
    key = scope_key(scenario_id)
    if org_unit_id is None:
        return session.execute(
            select(SCOPES.c.refreshed_at).where(SCOPES.c.tenant_id == tenant_id, SCOPES.c.scope_key == key)
        ).scalar_one_or_none()
    conditions = [ROLLUPS.c.tenant_id == tenant_id, ROLLUPS.c.scope_key == key, ROLLUPS.c.org_unit_id == org_unit_id]
    if breadth is not None:
        conditions.append(ROLLUPS.c.breadth == parse_breadth(breadth).value)
    return session.execute(select(func.max(ROLLUPS.c.computed_at)).where(*conditions)).scalar_one()


# --- helpers ------------------------------------------------------------------------------------


def _cents(value: Any) -> Decimal:
    # SQLite hands back sums of NUMERIC as floats rounded to the column's scale; PostgreSQL exact.
    return Decimal(value).quantize(Decimal("0.000001")) if value is not None else _ZERO


def _count(value: Any, used: bool = True) -> int | None:
    """A summed count: None when rows were summed and none reports the metric; 0 when there were none."""
    if value is None:
        return None if used else 0
    return int(value)


def _total(values: Iterable[Any]) -> int | None:
    """The sum of the reported values; None when none is reported."""
    reported = [int(v) for v in values if v is not None]
    return sum(reported) if reported else None


def _series(
    session: Session, *, tenant_id: int, range: Range | str | None, start: dt.date | None, end: dt.date | None,
    date_column: Any, metrics: tuple[Any, ...], provider_column: Any, conditions: list[Any],
) -> list[DayPoint]:
    today = tenant_today(session=session, tenant_id=tenant_id)
    explicit = start is not None or end is not None
    chosen = None if explicit else parse_range(range or Range.mtd)
    if chosen == Range.all:
        # "All" starts at the first usage: read up to today in one statement and start there.
        bounds = [date_column <= today]
    else:
        period = period_for(chosen, today=today, start=start, end=end)
        bounds = [and_(date_column >= period.start, date_column <= period.end)]
    # metrics: cost, sessions, commits, pull requests, lines added, lines removed, then each counter.
    rows = session.execute(
        select(date_column, provider_column, *[func.sum(metric) for metric in metrics])
        .where(*conditions, *bounds)
        .group_by(date_column, provider_column)
        .order_by(date_column, provider_column)
    ).all()
    if chosen == Range.all:
        period = period_for(Range.all, today=today, first_usage=rows[0][0] if rows else None)
    by_day: dict[dt.date, list[Any]] = {}
    for row in rows:
        by_day.setdefault(row[0], []).append(row)
    points = []
    for day in period.days:
        providers = by_day.get(day)
        if providers is None:
            points.append(DayPoint(date=day, cost_cents=_ZERO, sessions=0, commits=0, pull_requests=0))
            continue
        costs = tuple((row[1], _cents(row[2])) for row in providers)
        points.append(DayPoint(
            date=day, cost_cents=sum_cost_cents(cost for _, cost in costs), sessions=_total(r[3] for r in providers),
            commits=_total(r[4] for r in providers), pull_requests=_total(r[5] for r in providers),
            cost_by_provider=costs, lines_added=_total(r[6] for r in providers),
            lines_removed=_total(r[7] for r in providers),
            provider_metrics=tuple((key, _total(r[8 + i] for r in providers))
                                   for i, (key, _) in enumerate(PROVIDER_METRICS)),
        ))
    return points
