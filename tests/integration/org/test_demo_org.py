"""The demo org: the promised shape, and seeding twice changes nothing."""

import datetime as dt

from sqlmodel import select

from orgonaut import clock
from orgonaut.demo import seed_demo
from orgonaut.org import demo_data, queries, service
from orgonaut.org.models import Actor, OrgUnit, Placement
from tests.integration.org.conftest import org_state

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _seed(session):
    with clock.frozen_at(NOW):
        tenant = seed_demo(session=session)
        session.commit()
    return tenant


def _unit(session, tenant, scope, kind, name):
    unit = service.get_org_unit_by_name(session=session, tenant_id=tenant.id, scenario_id=scope, kind=kind, name=name)
    assert unit is not None, name
    return unit


def test_seeding_twice_changes_nothing_and_fires_nothing(session, recorder):
    _seed(session)
    first = org_state(session)
    assert len(recorder.events) > 100
    recorder.events.clear()
    # A later day as well: the demo finds its rows by name and external id, not by date.
    with clock.frozen_at(NOW + dt.timedelta(days=40)):
        seed_demo(session=session)
        session.commit()
    assert org_state(session) == first
    assert recorder.events == []


def test_live_org_has_the_promised_shape(session):
    tenant = _seed(session)
    t = tenant.id
    company = service.get_company(session=session, tenant_id=t, scenario_id=None)
    assert company.name == "Demo Industries"
    departments = queries.list_departments(session=session, tenant_id=t, scenario_id=None, on=TODAY)
    assert len(departments) >= 4
    by_name = {d.unit.name: d for d in departments}
    assert {"Engineering", "Platform Engineering", "Product", "Design", "Operations"} <= set(by_name)
    assert by_name["Platform Engineering"].parent.name == "Engineering"
    teams = queries.list_teams(session=session, tenant_id=t, scenario_id=None, on=TODAY)
    assert len(teams) >= 8 and all(team.direct_member_count >= 3 for team in teams)
    assert by_name["Engineering"].subtree_member_count > by_name["Platform Engineering"].subtree_member_count > 0
    assert queries.subtree_member_count(session=session, org_unit_id=company.id, on=TODAY) >= 55

    actors = list(session.exec(select(Actor).where(Actor.tenant_id == t, Actor.scenario_id == None)))  # noqa: E711
    kinds = [a.kind for a in actors]
    assert 55 <= len(actors) <= 65
    assert kinds.count("human") >= 50 and kinds.count("robot") >= 2 and kinds.count("agent") >= 2
    assert [a.name for a in actors if a.email == ""] == ["Nightly Build Runner"]
    humans = [a for a in actors if a.kind == "human"]
    assert all(a.email.endswith("@demo.test") and a.email.count(".") == 2 for a in humans)
    assert next(a.email for a in humans if a.name == "Kevin O'Brien") == "kevin.obrien@demo.test"

    # Split people: a primary placement and a secondary with its own allocation, today.
    split = []
    for actor in actors:
        current = [p for p, _u in queries.placements_of_actor(session=session, actor_id=actor.id)
                   if p.start_date <= TODAY and (p.end_date is None or p.end_date >= TODAY)]
        if len(current) == 2:
            assert sorted(p.is_primary for p in current) == [False, True]
            assert sum(p.allocation_pct for p in current) == 100
            split.append(actor.name)
    assert len(split) >= 3

    # History: members about a year back, somebody who moved, somebody who left.
    a_year_ago = dt.date(2025, 11, 1)
    assert queries.subtree_member_count(session=session, org_unit_id=company.id, on=a_year_ago) >= 50
    assert queries.subtree_member_count(session=session, org_unit_id=company.id, on=a_year_ago - dt.timedelta(1)) == 0
    samir = service.get_actor_by_email(session=session, tenant_id=t, scenario_id=None, email="samir.patel@demo.test")
    history = [(u.name, p.start_date, p.end_date) for p, u in
               queries.placements_of_actor(session=session, actor_id=samir.id)]
    assert history == [("Search & Discovery", dt.date(2026, 7, 1), None),
                       ("Checkout", a_year_ago, dt.date(2026, 6, 30))]
    quinn = service.get_actor_by_email(session=session, tenant_id=t, scenario_id=None, email="quinn.foster@demo.test")
    assert quinn.status == "inactive"
    assert all(p.end_date == dt.date(2026, 8, 31) for p, _u in
               queries.placements_of_actor(session=session, actor_id=quinn.id))


def test_scenarios_snapshot_and_reorg_moves(session):
    tenant = _seed(session)
    t = tenant.id
    scenarios = {s.name: s for s in service.list_scenarios(session=session, tenant_id=t)}
    reorg, archived, snapshot = (scenarios[demo_data.REORG_SCENARIO], scenarios[demo_data.ARCHIVED_SCENARIO],
                                 scenarios[demo_data.SNAPSHOT])
    assert (reorg.kind, reorg.status, reorg.read_only) == ("scenario", "active", False)
    assert (archived.kind, archived.status, archived.read_only) == ("scenario", "archived", True)
    assert (snapshot.kind, snapshot.read_only) == ("snapshot", True)

    live_count = len(session.exec(select(Actor.id).where(Actor.tenant_id == t, Actor.scenario_id == None)).all())  # noqa: E711
    for scope in (reorg, archived, snapshot):
        copies = session.exec(select(Actor).where(Actor.scenario_id == scope.id)).all()
        assert len(copies) == live_count and all(a.source_id is not None for a in copies)

    # Reorg 2027: Mobile Apps moved to Product, a new AI Enablement team with two people, Rosa to Checkout.
    assert _unit(session, tenant, reorg.id, "team", "Mobile Apps").parent_id == (
        _unit(session, tenant, reorg.id, "department", "Product").id
    )
    assert _unit(session, tenant, None, "team", "Mobile Apps").parent_id == (
        _unit(session, tenant, None, "department", "Engineering").id
    )
    ai_team = _unit(session, tenant, reorg.id, "team", "AI Enablement")
    assert [a.name for a, _p in queries.actors_in_unit(session=session, org_unit_id=ai_team.id, on=TODAY)] == [
        "Hana Sato", "Ivan Horvat",
    ]
    assert service.get_org_unit_by_name(
        session=session, tenant_id=t, scenario_id=None, kind="team", name="AI Enablement"
    ) is None
    checkout = _unit(session, tenant, reorg.id, "team", "Checkout")
    assert "Rosa Martinez" in [a.name for a, _p in queries.actors_in_unit(session=session, org_unit_id=checkout.id,
                                                                           on=TODAY)]
    # The snapshot is Live as it was: same units, same placements.
    snap_units = session.exec(select(OrgUnit).where(OrgUnit.scenario_id == snapshot.id)).all()
    live_units = session.exec(select(OrgUnit).where(OrgUnit.tenant_id == t, OrgUnit.scenario_id == None)).all()  # noqa: E711
    assert sorted(u.name for u in snap_units) == sorted(u.name for u in live_units)
    assert len(session.exec(select(Placement).where(Placement.scenario_id == snapshot.id)).all()) == len(
        session.exec(select(Placement).where(Placement.tenant_id == t, Placement.scenario_id == None)).all()  # noqa: E711
    )


def test_usage_roster_is_most_live_humans_plus_unknown_contractors(session):
    tenant = _seed(session)
    actors = session.exec(select(Actor).where(Actor.tenant_id == tenant.id, Actor.scenario_id == None)).all()  # noqa: E711
    human_emails = {a.email for a in actors if a.kind == "human"}
    all_emails = {a.email for a in actors}
    roster = demo_data.demo_usage_roster()
    assert len(roster) == len(set(roster))
    known = [e for e in roster if e in all_emails]
    unknown = [e for e in roster if e not in all_emails]
    assert set(known) <= human_emails
    assert 0.6 * len(human_emails) <= len(known) < len(human_emails)
    assert unknown == list(demo_data.DEMO_UNKNOWN_USAGE_EMAILS)
    assert 3 <= len(unknown) <= 4
