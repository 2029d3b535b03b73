"""Tree queries on a small org, with effective-dated placements."""

import datetime as dt

import pytest

from orgonaut import clock
from orgonaut.errors import ValidationFailed
from orgonaut.org import queries, service
from tests.factories import make_tenant
from tests.integration.org.conftest import DAY, build_small_org, robot


def _names(actors):
    return [a.name for a in actors]


def test_descendants_and_ancestors_include_the_unit_itself(session, org):
    assert queries.descendant_unit_ids(session=session, org_unit_id=org.company.id) == [
        org.company.id, org.engineering.id, org.sales.id, org.platform.id, org.checkout.id, org.field_sales.id,
        org.core.id,
    ]
    assert queries.descendant_unit_ids(session=session, org_unit_id=org.core.id) == [org.core.id]
    assert queries.ancestor_unit_ids(session=session, org_unit_id=org.core.id) == [
        org.core.id, org.platform.id, org.engineering.id, org.company.id,
    ]
    assert queries.ancestor_unit_ids(session=session, org_unit_id=org.company.id) == [org.company.id]
    assert [u.name for u in queries.unit_path(session=session, org_unit_id=org.core.id)] == [
        "Acme", "Engineering", "Platform", "Core",
    ]


def test_tree_queries_stay_inside_one_scope(session, org):
    scenario = service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    build_small_org(session, make_tenant(session))
    session.commit()
    live = queries.descendant_unit_ids(session=session, org_unit_id=org.company.id)
    copy_root = service.get_company(session=session, tenant_id=org.tenant_id, scenario_id=scenario.id)
    copied = queries.descendant_unit_ids(session=session, org_unit_id=copy_root.id)
    assert len(live) == len(copied) == 7 and not set(live) & set(copied)


@pytest.mark.parametrize(
    ("day", "core", "checkout"),
    [
        (DAY, ["Ada", "Bob"], ["Bob"]),
        (DAY - dt.timedelta(days=30), ["Ada", "Bob"], ["Bob", "Eve"]),  # Eve's last day (inclusive)
        (DAY - dt.timedelta(days=29), ["Ada", "Bob"], ["Bob"]),
        (DAY + dt.timedelta(days=30), ["Ada", "Bob", "Fay"], ["Bob"]),  # Fay's first day
        (DAY - dt.timedelta(days=366), [], []),  # before anyone started
    ],
)
def test_actors_in_unit_respect_effective_dates(session, org, day, core, checkout):
    in_core = queries.actors_in_unit(session=session, org_unit_id=org.core.id, on=day)
    assert _names(a for a, _p in in_core) == core
    assert all(p.org_unit_id == org.core.id for _a, p in in_core)
    assert _names(a for a, _p in queries.actors_in_unit(session=session, org_unit_id=org.checkout.id, on=day)) == (
        checkout
    )


def test_actors_in_unit_carry_the_placement(session, org):
    rows = dict(
        (a.name, (p.is_primary, p.allocation_pct))
        for a, p in queries.actors_in_unit(session=session, org_unit_id=org.core.id, on=DAY)
    )
    assert rows == {"Ada": (True, 100), "Bob": (False, 40)}


def test_actors_in_subtree_are_distinct_and_dated(session, org):
    # Bob is in Core and Checkout, both under Engineering: counted once.
    assert _names(queries.actors_in_subtree(session=session, org_unit_id=org.engineering.id, on=DAY)) == [
        "Ada", "Bob", "Cy",
    ]
    assert _names(
        queries.actors_in_subtree(session=session, org_unit_id=org.engineering.id, on=DAY - dt.timedelta(days=30))
    ) == ["Ada", "Bob", "Cy", "Eve"]
    assert _names(queries.actors_in_subtree(session=session, org_unit_id=org.company.id, on=DAY)) == [
        "Ada", "Bob", "Cy", "Dee",
    ]
    assert queries.subtree_member_count(session=session, org_unit_id=org.company.id, on=DAY) == 4
    assert queries.subtree_member_count(
        session=session, org_unit_id=org.company.id, on=DAY + dt.timedelta(days=30)
    ) == 5


def test_team_and_department_listings_with_member_counts(session, org):
    teams = queries.list_teams(session=session, tenant_id=org.tenant_id, scenario_id=None, on=DAY)
    assert [(t.unit.name, t.parent.name, t.direct_member_count, t.subtree_member_count) for t in teams] == [
        ("Checkout", "Engineering", 1, 1), ("Core", "Platform", 2, 2), ("Field Sales", "Sales", 1, 1),
    ]
    departments = queries.list_departments(session=session, tenant_id=org.tenant_id, scenario_id=None, on=DAY)
    assert [(d.unit.name, d.parent.name, d.direct_member_count, d.subtree_member_count) for d in departments] == [
        ("Engineering", "Acme", 1, 3), ("Platform", "Engineering", 0, 2), ("Sales", "Acme", 0, 1),
    ]
    assert queries.list_teams(session=session, tenant_id=org.tenant_id, scenario_id=999, on=DAY) == []


def test_department_page_pieces(session, org):
    summary = queries.unit_summary(session=session, unit=org.engineering, on=DAY)
    assert (summary.parent.id, summary.direct_member_count, summary.subtree_member_count) == (org.company.id, 1, 3)
    children = queries.child_units(session=session, org_unit_id=org.engineering.id, on=DAY)
    assert [(c.unit.name, c.direct_member_count, c.subtree_member_count) for c in children] == [
        ("Platform", 0, 2), ("Checkout", 1, 1),
    ]
    root = queries.unit_summary(session=session, unit=org.company, on=DAY)
    assert (root.parent, root.direct_member_count, root.subtree_member_count) == (None, 0, 4)
    assert queries.child_units(session=session, org_unit_id=org.core.id, on=DAY) == []


def test_placements_of_actor_with_unit_names(session, org):
    service.end_placement(session=session, tenant_id=org.tenant_id, placement_id=org.bob_primary.id,
                          end_date=DAY)
    service.create_placement(session=session, tenant_id=org.tenant_id, actor_id=org.bob.id,
                             org_unit_id=org.field_sales.id, is_primary=True, start_date=DAY + dt.timedelta(days=1))
    session.commit()
    rows = queries.placements_of_actor(session=session, actor_id=org.bob.id)
    assert [(u.name, p.is_primary, p.allocation_pct, p.end_date) for p, u in rows] == [
        ("Field Sales", True, 100, None), ("Checkout", True, 60, DAY), ("Core", False, 40, None),
    ]


def test_list_people_searches_filters_and_shows_the_primary_unit(session, org):
    robot(session, org, email="bot@robots.test")
    service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name="Percent_50%",
                         email="pct@x.test")
    service.create_scenario(session=session, tenant_id=org.tenant_id, name="Plan")
    session.commit()

    def people(**kwargs):
        rows = queries.list_people(session=session, tenant_id=org.tenant_id, scenario_id=None, on=DAY, **kwargs)
        return [(r.actor.name, r.primary_unit.name if r.primary_unit else None) for r in rows]

    assert people() == [
        ("Ada", "Core"), ("Bob", "Checkout"), ("Build Bot", None), ("Cy", "Engineering"), ("Dee", "Field Sales"),
        ("Eve", None), ("Fay", None), ("Percent_50%", None),
    ]
    assert people(search="  BO ") == [("Bob", "Checkout"), ("Build Bot", None)]
    assert people(search="robots.TEST") == [("Build Bot", None)]
    assert people(search="_50%") == [("Percent_50%", None)]
    assert people(search="%") == [("Percent_50%", None)]
    assert people(kind="robot") == [("Build Bot", None)]
    assert people(kind="agent") == []
    with pytest.raises(ValidationFailed, match="Unknown actor kind 'android'"):
        people(kind="android")


def test_list_people_defaults_to_today_in_the_tenants_time_zone(session):
    tenant = make_tenant(session, timezone="Pacific/Auckland")  # UTC+12 in May
    small = build_small_org(session, tenant)
    session.commit()
    eve_last_day = DAY - dt.timedelta(days=30)

    def eve_home_at(moment):
        with clock.frozen_at(moment):
            today = queries.tenant_today(session=session, tenant_id=tenant.id)
            rows = queries.list_people(session=session, tenant_id=tenant.id, scenario_id=None, search="eve")
        assert [r.actor.id for r in rows] == [small.eve.id]
        return today, rows[0].primary_unit.name if rows[0].primary_unit else None

    # 13:00 UTC is already 01:00 the next day in Auckland: the tenant's day decides.
    assert eve_home_at(dt.datetime.combine(eve_last_day - dt.timedelta(days=1), dt.time(13), tzinfo=dt.UTC)) == (
        eve_last_day, "Checkout",
    )
    assert eve_home_at(dt.datetime.combine(eve_last_day, dt.time(13), tzinfo=dt.UTC)) == (
        eve_last_day + dt.timedelta(days=1), None,
    )
