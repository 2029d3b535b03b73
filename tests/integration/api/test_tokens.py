"""The token service: the secret is stored hashed only, abilities never exceed the role, bad input
changes nothing, revocation is for good and tenant-scoped."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from orgonaut import clock
from orgonaut.api.models import ApiToken
from orgonaut.errors import Forbidden, NotFound, ValidationFailed
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Role
from tests.integration.api.conftest import AI, api_user, tenant_with_tokens


def _count(session) -> int:
    return session.exec(select(func.count()).select_from(ApiToken)).one()


def test_the_secret_is_shown_once_and_stored_as_its_sha256_only(session, frozen):
    acme = tenant_with_tokens(session, slug="acme")
    token, secret = tokens.create_token(session=session, user=acme.admin, name="CI export", abilities=[AI],
                                        expires_in_days=30)
    session.commit()
    assert tokens.looks_like_secret(secret) and secret.startswith("ogt_") and len(secret) == 47
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[4:12]
    assert token.expires_at == frozen + dt.timedelta(days=30)
    # Nothing of the secret beyond its 8-character display prefix is anywhere in the stored row.
    stored = session.execute(text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token.id}).one()
    for value in stored:
        assert secret not in str(value)
        assert secret[12:] not in str(value)
    assert secret not in repr(token)
    # Two tokens never share a secret or a hash.
    _other, other_secret = tokens.create_token(session=session, user=acme.admin, name="b", abilities=[AI])
    assert other_secret != secret


def test_the_secret_resolves_to_its_tenant_user_and_abilities(session, frozen):
    acme = tenant_with_tokens(session, slug="acme")
    session.commit()
    access = tokens.authenticate(session=session, secret=acme.admin_secret)
    assert (access.tenant.slug, access.user.id) == ("acme", acme.admin.id)
    assert access.abilities == frozenset({Ability.ai_tooling_manage})


@pytest.mark.parametrize(
    ("role", "abilities", "lacking"),
    [
        (Role.member, [AI], AI),
        (Role.manager, [Ability.teams_read.value, AI], AI),
        (Role.viewer, [Ability.costs_read.value], Ability.costs_read.value),
        (Role.admin, [Ability.billing_manage.value], Ability.billing_manage.value),
    ],
)
def test_a_token_cannot_carry_an_ability_its_users_role_lacks(session, role, abilities, lacking):
    acme = tenant_with_tokens(session)
    user = api_user(session, acme.tenant, role=role)
    before = _count(session)
    with pytest.raises(Forbidden) as raised:
        tokens.create_token(session=session, user=user, name="x", abilities=abilities)
    assert lacking in str(raised.value) and role.value in str(raised.value)
    assert _count(session) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"abilities": ["ai-tooling.read"]}, "Unknown ability 'ai-tooling.read'"),
        ({"abilities": []}, "at least one ability"),
        ({"name": "   "}, "needs a name"),
        ({"name": "n" * 101}, "at most 100"),
        ({"expires_in_days": 0}, "1 to 3650 days"),
        ({"expires_in_days": 3651}, "1 to 3650 days"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_writes_nothing(session, kwargs, message):
    acme = tenant_with_tokens(session)
    before = _count(session)
    arguments = {"name": "ok", "abilities": [AI], **kwargs}
    with pytest.raises(ValidationFailed) as raised:
        tokens.create_token(session=session, user=acme.admin, **arguments)
    assert message in str(raised.value)
    assert _count(session) == before


def test_a_deactivated_user_gets_no_token(session):
    acme = tenant_with_tokens(session)
    acme.admin.is_active = False
    with pytest.raises(ValidationFailed, match="deactivated"):
        tokens.create_token(session=session, user=acme.admin, name="x", abilities=[AI])


def test_the_role_at_use_decides_which_of_the_tokens_abilities_hold(session, frozen):
    acme = tenant_with_tokens(session)
    _token, secret = tokens.create_token(session=session, user=acme.admin, name="x",
                                         abilities=[AI, Ability.teams_read.value, Ability.costs_read.value])
    session.commit()
    acme.admin.role = Role.viewer
    session.add(acme.admin)
    session.commit()
    assert tokens.authenticate(session=session, secret=secret).abilities == frozenset({Ability.teams_read})
    # Back to admin: the token's own list is unchanged, so the abilities come back.
    acme.admin.role = Role.admin
    session.add(acme.admin)
    session.commit()
    assert len(tokens.authenticate(session=session, secret=secret).abilities) == 3


def test_revoke_is_for_good_idempotent_and_tenant_scoped(session, frozen):
    acme = tenant_with_tokens(session, slug="acme")
    beta = tenant_with_tokens(session, slug="beta")
    token = session.exec(select(ApiToken).where(ApiToken.user_id == acme.admin.id)).one()
    session.commit()
    with pytest.raises(NotFound):
        tokens.revoke_token(session=session, token_id=token.id, tenant_id=beta.tenant.id)
    assert session.get(ApiToken, token.id).revoked_at is None
    revoked, now = tokens.revoke_token(session=session, token_id=token.id, tenant_id=acme.tenant.id)
    assert now and revoked.revoked_at == frozen
    clock.advance(dt.timedelta(hours=1))
    again, now = tokens.revoke_token(session=session, token_id=token.id, tenant_id=acme.tenant.id)
    assert not now and again.revoked_at == frozen
    assert tokens.status_of(again) == tokens.TokenStatus.revoked
    with pytest.raises(tokens.TokenRejected, match="revoked"):
        tokens.authenticate(session=session, secret=acme.admin_secret)


def test_list_is_the_tenants_tokens_newest_first(session, frozen):
    acme = tenant_with_tokens(session, slug="acme")
    tenant_with_tokens(session, slug="beta")
    clock.advance(dt.timedelta(minutes=1))
    newer, _secret = tokens.create_token(session=session, user=acme.admin, name="newer", abilities=[AI])
    rows = tokens.list_tokens(session=session, tenant_id=acme.tenant.id)
    assert [t.name for t, _user in rows] == ["newer", "test"] and rows[0][0].id == newer.id
    assert {user.tenant_id for _t, user in rows} == {acme.tenant.id}
