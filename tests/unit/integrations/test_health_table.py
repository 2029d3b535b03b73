"""The health state machine's transition table, exhaustively."""

from __future__ import annotations

import pytest

from orgonaut.integrations.health import HealthEvent, _next_status
from orgonaut.integrations.models import IntegrationStatus as S

E = HealthEvent
TABLE = {
    # event: (from active, from error, from paused, from disconnected)
    E.connected: (S.active, S.active, S.active, S.active),
    E.test_succeeded: (S.active, S.active, S.paused, S.disconnected),
    E.test_failed: (S.error, S.error, S.paused, S.disconnected),
    E.sync_succeeded: (S.active, S.active, S.paused, S.disconnected),
    E.sync_failed: (S.error, S.error, S.paused, S.disconnected),
    E.paused: (S.paused, S.paused, S.paused, S.disconnected),
    E.resumed: (S.active, S.active, S.active, S.disconnected),
    E.disconnected: (S.disconnected, S.disconnected, S.disconnected, S.disconnected),
    E.plan_downgraded: (S.active, S.error, S.paused, S.disconnected),
}


def test_every_event_is_in_the_table():
    assert set(TABLE) == set(HealthEvent)


@pytest.mark.parametrize("event", list(TABLE))
def test_transitions(event):
    starts = (S.active, S.error, S.paused, S.disconnected)
    assert tuple(_next_status(start, event) for start in starts) == TABLE[event]
