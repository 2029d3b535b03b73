"""The health state machine: the one place that turns what happened into an integration's status.

Events come from connection tests, sync runs and the operator's actions. `record()` sets status and
the error fields and, when the status changes, emits `events.HealthChanged` inside the same transaction
(and `events.StillFailing` for a failure while already in error, so the alert rules, which subscribe to
both, can remind after their cooldown).

| event            | active / error        | paused          | disconnected |
|------------------|-----------------------|-----------------|--------------|
| connected        | active, error cleared | active          | active       |
| test_succeeded   | active, error cleared | paused          | disconnected |
| test_failed      | error                 | paused (noted)  | disconnected |
| sync_succeeded   | active, error cleared | paused          | disconnected |
| sync_failed      | error                 | paused (noted)  | disconnected |
| paused           | paused                | paused          | disconnected |
| resumed          | active, error cleared | active          | disconnected |
| disconnected     | disconnected          | disconnected    | disconnected |
| plan_downgraded  | unchanged (noted)     | unchanged       | disconnected |

A plan downgrade does not change the status: syncs no-op until the tenant upgrades and then carry on
by themselves; the reason is kept in `last_error` so the page can say why nothing arrives.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from orgonaut.clock import utcnow
from orgonaut.integrations import events
from orgonaut.integrations.error_kinds import ErrorKind
from orgonaut.integrations.models import Integration, IntegrationStatus


class HealthEvent(StrEnum):
    connected = "connected"  # credentials stored after a successful test (also a reconnect)
    test_succeeded = "test_succeeded"
    test_failed = "test_failed"
    sync_succeeded = "sync_succeeded"
    sync_failed = "sync_failed"
    paused = "paused"
    resumed = "resumed"
    disconnected = "disconnected"
    plan_downgraded = "plan_downgraded"


_FAILURES = {HealthEvent.test_failed, HealthEvent.sync_failed}
_SUCCESSES = {HealthEvent.test_succeeded, HealthEvent.sync_succeeded}


def _next_status(current: IntegrationStatus, event: HealthEvent) -> IntegrationStatus:
    if event == HealthEvent.connected:
        return IntegrationStatus.active
    if current == IntegrationStatus.disconnected or event == HealthEvent.disconnected:
        return IntegrationStatus.disconnected
    if event == HealthEvent.paused:
        return IntegrationStatus.paused
    if event == HealthEvent.resumed:
        return IntegrationStatus.active
    if current == IntegrationStatus.paused or event == HealthEvent.plan_downgraded:
        return current
    if event in _SUCCESSES:
        return IntegrationStatus.active
    return IntegrationStatus.error


def _clear_error(integration: Integration) -> None:
    integration.last_error = None
    integration.last_error_kind = None
    integration.error_since = None


def record(
    *,
    session: Session,
    integration: Integration,
    event: HealthEvent,
    error_kind: ErrorKind | None = None,
    message: str | None = None,
) -> IntegrationStatus:
    """Applies `event` to `integration` (flushed, not committed) and returns the new status."""
    event = HealthEvent(event)
    if event in _FAILURES and not (error_kind and message):
        raise ValueError(f"{event} needs an error kind and a message")
    now = utcnow()
    previous = IntegrationStatus(integration.status)
    current = _next_status(previous, event)

    if event in (HealthEvent.sync_succeeded, HealthEvent.sync_failed):
        integration.last_sync_at = now
    if event == HealthEvent.sync_succeeded:
        integration.last_success_at = now

    if current == IntegrationStatus.active and event != HealthEvent.plan_downgraded:
        _clear_error(integration)
    elif event in _FAILURES or event == HealthEvent.plan_downgraded:
        if event == HealthEvent.plan_downgraded:
            error_kind = ErrorKind.plan_unavailable
            message = message or "The tenant's plan does not include AI Tooling usage sync; syncs are skipped."
        if integration.error_since is None:
            integration.error_since = now
        integration.last_error = message
        integration.last_error_kind = error_kind
    elif event == HealthEvent.disconnected:
        _clear_error(integration)

    integration.status = current
    session.add(integration)
    session.flush()
    if current != previous:
        events.emit(events.HealthChanged(session=session, integration=integration, previous=previous, current=current))
    elif current == IntegrationStatus.error and event in _FAILURES:
        # The same failure goes on: the alert rules decide whether the cooldown allows a reminder.
        events.emit(events.StillFailing(session=session, integration=integration))
    return current
