"""R17/F14: re-matching after an org change survives a handler that fails (the database refused it):
the event stays recorded and its redelivery links the records, without waiting for a sync."""

from __future__ import annotations

import datetime as dt

from orgonaut import clock
from orgonaut.org import events
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect
from tests.integration.ai_tooling.test_targeting_and_matching import ADA, rows, run
from tests.support.refusals import database_refusing


def database_refusing_record_updates(session):
    """A real failure inside the re-match: the database refuses changes to usage records."""
    return database_refusing(session, "ai_tool_usage_records", "UPDATE")


def test_an_actor_created_while_re_matching_fails_is_matched_on_redelivery(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[2])
    assert rows(session, tenant.id, email=ADA) and all(r.actor_id is None for r in rows(session, tenant.id,
                                                                                          email=ADA))
    with database_refusing_record_updates(session):
        ada = add_actor(session, tenant.id, ADA)  # commits; the re-match handler fails
        assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {None}

    later = clock.utcnow() + events.REDELIVER_AFTER + dt.timedelta(seconds=1)
    with clock.frozen_at(later):
        assert len(events.redeliver()) == 1  # what beat does every minute

    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {ada.id}
