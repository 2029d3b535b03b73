"""Matching through person identities: a record belongs to the person whose primary e-mail or one of
whose e-mail identities is its address. Adding, moving and removing an identity re-matches that
address's usage at once (through the org event outbox, redelivered when the re-match failed) and owes
the rollup refresh; "Use for an existing person" does it in every scope that has the person. Expected
costs are summed from the simulator's raw rows, never from what the product stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.org import events
from orgonaut.org import service as org
from orgonaut.org.models import Actor, OrgUnit
from orgonaut.rollups import queries as rollup_queries
from orgonaut.rollups import queue as rollup_queue
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect, expected_totals
from tests.integration.ai_tooling.test_rematch_durable import database_refusing_record_updates
from tests.integration.ai_tooling.test_targeting_and_matching import ADA, BEN, CARLA, refreshes, rows, run  # noqa: F401

CONTRACTOR = "contractor.jo@partner-agency.example"


def raw_cost(base_url: str, *emails: str) -> tuple[int, Decimal]:
    """Records and cost of these addresses over the week, from the simulator's raw rows."""
    count, cost = 0, Decimal(0)
    for day in WEEK:
        for who, totals in expected_totals(base_url, day).items():
            if who in emails:
                count += 1
                cost += totals["total_cost_cents"]
    return count, cost


def stored_of(session, tenant_id: int, actor_id: int, scenario_id: int | None = None) -> tuple[int, Decimal]:
    session.expire_all()
    records = session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == scope_key(scenario_id),
        AiToolUsageRecord.actor_id == actor_id)).all()
    return len(records), sum((r.total_cost_cents or Decimal(0) for r in records), Decimal(0))


def team_cost(session, team_id: int, scenario_id: int | None) -> dict[int, Decimal]:
    """The team's member rollups over all time, after the owed refreshes ran (what the worker does)."""
    while rollup_queue.run_owed(tenant_id=session.get(OrgUnit, team_id).tenant_id, scenario_id=scenario_id).intents:
        pass
    session.expire_all()
    return {m.actor_id: m.cost_cents for m in rollup_queries.team_member_breakdown(
        session=session, org_unit=session.get(OrgUnit, team_id), range="all") if m.cost_cents}


def placed(session, tenant_id: int, actor: Actor, scenario_id: int | None = None) -> OrgUnit:
    company = org.create_org_unit(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind="company",
                                  name="Co")
    team = org.create_org_unit(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind="team",
                               name="Team", parent_id=company.id)
    org.create_placement(session=session, tenant_id=tenant_id, actor_id=actor.id, org_unit_id=team.id,
                         start_date=dt.date(2020, 1, 1), is_primary=True)
    session.commit()
    return team


def test_an_identity_added_moved_and_removed_re_matches_its_usage_at_once(session, tenant, clean_simulator,
                                                                          refreshes):  # noqa: F811
    base = clean_simulator.base_url
    ada = add_actor(session, tenant.id, ADA, name="Ada")
    ben = add_actor(session, tenant.id, BEN, name="Ben")
    team = placed(session, tenant.id, ada)
    integration = connect(session, tenant, base)
    run(session, integration, WEEK[0], WEEK[6])
    ada_only, both = raw_cost(base, ADA), raw_cost(base, ADA, CONTRACTOR)
    assert ada_only[0] and both[0] > ada_only[0]
    assert stored_of(session, tenant.id, ada.id) == ada_only

    refreshes.mark()
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, value=CONTRACTOR.upper())
    session.commit()  # the subscriber re-matches after the commit

    assert stored_of(session, tenant.id, ada.id) == both
    assert {r.actor_id for r in rows(session, tenant.id, email=ADA)} == {ada.id}  # her own usage stays hers
    assert CONTRACTOR not in [u.source_email for u in service.list_unmatched(session=session, tenant_id=tenant.id)]
    [owed] = refreshes.since()
    assert (owed["scenario_id"], owed["actor_ids"]) == (None, [ada.id])
    assert team_cost(session, team.id, None) == {ada.id: both[1]}

    # Moved to Ben: the address's usage follows it.
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ben.id, value=CONTRACTOR, move=True)
    session.commit()
    assert stored_of(session, tenant.id, ada.id) == ada_only
    assert stored_of(session, tenant.id, ben.id) == raw_cost(base, BEN, CONTRACTOR)
    assert team_cost(session, team.id, None) == {ada.id: ada_only[1]}

    # Removed: back to Unmatched.
    [moved] = org.list_identities(session=session, tenant_id=tenant.id, actor_id=ben.id)
    org.remove_identity(session=session, tenant_id=tenant.id, identity_id=moved.id)
    session.commit()
    assert {r.actor_id for r in rows(session, tenant.id, email=CONTRACTOR)} == {None}
    assert stored_of(session, tenant.id, ben.id) == raw_cost(base, BEN)


def test_records_synced_after_the_identity_match_at_ingest(session, tenant, clean_simulator):
    ada = add_actor(session, tenant.id, ADA)
    org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, value=CONTRACTOR)
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[6])
    assert stored_of(session, tenant.id, ada.id) == raw_cost(clean_simulator.base_url, ADA, CONTRACTOR)


def test_use_for_an_existing_person_links_live_and_the_targeted_scenario(session, tenant, clean_simulator):
    base = clean_simulator.base_url
    ada = add_actor(session, tenant.id, ADA, name="Ada")
    live_team = placed(session, tenant.id, ada)
    plan = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan")
    session.commit()
    plan_ada = org.get_actor_by_external_uid(session=session, tenant_id=tenant.id, scenario_id=plan.id,
                                             external_uid=ada.external_uid)
    plan_team = org.get_org_unit_by_name(session=session, tenant_id=tenant.id, scenario_id=plan.id, kind="team",
                                         name="Team")
    integration = connect(session, tenant, base, scenario_ids=[plan.id])
    run(session, integration, WEEK[0], WEEK[6])
    both = raw_cost(base, ADA, CONTRACTOR)

    # Asked on the scenario's Unmatched list: Live's Ada gets the address too.
    result = org.link_everywhere(session=session, tenant_id=tenant.id, actor_id=plan_ada.id, value=CONTRACTOR)
    session.commit()

    assert result.skipped == [] and len(result.identities) == 2
    assert stored_of(session, tenant.id, plan_ada.id, plan.id) == both
    assert stored_of(session, tenant.id, ada.id) == both
    for scenario_id in (None, plan.id):
        assert CONTRACTOR not in [u.source_email for u in
                                  service.list_unmatched(session=session, tenant_id=tenant.id, scenario_id=scenario_id)]
    assert team_cost(session, live_team.id, None) == {ada.id: both[1]}
    assert team_cost(session, plan_team.id, plan.id) == {plan_ada.id: both[1]}


def test_an_identity_added_while_re_matching_fails_is_matched_on_redelivery(session, tenant, clean_simulator):
    ada = add_actor(session, tenant.id, ADA)
    integration = connect(session, tenant, clean_simulator.base_url)
    run(session, integration, WEEK[0], WEEK[2])
    assert {r.actor_id for r in rows(session, tenant.id, email=CONTRACTOR)} == {None}
    with database_refusing_record_updates(session):
        org.add_identity(session=session, tenant_id=tenant.id, actor_id=ada.id, value=CONTRACTOR)
        session.commit()  # the re-match handler fails
        assert {r.actor_id for r in rows(session, tenant.id, email=CONTRACTOR)} == {None}

    later = clock.utcnow() + events.REDELIVER_AFTER + dt.timedelta(seconds=1)
    with clock.frozen_at(later):
        assert len(events.redeliver()) == 1

    assert {r.actor_id for r in rows(session, tenant.id, email=CONTRACTOR)} == {ada.id}
