"""The summary cache answers a repeated summary from memory, and only while nothing under it changed:
an org edit, new usage, a rollup rebuild or a new day is seen at once, and every auth rule still holds
for an answer that is cached (revoked token, missing ability, plan, X-Tenant, another tenant)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.api.models import ApiDataVersion
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Plan, Role
from orgonaut.tenancy.service import set_plan
from tests.integration.api.conftest import (
    NOW,
    api_user,
    bearer,
    new_token,
    rebuild_rollups,
    tenant_with_tokens,
)


def summary_urls(org) -> list[str]:
    return [
        f"/api/v1/ai-tooling/actors/{org.alice}/summary",
        f"/api/v1/ai-tooling/actors/{org.alice}/series?range=3m",
        f"/api/v1/ai-tooling/teams/{org.core}/summary?scope=direct",
        f"/api/v1/ai-tooling/departments/{org.engineering}/summary",
    ]


def get(client, url, secret, **headers):
    return client.get(url, headers=bearer(secret, **headers))


def warm(client, url, secret):
    """Asks until the answer comes from the cache: a token's first use in a minute is answered by the
    API itself (it writes the use), an answer not kept yet is built and kept (miss), then it is a hit."""
    answers = [get(client, url, secret) for _ in range(3)]
    assert all(a.status_code == 200 for a in answers), answers[0].text
    assert answers[-1].headers["x-cache"] == "hit"
    assert len({a.content for a in answers}) == 1
    assert {a.headers["content-type"] for a in answers} == {"application/json"}
    return answers[-1]


def test_every_summary_route_is_kept_and_answered_the_same(client, world):
    acme, org = world
    for url in summary_urls(org):
        warm(client, url, acme.admin_secret)


def test_a_renamed_person_and_team_show_at_once(client, world, session):
    acme, org = world
    person_url, _, team_url, _ = summary_urls(org)
    assert warm(client, person_url, acme.admin_secret).json()["name"] == "Alice"
    assert warm(client, team_url, acme.admin_secret).json()["name"] == "Core"

    alice = session.get(Actor, org.alice)
    alice.name = "Alice Renamed"
    core = session.get(OrgUnit, org.core)
    core.name = "Core Platform"
    session.add_all([alice, core])
    session.commit()

    person = get(client, person_url, acme.admin_secret)
    assert (person.headers["x-cache"], person.json()["name"]) == ("miss", "Alice Renamed")
    team = get(client, team_url, acme.admin_secret)
    assert (team.headers["x-cache"], team.json()["name"]) == ("miss", "Core Platform")
    assert {m["name"] for m in team.json()["members"]} >= {"Alice Renamed"}


def test_new_usage_and_a_rollup_rebuild_show_at_once(client, world, session):
    acme, org = world
    person_url, _, _, department_url = summary_urls(org)
    person_before = warm(client, person_url, acme.admin_secret).json()
    department_before = warm(client, department_url, acme.admin_secret).json()

    # The vendor's numbers for today grow (a re-sync updates the stored record).
    record = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.actor_id == org.alice,
                                                         AiToolUsageRecord.usage_date == NOW.date())).one()
    record.sessions_count += 5
    session.add(record)
    session.commit()
    person = get(client, person_url, acme.admin_secret)
    assert person.headers["x-cache"] == "miss"
    assert person.json()["sessions"] == person_before["sessions"] + 5
    # The department reads rollups, which have not been rebuilt yet: same numbers, built again.
    department = get(client, department_url, acme.admin_secret)
    assert department.headers["x-cache"] == "miss"
    assert department.json()["sessions"] == department_before["sessions"]

    rebuild_rollups(session, acme.tenant)
    department = get(client, department_url, acme.admin_secret)
    assert department.headers["x-cache"] == "miss"
    assert department.json()["sessions"] == department_before["sessions"] + 5


def test_parameters_the_route_does_not_read_never_make_new_answers(client, world):
    acme, org = world
    url = summary_urls(org)[1]  # .../series?range=3m
    first = warm(client, url, acme.admin_secret)
    for variant in (url + "&junk=1", url + "&junk=2&more=x", url.replace("?range=3m", "?limit=5&range=3m")):
        response = get(client, variant, acme.admin_secret)
        assert (response.headers["x-cache"], response.content) == ("hit", first.content), variant
    # A parameter the route reads is another answer.
    assert get(client, url.replace("3m", "1m"), acme.admin_secret).headers["x-cache"] == "miss"


def test_a_repeated_credential_header_is_refused_before_anything_reads_it(client, world, session):
    acme, org = world
    other = tenant_with_tokens(session, slug="other")
    session.commit()
    url = summary_urls(org)[0]
    warm(client, url, acme.admin_secret)  # acme's answer is in the cache
    for headers in (
        [("Authorization", f"Bearer {other.admin_secret}"), ("Authorization", f"Bearer {acme.admin_secret}")],
        [("Authorization", f"Bearer {acme.admin_secret}"), ("X-Tenant", "acme"), ("X-Tenant", "other")],
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "duplicate_header"
        assert "x-cache" not in response.headers
    # The other tenant's token alone still cannot read acme's person.
    assert get(client, url, other.admin_secret).status_code == 404


def test_the_next_day_is_a_new_answer(client, world):
    acme, org = world
    url = summary_urls(org)[0]
    warm(client, url, acme.admin_secret)
    with clock.frozen_at(NOW + dt.timedelta(days=20)):  # into December: a new month to date
        response = get(client, url, acme.admin_secret)
    assert response.headers.get("x-cache") != "hit"
    assert response.json()["mtd"]["start"] == "2026-12-01"


def test_a_cached_answer_still_needs_a_token_that_may_read_it(client, world, session):
    acme, org = world
    url = summary_urls(org)[2]
    warm(client, url, acme.admin_secret)

    # X-Tenant naming another tenant
    assert get(client, url, acme.admin_secret, **{"X-Tenant": "other"}).status_code == 403
    # a token of the same tenant without the ability
    other_ability = new_token(session, acme.admin, abilities=(Ability.org_write.value,), name="org")
    session.commit()
    for _ in range(2):
        response = get(client, url, other_ability)
        assert response.status_code == 403 and response.json()["error"]["code"] == "missing_ability"
    # a token whose user's role no longer holds the ability
    demoted = api_user(session, acme.tenant, role=Role.admin)
    demoted_secret = new_token(session, demoted)
    session.commit()
    warm(client, url, demoted_secret)
    demoted.role = Role.member
    session.add(demoted)
    session.commit()
    response = get(client, url, demoted_secret)
    assert response.status_code == 403 and response.json()["error"]["code"] == "missing_ability"
    # another tenant's good token: its own tenant has no such team
    other = tenant_with_tokens(session, slug="other")
    session.commit()
    for _ in range(2):
        assert get(client, url, other.admin_secret).status_code == 404
    # a plan without AI Tooling
    set_plan(session=session, tenant=acme.tenant, plan=Plan.team)
    session.commit()
    response = get(client, url, acme.admin_secret)
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_unavailable"
    set_plan(session=session, tenant=acme.tenant, plan=Plan.business)
    session.commit()
    assert get(client, url, acme.admin_secret).status_code == 200


def test_a_revoked_token_or_deactivated_user_is_refused_at_once(client, world, session):
    acme, org = world
    url = summary_urls(org)[0]
    warm(client, url, acme.admin_secret)
    token = session.exec(select(tokens.ApiToken).where(tokens.ApiToken.user_id == acme.admin.id)).one()
    tokens.revoke_token(session=session, token_id=token.id, tenant_id=acme.tenant.id)
    session.commit()
    response = get(client, url, acme.admin_secret)
    assert response.status_code == 401 and response.json()["error"]["message"] == "The API token has been revoked."

    owner = api_user(session, acme.tenant, role=Role.owner)
    secret = new_token(session, owner)
    session.commit()
    warm(client, url, secret)
    owner.is_active = False
    session.add(owner)
    session.commit()
    assert get(client, url, secret).status_code == 401


def test_changes_raise_the_tenants_data_version_only(session, world):
    acme, org = world
    other = tenant_with_tokens(session, slug="other")
    session.commit()

    def versions() -> dict[int, int]:
        session.expire_all()
        return {v.tenant_id: v.version for v in session.exec(select(ApiDataVersion))}

    before = versions()
    alice = session.get(Actor, org.alice)
    alice.name = "Alice B."
    session.add(alice)
    session.commit()
    after = versions()
    assert after[acme.tenant.id] > before[acme.tenant.id]
    assert after.get(other.tenant.id) == before.get(other.tenant.id)
