"""API keys and service accounts mapped to a robot or an agent actor (issue 15): the simulator's "ci-pipeline"
key's usage, unmatched after a sync, lands on the robot it is mapped to at once (the org event re-matches it),
counts in the robot's team, matches at ingest on a later sync, and a person is refused as its holder.
Expected costs are summed from the simulator's raw rows."""

from __future__ import annotations

import pytest
from sqlmodel import select

from orgonaut.ai_tooling import service, unmatched
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.errors import ValidationFailed
from orgonaut.org import service as org
from orgonaut.org.models import ActorKind, IdentityKind
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect, expected_totals
from tests.integration.ai_tooling.test_identity_matching import placed, stored_of, team_cost
from tests.integration.ai_tooling.test_targeting_and_matching import ADA, refreshes, run  # noqa: F401

KEY = "api-key:ci-pipeline"


def key_cost(base_url: str) -> tuple[int, object]:
    count, cost = 0, 0
    for day in WEEK:
        totals = expected_totals(base_url, day).get(KEY)
        if totals:
            count, cost = count + 1, cost + totals["total_cost_cents"]
    return count, cost


def test_an_api_key_mapped_to_a_robot_bills_its_usage_to_it(session, tenant, clean_simulator, refreshes):  # noqa: F811
    base = clean_simulator.base_url
    ada = add_actor(session, tenant.id, ADA, name="Ada")
    robot = org.create_actor(session=session, tenant_id=tenant.id, scenario_id=None, name="CI pipeline bot",
                             email="", kind=ActorKind.robot)
    session.commit()
    team = placed(session, tenant.id, robot)
    integration = connect(session, tenant, base)
    run(session, integration, WEEK[0], WEEK[6])
    expected = key_cost(base)
    assert expected[0], "the simulator's API key has usage this week"
    listed = {u.source_email: u for u in service.list_unmatched(session=session, tenant_id=tenant.id)}
    assert listed[KEY].not_a_person == "API key"

    with pytest.raises(ValidationFailed, match="Ada is a person"):
        unmatched.link_source(session=session, tenant_id=tenant.id, actor_id=ada.id, source=KEY)
    session.rollback()
    unmatched.link_source(session=session, tenant_id=tenant.id, actor_id=robot.id, source=KEY)
    session.commit()  # the subscriber re-matches after the commit

    [identity] = org.list_identities(session=session, tenant_id=tenant.id, actor_id=robot.id)
    assert (identity.kind, identity.value) == (IdentityKind.api_key, "ci-pipeline")
    assert stored_of(session, tenant.id, robot.id) == expected
    assert KEY not in [u.source_email for u in service.list_unmatched(session=session, tenant_id=tenant.id)]
    assert team_cost(session, team.id, None) == {robot.id: expected[1]}

    # A later sync of the same days keeps the key's records on the robot (matched at ingest).
    run(session, integration, WEEK[0], WEEK[6])
    session.expire_all()
    assert {r.actor_id for r in session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant.id, AiToolUsageRecord.source_email == KEY))} == {robot.id}
