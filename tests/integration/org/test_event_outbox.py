"""Org change events are delivered at least once: recorded with the change, forgotten once every
handler ran, delivered again by `redeliver` when a process died after the commit or a handler raised."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.db import get_engine
from orgonaut.org import events, service
from orgonaut.org.models import OrgEventOutbox


def outbox() -> list[OrgEventOutbox]:
    with Session(get_engine()) as fresh:
        return list(fresh.exec(select(OrgEventOutbox).order_by(OrgEventOutbox.id)))


def create_neo(session, org):
    return service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Neo",
                                email="neo@x.test")


def test_an_event_is_recorded_with_its_change_and_forgotten_once_delivered(session, org, recorder):
    create_neo(session, org)
    [recorded] = session.exec(select(OrgEventOutbox)).all()  # in the change's own transaction
    assert recorded.kind == "ActorCreated" and recorded.payload["email"] == "neo@x.test"
    session.commit()
    assert len(recorder.events) == 1
    assert outbox() == []


def test_a_rolled_back_change_records_nothing(session, org, recorder):
    create_neo(session, org)
    session.rollback()
    assert outbox() == []
    assert events.redeliver(older_than=dt.timedelta(0)) == []
    assert recorder.events == []


def test_an_event_whose_handler_failed_is_delivered_again_until_it_succeeds(session, org, recorder):
    failures = ["database is locked"]

    def flaky(event):
        if failures:
            raise RuntimeError(failures.pop())

    events.subscribe(events.ActorCreated, flaky)
    actor = create_neo(session, org)
    session.commit()
    [kept] = outbox()
    assert (kept.kind, kept.attempts) == ("ActorCreated", 0)
    # Not yet: the first attempt is recent (another process may still be delivering it).
    assert events.redeliver() == []
    later = clock.utcnow() + events.REDELIVER_AFTER + dt.timedelta(seconds=1)
    with clock.frozen_at(later):
        assert events.redeliver() == [kept.id]
    assert outbox() == []
    # Every handler ran again (they are idempotent), with the event as it was emitted.
    created = events.ActorCreated(tenant_id=org.tenant_id, scenario_id=None, actor_id=actor.id, email="neo@x.test")
    assert recorder.events == [created, created]


def test_an_event_left_by_a_process_that_died_after_the_commit_is_delivered(session, org, recorder):
    """The row a crashed web process left: committed, never delivered (it came from another session)."""
    placement_event = events.PlacementChanged(
        tenant_id=org.tenant_id, scenario_id=None, placement_id=7, actor_id=org.ada.id,
        org_unit_ids=(org.core.id, org.checkout.id), change="ended", start=dt.date(2026, 1, 1), end=None)
    session.add(OrgEventOutbox(tenant_id=org.tenant_id, kind="PlacementChanged",
                               payload={"tenant_id": org.tenant_id, "scenario_id": None, "placement_id": 7,
                                        "actor_id": org.ada.id, "org_unit_ids": [org.core.id, org.checkout.id],
                                        "change": "ended", "start": "2026-01-01", "end": None},
                               attempted_at=clock.utcnow() - dt.timedelta(minutes=10)))
    session.commit()
    [row] = outbox()
    assert events.redeliver() == [row.id]
    assert recorder.events == [placement_event]  # dates and tuples come back as they were
    assert outbox() == []


def test_an_event_that_keeps_failing_is_given_up_after_max_attempts(session, org, caplog):
    def broken(event):
        raise RuntimeError("subscriber exploded")

    events.subscribe(events.ActorCreated, broken)
    create_neo(session, org)
    session.commit()
    moment = clock.utcnow()
    for _ in range(events.MAX_ATTEMPTS + 2):
        moment += events.REDELIVER_AFTER + dt.timedelta(seconds=1)
        with clock.frozen_at(moment):
            events.redeliver()
    [row] = outbox()
    assert row.attempts == events.MAX_ATTEMPTS
    assert "giving up on org event" in caplog.text
