"""The one function that asks for stored rollups to be refreshed, and the queued job's life cycle.

Callers (sync after a day is stored, re-matching, placement changes) say which actors' usage or
which org units changed and over which dates; this resolves the units (actors -> the units they were
placed in during those dates, plus every ancestor) and queues one Celery job per
(tenant, scope, unit set, date range).

Redis (the locks database) keeps two things per job:
- a de-duplication key, set with NX while the job waits: an identical request finds it and queues
  nothing. The job deletes it once it holds the scope's refresh lock, so a change committed after
  that point queues a new job rather than being missed by one already reading.
- a member of the scope's "pending" set, removed when the job ends: pages show "updating…" while
  the set is not empty. Members carry an expiry, so a lost job cannot leave a scope pending forever.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

import redis
from sqlalchemy.exc import OperationalError

from orgonaut import clock
from orgonaut.ai_tooling.models import scope_key
from orgonaut.db import session_scope
from orgonaut.errors import ValidationFailed
from orgonaut.org import events
from orgonaut.rollups import service
from orgonaut.settings import get_settings

# A queued job older than this no longer blocks an identical request nor shows as pending (the
# broker's visibility timeout is one hour, so by then it is lost or redelivered).
JOB_TTL_SECONDS = 3600
# A busy or dropped database connection, or a deadlock: another attempt may succeed.
RETRIABLE_ERRORS = (OperationalError,)
_PREFIX = "orgonaut:rollups"


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis:
    return _redis_for(get_settings().redis_locks_url)


def _pending_key(tenant_id: int, scenario_id: int | None) -> str:
    return f"{_PREFIX}:pending:{tenant_id}:{scope_key(scenario_id)}"


def _queued_key(tenant_id: int, scenario_id: int | None, units: list[int], start: dt.date, end: dt.date) -> str:
    digest = hashlib.sha256(f"{','.join(map(str, units))}|{start}|{end}".encode()).hexdigest()[:32]
    return f"{_PREFIX}:queued:{tenant_id}:{scope_key(scenario_id)}:{digest}"


def queue_rollup_refresh(
    *,
    tenant_id: int,
    scenario_id: int | None,
    start: dt.date,
    end: dt.date,
    actor_ids: Iterable[int] = (),
    org_unit_ids: Iterable[int] = (),
) -> bool:
    """Queue one de-duplicated refresh. Call after the commit that changed the data.

    Returns True when a job was queued, False when nothing needed one (no unit affected) or an
    identical job is still waiting. When a placement moved or ended, pass the units it left as
    `org_unit_ids` too: an actor resolves only to the units they are placed in now.
    """
    if start > end:
        raise ValidationFailed(f"The refresh range ends ({end}) before it starts ({start}).")
    with session_scope() as session:
        units = service.units_to_refresh(
            session=session, tenant_id=tenant_id, scenario_id=scenario_id, start=start, end=end,
            actor_ids=actor_ids, org_unit_ids=org_unit_ids,
        )
    if not units:
        return False
    client = _redis()
    queued_key = _queued_key(tenant_id, scenario_id, units, start, end)
    job_id = uuid.uuid4().hex
    if not client.set(queued_key, job_id, nx=True, ex=JOB_TTL_SECONDS):
        return False
    pending_key = _pending_key(tenant_id, scenario_id)
    client.zadd(pending_key, {job_id: clock.utcnow().timestamp() + JOB_TTL_SECONDS})
    client.expire(pending_key, JOB_TTL_SECONDS)
    job = {
        "tenant_id": tenant_id, "scenario_id": scenario_id, "org_unit_ids": units, "start": start.isoformat(),
        "end": end.isoformat(), "queued_key": queued_key, "job_id": job_id,
    }
    from workers.rollup_tasks import refresh_rollups  # workers import this module

    try:
        refresh_rollups.delay(job)
    except Exception:
        # Not queued: leave nothing behind that would block the next request or show "updating…".
        client.delete(queued_key)
        client.zrem(pending_key, job_id)
        raise
    return True


def refresh_pending(*, tenant_id: int, scenario_id: int | None) -> bool:
    """True while a refresh of this scope is queued or running (pages show "updating…")."""
    client = _redis()
    key = _pending_key(tenant_id, scenario_id)
    client.zremrangebyscore(key, "-inf", clock.utcnow().timestamp())
    return client.zcard(key) > 0


def run_refresh_job(*, job: dict[str, Any], final_attempt: bool = True) -> service.RefreshResult:
    """The queued job's work (called by the Celery task): refresh in one transaction, then clear
    the job's marks. A retriable failure that will be retried leaves the scope pending."""
    tenant_id, scenario_id = job["tenant_id"], job["scenario_id"]
    client = _redis()
    try:
        with session_scope() as session:
            result = service.refresh(
                session=session, tenant_id=tenant_id, scenario_id=scenario_id, org_unit_ids=job["org_unit_ids"],
                start=dt.date.fromisoformat(job["start"]), end=dt.date.fromisoformat(job["end"]),
                on_locked=lambda: client.delete(job["queued_key"]),
            )
    except RETRIABLE_ERRORS:
        if final_attempt:
            client.zrem(_pending_key(tenant_id, scenario_id), job["job_id"])
        raise
    except BaseException:
        client.zrem(_pending_key(tenant_id, scenario_id), job["job_id"])
        raise
    client.zrem(_pending_key(tenant_id, scenario_id), job["job_id"])
    return result


# --- org events -> refreshes ---------------------------------------------------------------------


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
    queue_rollup_refresh(
        tenant_id=event.tenant_id, scenario_id=event.scenario_id, start=span[0], end=span[1],
        org_unit_ids=[event.org_unit_id, *parents],
    )


def subscribe_to_org_events() -> None:
    """Placement changes and unit moves queue rollup refreshes (idempotent; call at start-up)."""
    events.subscribe(events.PlacementChanged, on_placement_changed)
    events.subscribe(events.OrgUnitMoved, on_org_unit_moved)
