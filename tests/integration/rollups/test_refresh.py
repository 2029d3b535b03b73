"""Computing, refreshing and rebuilding the stored rollups on a small hand-made org."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.org.models import OrgUnitKind, Scenario
from orgonaut.rollups import service
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageRollup, Breadth
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

D1, D2, D3 = dt.date(2025, 1, 10), dt.date(2025, 1, 20), dt.date(2025, 1, 21)
T0 = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def org(session):
    """company > eng > (web, api); company > ops > infra. Alice in web and api; Bob in web until
    15 Jan, then infra; Dan directly in eng; Carol unplaced."""
    tenant = make_tenant(session)
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    eng = b.unit(session, tenant, "Engineering", company, kind=OrgUnitKind.department)
    web = b.unit(session, tenant, "Web", eng)
    api = b.unit(session, tenant, "API", eng)
    ops = b.unit(session, tenant, "Operations", company, kind=OrgUnitKind.department)
    infra = b.unit(session, tenant, "Infra", ops)
    alice, bob = b.actor(session, tenant, "Alice"), b.actor(session, tenant, "Bob")
    carol, dan = b.actor(session, tenant, "Carol"), b.actor(session, tenant, "Dan")
    b.place(session, alice, web, dt.date(2024, 1, 1), allocation_pct=50, is_primary=True)
    b.place(session, alice, api, dt.date(2024, 1, 1), allocation_pct=50)
    b.place(session, bob, web, dt.date(2024, 6, 1), dt.date(2025, 1, 15))
    b.place(session, bob, infra, dt.date(2025, 1, 16))
    b.place(session, dan, eng, dt.date(2024, 1, 1))
    for day in (D1, D2):
        b.usage(session, tenant, alice, day, cost="100.25", sessions=2, commits=1, pull_requests=1, lines_added=10,
                lines_removed=4, tokens=100)
        b.usage(session, tenant, bob, day, cost="10.5", sessions=1, commits=3, lines_added=5, tokens=10)
        b.usage(session, tenant, carol, day, cost="7", sessions=9)
        b.usage(session, tenant, None, day, cost="1000", sessions=50, email="stranger@example.test")
    b.usage(session, tenant, dan, D2, cost="1.125", sessions=1, provider="cursor")
    session.commit()
    return dict(tenant=tenant, company=company, eng=eng, web=web, api=api, ops=ops, infra=infra, alice=alice,
                bob=bob, carol=carol, dan=dan)


def rollup(session, unit, breadth, day, provider="claude_code"):
    return session.exec(
        select(AiUsageRollup).where(
            AiUsageRollup.org_unit_id == unit.id, AiUsageRollup.breadth == breadth,
            AiUsageRollup.usage_date == day, AiUsageRollup.provider == provider,
        )
    ).first()


def cost(session, unit, breadth, day, provider="claude_code"):
    row = rollup(session, unit, breadth, day, provider)
    return None if row is None else (Decimal(row.cost_cents), row.sessions, row.actors_count)


def test_rebuild_attributes_each_day_to_the_placements_effective_that_day(session, org):
    result = service.rebuild(session=session, tenant_id=org["tenant"].id)
    session.commit()
    assert (result.tenants, result.scopes) == (1, 1)
    web, api, eng, company, infra, ops = (org[k] for k in ("web", "api", "eng", "company", "infra", "ops"))
    # 10 Jan: Bob is still in Web; Alice counts fully in both of her teams (allocation does not scale).
    assert cost(session, web, "direct", D1) == (Decimal("110.75"), 3, 2)
    assert cost(session, api, "direct", D1) == (Decimal("100.25"), 2, 1)
    # ...and once in Engineering's and the company's subtree. Carol (unplaced) and the unmatched
    # e-mail count nowhere.
    assert cost(session, eng, "subtree", D1) == (Decimal("110.75"), 3, 2)
    assert cost(session, company, "subtree", D1) == (Decimal("110.75"), 3, 2)
    assert rollup(session, infra, "direct", D1) is None
    # 20 Jan: Bob has moved to Infra.
    assert cost(session, web, "direct", D2) == (Decimal("100.25"), 2, 1)
    assert cost(session, infra, "direct", D2) == (Decimal("10.5"), 1, 1)
    assert cost(session, ops, "subtree", D2) == (Decimal("10.5"), 1, 1)
    assert cost(session, ops, "direct", D2) is None
    assert cost(session, company, "subtree", D2) == (Decimal("110.75"), 3, 2)
    # Dan is placed in Engineering itself; his other provider has its own rows.
    assert cost(session, eng, "direct", D2, "cursor") == (Decimal("1.125"), 1, 1)
    assert cost(session, company, "subtree", D2, "cursor") == (Decimal("1.125"), 1, 1)
    assert cost(session, eng, "direct", D2) is None
    # Tokens and activity travel too.
    row = rollup(session, eng, "subtree", D1)
    assert (row.commits, row.pull_requests, row.lines_added, row.lines_removed) == (4, 1, 15, 4)
    assert (row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_creation_tokens) == (
        110, 220, 330, 440)
    members = session.exec(
        select(AiUsageMemberRollup).where(AiUsageMemberRollup.org_unit_id == web.id).order_by(
            AiUsageMemberRollup.usage_date, AiUsageMemberRollup.actor_id)
    ).all()
    assert [(m.usage_date, m.actor_id, Decimal(m.cost_cents)) for m in members] == [
        (D1, org["alice"].id, Decimal("100.25")), (D1, org["bob"].id, Decimal("10.5")),
        (D2, org["alice"].id, Decimal("100.25")),
    ]
    assert result.unit_rows == session.exec(select(AiUsageRollup)).all().__len__()
    assert result.member_rows == session.exec(select(AiUsageMemberRollup)).all().__len__()


def test_refresh_of_one_team_recomputes_it_and_its_ancestors_for_the_dates_only(session, org):
    with clock.frozen_at(T0):
        service.rebuild(session=session, tenant_id=org["tenant"].id)
        session.commit()
    web, api, eng, company = org["web"], org["api"], org["eng"], org["company"]
    b.usage(session, org["tenant"], org["alice"], D3, cost="5", sessions=1)
    b.usage(session, org["tenant"], org["bob"], D1, cost="1", sessions=1, provider="cursor")
    session.commit()
    later = T0 + dt.timedelta(hours=1)
    with clock.frozen_at(later):
        result = service.refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None,
                                 org_unit_ids=[web.id], start=D3, end=D3)
        session.commit()
    assert result.org_unit_ids == tuple(sorted([web.id, eng.id, company.id]))
    assert cost(session, web, "direct", D3) == (Decimal("5"), 1, 1)
    assert cost(session, eng, "subtree", D3) == (Decimal("5"), 1, 1)
    assert cost(session, company, "subtree", D3) == (Decimal("5"), 1, 1)
    assert rollup(session, company, "subtree", D3).computed_at == later
    # Not asked for: API (Alice's other team) and days outside the range keep their rows.
    assert rollup(session, api, "direct", D3) is None
    assert rollup(session, web, "direct", D1, "cursor") is None
    assert rollup(session, web, "direct", D1).computed_at == T0


def test_refresh_of_every_unit_and_removal_of_a_deleted_units_rows(session, org):
    service.rebuild(session=session, tenant_id=org["tenant"].id)
    session.commit()
    api = org["api"]
    assert cost(session, api, "direct", D1) is not None
    for placement in session.exec(select(b.Placement).where(b.Placement.org_unit_id == api.id)).all():
        session.delete(placement)
    session.flush()
    session.delete(api)
    session.commit()
    service.refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None, org_unit_ids=[api.id],
                    start=D1, end=D2)
    session.commit()
    assert session.exec(select(AiUsageRollup).where(AiUsageRollup.org_unit_id == api.id)).all() == []
    result = service.refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None, org_unit_ids=None,
                             start=D1, end=D1)
    session.commit()
    assert result.org_unit_ids is None
    assert cost(session, org["web"], "direct", D1) == (Decimal("110.75"), 3, 2)
    assert cost(session, org["web"], "direct", D2) == (Decimal("100.25"), 2, 1)


def test_scenarios_have_their_own_rollups(session, org):
    tenant = org["tenant"]
    scenario = Scenario(tenant_id=tenant.id, name="Plan B")
    session.add(scenario)
    session.flush()
    team = b.unit(session, tenant, "Web", scenario_id=scenario.id)
    alice = b.actor(session, tenant, "Alice", scenario_id=scenario.id)
    b.place(session, alice, team, dt.date(2024, 1, 1))
    b.usage(session, tenant, alice, D1, cost="3", sessions=1, scenario_id=scenario.id)
    session.commit()
    result = service.rebuild(session=session)
    session.commit()
    assert result.scopes == 2
    row = rollup(session, team, "direct", D1)
    assert (row.scope_key, row.scenario_id, Decimal(row.cost_cents)) == (scenario.id, scenario.id, Decimal(3))
    # Live is untouched by the scenario's records.
    assert cost(session, org["web"], "direct", D1) == (Decimal("110.75"), 3, 2)
    # A Live-only refresh leaves the scenario's rows alone.
    service.refresh(session=session, tenant_id=tenant.id, scenario_id=None, org_unit_ids=None, start=D1, end=D2)
    session.commit()
    assert rollup(session, team, "direct", D1) is not None


def test_bad_input_is_refused_and_changes_nothing(session, org):
    with pytest.raises(ValidationFailed, match="before it starts"):
        service.refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None, org_unit_ids=None,
                        start=D2, end=D1)
    with pytest.raises(NotFound, match="Unknown tenant"):
        service.rebuild(session=session, tenant_id=org["tenant"].id + 1000)
    session.rollback()
    assert session.exec(select(AiUsageRollup)).all() == []


def test_units_to_refresh_resolves_actors_to_their_units_in_the_dates_and_adds_ancestors(session, org):
    ids = lambda *names: sorted(org[n].id for n in names)  # noqa: E731
    units = service.units_to_refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None,
                                     start=D1, end=D1, actor_ids=[org["bob"].id])
    assert units == ids("web", "eng", "company")
    units = service.units_to_refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None,
                                     start=D1, end=D2, actor_ids=[org["bob"].id, org["carol"].id])
    assert units == ids("web", "eng", "company", "infra", "ops")
    units = service.units_to_refresh(session=session, tenant_id=org["tenant"].id, scenario_id=None,
                                     start=D1, end=D1, org_unit_ids=[org["infra"].id])
    assert units == ids("infra", "ops", "company")
    assert Breadth.subtree == "subtree"
