"""The whole auth matrix, on every route: 401 for a missing, malformed, unknown, expired or revoked token
or a deactivated user; 403 for a missing ability, a plan without the feature, or another tenant's
X-Tenant; 200 for a good token. Every error is the one JSON envelope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.api.models import ApiToken
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Plan, Role, User
from tests.integration.api.conftest import (
    AI,
    ROUTE_NAMES,
    api_user,
    bearer,
    new_token,
    routes_for,
    tenant_with_tokens,
)

ROUTES = pytest.mark.parametrize("route", range(len(ROUTE_NAMES)), ids=ROUTE_NAMES)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@ROUTES
def test_good_token_is_accepted(client, world, route):
    acme, org = world
    response = client.get(routes_for(org)[route], headers=bearer(acme.admin_secret))
    assert response.status_code == 200, response.text
    # and so is an X-Tenant header naming the token's own tenant
    response = client.get(routes_for(org)[route], headers=bearer(acme.admin_secret, **{"X-Tenant": "acme"}))
    assert response.status_code == 200, response.text


@ROUTES
def test_missing_token_is_401_with_a_bare_challenge(client, world, route):
    _acme, org = world
    response = client.get(routes_for(org)[route])
    error = assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="orgonaut"'
    assert "Authorization: Bearer" in error["message"]


@ROUTES
@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Bearer not-a-token", "Token ogt_" + "a" * 43, "Bearer ogt_short",
     "Bearer ogt_" + "a" * 42 + "!"],
)
def test_malformed_token_is_401(client, world, route, header):
    _acme, org = world
    response = client.get(routes_for(org)[route], headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="orgonaut", error="invalid_token"'


@ROUTES
def test_unknown_well_formed_token_is_401(client, world, route):
    _acme, org = world
    response = client.get(routes_for(org)[route], headers=bearer(tokens.generate_secret()))
    error = assert_error(response, 401, "unauthorized")
    assert error["message"] == "The API token is not valid."


@ROUTES
def test_expired_token_is_401(client, session, world, route):
    acme, org = world
    secret = new_token(session, acme.admin, expires_in_days=1)
    session.commit()
    assert client.get(routes_for(org)[route], headers=bearer(secret)).status_code == 200
    clock.advance(dt.timedelta(days=1, seconds=1))
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(secret)), 401, "unauthorized")
    assert "expired" in error["message"]


@ROUTES
def test_revoked_token_is_401(client, session, world, route):
    acme, org = world
    token = session.exec(select(ApiToken).where(ApiToken.user_id == acme.admin.id)).one()
    tokens.revoke_token(session=session, token_id=token.id, tenant_id=acme.tenant.id)
    session.commit()
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(acme.admin_secret)), 401, "unauthorized")
    assert "revoked" in error["message"]


@ROUTES
def test_deactivated_user_is_401(client, session, world, route):
    acme, org = world
    admin = session.get(User, acme.admin.id)
    admin.is_active = False
    session.add(admin)
    session.commit()
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(acme.admin_secret)), 401, "unauthorized")
    assert "deactivated" in error["message"]


@ROUTES
def test_token_without_the_ability_is_403(client, session, world, route):
    acme, org = world
    secret = new_token(session, acme.admin, abilities=[Ability.teams_read.value, Ability.costs_read.value])
    session.commit()
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(secret)), 403, "missing_ability")
    assert AI in error["message"]


@ROUTES
def test_token_loses_an_ability_its_users_role_loses(client, session, world, route):
    acme, org = world
    admin = session.get(User, acme.admin.id)
    admin.role = Role.manager  # managers do not manage AI Tooling
    session.add(admin)
    session.commit()
    assert_error(client.get(routes_for(org)[route], headers=bearer(acme.admin_secret)), 403, "missing_ability")
    admin.role = Role.owner
    session.add(admin)
    session.commit()
    assert client.get(routes_for(org)[route], headers=bearer(acme.admin_secret)).status_code == 200


@ROUTES
@pytest.mark.parametrize("plan", [Plan.free, Plan.team])
def test_plan_without_the_feature_is_403_naming_the_plans(client, session, world, route, plan):
    acme, org = world
    tenant = acme.tenant
    tenant.plan = plan
    session.add(tenant)
    session.commit()
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(acme.admin_secret)), 403,
                         "feature_unavailable")
    assert "business, enterprise and agency plans" in error["message"]
    assert f"on the {plan.value} plan" in error["message"]


@ROUTES
@pytest.mark.parametrize("named", ["beta", "no-such-tenant", "ACME", ""])
def test_x_tenant_naming_another_tenant_is_403_and_says_the_same_whether_it_exists(client, session, world, route,
                                                                                   named):
    acme, org = world
    tenant_with_tokens(session, slug="beta")
    session.commit()
    error = assert_error(client.get(routes_for(org)[route], headers=bearer(acme.admin_secret, **{"X-Tenant": named})),
                         403, "tenant_mismatch")
    assert error["message"] == "This token does not belong to the tenant named by X-Tenant."


def test_a_member_cannot_get_a_token_with_ai_tooling_but_their_read_token_is_refused_here(client, session, world):
    acme, org = world
    member = api_user(session, acme.tenant, role=Role.member)
    secret = new_token(session, member, abilities=[Ability.teams_read.value])
    session.commit()
    for route in routes_for(org):
        assert_error(client.get(route, headers=bearer(secret)), 403, "missing_ability")


def test_last_used_is_written_at_most_once_a_minute(client, session, world):
    acme, org = world
    token = session.exec(select(ApiToken).where(ApiToken.user_id == acme.admin.id)).one()
    assert token.last_used_at is None
    route = routes_for(org)[1]
    client.get(route, headers=bearer(acme.admin_secret))
    session.expire_all()
    first = session.get(ApiToken, token.id).last_used_at
    assert first == clock.utcnow()
    clock.advance(dt.timedelta(seconds=59))
    client.get(route, headers=bearer(acme.admin_secret))
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at == first
    clock.advance(dt.timedelta(seconds=1))
    client.get(route, headers=bearer(acme.admin_secret))
    session.expire_all()
    assert session.get(ApiToken, token.id).last_used_at == first + dt.timedelta(seconds=60)
