"""Every endpoint's numbers equal the numbers the pages show, on the demo org with demo-like usage.

The pages call `orgonaut.rollups.queries`; this calls the same functions for every person, team
and department (Live and the "Reorg 2027" scenario) and compares them with what the API answers,
after the API's only conversion: exact cents -> whole cents, half-up (what `format_usd` shows).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.db import get_engine
from orgonaut.org import demo_data
from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Scenario
from orgonaut.rollups import periods, queries
from orgonaut.rollups.models import Breadth
from orgonaut.tenancy.models import Role
from orgonaut.ui.format import format_usd
from tests.conftest import DATABASE_URL
from tests.factories import make_tenant
from tests.integration.api.conftest import NOW, api_user, bearer, new_token, rebuild_rollups, write_usage
from tests.support import databases

FIRST_DAY = dt.date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _clean_tables():
    """This module shares one seeded demo (emptied once at its end, in `demo`)."""
    yield


@pytest.fixture(scope="module")
def demo():
    with clock.frozen_at(NOW), Session(get_engine(), expire_on_commit=False) as session:
        tenant = make_tenant(session, slug="demo-api", timezone="Europe/Berlin")
        demo_data.seed_demo_org(session=session, tenant=tenant)
        session.commit()
        reorg = session.exec(select(Scenario).where(Scenario.tenant_id == tenant.id,
                                                    Scenario.name == demo_data.REORG_SCENARIO)).one()
        roster = demo_data.demo_usage_roster()
        # Live gets half a year; the scenario (a sync target) the last two months.
        write_usage(session, tenant=tenant, scenario_id=None, emails=roster, start=FIRST_DAY, end=NOW.date())
        write_usage(session, tenant=tenant, scenario_id=reorg.id, emails=roster, start=dt.date(2026, 9, 15),
                    end=NOW.date(), skip_every=3)
        session.commit()
        rebuild_rollups(session, tenant)
        secret = new_token(session, api_user(session, tenant, role=Role.owner))
        session.commit()
    yield tenant, reorg.id, secret
    databases.truncate_all(DATABASE_URL)


@pytest.fixture
def session_now(demo):
    with clock.frozen_at(NOW), Session(get_engine(), expire_on_commit=False) as session:
        yield session


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def exact(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.000001')):f}"


def _scopes(demo) -> list[tuple[int | None, str]]:
    _tenant, reorg_id, _secret = demo
    return [(None, "live"), (reorg_id, str(reorg_id))]


def _actors(session: Session, tenant_id: int, scenario_id: int | None) -> list[Actor]:
    return list(session.exec(select(Actor).where(Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id)
                             .order_by(Actor.id)))


def _units(session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind) -> list[OrgUnit]:
    return list(session.exec(select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id,
                                                   OrgUnit.kind == kind).order_by(OrgUnit.id)))


def test_actor_summaries_equal_the_person_page(client, demo, session_now):
    tenant, _reorg, secret = demo
    with_usage = 0
    for scenario_id, scenario in _scopes(demo):
        for actor in _actors(session_now, tenant.id, scenario_id):
            body = client.get(f"/api/v1/ai-tooling/actors/{actor.id}/summary?scenario={scenario}",
                              headers=bearer(secret)).json()
            page = queries.person_summary(session=session_now, actor=actor)
            if page is None:
                assert body["has_usage"] is False and body["mtd_cost_cents"] == 0 and body["sessions"] == 0
                continue
            with_usage += 1
            assert body["has_usage"] is True
            assert body["last_month"] == {"start": page.last_month.start.isoformat(),
                                          "end": page.last_month.end.isoformat()}
            assert body["mtd"] == {"start": page.mtd.start.isoformat(), "end": page.mtd.end.isoformat()}
            assert body["last_month_cost_cents"] == cents(page.last_month_cost_cents)
            assert body["last_month_cost_cents_exact"] == exact(page.last_month_cost_cents)
            assert body["mtd_cost_cents"] == cents(page.mtd_cost_cents)
            assert body["mtd_cost_cents_exact"] == exact(page.mtd_cost_cents)
            assert format_usd(page.mtd_cost_cents) == f"${body['mtd_cost_cents'] / 100:,.2f}"
            assert (body["sessions"], body["commits"], body["pull_requests"], body["lines_added"],
                    body["lines_removed"]) == (page.sessions, page.commits, page.pull_requests, page.lines_added,
                                               page.lines_removed)
            assert body["providers"] == list(page.providers)
            assert body["active_providers"] == page.active_providers
            assert body["first_usage_date"] == page.first_usage_date.isoformat()
            assert body["last_usage_date"] == page.last_usage_date.isoformat()
            assert body["last_month_cost_cents"] > 0
    assert with_usage > 60  # most of the demo's people, in both scopes


@pytest.mark.parametrize("range_", [r.value for r in periods.Range])
def test_actor_series_equal_the_person_chart(client, demo, session_now, range_):
    tenant, _reorg, secret = demo
    for scenario_id, scenario in _scopes(demo):
        for actor in _actors(session_now, tenant.id, scenario_id)[::4]:
            body = client.get(f"/api/v1/ai-tooling/actors/{actor.id}/series?range={range_}&scenario={scenario}",
                              headers=bearer(secret)).json()
            page = queries.person_series(session=session_now, actor=actor, range=range_)
            assert body["range"] == range_
            assert (body["start"], body["end"]) == (page[0].date.isoformat(), page[-1].date.isoformat())
            assert [(p["date"], p["cost_cents"], p["cost_cents_exact"], p["sessions"], p["commits"],
                     p["pull_requests"]) for p in body["points"]] == [
                (p.date.isoformat(), cents(p.cost_cents), exact(p.cost_cents), p.sessions, p.commits,
                 p.pull_requests) for p in page]


def test_actor_series_for_explicit_dates_equal_the_chart(client, demo, session_now):
    tenant, _reorg, secret = demo
    start, end = dt.date(2026, 8, 30), dt.date(2026, 10, 2)
    actor = next(a for a in _actors(session_now, tenant.id, None)
                 if queries.person_summary(session=session_now, actor=a) is not None)
    body = client.get(f"/api/v1/ai-tooling/actors/{actor.id}/series?from={start}&to={end}",
                      headers=bearer(secret)).json()
    page = queries.person_series(session=session_now, actor=actor, start=start, end=end)
    assert body["range"] is None
    assert len(body["points"]) == (end - start).days + 1 == len(page)
    assert [p["cost_cents_exact"] for p in body["points"]] == [exact(p.cost_cents) for p in page]
    assert sum(p["sessions"] for p in body["points"]) > 0


def _assert_unit(body: dict, page: queries.UnitSummary) -> None:
    assert body["scope"] == page.breadth.value
    assert body["last_month_cost_cents"] == cents(page.last_month_cost_cents)
    assert body["last_month_cost_cents_exact"] == exact(page.last_month_cost_cents)
    assert body["mtd_cost_cents"] == cents(page.mtd_cost_cents)
    assert body["mtd_cost_cents_exact"] == exact(page.mtd_cost_cents)
    assert body["total_cost_cents"] == cents(page.cost_cents)
    assert (body["last_month_active_users"], body["mtd_active_users"]) == (page.last_month_active_users,
                                                                            page.mtd_active_users)
    assert (body["sessions"], body["commits"], body["pull_requests"], body["lines_added"], body["lines_removed"]) == (
        page.sessions, page.commits, page.pull_requests, page.lines_added, page.lines_removed)
    assert body["first_usage_date"] == (page.first_usage_date.isoformat() if page.first_usage_date else None)
    assert body["last_month"]["start"] == page.last_month.start.isoformat()
    assert body["mtd"]["end"] == page.mtd.end.isoformat()


def test_team_summaries_equal_the_team_page(client, demo, session_now):
    tenant, _reorg, secret = demo
    teams_with_usage = 0
    for scenario_id, scenario in _scopes(demo):
        for team in _units(session_now, tenant.id, scenario_id, OrgUnitKind.team):
            for scope in Breadth:
                body = client.get(f"/api/v1/ai-tooling/teams/{team.id}/summary?scope={scope.value}"
                                  f"&scenario={scenario}", headers=bearer(secret)).json()
                _assert_unit(body, queries.unit_summary(session=session_now, org_unit=team, breadth=scope))
            members = queries.team_member_breakdown(session=session_now, org_unit=team, range="mtd")
            assert body["members_range"] == "mtd"
            assert [(m["actor_id"], m["name"], m["cost_cents"], m["cost_cents_exact"], m["sessions"], m["commits"],
                     m["pull_requests"], m["lines_added"]) for m in body["members"]] == [
                (m.actor_id, m.name, cents(m.cost_cents), exact(m.cost_cents), m.sessions, m.commits,
                 m.pull_requests, m.lines_added) for m in members]
            teams_with_usage += body["mtd_cost_cents"] > 0
    assert teams_with_usage >= 12


@pytest.mark.parametrize("range_", ["last_month", "all"])
def test_team_member_breakdown_follows_the_range(client, demo, session_now, range_):
    tenant, _reorg, secret = demo
    for team in _units(session_now, tenant.id, None, OrgUnitKind.team):
        body = client.get(f"/api/v1/ai-tooling/teams/{team.id}/summary?range={range_}", headers=bearer(secret)).json()
        members = queries.team_member_breakdown(session=session_now, org_unit=team, range=range_)
        assert [(m["actor_id"], m["cost_cents_exact"]) for m in body["members"]] == [
            (m.actor_id, exact(m.cost_cents)) for m in members]


def test_department_summaries_equal_the_department_page(client, demo, session_now):
    tenant, _reorg, secret = demo
    checked = 0
    for scenario_id, scenario in _scopes(demo):
        for department in _units(session_now, tenant.id, scenario_id, OrgUnitKind.department):
            bodies = {}
            for scope in Breadth:
                body = client.get(f"/api/v1/ai-tooling/departments/{department.id}/summary?scope={scope.value}"
                                  f"&scenario={scenario}", headers=bearer(secret)).json()
                _assert_unit(body, queries.unit_summary(session=session_now, org_unit=department, breadth=scope))
                bodies[scope] = body
            default = client.get(f"/api/v1/ai-tooling/departments/{department.id}/summary?scenario={scenario}",
                                 headers=bearer(secret)).json()
            assert default == bodies[Breadth.subtree]
            assert bodies[Breadth.subtree]["total_cost_cents"] >= bodies[Breadth.direct]["total_cost_cents"]
            checked += 1
    assert checked == 10  # five departments in each scope
