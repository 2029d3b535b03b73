"""Org change events, defined in one place, delivered after the commit that made the change.

Services call `emit(session, event)`; subscribers run once the session's transaction commits (never
for a rolled-back change, nor for one made inside a savepoint that was rolled back). Handlers get the
event only and open their own sessions. A handler that raises is logged and does not reach the caller
or the other handlers.
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

from sqlalchemy.orm import Session

from orgonaut.db import after_commit

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


OrgEvent = ActorCreated | ActorEmailChanged | PlacementChanged | OrgUnitMoved | ScenarioCreated
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


def emit(session: Session, event: OrgEvent) -> None:
    """Queue `event` on the session; it is delivered after the session's transaction commits."""
    after_commit(session, functools.partial(_deliver, event))


def _deliver(event: OrgEvent) -> None:
    for handler in list(_subscribers.get(type(event), ())):
        try:
            handler(event)
        except Exception:
            logger.exception("Org event handler %r failed for %r", handler, event)
