"""Change events fire once per change, after the commit, never for a rollback."""

import datetime as dt
import logging

from sqlmodel import Session, select

from orgonaut.db import get_engine
from orgonaut.org import events, service
from orgonaut.org.models import Actor
from tests.integration.org.conftest import DAY


def test_events_wait_for_the_commit_and_fire_once(session, org, recorder):
    actor = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="Neo", email="Neo@X.test"
    )
    placement = service.create_placement(
        session=session, tenant_id=org.tenant_id, actor_id=actor.id, org_unit_id=org.core.id, start_date=DAY,
        is_primary=True,
    )
    service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=actor.id, email="the.one@x.test")
    service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=actor.id, name="Thomas")  # no e-mail
    assert recorder.events == []
    session.commit()
    expected = [
        events.ActorCreated(tenant_id=org.tenant_id, scenario_id=None, actor_id=actor.id, email="neo@x.test"),
        events.PlacementChanged(
            tenant_id=org.tenant_id, scenario_id=None, placement_id=placement.id, actor_id=actor.id,
            org_unit_ids=(org.core.id,), change="created", start=DAY, end=None,
        ),
        events.ActorEmailChanged(
            tenant_id=org.tenant_id, scenario_id=None, actor_id=actor.id, old_email="neo@x.test",
            new_email="the.one@x.test",
        ),
    ]
    assert recorder.events == expected
    session.commit()
    assert recorder.events == expected


def test_rolled_back_changes_fire_nothing(session, org, recorder):
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Ghost", email="g@x.test")
    session.rollback()
    session.commit()
    assert recorder.events == []
    assert session.exec(select(Actor).where(Actor.email == "g@x.test")).first() is None


def test_a_closed_session_without_commit_fires_nothing(org, recorder):
    with Session(get_engine()) as other:
        service.create_actor(session=other, tenant_id=org.tenant_id, scenario_id=None, name="Ghost",
                             email="g@x.test")
    with Session(get_engine()) as other:
        other.commit()
    assert recorder.events == []


def test_a_rolled_back_savepoint_drops_only_its_own_events(session, org, recorder):
    kept = service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Kept",
                                email="kept@x.test")
    savepoint = session.begin_nested()
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Lost", email="lost@x.test")
    savepoint.rollback()
    inner = session.begin_nested()
    released = service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Released",
                                    email="released@x.test")
    inner.commit()
    session.commit()
    assert [e.actor_id for e in recorder.of(events.ActorCreated)] == [kept.id, released.id]


def test_a_failing_handler_is_logged_and_does_not_stop_the_others(session, org, recorder, caplog):
    def broken(event):
        raise RuntimeError("subscriber exploded")

    events.clear_subscribers()
    events.subscribe(events.ActorCreated, broken)
    events.subscribe(events.ActorCreated, recorder.events.append)
    events.subscribe(events.ActorCreated, recorder.events.append)  # a second subscribe is a no-op
    with caplog.at_level(logging.ERROR, logger="orgonaut.org.events"):
        actor = service.create_actor(
            session=session, tenant_id=org.tenant_id, scenario_id=None, name="Neo", email="neo@x.test"
        )
        session.commit()
    assert [e.actor_id for e in recorder.events] == [actor.id]
    assert "subscriber exploded" in caplog.text


def test_handlers_can_read_the_committed_change_in_their_own_session(session, org):
    seen = []

    def lookup(event):
        with Session(get_engine()) as own:
            seen.append(own.get(Actor, event.actor_id).email)

    events.subscribe(events.ActorCreated, lookup)
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Neo", email="neo@x.test")
    session.commit()
    assert seen == ["neo@x.test"]


def test_unsubscribe_and_clear_subscribers_stop_delivery(session, org, recorder):
    other = []
    events.subscribe(events.ActorCreated, other.append)
    events.unsubscribe(events.ActorCreated, recorder.events.append)
    first = service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Neo",
                                 email="neo@x.test")
    session.commit()
    events.clear_subscribers()
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Trin", email="t@x.test")
    session.commit()
    assert recorder.events == []
    assert [e.actor_id for e in other] == [first.id]


def test_isolated_subscribers_puts_the_previous_ones_back(session, org):
    outside = []
    events.subscribe(events.ActorCreated, outside.append)
    with events.isolated_subscribers():
        inside = []
        events.subscribe(events.ActorCreated, inside.append)
        service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="A", email="a@x.test")
        session.commit()
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="B", email="b@x.test")
    session.commit()
    assert ([e.email for e in inside], [e.email for e in outside]) == (["a@x.test"], ["b@x.test"])


def test_placement_events_union_old_and_new_dates(session, org, recorder):
    later = DAY + dt.timedelta(days=100)
    service.update_placement(
        session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id,
        start_date=DAY, end_date=later,
    )
    service.update_placement(
        session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id,
        start_date=DAY + dt.timedelta(days=10), end_date=later + dt.timedelta(days=5),
    )
    session.commit()
    assert [(e.change, e.start, e.end) for e in recorder.events] == [
        ("changed", DAY - dt.timedelta(days=365), None),
        ("changed", DAY, later + dt.timedelta(days=5)),
    ]
