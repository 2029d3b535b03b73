"""Actors: e-mail, FTE and kind rules, their refusals, and tenant isolation."""

import re
from decimal import Decimal

import pytest

from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import service
from orgonaut.org.models import ActorKind, ActorStatus
from tests.factories import make_tenant
from tests.integration.org.conftest import org_state, robot


def test_create_actor_normalises_email_and_generates_an_external_uid(session, org, recorder):
    actor = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="  Grace Hopper ",
        email="  Grace.Hopper@Example.COM ", fte="0.5",
    )
    session.commit()
    stored = service.get_actor_or_raise(session=session, tenant_id=org.tenant_id, actor_id=actor.id)
    assert (stored.name, stored.email, stored.fte, stored.kind, stored.status) == (
        "Grace Hopper", "grace.hopper@example.com", Decimal("0.50"), ActorKind.human, ActorStatus.active,
    )
    assert len(stored.external_uid) == 32 and int(stored.external_uid, 16) >= 0
    other = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="Alan", email="alan@example.com",
        external_uid="hris-42",
    )
    assert other.external_uid == "hris-42"
    assert other.external_uid != stored.external_uid


def test_robots_and_agents_may_have_no_email_and_empty_emails_do_not_collide(session, org):
    first = robot(session, org)
    second = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="Helper", kind="agent", email="  ",
    )
    session.commit()
    assert (first.email, second.email) == ("", "")


def test_the_same_email_is_allowed_in_another_scope(session, org):
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    copy = service.get_actor_by_email(
        session=session, tenant_id=org.tenant_id, scenario_id=scenario.id, email=org.ada.email
    )
    assert copy is not None and copy.id != org.ada.id
    fresh = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=scenario.id, name="New", email="new@x.test"
    )
    live_twin = service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="New", email="NEW@x.test"
    )
    other_tenant = make_tenant(session)
    elsewhere = service.create_actor(
        session=session, tenant_id=other_tenant.id, scenario_id=None, name="Ada", email=org.ada.email
    )
    session.commit()
    assert {fresh.email, live_twin.email, elsewhere.email} == {"new@x.test", org.ada.email}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"email": "not-an-email"}, ValidationFailed, "'not-an-email' is not a valid e-mail address"),
        ({"email": "two@@x.test"}, ValidationFailed, "is not a valid e-mail address"),
        ({"email": "spa ce@x.test"}, ValidationFailed, "is not a valid e-mail address"),
        ({"email": ""}, ValidationFailed, "A person needs an e-mail address; only robots and agents may have none"),
        ({"email": " ADA@{slug}.test "}, Conflict, "The e-mail ada@{slug}.test is already used by Ada in this scope"),
        ({"fte": "0"}, ValidationFailed, "FTE must be between 0.01 and 3.00"),
        ({"fte": "3.01"}, ValidationFailed, "FTE must be between 0.01 and 3.00"),
        ({"fte": -1}, ValidationFailed, "FTE must be between 0.01 and 3.00"),
        ({"fte": "lots"}, ValidationFailed, "FTE must be a number between 0.01 and 3.00"),
        ({"fte": "NaN"}, ValidationFailed, "FTE must be"),
        ({"kind": "alien"}, ValidationFailed, "Unknown actor kind 'alien'. Valid: human, robot, agent"),
        ({"name": "   "}, ValidationFailed, "A human needs a name"),
    ],
)
def test_bad_actor_input_is_refused_and_changes_nothing(session, org, recorder, kwargs, error, message):
    args = {"name": "New Person", "email": "new.person@x.test"} | {
        key: value.format(slug=org.tenant.slug) if isinstance(value, str) else value for key, value in kwargs.items()
    }
    before = org_state(session)
    with pytest.raises(error, match=re.escape(message.format(slug=org.tenant.slug))):
        service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, **args)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"email": "bob@{slug}.test"}, Conflict, "already used by Bob in this scope"),
        ({"email": "nope"}, ValidationFailed, "'nope' is not a valid e-mail address"),
        ({"email": ""}, ValidationFailed, "A person needs an e-mail address"),
        ({"fte": "3.5"}, ValidationFailed, "FTE must be between 0.01 and 3.00"),
        ({"name": ""}, ValidationFailed, "A human needs a name"),
        ({"status": "gone"}, ValidationFailed, "Unknown actor status 'gone'"),
    ],
)
def test_bad_actor_update_is_refused_and_changes_nothing(session, org, recorder, kwargs, error, message):
    args = {key: value.format(slug=org.tenant.slug) for key, value in kwargs.items()}
    before = org_state(session)
    with pytest.raises(error, match=re.escape(message)):
        service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id, **args)
    assert org_state(session) == before
    session.commit()
    assert recorder.events == []


def test_a_robot_without_email_cannot_become_human(session, org):
    bot = robot(session, org)
    session.commit()
    before = org_state(session)
    with pytest.raises(ValidationFailed, match="A person needs an e-mail address"):
        service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=bot.id, kind="human")
    assert org_state(session) == before
    service.update_actor(
        session=session, tenant_id=org.tenant_id, actor_id=bot.id, kind="human", email="Bot@X.test", name="Bo"
    )
    session.commit()
    assert (bot.kind, bot.email, bot.name) == ("human", "bot@x.test", "Bo")


def test_update_actor_changes_only_given_fields(session, org):
    service.update_actor(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id, fte=2, status="inactive")
    session.commit()
    ada = service.get_actor_or_raise(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id)
    assert (ada.name, ada.email, ada.fte, ada.status) == ("Ada", f"ada@{org.tenant.slug}.test", Decimal("2.00"),
                                                          "inactive")


def test_another_tenants_actor_is_not_found(session, org):
    intruder = make_tenant(session)
    session.commit()
    before = org_state(session)
    assert service.get_actor(session=session, tenant_id=intruder.id, actor_id=org.ada.id) is None
    with pytest.raises(NotFound, match=f"Person {org.ada.id} was not found"):
        service.get_actor_or_raise(session=session, tenant_id=intruder.id, actor_id=org.ada.id)
    with pytest.raises(NotFound, match=f"Person {org.ada.id} was not found"):
        service.update_actor(session=session, tenant_id=intruder.id, actor_id=org.ada.id, name="Mallory")
    with pytest.raises(NotFound, match="Person 999999 was not found"):
        service.get_actor_or_raise(session=session, tenant_id=org.tenant_id, actor_id=999999)
    assert org_state(session) == before


def test_duplicate_external_uid_in_a_scope_is_refused(session, org):
    before = org_state(session)
    with pytest.raises(Conflict, match=f"external id '{org.ada.external_uid}' already exists in this scope"):
        service.create_actor(
            session=session, tenant_id=org.tenant_id, scenario_id=None, name="Twin", email="twin@x.test",
            external_uid=org.ada.external_uid,
        )
    assert org_state(session) == before
