"""Person identities ("also known as"): normalisation per kind, one person per value, refusals that name
the holder and change nothing, removal, moving, read-only scopes, scenario copies, and linking the same
person in every writable scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from orgonaut.errors import Conflict, NotFound, ReadOnlyScope, ValidationFailed
from orgonaut.org import events, identities, service
from orgonaut.org.models import IdentityKind
from tests.factories import make_tenant
from tests.integration.org.conftest import org_state


def identity_rows(session) -> list[tuple]:
    return [tuple(row) for row in session.execute(sa.text(
        "SELECT tenant_id, scenario_id, scope_key, actor_id, kind, value FROM actor_identities ORDER BY id"))]


@pytest.fixture
def identity_events():
    seen: list = []
    events.subscribe(events.ActorIdentityChanged, seen.append)
    return seen


@pytest.mark.parametrize(("kind", "given", "stored"), [
    ("email", "  Ada.Personal@Example.COM ", "ada.personal@example.com"),
    ("github_login", " @Ada-L ", "ada-l"),
    ("github_login", "ada_acme", "ada_acme"),
    ("github_user_id", " 00583231 ", "583231"),
    ("cursor_user_id", " user_AbC123 ", "user_AbC123"),
])
def test_values_are_stored_normalised(session, org, identity_events, kind, given, stored):
    identity = service.add_identity(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id, kind=kind,
                                    value=given)
    session.commit()
    assert (identity.kind, identity.value) == (IdentityKind(kind), stored)
    assert identity_rows(session) == [(org.tenant_id, None, 0, org.ada.id, kind, stored)]
    assert [(e.actor_id, e.kind, e.value, e.change) for e in identity_events] == [
        (org.ada.id, kind, stored, "added")]


def test_the_default_kind_is_email(session, org):
    identity = service.add_identity(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id,
                                    value="ada@old-domain.test")
    assert identity.kind == IdentityKind.email


@pytest.mark.parametrize(("kind", "value", "error", "message"), [
    ("email", "   ", ValidationFailed, "Enter the e-mail."),
    ("email", "not-an-address", ValidationFailed, "'not-an-address' is not a valid e-mail address."),
    ("github_login", "", ValidationFailed, "Enter the GitHub login."),
    ("github_login", "ada lovelace", ValidationFailed, "'ada lovelace' is not a GitHub login (letters, digits and "
                                                       "hyphens)."),
    ("github_user_id", "12ab", ValidationFailed, "'12ab' is not a GitHub user id (a number, e.g. 583231)."),
    ("cursor_user_id", "a b", ValidationFailed, "'a b' is not a Cursor user id (no spaces)."),
    ("slack", "x", ValidationFailed, "Unknown identity kind 'slack'. Valid: email, github_login, github_user_id, "
                                     "cursor_user_id, codex_user_id, claude_user_id, api_key, service_account."),
    ("api_key", "ci-bot", ValidationFailed, "An API key's usage lands on a robot or an agent, and Ada is a person: "
                                            "add a robot or agent actor for it."),
])
def test_bad_input_is_refused_and_changes_nothing(session, org, kind, value, error, message):
    before = org_state(session), identity_rows(session)
    with pytest.raises(error) as refused:
        service.add_identity(session=session, tenant_id=org.tenant_id, actor_id=org.ada.id, kind=kind, value=value)
    assert str(refused.value) == message
    assert (org_state(session), identity_rows(session)) == before


def test_a_value_belongs_to_one_person_and_refusals_name_who_holds_it(session, org, identity_events):
    t = org.tenant_id
    service.add_identity(session=session, tenant_id=t, actor_id=org.ada.id, kind="github_login", value="ada-l")
    service.add_identity(session=session, tenant_id=t, actor_id=org.ada.id, value="ada@home.test")
    session.commit()
    before = identity_rows(session)
    cases = [
        (org.bob.id, "github_login", "ADA-L", Conflict, "The GitHub login ada-l already belongs to Ada."),
        (org.bob.id, "email", "Ada@Home.test", Conflict, "The e-mail ada@home.test already belongs to Ada."),
        (org.ada.id, "email", "ada@home.test", Conflict, "Ada already has the e-mail ada@home.test."),
        (org.bob.id, "email", org.ada.email, Conflict,
         f"{org.ada.email} is the primary e-mail of Ada; an address belongs to one person."),
        (org.ada.id, "email", org.ada.email.upper(), ValidationFailed, f"{org.ada.email} is already Ada's primary "
                                                                       "e-mail."),
    ]
    for actor_id, kind, value, error, message in cases:
        with pytest.raises(error) as refused:
            service.add_identity(session=session, tenant_id=t, actor_id=actor_id, kind=kind, value=value)
        assert str(refused.value) == message
    assert identity_rows(session) == before
    # The same value of another kind is another identity: a GitHub login may equal a Cursor id.
    service.add_identity(session=session, tenant_id=t, actor_id=org.bob.id, kind="cursor_user_id", value="ada-l")
    # A primary e-mail may not take another person's "also known as" address either.
    with pytest.raises(Conflict, match="already used by Ada"):
        service.update_actor(session=session, tenant_id=t, actor_id=org.bob.id, email="ADA@home.test")
    with pytest.raises(Conflict, match="already used by Ada"):
        service.create_actor(session=session, tenant_id=t, scenario_id=None, name="New", email="ada@home.test")


def test_move_takes_the_value_from_its_holder_and_remove_frees_it(session, org, identity_events):
    t = org.tenant_id
    service.add_identity(session=session, tenant_id=t, actor_id=org.ada.id, value="shared@agency.test")
    session.commit()
    moved = service.add_identity(session=session, tenant_id=t, actor_id=org.bob.id, value="shared@agency.test",
                                 move=True)
    session.commit()
    assert identity_rows(session) == [(t, None, 0, org.bob.id, "email", "shared@agency.test")]
    assert [i.value for i in service.list_identities(session=session, tenant_id=t, actor_id=org.ada.id)] == []
    service.remove_identity(session=session, tenant_id=t, identity_id=moved.id)
    session.commit()
    assert identity_rows(session) == []
    assert [(e.actor_id, e.change) for e in identity_events] == [
        (org.ada.id, "added"), (org.bob.id, "moved"), (org.bob.id, "removed")]
    with pytest.raises(NotFound):
        service.remove_identity(session=session, tenant_id=t, identity_id=moved.id)


def test_another_tenant_sees_nothing_and_read_only_scopes_refuse(session, org):
    t = org.tenant_id
    identity = service.add_identity(session=session, tenant_id=t, actor_id=org.ada.id, value="ada@home.test")
    session.commit()
    other = make_tenant(session)
    session.commit()
    with pytest.raises(NotFound):
        service.add_identity(session=session, tenant_id=other.id, actor_id=org.ada.id, value="x@y.test")
    with pytest.raises(NotFound):
        service.remove_identity(session=session, tenant_id=other.id, identity_id=identity.id)
    snapshot = service.create_snapshot(session=session, tenant_id=t, name="Snap")
    session.commit()
    snap_ada = service.get_actor_by_external_uid(session=session, tenant_id=t, scenario_id=snapshot.id,
                                                 external_uid=org.ada.external_uid)
    [copied] = service.list_identities(session=session, tenant_id=t, actor_id=snap_ada.id)
    with pytest.raises(ReadOnlyScope):
        service.add_identity(session=session, tenant_id=t, actor_id=snap_ada.id, value="z@y.test")
    with pytest.raises(ReadOnlyScope):
        service.remove_identity(session=session, tenant_id=t, identity_id=copied.id)


def test_a_scenario_copies_identities_to_the_copied_people(session, org):
    t = org.tenant_id
    service.add_identity(session=session, tenant_id=t, actor_id=org.ada.id, value="ada@home.test")
    service.add_identity(session=session, tenant_id=t, actor_id=org.bob.id, kind="github_login", value="bob")
    scenario = service.create_scenario(session=session, tenant_id=t, name="Plan")
    session.commit()
    copies = {
        a.name: a for a in (service.get_actor_by_external_uid(session=session, tenant_id=t, scenario_id=scenario.id,
                                                              external_uid=x.external_uid) for x in (org.ada, org.bob))
    }
    assert [(i.scenario_id, i.scope_key, i.kind, i.value) for i in
            service.list_identities(session=session, tenant_id=t, actor_id=copies["Ada"].id)] == [
        (scenario.id, scenario.id, "email", "ada@home.test")]
    assert [i.value for i in service.list_identities(session=session, tenant_id=t, actor_id=copies["Bob"].id)] == [
        "bob"]
    # Each scope is its own: the value is free to a different person in the scenario only after a move there.
    with pytest.raises(Conflict, match="already belongs to Ada"):
        service.add_identity(session=session, tenant_id=t, actor_id=copies["Bob"].id, value="ada@home.test")


def test_link_everywhere_adds_the_value_to_the_same_person_in_every_writable_scope(session, org, identity_events):
    t = org.tenant_id
    plan = service.create_scenario(session=session, tenant_id=t, name="Plan")
    busy = service.create_scenario(session=session, tenant_id=t, name="Busy")
    archived = service.create_scenario(session=session, tenant_id=t, name="Old")
    snapshot = service.create_snapshot(session=session, tenant_id=t, name="Snap")
    service.archive_scenario(session=session, tenant_id=t, scenario_id=archived.id)
    busy_bob = service.get_actor_by_external_uid(session=session, tenant_id=t, scenario_id=busy.id,
                                                 external_uid=org.bob.external_uid)
    service.add_identity(session=session, tenant_id=t, actor_id=busy_bob.id, value="contractor@agency.test")
    session.commit()
    identity_events.clear()
    plan_ada = service.get_actor_by_external_uid(session=session, tenant_id=t, scenario_id=plan.id,
                                                 external_uid=org.ada.external_uid)

    # Asked from the scenario: the scenario's Ada first, then Live's; Busy gave it to Bob already.
    result = service.link_everywhere(session=session, tenant_id=t, actor_id=plan_ada.id,
                                     value=" Contractor@Agency.test")
    session.commit()

    assert [(i.scenario_id, i.actor_id) for i in result.identities] == [(plan.id, plan_ada.id), (None, org.ada.id)]
    assert result.skipped == ["Busy: The e-mail contractor@agency.test already belongs to Bob."]
    assert {(e.scenario_id, e.actor_id, e.value) for e in identity_events} == {
        (plan.id, plan_ada.id, "contractor@agency.test"), (None, org.ada.id, "contractor@agency.test")}
    held = {row[1] for row in identity_rows(session) if row[5] == "contractor@agency.test"}
    assert held == {None, plan.id, busy.id}  # not the archived scenario, not the snapshot
    assert archived.id not in held and snapshot.id not in held
    # A refusal in the asked scope changes nothing anywhere.
    before = identity_rows(session)
    with pytest.raises(Conflict, match="already belongs to Ada"):
        service.link_everywhere(session=session, tenant_id=t, actor_id=org.bob.id, value="contractor@agency.test")
    assert identity_rows(session) == before


def test_labels_cover_every_kind():
    assert [identities.label(kind) for kind in IdentityKind] == [
        "e-mail", "GitHub login", "GitHub user id", "Cursor user id", "Codex user id", "Claude user id", "API key",
        "service account"]
