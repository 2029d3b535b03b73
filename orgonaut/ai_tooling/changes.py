"""Owed rollup refreshes: written with the change that makes rollups stale.

A change to usage records (a stored day, a re-match) or to the org tree calls `owe_refresh` in its
own transaction: a `rollup_refresh_intents` row commits with the change or not at all. After the
commit one refresh job per scope is sent by name (`REFRESH_TASK`, run by `orgonaut.rollups.queue`),
de-duplicated with a Redis key that the job deletes once it holds the scope's lock, so a backfill
that commits a day a second sends one job, not hundreds. A send that fails is logged, never raised:
the reaper sends again for intents whose last send is old.

It lives here, below the rollups, because the sync must record what it made stale without
importing the rollups domain (which reads these records).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable

from sqlmodel import Session

from orgonaut import clock, faultpoints, jobs, kv
from orgonaut.ai_tooling.models import RollupRefreshIntent, scope_key
from orgonaut.db import after_commit, session_scope, table_of
from orgonaut.errors import ValidationFailed

logger = logging.getLogger(__name__)

REFRESH_TASK = "orgonaut.rollups.refresh"
# The de-duplication key outlives a lost job only this long (the reaper resends anyway).
SENT_KEY_SECONDS = 300
INTENTS = table_of(RollupRefreshIntent)


def sent_key(tenant_id: int, scenario_id: int | None) -> str:
    return f"orgonaut:rollups:sent:{tenant_id}:{scope_key(scenario_id)}"


def owe_refresh(
    session: Session, *, tenant_id: int, scenario_id: int | None, start: dt.date, end: dt.date,
    actor_ids: Iterable[int] = (), org_unit_ids: Iterable[int] = (), records: bool = False,
) -> bool:
    """Records, in the caller's open transaction, that these actors' or units' rollups over the days
    start..end are stale; a refresh job is sent once the caller commits. False when nothing is owed.
    `records`: the usage records of those days changed (even if only unmatched ones): the whole
    tenant's rollups are owed then, with or without actors.

    When a placement moved or ended, pass the units it left as `org_unit_ids` too: actors resolve
    to the units they are placed in when the job runs.
    """
    if start > end:
        raise ValidationFailed(f"The refresh range ends ({end}) before it starts ({start}).")
    actors, units = sorted(set(actor_ids)), sorted(set(org_unit_ids))
    if not actors and not units and not records:
        return False
    now = clock.utcnow()
    session.execute(INTENTS.insert().values(
        tenant_id=tenant_id, scope_key=scope_key(scenario_id), scenario_id=scenario_id, start_date=start,
        end_date=end, actor_ids=actors, org_unit_ids=units, created_at=now, queued_at=now, attempts=0,
    ))
    after_commit(session, functools.partial(send_job, tenant_id, scenario_id))
    return True


def queue_rollup_refresh(
    *, tenant_id: int, scenario_id: int | None, start: dt.date, end: dt.date, actor_ids: Iterable[int] = (),
    org_unit_ids: Iterable[int] = (),
) -> bool:
    """`owe_refresh` in a transaction of its own, for callers reacting to a change already committed."""
    with session_scope() as session:
        return owe_refresh(session, tenant_id=tenant_id, scenario_id=scenario_id, start=start, end=end,
                           actor_ids=actor_ids, org_unit_ids=org_unit_ids)


def send_job(tenant_id: int, scenario_id: int | None, *, force: bool = False) -> bool:
    """Sends the scope's refresh job unless one is already waiting (`force`: send anyway)."""
    faultpoints.reach("before_refresh_send")
    try:
        if not force and not kv.locks().set(sent_key(tenant_id, scenario_id), "1", nx=True, ex=SENT_KEY_SECONDS):
            return False
        jobs.send(REFRESH_TASK, args=[tenant_id, scenario_id], queue=jobs.ROLLUP_QUEUE)
    except Exception:  # Redis or the broker is away: the intent stays and the reaper sends again
        logger.warning("could not send the rollup refresh of tenant %s scope %s; the reaper will retry",
                       tenant_id, scenario_id, exc_info=True)
        return False
    return True
