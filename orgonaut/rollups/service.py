"""Computes the stored AI Tooling usage rollups from raw usage records and the org tree.

Attribution: a record (one actor, day and provider) counts for every unit in which the actor had a
placement effective that day (`start_date <= day <= end_date`, end inclusive, NULL open). `direct`
rows sum the actors placed in the unit itself; `subtree` rows sum the actors placed in the unit or
anywhere below it, each record once however many of the actor's placements sit in that subtree.
Allocation % does not scale cost: an actor placed at 50% in two teams counts fully in each.

Everything here is set-based SQL (INSERT .. SELECT .. GROUP BY) that runs on SQLite and PostgreSQL;
nothing loops over records in Python. Functions flush but never commit: the caller's transaction
makes a refresh all-or-nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, Integer, String, and_, case, delete, distinct, func, literal, or_, select, union_all
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.clock import utcnow
from orgonaut.db import table_of, upsert
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.org.models import OrgUnit, Placement
from orgonaut.rollups import adoption, model_mix
from orgonaut.rollups.counters import PROVIDER_METRICS, record_counter
from orgonaut.rollups.models import (
    AiUsageMemberRollup,
    AiUsageRollup,
    AiUsageRollupScope,
    AiUsageTenantActiveUsers,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
    AiUsageTenantModelCost,
    AiUsageTenantRollup,
    Breadth,
)
from orgonaut.rollups.periods import minus_months
from orgonaut.tenancy.models import Tenant

RECORDS = table_of(AiToolUsageRecord)
PLACEMENTS = table_of(Placement)
UNITS = table_of(OrgUnit)
ROLLUPS = table_of(AiUsageRollup)
MEMBERS = table_of(AiUsageMemberRollup)
TENANT_ROLLUPS = table_of(AiUsageTenantRollup)
ACTOR_MONTHS = table_of(AiUsageTenantActorMonth)
TENANT_ACTORS = table_of(AiUsageTenantActor)
MODEL_COSTS = table_of(AiUsageTenantModelCost)
ACTIVE_USERS = table_of(AiUsageTenantActiveUsers)

# Metric columns of both rollup tables and the raw record column each one sums.
METRICS: dict[str, str] = {
    "cost_cents": "total_cost_cents",
    "sessions": "sessions_count",
    "commits": "commits_count",
    "pull_requests": "pull_requests_count",
    "lines_added": "lines_added",
    "lines_removed": "lines_removed",
    "input_tokens": "total_input_tokens",
    "output_tokens": "total_output_tokens",
    "cache_read_tokens": "total_cache_read_tokens",
    "cache_creation_tokens": "total_cache_creation_tokens",
}
# And the counters only some providers report, read from each record's `provider_metrics`.
COUNTERS: tuple[str, ...] = tuple(key for key, _ in PROVIDER_METRICS)
ROLLUP_METRICS: tuple[str, ...] = (*METRICS, *COUNTERS)


@dataclass(frozen=True)
class RefreshResult:
    # None: every unit of the scope.
    org_unit_ids: tuple[int, ...] | None
    start: dt.date | None
    end: dt.date | None
    unit_rows: int
    member_rows: int
    tenant_rows: int = 0  # whole-tenant day rows and actor-month rows written


@dataclass(frozen=True)
class RebuildResult:
    tenants: int
    scopes: int
    unit_rows: int
    member_rows: int


def scope_condition(column: Any, scenario_id: int | None) -> Any:
    """Live is `scenario_id IS NULL` on org rows."""
    return column.is_(None) if scenario_id is None else column == scenario_id


def with_ancestors(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_ids: Iterable[int]
) -> list[int]:
    """The given units of the scope and every unit above them (ids sorted); foreign ids are dropped."""
    seeds = sorted(set(org_unit_ids))
    if not seeds:
        return []
    chain = (
        select(UNITS.c.id.label("id"), UNITS.c.parent_id.label("parent_id"))
        .where(UNITS.c.tenant_id == tenant_id, scope_condition(UNITS.c.scenario_id, scenario_id),
               UNITS.c.id.in_(seeds))
        .cte("chain", recursive=True)
    )
    parent = UNITS.alias("parent")
    # UNION (not UNION ALL) stops at a unit already seen, so even a corrupt cyclic tree terminates.
    chain = chain.union(select(parent.c.id, parent.c.parent_id).where(parent.c.id == chain.c.parent_id))
    return sorted(session.execute(select(chain.c.id)).scalars())


def units_to_refresh(
    *, session: Session, tenant_id: int, scenario_id: int | None, start: dt.date, end: dt.date,
    actor_ids: Iterable[int] = (), org_unit_ids: Iterable[int] = (),
) -> list[int]:
    """The units whose rollups change when these actors' usage or these units changed over the dates.

    Actors resolve to the units they were placed in at any time in [start, end]; ancestors are added.
    Given unit ids are kept even when they are gone from the tree, so a refresh clears their rows.
    """
    given = set(org_unit_ids)
    actors = sorted(set(actor_ids))
    placed: set[int] = set()
    if actors:
        placed = set(
            session.execute(
                select(PLACEMENTS.c.org_unit_id).distinct().where(
                    PLACEMENTS.c.tenant_id == tenant_id,
                    scope_condition(PLACEMENTS.c.scenario_id, scenario_id),
                    PLACEMENTS.c.actor_id.in_(actors),
                    PLACEMENTS.c.start_date <= end,
                    or_(PLACEMENTS.c.end_date.is_(None), PLACEMENTS.c.end_date >= start),
                )
            ).scalars()
        )
    ancestors = with_ancestors(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                               org_unit_ids=given | placed)
    return sorted(given | placed | set(ancestors))


def refresh(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_ids: Iterable[int] | None,
    start: dt.date, end: dt.date, on_locked: Callable[[], None] | None = None, tenant: bool = True,
    actor_ids: Iterable[int] | None = None,
) -> RefreshResult:
    """Recomputes the rollups of these units and their ancestors (None: every unit of the scope)
    for the days start..end (inclusive), replacing the stored rows in the caller's transaction.

    With `tenant` (the records of those days changed, not only the org) the whole-tenant rows of
    those days are recomputed too (`refresh_tenant`; `actor_ids`: whose actor-months changed, None
    for everyone's).

    `on_locked` runs once this refresh holds the scope's refresh lock, before it reads anything.
    """
    if start > end:
        raise ValidationFailed(f"The refresh range ends ({end}) before it starts ({start}).")
    lock_scope(session, tenant_id=tenant_id, scenario_id=scenario_id)
    if on_locked is not None:
        on_locked()
    targets = None
    if org_unit_ids is not None:
        given = set(org_unit_ids)
        targets = sorted(given | set(with_ancestors(session=session, tenant_id=tenant_id,
                                                    scenario_id=scenario_id, org_unit_ids=given)))
    result = _recompute(session, tenant_id=tenant_id, scenario_id=scenario_id, targets=targets, start=start, end=end)
    if tenant:
        rows = refresh_tenant(session=session, tenant_id=tenant_id, scenario_id=scenario_id, start=start, end=end,
                              actor_ids=actor_ids)
        result = dataclasses.replace(result, tenant_rows=rows)
    return result


def refresh_tenant(
    *, session: Session, tenant_id: int, scenario_id: int | None, start: dt.date | None, end: dt.date | None,
    actor_ids: Iterable[int] | None = None, cleared: bool = False,
) -> int:
    """Recomputes the whole-tenant rollups of the scope: the day rows of start..end (None: every day) with
    their cost per model and distinct people per day and week (whole weeks), and the actor-month rows of
    every month those days touch (of `actor_ids` only, when given: an actor-month depends on that actor's
    records alone). Returns the rows written. The caller holds
    the scope lock (`lock_scope`) and commits.

    Every record counts once, matched or not, placed or not: these rows are the tenant's totals,
    which the top units' subtree rollups are not (see `rollups.overview`).
    """
    key = scope_key(scenario_id)
    r = RECORDS.c
    in_scope = [r.tenant_id == tenant_id, r.scope_key == key]
    if not cleared:
        session.execute(delete(TENANT_ROLLUPS).where(
            TENANT_ROLLUPS.c.tenant_id == tenant_id, TENANT_ROLLUPS.c.scope_key == key,
            *_date_conditions(TENANT_ROLLUPS.c.usage_date, start, end)))
    constants = [literal(tenant_id, Integer()), literal(key, Integer()), literal(scenario_id, Integer())]
    metric_names = list(ROLLUP_METRICS)
    flagged = select(
        r.actor_id, r.usage_date, r.provider, case((r.actor_id.is_(None), 0), else_=1).label("matched"),
        *[r[column].label(name) for name, column in METRICS.items()],
        *[record_counter(name).label(name) for name in COUNTERS],
    ).where(*in_scope, *_date_conditions(r.usage_date, start, end)).subquery("flagged")
    f = flagged.c
    rows = session.execute(
        TENANT_ROLLUPS.insert().execution_options(preserve_rowcount=True).from_select(
            ["tenant_id", "scope_key", "scenario_id", "usage_date", "provider", "matched", *metric_names,
             "actors_count", "computed_at"],
            select(*constants, f.usage_date, f.provider, f.matched, *[func.sum(f[name]) for name in metric_names],
                   func.count(distinct(f.actor_id)), literal(utcnow(), UTCDateTime()))
            .group_by(f.usage_date, f.provider, f.matched),
        )
    ).rowcount
    rows += _refresh_by_day(session, tenant_id=tenant_id, scenario_id=scenario_id, start=start, end=end,
                            cleared=cleared)

    actors = None if actor_ids is None else sorted(set(actor_ids))
    if actors == []:
        return rows
    if actors is not None and len(actors) > _MANY_ACTORS:
        actors = None  # the whole month costs about the same as a long IN list
    if start is None or end is None:
        first, last = session.execute(select(func.min(r.usage_date), func.max(r.usage_date)).where(*in_scope)).one()
        start, end = start or first, end or last
    if start is None or end is None:  # no records: only stale rows to clear
        if not cleared:
            for table in (ACTOR_MONTHS, TENANT_ACTORS):
                session.execute(delete(table).where(table.c.tenant_id == tenant_id, table.c.scope_key == key))
        return rows
    month = start.replace(day=1)
    if not cleared:
        conditions = [ACTOR_MONTHS.c.tenant_id == tenant_id, ACTOR_MONTHS.c.scope_key == key,
                      ACTOR_MONTHS.c.month.between(month, end)]
        if actors is not None:
            conditions.append(ACTOR_MONTHS.c.actor_id.in_(actors))
        session.execute(delete(ACTOR_MONTHS).where(*conditions))
    # One statement per month: the month is a literal, so no dialect's date truncation is needed.
    while month <= end:
        following = minus_months(month, -1)
        conditions = [*in_scope, r.actor_id.is_not(None), r.usage_date >= month, r.usage_date < following]
        if actors is not None:
            conditions.append(r.actor_id.in_(actors))
        rows += session.execute(
            ACTOR_MONTHS.insert().execution_options(preserve_rowcount=True).from_select(
                ["tenant_id", "scope_key", "scenario_id", "month", "provider", "actor_id", "first_day", "last_day",
                 "active_days"],
                select(*constants, literal(month, Date()), r.provider, r.actor_id, func.min(r.usage_date),
                       func.max(r.usage_date), func.count(distinct(r.usage_date)))
                .where(*conditions)
                .group_by(r.provider, r.actor_id),
            )
        ).rowcount
        month = following
    # Each refreshed actor's first day of all, from their actor-months (all of them, not only these).
    am, ta = ACTOR_MONTHS.c, TENANT_ACTORS.c
    first = [am.tenant_id == tenant_id, am.scope_key == key]
    if not cleared:
        gone = [ta.tenant_id == tenant_id, ta.scope_key == key]
        if actors is not None:
            gone.append(ta.actor_id.in_(actors))
        session.execute(delete(TENANT_ACTORS).where(*gone))
    if actors is not None:
        first.append(am.actor_id.in_(actors))
    rows += session.execute(
        TENANT_ACTORS.insert().execution_options(preserve_rowcount=True).from_select(
            ["tenant_id", "scope_key", "scenario_id", "provider", "actor_id", "first_day"],
            select(*constants, am.provider, am.actor_id, func.min(am.first_day)).where(*first)
            .group_by(am.provider, am.actor_id),
        )
    ).rowcount
    session.flush()
    return rows


def _refresh_by_day(session: Session, *, tenant_id: int, scenario_id: int | None, start: dt.date | None,
                    end: dt.date | None, cleared: bool) -> int:
    """The whole-tenant rollups kept per day of the records, whoever they name: cost per model, and the
    distinct people per day and week (`rollups.model_mix`, `rollups.adoption`)."""
    return sum(refresh(session=session, tenant_id=tenant_id, scenario_id=scenario_id, start=start, end=end,
                       cleared=cleared) for refresh in (model_mix.refresh, adoption.refresh))


_MANY_ACTORS = 500


def rebuild(*, session: Session, tenant_id: int | None = None) -> RebuildResult:
    """Recomputes every rollup of one tenant (or of every tenant), every scope and every day."""
    if tenant_id is not None:
        if session.get(Tenant, tenant_id) is None:
            raise NotFound(f"Unknown tenant id {tenant_id}.")
        tenant_ids = [tenant_id]
    else:
        tenant_ids = list(session.execute(select(Tenant.id).order_by(Tenant.id)).scalars())
    scopes_done = unit_rows = member_rows = 0
    for tid in tenant_ids:
        scopes = session.execute(
            select(RECORDS.c.scope_key, RECORDS.c.scenario_id)
            .where(RECORDS.c.tenant_id == tid)
            .group_by(RECORDS.c.scope_key, RECORDS.c.scenario_id)
            .order_by(RECORDS.c.scope_key)
        ).all()
        for _key, scenario_id in scopes:
            lock_scope(session, tenant_id=tid, scenario_id=scenario_id)
        # Scopes without records any more (a deleted scenario) lose their rows here too.
        for table in (MEMBERS, ROLLUPS, TENANT_ROLLUPS, ACTOR_MONTHS, TENANT_ACTORS, MODEL_COSTS, ACTIVE_USERS):
            session.execute(delete(table).where(table.c.tenant_id == tid))
        for _key, scenario_id in scopes:
            result = _recompute(session, tenant_id=tid, scenario_id=scenario_id, targets=None, start=None,
                                end=None, cleared=True)
            refresh_tenant(session=session, tenant_id=tid, scenario_id=scenario_id, start=None, end=None,
                           cleared=True)
            scopes_done += 1
            unit_rows += result.unit_rows
            member_rows += result.member_rows
    return RebuildResult(tenants=len(tenant_ids), scopes=scopes_done, unit_rows=unit_rows, member_rows=member_rows)


def usage_span(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_id: int
) -> tuple[dt.date, dt.date] | None:
    """First and last day with usage anywhere in the unit's subtree, per its stored rollups."""
    first, last = session.execute(
        select(func.min(ROLLUPS.c.usage_date), func.max(ROLLUPS.c.usage_date)).where(
            ROLLUPS.c.tenant_id == tenant_id, ROLLUPS.c.scope_key == scope_key(scenario_id),
            ROLLUPS.c.org_unit_id == org_unit_id, ROLLUPS.c.breadth == Breadth.subtree.value,
        )
    ).one()
    return None if first is None else (first, last)


def lock_scope(session: Session, *, tenant_id: int, scenario_id: int | None) -> None:
    """Writes the scope's row first: its row lock (PostgreSQL) or the write lock (SQLite) makes
    concurrent refreshes of one scope wait for each other instead of colliding on the same keys."""
    upsert(
        session, AiUsageRollupScope,
        [{"tenant_id": tenant_id, "scope_key": scope_key(scenario_id), "scenario_id": scenario_id,
          "refreshed_at": utcnow()}],
        conflict_columns=["tenant_id", "scope_key"], update_columns=["refreshed_at"],
    )


def _recompute(
    session: Session, *, tenant_id: int, scenario_id: int | None, targets: list[int] | None,
    start: dt.date | None, end: dt.date | None, cleared: bool = False,
) -> RefreshResult:
    key = scope_key(scenario_id)
    if not cleared:
        for table in (MEMBERS, ROLLUPS):
            conditions = [table.c.tenant_id == tenant_id, table.c.scope_key == key]
            if targets is not None:
                conditions.append(table.c.org_unit_id.in_(targets))
            conditions += _date_conditions(table.c.usage_date, start, end)
            session.execute(delete(table).where(*conditions))
    if targets == []:
        return RefreshResult(org_unit_ids=(), start=start, end=end, unit_rows=0, member_rows=0)

    constants = [literal(tenant_id, Integer()), literal(key, Integer()), literal(scenario_id, Integer())]
    metric_names = list(ROLLUP_METRICS)

    # Members: each actor-day joined to the units the actor was placed in that day. The intervals are
    # merged per (actor, unit), so overlapping placements in one unit count a day once.
    days = _actor_days(tenant_id, scenario_id, start, end)
    spans = _placement_spans(tenant_id, scenario_id, targets, subtree=False)
    member_rows = session.execute(
        MEMBERS.insert().execution_options(preserve_rowcount=True).from_select(
            ["tenant_id", "scope_key", "scenario_id", "org_unit_id", "actor_id", "usage_date", "provider",
             *metric_names],
            select(*constants, spans.c.org_unit_id, days.c.actor_id, days.c.usage_date, days.c.provider,
                   *[days.c[name] for name in metric_names])
            .join_from(days, spans, _covers(spans, days)),
        )
    ).rowcount

    computed_at = literal(utcnow(), UTCDateTime())
    # Direct unit rows: the member rows of the unit itself; one member row per distinct actor.
    member_filter = [MEMBERS.c.tenant_id == tenant_id, MEMBERS.c.scope_key == key,
                     *_date_conditions(MEMBERS.c.usage_date, start, end)]
    if targets is not None:
        member_filter.append(MEMBERS.c.org_unit_id.in_(targets))
    unit_rows = session.execute(
        ROLLUPS.insert().execution_options(preserve_rowcount=True).from_select(
            [*_ROLLUP_KEY, *metric_names, "actors_count", "computed_at"],
            select(
                *constants, MEMBERS.c.org_unit_id, literal(Breadth.direct.value, String()), MEMBERS.c.usage_date,
                MEMBERS.c.provider, *[func.sum(MEMBERS.c[name]) for name in metric_names], func.count(),
                computed_at,
            )
            .where(*member_filter)
            .group_by(MEMBERS.c.org_unit_id, MEMBERS.c.usage_date, MEMBERS.c.provider),
        )
    ).rowcount

    # Subtree unit rows. An actor with one placement counts in every ancestor exactly as in their
    # unit, so those actors' member rows are summed per unit first and only the sums are carried up
    # the tree. An actor with several placements may sit in two units under one ancestor on a day:
    # their actor-days join the merged (actor, ancestor) intervals, once each. The two actor sets
    # are disjoint, so adding their counts gives distinct actors.
    single = (
        select(PLACEMENTS.c.actor_id)
        .where(PLACEMENTS.c.tenant_id == tenant_id, scope_condition(PLACEMENTS.c.scenario_id, scenario_id))
        .group_by(PLACEMENTS.c.actor_id)
        .having(func.count() == 1)
    )
    per_unit = (
        select(MEMBERS.c.org_unit_id, MEMBERS.c.usage_date, MEMBERS.c.provider,
               *[func.sum(MEMBERS.c[name]).label(name) for name in metric_names], func.count().label("actors"))
        .where(MEMBERS.c.tenant_id == tenant_id, MEMBERS.c.scope_key == key,
               *_date_conditions(MEMBERS.c.usage_date, start, end), MEMBERS.c.actor_id.in_(single))
        .group_by(MEMBERS.c.org_unit_id, MEMBERS.c.usage_date, MEMBERS.c.provider)
        .subquery("per_unit")
    )
    closure = _closure(tenant_id, scenario_id, targets)
    carried = select(
        closure.c.ancestor_id.label("org_unit_id"), per_unit.c.usage_date, per_unit.c.provider,
        *[per_unit.c[name] for name in metric_names], per_unit.c.actors,
    ).join_from(per_unit, closure, closure.c.unit_id == per_unit.c.org_unit_id)
    days = _actor_days(tenant_id, scenario_id, start, end, excluding=single)
    spans = _placement_spans(tenant_id, scenario_id, targets, subtree=True)
    several = select(
        spans.c.org_unit_id, days.c.usage_date, days.c.provider, *[days.c[name] for name in metric_names],
        literal(1, Integer()).label("actors"),
    ).join_from(days, spans, _covers(spans, days))
    both = union_all(carried, several).subquery("both")
    unit_rows += session.execute(
        ROLLUPS.insert().execution_options(preserve_rowcount=True).from_select(
            [*_ROLLUP_KEY, *metric_names, "actors_count", "computed_at"],
            select(
                *constants, both.c.org_unit_id, literal(Breadth.subtree.value, String()), both.c.usage_date,
                both.c.provider, *[func.sum(both.c[name]) for name in metric_names], func.sum(both.c.actors),
                computed_at,
            ).group_by(both.c.org_unit_id, both.c.usage_date, both.c.provider),
        )
    ).rowcount
    session.flush()
    return RefreshResult(
        org_unit_ids=None if targets is None else tuple(targets), start=start, end=end, unit_rows=unit_rows,
        member_rows=member_rows,
    )


_ROLLUP_KEY = ["tenant_id", "scope_key", "scenario_id", "org_unit_id", "breadth", "usage_date", "provider"]
# Stands in for an open end date, so merged intervals compare as plain dates.
_OPEN_END = dt.date(9999, 12, 31)


def _date_conditions(column: Any, start: dt.date | None, end: dt.date | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def _covers(spans: Any, days: Any) -> Any:
    return and_(spans.c.actor_id == days.c.actor_id, spans.c.start_date <= days.c.usage_date,
                spans.c.end_date >= days.c.usage_date)


def _actor_days(
    tenant_id: int, scenario_id: int | None, start: dt.date | None, end: dt.date | None, *, excluding: Any = None
) -> Any:
    """Matched usage summed per (actor, day, provider): one row even when an actor's usage arrived
    under two e-mail addresses. `excluding`: a SELECT of actor ids to leave out."""
    conditions = [
        RECORDS.c.tenant_id == tenant_id, RECORDS.c.scope_key == scope_key(scenario_id),
        RECORDS.c.actor_id.is_not(None), *_date_conditions(RECORDS.c.usage_date, start, end),
    ]
    if excluding is not None:
        conditions.append(RECORDS.c.actor_id.not_in(excluding))
    return (
        select(
            RECORDS.c.actor_id, RECORDS.c.usage_date, RECORDS.c.provider,
            *[func.sum(RECORDS.c[column]).label(name) for name, column in METRICS.items()],
            *[func.sum(record_counter(key)).label(key) for key in COUNTERS],
        )
        .where(*conditions)
        .group_by(RECORDS.c.actor_id, RECORDS.c.usage_date, RECORDS.c.provider)
        .subquery("actor_days")
    )


def _placement_spans(tenant_id: int, scenario_id: int | None, targets: list[int] | None, *, subtree: bool) -> Any:
    """(actor_id, org_unit_id, start_date, end_date): when each actor counts for each target unit,
    placed in it (direct) or anywhere below it (subtree), as disjoint intervals.

    Overlapping placements that count for the same unit are merged (gaps and islands over the small
    placements table), so joining usage to these intervals finds each (unit, actor, day) once.
    """
    placement = PLACEMENTS.alias("placement")
    conditions = [placement.c.tenant_id == tenant_id, scope_condition(placement.c.scenario_id, scenario_id)]
    end_date = func.coalesce(placement.c.end_date, literal(_OPEN_END, Date()))
    if subtree:
        closure = _closure(tenant_id, scenario_id, targets)
        unit = closure.c.ancestor_id
        source = placement.join(closure, closure.c.unit_id == placement.c.org_unit_id)
    else:
        unit = placement.c.org_unit_id
        source = placement
        if targets is not None:
            conditions.append(placement.c.org_unit_id.in_(targets))
    placed = (
        select(placement.c.actor_id, unit.label("org_unit_id"), placement.c.start_date, end_date.label("end_date"))
        .select_from(source)
        .where(*conditions)
        .subquery("placed")
    )
    window = dict(partition_by=[placed.c.actor_id, placed.c.org_unit_id],
                  order_by=[placed.c.start_date, placed.c.end_date])
    # An interval starts a new island unless it begins on or before the latest end seen so far.
    reach = func.max(placed.c.end_date).over(**window, rows=(None, -1))
    flagged = select(
        placed.c.actor_id, placed.c.org_unit_id, placed.c.start_date, placed.c.end_date,
        case((placed.c.start_date <= reach, 0), else_=1).label("new_island"),
    ).subquery("flagged")
    island = func.sum(flagged.c.new_island).over(
        partition_by=[flagged.c.actor_id, flagged.c.org_unit_id],
        order_by=[flagged.c.start_date, flagged.c.end_date], rows=(None, 0),
    )
    numbered = select(
        flagged.c.actor_id, flagged.c.org_unit_id, flagged.c.start_date, flagged.c.end_date,
        island.label("island"),
    ).subquery("numbered")
    return (
        select(numbered.c.actor_id, numbered.c.org_unit_id, func.min(numbered.c.start_date).label("start_date"),
               func.max(numbered.c.end_date).label("end_date"))
        .group_by(numbered.c.actor_id, numbered.c.org_unit_id, numbered.c.island)
        .subquery("spans")
    )


def _closure(tenant_id: int, scenario_id: int | None, targets: list[int] | None) -> Any:
    """(ancestor_id, unit_id) for each target unit (or every unit of the scope) and each unit of its
    subtree, itself included."""
    seed = select(UNITS.c.id.label("ancestor_id"), UNITS.c.id.label("unit_id")).where(
        UNITS.c.tenant_id == tenant_id, scope_condition(UNITS.c.scenario_id, scenario_id)
    )
    if targets is not None:
        seed = seed.where(UNITS.c.id.in_(targets))
    # Nested, so the statement starts with INSERT (SQLite reports row counts only for those).
    closure = seed.cte("closure", recursive=True, nesting=True)
    child = UNITS.alias("child")
    # UNION drops repeats, so a corrupt cyclic tree still terminates.
    return closure.union(
        select(closure.c.ancestor_id, child.c.id).where(child.c.parent_id == closure.c.unit_id)
    )
