"""Who sees whose usage through the API: every route asks `orgonaut.org.visibility`, and a person or
unit the token's user may not see is 404, worded exactly like another tenant's or a missing id.

Today the routes need `ai-tooling.manage`, which only owners and admins hold, so a member's or a
manager's real token stops at 403 before any id is read (first test). The rule in the routes must
hold on its own all the same (a role may be given API access later): the matrix below calls the
routes as a member and as managers by standing in for the token check (`current_token`), with every
ability, so only the visibility rule decides.

Acme: Engineering (department) > Core (team) with Alice, Bob and Idle; Dana placed in Engineering
itself. The member is Alice; the manager Dana (scope: Engineering and Core); the manager Bob (scope:
Core only).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session

from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Role, Tenant, User
from tests.integration.api.conftest import (
    AI,
    SmallOrg,
    bearer,
    new_token,
    rebuild_rollups,
    small_org,
    tenant_with_tokens,
)

MISSING = 2_000_000_000


@pytest.fixture
def acme(session: Session, frozen):
    world = tenant_with_tokens(session, slug="acme")
    org = small_org(session, world.tenant)
    session.commit()
    rebuild_rollups(session, world.tenant)
    return world, org


def _user(session: Session, tenant: Tenant, email: str, role: Role) -> User:
    user = User(tenant_id=tenant.id, email=email, role=role, password_hash="!")
    session.add(user)
    session.commit()
    return user


@pytest.fixture
def as_user(frozen):
    """A client on the API whose every request is `user`'s, with every ability (see the module's doc)."""
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_api
    from orgonaut.api.deps import current_token

    clients = []

    def make(user: User, tenant: Tenant):
        api = create_api()
        api.dependency_overrides[current_token] = lambda: tokens.TokenAccess(
            token_id=0, tenant=tenant, user=user, abilities=frozenset(Ability))
        client = TestClient(api)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def _routes(org: SmallOrg, actor: int) -> dict[str, str]:
    return {
        "summary": f"/ai-tooling/actors/{actor}/summary",
        "series": f"/ai-tooling/actors/{actor}/series",
        "records": f"/ai-tooling/usage?actor_id={actor}",
    }


def _sees_actor(client, org: SmallOrg, actor: int) -> bool:
    """200 on every person route, or 404 on each worded exactly like a missing id."""
    answers = {name: client.get(route) for name, route in _routes(org, actor).items()}
    if all(a.status_code == 200 for a in answers.values()):
        return True
    for name, answer in answers.items():
        missing = client.get(_routes(org, MISSING)[name])
        assert answer.status_code == missing.status_code == 404, (name, answer.text)
        assert answer.json() == {"error": {**missing.json()["error"],
                                           "message": missing.json()["error"]["message"].replace(str(MISSING),
                                                                                                str(actor))}}
    return False


def _sees_unit(client, kind: str, unit_id: int) -> bool:
    answer = client.get(f"/ai-tooling/{kind}/{unit_id}/summary")
    if answer.status_code == 200:
        return True
    missing = client.get(f"/ai-tooling/{kind}/{MISSING}/summary")
    assert answer.status_code == missing.status_code == 404
    assert answer.json()["error"]["message"] == missing.json()["error"]["message"].replace(str(MISSING), str(unit_id))
    return False


def _record_actors(client) -> set[int | None]:
    answer = client.get("/ai-tooling/usage?limit=500")
    assert answer.status_code == 200
    return {row["actor_id"] for row in answer.json()["data"]}


def _team_members(client, org: SmallOrg) -> set[int]:
    return {m["actor_id"] for m in client.get(f"/ai-tooling/teams/{org.core}/summary?range=all").json()["members"]}


def test_members_and_managers_real_tokens_stop_at_the_ability_check(client, session, acme):
    world, org = acme
    for role in (Role.member, Role.manager):
        user = _user(session, world.tenant, f"{role.value}-real@acme.test", role)
        secret = new_token(session, user, abilities=[Ability.costs_read.value])
        session.commit()
        answer = client.get(f"/api/v1/ai-tooling/actors/{org.alice}/summary", headers=bearer(secret))
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "missing_ability"
        with pytest.raises(Exception, match="cannot carry ai-tooling.manage"):
            new_token(session, user, abilities=[AI])


@pytest.mark.parametrize("managers_see_people", [True, False])
def test_owners_and_admins_see_everyone_every_unit_and_every_record(session, acme, as_user, managers_see_people):
    world, org = acme
    world.tenant.managers_see_people = managers_see_people
    session.add(world.tenant)
    session.commit()
    for role in (Role.owner, Role.admin):
        client = as_user(_user(session, world.tenant, f"{role.value}-x@acme.test", role), world.tenant)
        assert all(_sees_actor(client, org, a) for a in (org.alice, org.bob, org.dana))
        assert _sees_unit(client, "teams", org.core) and _sees_unit(client, "departments", org.engineering)
        assert _record_actors(client) == {org.alice, org.bob, org.dana, None}  # unmatched records too
        assert _team_members(client, org) == {org.alice, org.bob, org.idle}


@pytest.mark.parametrize("managers_see_people", [True, False])
def test_a_member_sees_their_own_person_only(session, acme, as_user, managers_see_people):
    world, org = acme
    world.tenant.managers_see_people = managers_see_people
    session.add(world.tenant)
    session.commit()
    client = as_user(_user(session, world.tenant, "alice@acme.test", Role.member), world.tenant)
    assert _sees_actor(client, org, org.alice)
    assert not _sees_actor(client, org, org.bob) and not _sees_actor(client, org, org.dana)
    assert not _sees_unit(client, "teams", org.core) and not _sees_unit(client, "departments", org.engineering)
    assert _record_actors(client) == {org.alice}
    csv = client.get("/ai-tooling/usage?format=csv").text.splitlines()
    assert len(csv) > 1 and all(f",{org.alice}," in line for line in csv[1:])


def test_a_manager_sees_their_units_and_below_and_the_people_there(session, acme, as_user):
    world, org = acme
    dana = as_user(_user(session, world.tenant, "dana@acme.test", Role.manager), world.tenant)
    assert all(_sees_actor(dana, org, a) for a in (org.dana, org.alice, org.bob))
    assert _sees_unit(dana, "departments", org.engineering) and _sees_unit(dana, "teams", org.core)
    assert _record_actors(dana) == {org.alice, org.bob, org.dana}  # no unmatched records
    assert _team_members(dana, org) == {org.alice, org.bob, org.idle}

    bob = as_user(_user(session, world.tenant, "bob@acme.test", Role.manager), world.tenant)
    assert _sees_actor(bob, org, org.alice) and _sees_actor(bob, org, org.bob)
    assert not _sees_actor(bob, org, org.dana)  # placed above his team
    assert _sees_unit(bob, "teams", org.core) and not _sees_unit(bob, "departments", org.engineering)
    assert _record_actors(bob) == {org.alice, org.bob}


def test_with_unit_totals_only_a_manager_sees_unit_totals_and_only_their_own_person(session, acme, as_user):
    world, org = acme
    world.tenant.managers_see_people = False
    session.add(world.tenant)
    session.commit()
    dana = as_user(_user(session, world.tenant, "dana@acme.test", Role.manager), world.tenant)
    assert _sees_actor(dana, org, org.dana)
    assert not _sees_actor(dana, org, org.alice) and not _sees_actor(dana, org, org.bob)
    assert _sees_unit(dana, "departments", org.engineering) and _sees_unit(dana, "teams", org.core)
    assert _team_members(dana, org) == set()  # totals, no per-person rows
    assert _record_actors(dana) == {org.dana}


def test_a_manager_who_is_nobody_in_the_org_sees_nothing(session, acme, as_user):
    world, org = acme
    client = as_user(_user(session, world.tenant, "stranger@acme.test", Role.manager), world.tenant)
    assert not any(_sees_actor(client, org, a) for a in (org.alice, org.bob, org.dana))
    assert not _sees_unit(client, "teams", org.core)
    # stranger@acme.test has usage, unmatched (no actor has that e-mail): not theirs to read either.
    assert _record_actors(client) == set()


def test_the_summary_cache_serves_only_users_who_see_everything(frozen, monkeypatch):
    """Answers are cached per tenant, not per user: a user who may see less must never be served one,
    even once their role can call the routes (here: every role is given the admin's abilities)."""
    from orgonaut.api.cache import _AccessRow, _usable
    from orgonaut.tenancy.models import ROLE_ABILITIES

    for role in Role:
        monkeypatch.setitem(ROLE_ABILITIES, role, ROLE_ABILITIES[Role.owner])

    def row(role: Role) -> _AccessRow:
        return _AccessRow(tenant_id=1, revoked_at=None, expires_at=None, abilities=[a.value for a in Ability],
                          last_used_at=frozen, is_active=True, role=role.value, user_tenant_id=1, slug="acme",
                          plan="business", timezone="UTC", version=1)

    assert {role for role in Role if _usable(row(role), None)} == {Role.owner, Role.admin}
