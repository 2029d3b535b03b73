"""The demo's Copilot story, seeded as `make run` seeds it (the demo org, then 60 days of Copilot from the
GitHub simulator's demo users): logins with a SAML identity are matched to their people, two logins that
plainly name a demo person are linked by hand from the Unmatched list, and the rest wait there, the renamed
login among them. Expected owners come from the simulator's users, not from what the product stored."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from orgonaut import demo
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.org.models import Actor, ActorIdentity
from orgonaut.settings import reset_settings_cache
from orgonaut.simulator.copilot import GithubConfig
from orgonaut.simulator.demo import demo_github_users
from tests.support.github_simulator import GithubSimulatorServer

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def demo_github(monkeypatch):
    users = demo_github_users(sync.last_complete_day())
    with GithubSimulatorServer(GithubConfig(users=users)) as server:
        monkeypatch.setenv("GITHUB_API_BASE", server.base_url)
        reset_settings_cache()
        yield users
    monkeypatch.undo()
    reset_settings_cache()


def test_the_demos_copilot_logins_map_through_saml_by_hand_and_the_rest_wait(session, demo_github):
    tenant = demo.seed_demo(session=session, with_usage=True, usage_providers=("copilot",))
    session.commit()
    people = {a.email: a.id for a in session.exec(select(Actor).where(
        Actor.tenant_id == tenant.id, col(Actor.scenario_id).is_(None)))}
    owners = {source: actor_id for source, actor_id in session.exec(
        select(AiToolUsageRecord.source_email, AiToolUsageRecord.actor_id).where(
            AiToolUsageRecord.tenant_id == tenant.id, col(AiToolUsageRecord.scenario_id).is_(None)).distinct())}
    by_hand = set(session.exec(select(ActorIdentity.value).where(
        ActorIdentity.tenant_id == tenant.id, col(ActorIdentity.scenario_id).is_(None),
        ActorIdentity.kind == "github_user_id")))
    assert len(by_hand) == demo.HAND_LINKED_GITHUB_LOGINS

    saml = {f"github:{u.id}": people[u.saml_email] for u in demo_github if u.saml_email}
    assert saml and all(owners[source] == actor for source, actor in saml.items() if source in owners)
    linked = {f"github:{user_id}" for user_id in by_hand}
    assert linked.isdisjoint(saml) and all(owners[source] is not None for source in linked)
    waiting = {u.source_email for u in ai_tooling.list_unmatched(session=session, tenant_id=tenant.id,
                                                                provider="copilot")}
    renamed = next(u for u in demo_github if u.former_login)
    assert f"github:{renamed.id}" in waiting and waiting.isdisjoint(linked | set(saml))
    assert set(owners) == set(saml) | linked | waiting
