"""The read side for the person, team and department pages, with a frozen clock and a tenant
whose "today" differs from UTC's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session

from orgonaut import clock
from orgonaut.db import get_engine
from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind
from orgonaut.rollups import queries, service
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import Period, Range
from orgonaut.rollups.queries import DayPoint, MemberRow
from orgonaut.ui.format import format_usd
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

# 12:00 UTC on 31 March is already 1 April (01:00, NZDT) in Auckland.
NOW = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 4, 1)
OCT, JAN, MAR31 = dt.date(2024, 10, 15), dt.date(2025, 1, 10), dt.date(2025, 3, 31)


@pytest.fixture
def org(session):
    tenant = make_tenant(session, timezone="Pacific/Auckland")
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    eng = b.unit(session, tenant, "Engineering", company, kind=OrgUnitKind.department)
    web = b.unit(session, tenant, "Web", eng)
    api = b.unit(session, tenant, "API", eng)
    alice, bob = b.actor(session, tenant, "Alice"), b.actor(session, tenant, "bob")
    zoe, ed = b.actor(session, tenant, "Zoe"), b.actor(session, tenant, "Ed")
    b.place(session, alice, web, dt.date(2024, 1, 1))
    b.place(session, alice, api, dt.date(2024, 1, 1))
    b.place(session, bob, web, dt.date(2024, 1, 1))
    b.place(session, zoe, web, dt.date(2025, 3, 1))  # no usage at all
    b.place(session, ed, eng, dt.date(2024, 1, 1))
    b.usage(session, tenant, alice, OCT, cost="1000", sessions=1, commits=1, lines_added=1)
    b.usage(session, tenant, alice, JAN, cost="200", sessions=2, commits=2, pull_requests=1, lines_added=20,
            lines_removed=2)
    b.usage(session, tenant, alice, MAR31, cost="30.5", sessions=3, commits=3, pull_requests=1, lines_added=30,
            lines_removed=3)
    b.usage(session, tenant, alice, MAR31, cost="0.25", sessions=1, provider="cursor")
    b.usage(session, tenant, alice, TODAY, cost="4.125", sessions=4, commits=4, pull_requests=2, lines_added=40,
            lines_removed=4)
    b.usage(session, tenant, bob, MAR31, cost="11", sessions=1, commits=1, lines_added=5)
    b.usage(session, tenant, ed, TODAY, cost="7", sessions=7, commits=7, pull_requests=7, lines_added=7)
    session.commit()
    with clock.frozen_at(NOW - dt.timedelta(minutes=2)):
        service.rebuild(session=session, tenant_id=tenant.id)
        session.commit()
    return dict(tenant=tenant, company=company, eng=eng, web=web, api=api, alice=alice, bob=bob, zoe=zoe, ed=ed)


def test_person_summary_cards_use_the_tenants_months(session, org):
    with clock.frozen_at(NOW):
        summary = queries.person_summary(session=session, actor=org["alice"])
    assert summary.mtd == Period(TODAY, TODAY)
    assert summary.last_month == Period(dt.date(2025, 3, 1), MAR31)
    assert summary.mtd_cost_cents == Decimal("4.125")
    assert summary.last_month_cost_cents == Decimal("30.75")  # both providers on 31 March
    assert (summary.sessions, summary.commits, summary.pull_requests) == (11, 10, 4)
    assert (summary.lines_added, summary.lines_removed) == (91, 9)
    assert summary.providers == ("claude_code", "cursor")
    assert summary.active_providers == 2
    assert (summary.first_usage_date, summary.last_usage_date) == (OCT, TODAY)
    assert format_usd(summary.last_month_cost_cents) == "$0.31"


def test_person_without_usage_has_no_summary(session, org):
    with clock.frozen_at(NOW):
        assert queries.person_summary(session=session, actor=org["zoe"]) is None


def test_person_series_for_each_range_is_daily_with_zero_days_filled(session, org):
    alice = org["alice"]
    with clock.frozen_at(NOW):
        series = {r: queries.person_series(session=session, actor=alice, range=r) for r in Range}
        explicit = queries.person_series(session=session, actor=alice, start=dt.date(2025, 3, 30), end=TODAY)
    assert series["mtd"] == [DayPoint(TODAY, Decimal("4.125"), 4, 4, 2)]
    last = series["last_month"]
    assert (len(last), last[0].date, last[-1].date) == (31, dt.date(2025, 3, 1), MAR31)
    assert last[-1] == DayPoint(MAR31, Decimal("30.75"), 4, 3, 1)
    assert all(p.cost_cents == 0 and p.sessions == 0 for p in last[:-1])
    three = series["3m"]
    assert (three[0].date, three[-1].date, len(three)) == (dt.date(2025, 1, 2), TODAY, 90)
    assert sum(p.cost_cents for p in three) == Decimal("234.875")
    six = series["6m"]
    assert (six[0].date, six[-1].date) == (dt.date(2024, 10, 2), TODAY)
    assert sum(p.cost_cents for p in six) == Decimal("1234.875")
    everything = series["all"]
    assert (everything[0].date, everything[-1].date) == (OCT, TODAY)
    assert len(everything) == (TODAY - OCT).days + 1
    assert [p.date for p in explicit] == [dt.date(2025, 3, 30), MAR31, TODAY]
    assert [p.sessions for p in explicit] == [0, 4, 4]


def test_the_same_data_in_utc_puts_31_march_into_month_to_date(session, org):
    org["tenant"].timezone = "UTC"
    session.add(org["tenant"])
    session.commit()
    with clock.frozen_at(NOW):
        summary = queries.person_summary(session=session, actor=org["alice"])
        web = queries.unit_summary(session=session, org_unit=org["web"], breadth="direct")
    assert summary.mtd == Period(dt.date(2025, 3, 1), MAR31)
    assert summary.mtd_cost_cents == Decimal("30.75")  # 1 April is tomorrow in UTC
    assert summary.last_month_cost_cents == Decimal("0")
    assert web.mtd_cost_cents == Decimal("41.75")


def test_unit_summary_direct_and_subtree_with_distinct_active_users(session, org):
    with clock.frozen_at(NOW):
        web = queries.unit_summary(session=session, org_unit=org["web"], breadth="direct")
        eng_direct = queries.unit_summary(session=session, org_unit=org["eng"], breadth="direct")
        eng = queries.unit_summary(session=session, org_unit=org["eng"], breadth=Breadth.subtree)
    assert (web.last_month_cost_cents, web.mtd_cost_cents) == (Decimal("41.75"), Decimal("4.125"))
    assert (web.last_month_active_users, web.mtd_active_users) == (2, 1)
    assert (web.sessions, web.commits, web.pull_requests, web.lines_added, web.lines_removed) == (12, 11, 4, 96, 9)
    assert web.cost_cents == Decimal("1245.875")
    assert web.first_usage_date == OCT
    assert web.computed_at == NOW - dt.timedelta(minutes=2)
    assert (eng_direct.mtd_cost_cents, eng_direct.mtd_active_users, eng_direct.last_month_active_users) == (
        Decimal("7"), 1, 0)
    # Alice is in Web and API but counts once in Engineering's subtree.
    assert (eng.last_month_cost_cents, eng.mtd_cost_cents) == (Decimal("41.75"), Decimal("11.125"))
    assert (eng.last_month_active_users, eng.mtd_active_users) == (2, 2)
    assert eng.sessions == 19


def test_active_users_over_a_period_are_distinct_not_a_sum_of_days(session, org):
    with clock.frozen_at(NOW):
        count = queries.active_users(session=session, org_unit=org["web"], breadth="direct", start=OCT, end=TODAY)
        daily = sum(
            queries.active_users(session=session, org_unit=org["web"], breadth="direct", start=d, end=d)
            for d in (OCT, JAN, MAR31, TODAY)
        )
    assert (count, daily) == (2, 5)


def test_unit_series_per_range(session, org):
    with clock.frozen_at(NOW):
        mtd = queries.unit_series(session=session, org_unit=org["eng"], breadth="subtree", range="mtd")
        last = queries.unit_series(session=session, org_unit=org["eng"], breadth="subtree", range="last_month")
        every = queries.unit_series(session=session, org_unit=org["api"], breadth="direct", range="all")
        direct = queries.unit_series(session=session, org_unit=org["eng"], breadth="direct", range="3m")
    assert mtd == [DayPoint(TODAY, Decimal("11.125"), 11, 11, 9)]
    assert len(last) == 31 and last[-1] == DayPoint(MAR31, Decimal("41.75"), 5, 4, 1)
    assert (every[0].date, every[0].cost_cents, every[-1].date) == (OCT, Decimal("1000"), TODAY)
    assert [p.cost_cents for p in direct if p.cost_cents] == [Decimal("7")]


def test_team_member_breakdown_lists_every_member_of_the_range(session, org):
    web = org["web"]
    with clock.frozen_at(NOW):
        last = queries.team_member_breakdown(session=session, org_unit=web, range="last_month")
        mtd = queries.team_member_breakdown(session=session, org_unit=web, range="mtd")
        six = queries.team_member_breakdown(session=session, org_unit=web, range="6m")
    alice, bob, zoe = org["alice"], org["bob"], org["zoe"]
    assert last == [
        MemberRow(alice.id, "Alice", Decimal("30.75"), 4, 3, 1, 30),
        MemberRow(bob.id, "bob", Decimal("11"), 1, 1, 0, 5),
        MemberRow(zoe.id, "Zoe", Decimal("0"), 0, 0, 0, 0),
    ]
    assert [(r.name, r.cost_cents) for r in mtd] == [("Alice", Decimal("4.125")), ("bob", 0), ("Zoe", 0)]
    assert six[0] == MemberRow(alice.id, "Alice", Decimal("1234.875"), 11, 10, 4, 91)


def test_last_computed_at_per_unit_and_scope(session, org):
    t = org["tenant"].id
    at = queries.last_computed_at(session=session, tenant_id=t, scenario_id=None, org_unit_id=org["web"].id)
    assert at == NOW - dt.timedelta(minutes=2)
    assert queries.last_computed_at(session=session, tenant_id=t, scenario_id=None) == at
    assert queries.last_computed_at(session=session, tenant_id=t, scenario_id=None,
                                    org_unit_id=org["zoe"].id + 999) is None
    assert queries.last_computed_at(session=session, tenant_id=t, scenario_id=12345) is None


def test_unit_reads_use_rollups_only_in_few_statements(org):
    statements: list[str] = []
    session = Session(get_engine())
    web, eng = session.get(OrgUnit, org["web"].id), session.get(OrgUnit, org["eng"].id)
    alice = session.get(Actor, org["alice"].id)

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        with clock.frozen_at(NOW):
            counts = {}
            for name, read in {
                "team": lambda: (
                    queries.unit_summary(session=session, org_unit=web, breadth="direct"),
                    queries.unit_series(session=session, org_unit=web, breadth="direct", range="6m"),
                    queries.team_member_breakdown(session=session, org_unit=web, range="all"),
                ),
                "department": lambda: (
                    queries.unit_summary(session=session, org_unit=eng, breadth="direct"),
                    queries.unit_summary(session=session, org_unit=eng, breadth="subtree"),
                    queries.unit_series(session=session, org_unit=eng, breadth="subtree", range="all"),
                ),
            }.items():
                start = len(statements)
                assert read()
                counts[name] = len(statements) - start
            unit_statements = list(statements)
            queries.person_summary(session=session, actor=alice)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        session.close()
    # Each read asks for the tenant's time zone first. Team: summary 1 + 2, series 1 + 1, member table
    # 1 + 2 ("All" first finds the first day). Department: summaries 1 + 2 (direct) and 1 + 3 (subtree:
    # its unit ids first), series 1 + 1.
    assert counts == {"team": 8, "department": 9}
    assert not [s for s in unit_statements if "ai_tool_usage_records" in s]
    assert all(any(t in s for t in ("ai_usage_rollups", "ai_usage_member_rollups", "tenants", "org_units"))
               for s in unit_statements)
    # The detector does see raw reads: the person page reads the person's records.
    assert "ai_tool_usage_records" in statements[-1]
