"""Integration health events, delivered at once, inside the transaction that changed the status.

`health.record` emits them; the alert rules (`orgonaut.notify.alerts`) subscribe in
`orgonaut.wiring.install()`, so the integrations domain does not know who listens. Unlike org events
(`orgonaut.org.events`, delivered after commit), what a subscriber writes here (notifications, outbox
rows, the cooldown mark) belongs to the status change itself: it commits or rolls back with it. So
handlers get the caller's session, run synchronously in subscription order, and an exception reaches
the caller, as it would from a direct call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session

from orgonaut.integrations.models import Integration, IntegrationStatus


@dataclass(frozen=True)
class HealthChanged:
    """The integration's status changed (flushed, not committed)."""

    session: Session
    integration: Integration
    previous: IntegrationStatus
    current: IntegrationStatus


@dataclass(frozen=True)
class StillFailing:
    """A sync or test failed while the integration was already in error: the same episode goes on."""

    session: Session
    integration: Integration


IntegrationEvent = HealthChanged | StillFailing
E = TypeVar("E", HealthChanged, StillFailing)

_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call `handler(event)` for every event of this type; a handler already subscribed is kept once."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def emit(event: IntegrationEvent) -> None:
    for handler in list(_subscribers.get(type(event), ())):
        handler(event)
