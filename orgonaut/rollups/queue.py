"""Owed rollup refreshes, worked off: the job, the reaper, "updating…", and the org events that owe them.

Changes write their intents with `orgonaut.ai_tooling.changes.owe_refresh` in their own transaction;
the job sent after the commit locks the scope, takes every intent of it, recomputes their units and
days and deletes the intents in one transaction. So:

- a killed worker, a lost message, a broker restart or a failed send delays a refresh, never loses
  it: `reap` (beat, every minute) sends a job again for intents whose last send is old;
- a change committed while a job runs writes its own intent, which that job does not see and the
  next job takes;
- pages show "updating…" while a scope has intents (`refresh_pending`), from the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections.abc import Sequence

import redis
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from orgonaut import clock, faultpoints, kv
from orgonaut.ai_tooling.changes import INTENTS, owe_refresh, queue_rollup_refresh, send_job, sent_key
from orgonaut.ai_tooling.models import AiToolUsageRecord, RollupRefreshIntent, scope_key
from orgonaut.db import after_commit, session_scope, table_of
from orgonaut.org import events
from orgonaut.rollups import service
from orgonaut.rollups.models import (
    AiUsageMemberRollup,
    AiUsageRollup,
    AiUsageTenantActiveUsers,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
    AiUsageTenantModelCost,
    AiUsageTenantRollup,
)

logger = logging.getLogger(__name__)

# A refresh job's send older than this without the intent gone: the job was lost, send another.
REAP_AFTER = dt.timedelta(minutes=3)
# Intents one job takes; more are left for the job it sends after its commit.
MAX_INTENTS_PER_JOB = 2000
# A busy or dropped database connection, or a deadlock: another attempt may succeed.
RETRIABLE_ERRORS = (OperationalError,)
_INTENTS = INTENTS


def refresh_pending(*, tenant_id: int, scenario_id: int | None) -> bool:
    """True while the scope owes a refresh (pages show "updating…")."""
    with session_scope() as session:
        return bool(session.execute(select(exists().where(
            _INTENTS.c.tenant_id == tenant_id, _INTENTS.c.scope_key == scope_key(scenario_id)))).scalar())


@dataclasses.dataclass(frozen=True)
class OwedResult:
    intents: int
    unit_rows: int
    member_rows: int
    more: bool  # intents were left for the next job


@dataclasses.dataclass
class _Span:
    start: dt.date
    end: dt.date
    actor_ids: set[int]
    org_unit_ids: set[int]
    # Some intent says the records of these days changed (it names actors, or nothing at all: usage
    # matched to nobody), not only the org: the whole-tenant rows are recomputed too.
    records: bool = False


def merge_spans(intents: Sequence[RollupRefreshIntent]) -> list[_Span]:
    """Intents whose days overlap or touch become one span (union of their actors and units), so a
    backfill's consecutive days refresh as one range instead of one refresh per day."""
    spans: list[_Span] = []
    for intent in sorted(intents, key=lambda i: (i.start_date, i.end_date)):
        if spans and intent.start_date <= spans[-1].end + dt.timedelta(days=1):
            last = spans[-1]
            last.end = max(last.end, intent.end_date)
        else:
            last = _Span(intent.start_date, intent.end_date, set(), set())
            spans.append(last)
        last.actor_ids.update(intent.actor_ids or ())
        last.org_unit_ids.update(intent.org_unit_ids or ())
        last.records = last.records or bool(intent.actor_ids) or not intent.org_unit_ids
    return spans


def run_owed(*, tenant_id: int, scenario_id: int | None) -> OwedResult:
    """The job: refresh everything the scope owes, and forget it, in one transaction."""
    key = scope_key(scenario_id)
    unit_rows = member_rows = 0
    with session_scope() as session:
        service.lock_scope(session, tenant_id=tenant_id, scenario_id=scenario_id)
        # From here a newly committed intent needs a job of its own: let the next send through.
        _forget_sent(tenant_id, scenario_id)
        intents = list(session.scalars(
            select(RollupRefreshIntent).where(col(RollupRefreshIntent.tenant_id) == tenant_id,
                                              col(RollupRefreshIntent.scope_key) == key)
            .order_by(col(RollupRefreshIntent.id)).limit(MAX_INTENTS_PER_JOB)
        ))
        for span in merge_spans(intents):
            units = service.units_to_refresh(
                session=session, tenant_id=tenant_id, scenario_id=scenario_id, start=span.start, end=span.end,
                actor_ids=span.actor_ids, org_unit_ids=span.org_unit_ids,
            )
            if units or span.records:
                result = service.refresh(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                                         org_unit_ids=units, start=span.start, end=span.end, tenant=span.records,
                                         actor_ids=span.actor_ids)
                unit_rows += result.unit_rows
                member_rows += result.member_rows
        if intents:
            session.execute(delete(_INTENTS).where(_INTENTS.c.id.in_([i.id for i in intents])))
        faultpoints.reach("in_refresh_transaction")
        more = len(intents) == MAX_INTENTS_PER_JOB
        if more:
            after_commit(session, functools.partial(send_job, tenant_id, scenario_id, force=True))
    return OwedResult(intents=len(intents), unit_rows=unit_rows, member_rows=member_rows, more=more)


def _forget_sent(tenant_id: int, scenario_id: int | None) -> None:
    try:
        kv.locks().delete(sent_key(tenant_id, scenario_id))
    except redis.RedisError:  # the key expires by itself; a later change then waits for the reaper
        logger.warning("could not clear the rollup send key of tenant %s scope %s", tenant_id, scenario_id)


def reap(session: Session, *, older_than: dt.timedelta = REAP_AFTER) -> list[tuple[int, int | None]]:
    """Sends a job again for every scope with an intent whose last send is older than `older_than`
    (after the caller commits). Returns the scopes."""
    cutoff = clock.utcnow() - older_than
    stale = (_INTENTS.c.queued_at.is_(None)) | (_INTENTS.c.queued_at < cutoff)
    scopes = [(tenant_id, scenario_id) for tenant_id, scenario_id in session.execute(
        select(_INTENTS.c.tenant_id, _INTENTS.c.scenario_id).where(stale).distinct()
        .order_by(_INTENTS.c.tenant_id, _INTENTS.c.scenario_id)
    )]
    if not scopes:
        return []
    session.execute(update(_INTENTS).where(stale).values(queued_at=clock.utcnow(),
                                                          attempts=_INTENTS.c.attempts + 1))
    for tenant_id, scenario_id in scopes:
        logger.warning("re-sending the owed rollup refresh of tenant %s scope %s", tenant_id, scenario_id)
        after_commit(session, functools.partial(send_job, tenant_id, scenario_id, force=True))
    return scopes


# --- the nightly check -------------------------------------------------------------------------

VERIFY_DAYS = 8  # the nightly window's look-back and its last day, with a day to spare


@dataclasses.dataclass(frozen=True)
class Repair:
    tenant_id: int
    scenario_id: int | None
    start: dt.date
    end: dt.date
    rows_changed: int


def _stored(session: Session, tenant_id: int, key: int, start: dt.date, end: dt.date) -> set[tuple]:
    rows: set[tuple] = set()
    for model in (AiUsageRollup, AiUsageMemberRollup, AiUsageTenantRollup, AiUsageTenantActorMonth,
                  AiUsageTenantActor, AiUsageTenantModelCost, AiUsageTenantActiveUsers):
        table = table_of(model)
        columns = [c for c in table.c if c.name != "computed_at"]
        # Actor-month rows are recomputed for every month the window touches, active users for every
        # week, first days for everyone.
        if "month" in table.c:
            days = table.c.month.between(start.replace(day=1), end)
        elif "period_start" in table.c:
            days = table.c.period_start.between(start - dt.timedelta(days=start.weekday()), end)
        elif "usage_date" in table.c:
            days = table.c.usage_date.between(start, end)
        else:
            days = table.c.first_day.is_not(None)
        rows.update((model.__name__, *row) for row in session.execute(select(*columns).where(
            table.c.tenant_id == tenant_id, table.c.scope_key == key, days)))
    return rows


def verify_recent(*, days: int = VERIFY_DAYS) -> list[Repair]:
    """Compares every scope's rollups of the last `days` days with a recompute from the records and
    keeps the recompute (logged) where they differ: whatever slipped past the owed refreshes (a bug,
    a hand edit, a restore) is repaired within a night. Scopes that owe a refresh are left to it."""
    end = clock.utcnow().date() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=days)
    records = table_of(AiToolUsageRecord)
    with session_scope() as session:
        scopes = session.execute(
            select(records.c.tenant_id, records.c.scope_key, records.c.scenario_id).distinct()
            .where(records.c.usage_date.between(start, end))
            .order_by(records.c.tenant_id, records.c.scope_key)
        ).all()
    repairs = []
    for tenant_id, key, scenario_id in scopes:
        with session_scope() as session:  # one scope per transaction: its lock is held only that long
            owed = session.execute(select(exists().where(_INTENTS.c.tenant_id == tenant_id,
                                                         _INTENTS.c.scope_key == key))).scalar()
            if owed:
                continue
            before = _stored(session, tenant_id, key, start, end)
            savepoint = session.begin_nested()
            service.refresh(session=session, tenant_id=tenant_id, scenario_id=scenario_id, org_unit_ids=None,
                            start=start, end=end)
            after = _stored(session, tenant_id, key, start, end)
            if before == after:
                savepoint.rollback()
                continue
            savepoint.commit()
            changed = len(before ^ after)
            logger.error("rollups of tenant %s scope %s for %s..%s differed from their records (%d rows); repaired",
                         tenant_id, scenario_id, start, end, changed)
            repairs.append(Repair(tenant_id, scenario_id, start, end, changed))
    return repairs


# --- org events -> owed refreshes ------------------------------------------------------------------


def _open_end(end: dt.date | None, start: dt.date) -> dt.date:
    # Usage dates are the vendor's (UTC) days, never later than tomorrow in UTC.
    return end if end is not None else max(start, clock.utcnow().date() + dt.timedelta(days=1))


def on_placement_changed(event: events.PlacementChanged) -> None:
    queue_rollup_refresh(
        tenant_id=event.tenant_id, scenario_id=event.scenario_id, start=event.start,
        end=_open_end(event.end, event.start), org_unit_ids=event.org_unit_ids,
    )


def on_org_unit_moved(event: events.OrgUnitMoved) -> None:
    """The moved unit's usage leaves its old ancestors' subtrees and joins the new ones', on every
    day it had usage."""
    with session_scope() as session:
        span = service.usage_span(
            session=session, tenant_id=event.tenant_id, scenario_id=event.scenario_id, org_unit_id=event.org_unit_id
        )
        if span is None:
            return
        parents = [p for p in (event.old_parent_id, event.new_parent_id) if p is not None]
        owe_refresh(session, tenant_id=event.tenant_id, scenario_id=event.scenario_id, start=span[0], end=span[1],
                    org_unit_ids=[event.org_unit_id, *parents])


def subscribe_to_org_events() -> None:
    """Placement changes and unit moves owe rollup refreshes (idempotent; call at start-up)."""
    events.subscribe(events.PlacementChanged, on_placement_changed)
    events.subscribe(events.OrgUnitMoved, on_org_unit_moved)
