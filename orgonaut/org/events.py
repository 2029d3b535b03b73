"""Org change events, defined in one place, delivered after the commit that made the change, at least once.

Services call `emit(session, event)`; subscribers run once the session's transaction commits (never
for a rolled-back change, nor for one made inside a savepoint that was rolled back). Handlers get the
event only and open their own sessions. A handler that raises is logged and does not reach the caller
or the other handlers.

Delivery is durable: `emit` also writes the event to `org_event_outbox` in the changing transaction,
and the row is deleted once every handler ran. A process that dies after the commit, or a handler
that raised, leaves the row; `redeliver` (beat, every minute) delivers it again. So handlers must be
idempotent (re-matching is; an extra owed rollup refresh is harmless).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from orgonaut.clock import utcnow
from orgonaut.db import after_commit, session_scope, table_of
from orgonaut.org.models import OrgEventOutbox

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActorCreated:
    tenant_id: int
    scenario_id: int | None
    actor_id: int
    email: str


@dataclass(frozen=True)
class ActorEmailChanged:
    tenant_id: int
    scenario_id: int | None
    actor_id: int
    old_email: str
    new_email: str


@dataclass(frozen=True)
class ActorIdentityChanged:
    """An identity (`org.identities`) was added to, moved to, or removed from a person: usage carrying
    that value may belong to someone else now."""

    tenant_id: int
    scenario_id: int | None
    actor_id: int
    kind: str  # an IdentityKind value
    value: str  # normalised
    change: str  # "added" | "moved" | "removed"


@dataclass(frozen=True)
class PlacementChanged:
    tenant_id: int
    scenario_id: int | None
    placement_id: int
    actor_id: int
    # Every unit the placement was or is in (old and new on a move).
    org_unit_ids: tuple[int, ...]
    change: str  # "created" | "changed" | "ended"
    # The dates the change touches: the old and the new range unioned (end None = open-ended).
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class OrgUnitMoved:
    """A unit got a new parent: rollups of both the old and the new ancestors change."""

    tenant_id: int
    scenario_id: int | None
    org_unit_id: int
    old_parent_id: int | None
    new_parent_id: int | None


@dataclass(frozen=True)
class ScenarioCreated:
    """A scenario or snapshot was created. Its copied rows fire no events of their own: the whole
    scope is new."""

    tenant_id: int
    scenario_id: int


OrgEvent = ActorCreated | ActorEmailChanged | ActorIdentityChanged | PlacementChanged | OrgUnitMoved | ScenarioCreated
E = TypeVar("E")

_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)
# session.info key: the events waiting for this session's commit, each with the transaction it was
# emitted in (so a rolled-back savepoint drops its own events only).


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler(event)` after each commit that emitted an event of this type."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    if handler in _subscribers.get(event_type, []):
        _subscribers[event_type].remove(handler)


def clear_subscribers() -> None:
    _subscribers.clear()


@contextlib.contextmanager
def isolated_subscribers() -> Iterator[None]:
    """Tests: no subscribers inside the block; the ones registered before are back afterwards."""
    saved = {event_type: list(handlers) for event_type, handlers in _subscribers.items()}
    _subscribers.clear()
    try:
        yield
    finally:
        _subscribers.clear()
        _subscribers.update(saved)


_OUTBOX = table_of(OrgEventOutbox)
_KINDS: dict[str, type] = {kind.__name__: kind for kind in
                           (ActorCreated, ActorEmailChanged, ActorIdentityChanged, PlacementChanged, OrgUnitMoved,
                            ScenarioCreated)}
# An event whose delivery was attempted this long ago without finishing is delivered again.
REDELIVER_AFTER = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 10


def emit(session: Session, event: OrgEvent) -> None:
    """Record `event` in the session's transaction; it is delivered after that transaction commits."""
    row = OrgEventOutbox(tenant_id=event.tenant_id, kind=type(event).__name__, payload=msgspec.to_builtins(event),
                         attempted_at=utcnow())
    session.add(row)
    session.flush()
    after_commit(session, functools.partial(_deliver_recorded, row.id, event))


def _deliver(event: OrgEvent) -> bool:
    """Runs every handler; False if one raised (the others still ran)."""
    delivered = True
    for handler in list(_subscribers.get(type(event), ())):
        try:
            handler(event)
        except Exception:
            delivered = False
            logger.exception("Org event handler %r failed for %r", handler, event)
    return delivered


def _deliver_recorded(row_id: int, event: OrgEvent) -> None:
    if _deliver(event):
        _forget(row_id)


def _forget(row_id: int) -> None:
    try:
        with session_scope() as session:
            session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == row_id))
    except Exception:  # delivered, but the row stays: it is delivered again, which handlers allow
        logger.warning("could not forget delivered org event %s", row_id, exc_info=True)


def redeliver(*, older_than: dt.timedelta = REDELIVER_AFTER, limit: int = 500) -> list[int]:
    """Delivers again the recorded events whose last attempt is older than `older_than` (a process
    died after the commit, or a handler raised). Returns the ids delivered; gives up (and logs) after
    MAX_ATTEMPTS on one event."""
    cutoff = utcnow() - older_than
    with session_scope() as session:
        rows = session.execute(
            select(_OUTBOX.c.id, _OUTBOX.c.kind, _OUTBOX.c.payload, _OUTBOX.c.attempts)
            .where(_OUTBOX.c.attempts < MAX_ATTEMPTS,
                   (_OUTBOX.c.attempted_at.is_(None)) | (_OUTBOX.c.attempted_at < cutoff))
            .order_by(_OUTBOX.c.id).limit(limit)
        ).all()
    delivered = []
    for row_id, kind, payload, attempts in rows:
        with session_scope() as session:  # claim it: another reaper skips it for a while
            claimed = session.execute(
                update(_OUTBOX).where(_OUTBOX.c.id == row_id, _OUTBOX.c.attempts == attempts)
                .values(attempts=attempts + 1, attempted_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            continue
        event: OrgEvent = msgspec.convert(payload, type=_KINDS[kind])
        if _deliver(event):
            _forget(row_id)
            delivered.append(row_id)
        elif attempts + 1 >= MAX_ATTEMPTS:
            logger.error("giving up on org event %s (%s) after %d attempts", row_id, kind, attempts + 1)
    return delivered
