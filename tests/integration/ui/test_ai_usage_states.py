"""The AI Tooling sections' states, driven in-process on the demo org with half a year of usage.

Every number a section shows is compared with what `orgonaut.rollups.queries` answers for the
same person, team or department and range (the functions the REST API answers with too), and the
SQL each load runs is recorded: team and department loads never read the raw usage records, and
switching the range runs no SQL at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.ai_tooling import changes
from orgonaut.db import get_engine
from orgonaut.org import demo_data
from orgonaut.org.models import Actor, OrgUnit, Scenario
from orgonaut.rollups import periods, queries
from orgonaut.rollups import queue as refresh
from orgonaut.rollups import service as rollups
from orgonaut.rollups.models import Breadth
from orgonaut.rollups.periods import Range
from orgonaut.tenancy.models import Role
from orgonaut.ui import routes
from orgonaut.ui.components.charts import dollars
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_usage_state import DepartmentUsageState, PersonUsageState, TeamUsageState
from orgonaut.ui.pages.department import DepartmentState
from orgonaut.ui.pages.person import PersonState
from orgonaut.ui.pages.team import TeamState
from orgonaut.ui.pages.usage_views import change_text
from tests.factories import make_user
from tests.integration.api.conftest import write_usage
from tests.integration.ui.conftest import Tab, login_token

NOW = dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
FIRST_DAY = dt.date(2026, 6, 10)  # after the start of "6M", so that range begins with empty days
COMPUTED = NOW - dt.timedelta(minutes=2)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def usage_demo(session: Session, demo):
    """The demo org with usage for its roster in Live (FIRST_DAY..today) and in the "Reorg 2027"
    scenario (the last two months), rollups computed two minutes ago."""
    reorg = session.exec(select(Scenario).where(Scenario.tenant_id == demo.id,
                                                Scenario.name == demo_data.REORG_SCENARIO)).one()
    roster = demo_data.demo_usage_roster()
    write_usage(session, tenant=demo, scenario_id=None, emails=roster, start=FIRST_DAY, end=NOW.date())
    write_usage(session, tenant=demo, scenario_id=reorg.id, emails=roster, start=dt.date(2026, 9, 15),
                end=NOW.date(), skip_every=3)
    session.commit()
    with clock.frozen_at(COMPUTED):
        rollups.rebuild(session=session, tenant_id=demo.id)
    session.commit()
    return demo


def _actor(session: Session, tenant_id: int, name: str, scenario_id: int | None = None) -> Actor:
    return session.exec(select(Actor).where(Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id,
                                            Actor.name == name)).one()


def _unit(session: Session, tenant_id: int, name: str, scenario_id: int | None = None) -> OrgUnit:
    return session.exec(select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id,
                                              OrgUnit.name == name)).one()


def _open_person(tab: Tab, actor_id: int) -> PersonUsageState:
    tab.open(PersonState, routes.PERSON, routes.person_url(actor_id), person_id=str(actor_id))
    usage = tab.state(PersonUsageState)
    usage.load()
    return usage


def _open_team(tab: Tab, team_id: int) -> TeamUsageState:
    tab.open(TeamState, routes.TEAM, routes.team_url(team_id), team_id=str(team_id))
    usage = tab.state(TeamUsageState)
    usage.load()
    return usage


def _open_department(tab: Tab, department_id: int) -> DepartmentUsageState:
    tab.open(DepartmentState, routes.DEPARTMENT, routes.department_url(department_id),
             department_id=str(department_id))
    usage = tab.state(DepartmentUsageState)
    usage.load()
    return usage


def _cards(state) -> dict[str, tuple[str, str]]:
    return {card.label: (card.value, card.hint) for card in state.cards}


def _assert_plots(state, points: list[queries.DayPoint]) -> None:
    """The state's cost figure, total and empty flag are exactly these points (a day each up to six
    months; today, never complete, only once it has usage)."""
    plotted = [p for p in points if p.date != NOW.date() or p.used] if state._today == NOW.date() else points
    [trace] = state.cost_figure["data"]
    if len(points) <= 190:
        assert trace["x"] == [p.date.isoformat() for p in plotted]
        assert trace["y"] == [dollars(p.cost_cents) for p in plotted]
        assert [amount for _, amount in trace["customdata"]] == [format_usd(p.cost_cents) for p in plotted]
    total = format_usd(sum((p.cost_cents for p in points), Decimal(0)))
    assert state.range_total == total == state.cost_table[-1].cost
    assert state.has_cost == any(p.cost_cents for p in points)


def _expected_cards(choice: Range, series, first: dt.date | None, labels: dict[str, str]) -> dict[str, tuple]:
    """(value, change) of the cost card and of `labels` (card label -> DayPoint field), read with the
    range's and the previous period's own dates from `series(start, end)` (not the page's "All" series)."""
    period = periods.period_for(choice, today=NOW.date(), first_usage=first)
    days = (period.end - period.start).days + 1
    now = series(period.start, period.end)
    before = None if choice == Range.all else series(*dataclasses.astuple(periods.previous_period(period)))

    def summed(points, field):
        return sum(getattr(p, field) or 0 for p in points)

    def card(value, previous, money=False):
        shown = format_usd(value) if money else f"{value:,}"
        return shown, change_text(value, previous, days, money=money) if before is not None else ""

    cards = {"Cost": card(summed(now, "cost_cents"), summed(before or [], "cost_cents"), money=True)}
    for label, field in labels.items():
        cards[label] = card(summed(now, field), summed(before or [], field))
    return cards


def _values(state, labels) -> dict[str, tuple[str, str]]:
    return {card.label: (card.value, card.change) for card in state.cards if card.label in labels}


@contextlib.contextmanager
def recorded_sql():
    """Every SQL statement the engine runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- person -------------------------------------------------------------------------------------


def test_person_section_shows_the_query_numbers_for_every_range(session, usage_demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    ana = _actor(session, usage_demo.id, "Ana Souza")
    usage = _open_person(tab, ana.id)

    summary = queries.person_summary(session=session, actor=ana)
    assert summary is not None and summary.sessions > 0
    assert usage.has_usage and usage.loaded_for == str(ana.id)
    # The default range, 3M: every card says its days.
    assert usage.chosen_range == Range.three_months.value
    assert _cards(usage)["Cost"][1] == "Aug 19 – Nov 18, 2026"
    assert [card.label for card in usage.cards] == ["Cost", "Sessions", "Commits", "Pull requests", "Lines added",
                                                    "Lines removed", "Active providers"]
    assert _cards(usage)["Active providers"] == ("1", "Claude Code")

    def series(start, end):
        return queries.person_series(session=session, actor=ana, start=start, end=end)

    labels = {"Sessions": "sessions", "Commits": "commits", "Pull requests": "pull_requests",
              "Lines added": "lines_added", "Lines removed": "lines_removed"}
    for choice in Range:
        usage.choose_range(choice.value)
        expected = _expected_cards(choice, series, summary.first_usage_date, labels)
        assert _values(usage, expected) == expected, choice
        points = queries.person_series(session=session, actor=ana, range=choice)
        _assert_plots(usage, points)
        plotted = [p for p in points if p.date != NOW.date() or p.used]
        lines = {trace["name"]: trace["y"] for trace in usage.activity_figure["data"]}
        assert lines == {"Sessions": [p.sessions for p in plotted], "Commits": [p.commits for p in plotted],
                         "Pull requests": [p.pull_requests for p in plotted]}
        assert all(trace["x"] == [p.date.isoformat() for p in plotted] for trace in usage.activity_figure["data"])
    assert _values(usage, ["Cost"])["Cost"][1] == ""  # "All": nothing before the first usage to compare with
    assert _values(usage, ["Sessions"])["Sessions"][0] == f"{summary.sessions:,}"  # all time, as the summary
    # "All" starts at the first usage; "6M" starts before it, with empty days.
    usage.choose_range("all")
    assert usage.cost_figure["data"][0]["x"][0] == summary.first_usage_date.isoformat()
    assert FIRST_DAY <= summary.first_usage_date < dt.date(2026, 6, 15)
    usage.choose_range(["6m"])  # segmented controls may hand over a list
    assert usage.cost_figure["data"][0]["x"][0] == "2026-05-19"
    assert usage.cost_figure["data"][0]["y"][0] == 0
    for unknown in ("forever", [], ["decade"]):  # ignored
        usage.choose_range(unknown)
        assert usage.chosen_range == "6m"


def test_a_range_without_usage_is_empty_but_still_shows_its_days(session, usage_demo):
    ana = _actor(session, usage_demo.id, "Ana Souza")
    with clock.frozen_at(dt.datetime(2027, 3, 2, 12, tzinfo=dt.UTC)):  # months after the last usage
        usage = _open_person(Tab(login_token(session, "admin@demo.test")), ana.id)
        usage.choose_range("mtd")
        # Today, not over yet and without usage, is left out: no drop to $0 at the end.
        assert usage.cost_figure["data"][0]["x"] == ["2027-03-01"]
        assert not usage.has_cost and not usage.has_activity
        assert usage.range_total == "$0.00"
        assert _values(usage, ["Cost"])["Cost"] == ("$0.00", "no change vs the 2 days before")
        usage.choose_range("all")
        assert usage.has_cost


def test_months_are_the_tenants_calendar_months(session, usage_demo):
    usage_demo.timezone = "Pacific/Auckland"  # already 1 December there
    session.add(usage_demo)
    session.commit()
    ana = _actor(session, usage_demo.id, "Ana Souza")
    with clock.frozen_at(dt.datetime(2026, 11, 30, 15, 30, tzinfo=dt.UTC)):
        usage = _open_person(Tab(login_token(session, "admin@demo.test")), ana.id)
        summary = queries.person_summary(session=session, actor=ana)
    usage.choose_range("mtd")
    assert _cards(usage)["Cost"] == (format_usd(summary.mtd_cost_cents), "Dec 1, 2026")
    assert usage.cost_figure["data"][0]["x"] == [] and usage.cards[0].change == "no change vs the day before"
    usage.choose_range("last_month")
    assert _cards(usage)["Cost"] == (format_usd(summary.last_month_cost_cents), "Nov 1 – 30, 2026")
    assert usage.cards[0].change.endswith(" vs the 30 days before")
    assert usage.cost_figure["data"][0]["x"][-1] == "2026-11-30"


def test_person_without_usage_or_without_cost_access_has_no_section(session, usage_demo):
    elena = _actor(session, usage_demo.id, "Elena Petrova")  # does not use Claude Code
    assert queries.person_summary(session=session, actor=elena) is None
    usage = _open_person(Tab(login_token(session, "admin@demo.test")), elena.id)
    assert not usage.has_usage and usage.cards == [] and usage.loaded_for == str(elena.id)
    assert usage.cost_figure["data"][0]["x"] == []

    # A viewer may see people but not costs: nothing of Ana's usage reaches the state.
    make_user(session, usage_demo, role=Role.viewer, email="viewer@demo.test")
    session.commit()
    ana = _actor(session, usage_demo.id, "Ana Souza")
    tab = Tab(login_token(session, "viewer@demo.test"))
    viewer = _open_person(tab, ana.id)
    assert tab.state(PersonState).found
    assert not viewer.has_usage and viewer.cards == []


def test_a_person_of_another_scope_or_tenant_shows_nothing(session, usage_demo):
    reorg = session.exec(select(Scenario).where(Scenario.name == demo_data.REORG_SCENARIO)).one()
    in_reorg = _actor(session, usage_demo.id, "Ana Souza", scenario_id=reorg.id)
    assert queries.person_summary(session=session, actor=in_reorg) is not None
    tab = Tab(login_token(session, "admin@demo.test"))  # looking at Live
    for raw in (str(in_reorg.id), "999999", "nope"):
        tab.open(PersonState, routes.PERSON, f"/people/{raw}", person_id=raw)
        usage = tab.state(PersonUsageState)
        usage.load()
        assert not usage.has_usage and usage.cards == [] and usage.loaded_for == raw


# --- team ---------------------------------------------------------------------------------------


def test_team_section_shows_the_rollup_numbers_for_every_range(session, usage_demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    team = _unit(session, usage_demo.id, "Core Platform")
    usage = _open_team(tab, team.id)

    summary = queries.unit_summary(session=session, org_unit=team, breadth=Breadth.subtree)
    assert summary.mtd_active_users > 0
    assert usage.found_unit and usage.unit_id == team.id
    assert [card.label for card in usage.cards] == ["Cost", "Active users", "Sessions", "Commits", "Pull requests",
                                                    "Lines added"]

    def series(start, end):
        return queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, start=start, end=end)

    labels = {"Sessions": "sessions", "Commits": "commits", "Pull requests": "pull_requests",
              "Lines added": "lines_added"}
    for choice in Range:
        usage.choose_range(choice.value)
        expected = _expected_cards(choice, series, summary.first_usage_date, labels)
        assert _values(usage, expected) == expected, choice
        period = periods.period_for(choice, today=NOW.date(), first_usage=summary.first_usage_date)
        users = queries.active_users(session=session, org_unit=team, breadth=Breadth.subtree, start=period.start,
                                     end=period.end)
        assert _cards(usage)["Active users"] == (str(users), usage.range_period)
    usage.choose_range("mtd")
    assert _cards(usage)["Cost"] == (format_usd(summary.mtd_cost_cents), "Nov 1 – 18, 2026")
    assert _cards(usage)["Active users"][0] == str(summary.mtd_active_users)
    usage.choose_range("last_month")
    assert _cards(usage)["Cost"] == (format_usd(summary.last_month_cost_cents), "Oct 1 – 31, 2026")
    assert usage.cards[1].value == str(summary.last_month_active_users)
    assert usage.updated == "updated 2 minutes ago"
    assert usage.refresh_pending is False

    seen = {}
    for choice in Range:
        usage.choose_range(choice.value)
        points = queries.unit_series(session=session, org_unit=team, breadth=Breadth.subtree, range=choice)
        _assert_plots(usage, points)
        members = queries.team_member_breakdown(session=session, org_unit=team, range=choice)
        assert [(m.actor_id, m.name, m.cost, m.sessions, m.commits, m.pull_requests, m.lines_added)
                for m in usage.member_rows] == [
            (r.actor_id, r.name, format_usd(r.cost_cents), f"{r.sessions:,}", f"{r.commits:,}",
             f"{r.pull_requests:,}", f"{r.lines_added:,}") for r in members]
        assert all(m.url == routes.person_url(m.actor_id) for m in usage.member_rows)
        # The totals row is the exact sum rounded once, so it equals the range total above the chart
        # (the team's people are all listed), even where the rounded rows add up to a cent more or less.
        total = usage.member_totals
        assert (total.name, total.cost) == (f"Total ({len(members)} people)", usage.range_total)
        assert usage.cards[0].value == usage.range_total  # the card, the chart and the table: one number
        assert total.sessions == f"{sum(r.sessions for r in members):,}"
        assert total.lines_added == f"{sum(r.lines_added for r in members):,}"
        seen[choice] = [m.cost for m in usage.member_rows]
    # Every range shows other costs, but "All" began within the last six months.
    assert len({tuple(costs) for choice, costs in seen.items() if choice != Range.all}) == 4
    assert seen[Range.all] == seen[Range.six_months]

    # Chloe is placed in Core Platform and in Developer Experience: she counts fully in each.
    chloe = _actor(session, usage_demo.id, "Chloe Nguyen")
    costs = []
    for name in ("Core Platform", "Developer Experience"):
        page = _open_team(tab, _unit(session, usage_demo.id, name).id)
        page.choose_range("last_month")
        costs.append(next(m.cost for m in page.member_rows if m.actor_id == chloe.id))
    chloe_summary = queries.person_summary(session=session, actor=chloe)
    assert costs == [format_usd(chloe_summary.last_month_cost_cents)] * 2


def test_member_table_sorts_by_any_column_both_ways(session, usage_demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    checkout = _unit(session, usage_demo.id, "Checkout")
    usage = _open_team(tab, checkout.id)
    usage.choose_range("all")
    rows = queries.team_member_breakdown(session=session, org_unit=checkout, range="all")
    assert len(rows) >= 5

    def shown():
        return [m.actor_id for m in usage.member_rows]

    def by(key, reverse):
        ordered = sorted(rows, key=lambda r: (r.name.lower(), r.actor_id))
        return [r.actor_id for r in sorted(ordered, key=key, reverse=reverse)]

    assert (usage.sort_column, usage.sort_descending) == ("cost", True)
    assert shown() == by(lambda r: r.cost_cents, True)
    assert usage.aria_sorts["cost"] == "descending" and usage.aria_sorts["name"] == "none"
    usage.sort_by("cost")
    assert shown() == by(lambda r: r.cost_cents, False)
    assert usage.aria_sorts["cost"] == "ascending"
    usage.sort_by("name")
    assert shown() == by(lambda r: r.name.lower(), False)
    usage.sort_by("name")
    assert shown() == by(lambda r: r.name.lower(), True)
    for key in ("sessions", "commits", "pull_requests", "lines_added"):
        usage.sort_by(key)
        assert shown() == by(lambda r, key=key: getattr(r, key), True), key
        assert usage.aria_sorts[key] == "descending"
    usage.sort_by("email")  # not a column: nothing changes
    assert usage.sort_column == "lines_added"
    # The sort stays when the range changes.
    usage.choose_range("mtd")
    mtd = sorted(sorted(queries.team_member_breakdown(session=session, org_unit=checkout, range="mtd"),
                        key=lambda r: (r.name.lower(), r.actor_id)), key=lambda r: r.lines_added, reverse=True)
    assert shown() == [r.actor_id for r in mtd]


def test_team_in_a_scenario_shows_that_scopes_rollups(session, usage_demo):
    reorg = session.exec(select(Scenario).where(Scenario.name == demo_data.REORG_SCENARIO)).one()
    token = login_token(session, "admin@demo.test")
    tab = Tab(token)
    from orgonaut.ui.scope import ScopeState

    tab.scope.scope_cookie = f"{ScopeState._fingerprint(tab.scope)}:{reorg.id}"
    team = _unit(session, usage_demo.id, "Core Platform", scenario_id=reorg.id)
    live_team = _unit(session, usage_demo.id, "Core Platform")
    usage = _open_team(tab, team.id)
    summary = queries.unit_summary(session=session, org_unit=team, breadth=Breadth.subtree)
    live = queries.unit_summary(session=session, org_unit=live_team, breadth=Breadth.subtree)
    assert summary.last_month_cost_cents != live.last_month_cost_cents
    usage.choose_range("last_month")
    assert _cards(usage)["Cost"][0] == format_usd(summary.last_month_cost_cents)
    # The Live team's id is not in this scope.
    assert not _open_team(tab, live_team.id).found_unit


def test_a_member_or_a_viewer_without_cost_access_gets_no_team_or_department_numbers(session, usage_demo):
    make_user(session, usage_demo, role=Role.viewer, email="viewer@demo.test")
    session.commit()
    tab = Tab(login_token(session, "viewer@demo.test"))
    team = _open_team(tab, _unit(session, usage_demo.id, "Checkout").id)
    assert not team.found_unit and team.cards == [] and team.member_rows == []
    department = _open_department(tab, _unit(session, usage_demo.id, "Engineering").id)
    assert not department.found_unit and department.cards == []
    # A member holds costs.read, but sees usage on their own person page only (test_usage_visibility.py).
    member = _open_team(Tab(login_token(session, "member@demo.test")), _unit(session, usage_demo.id, "Checkout").id)
    assert not member.found_unit and member.cards == [] and member.member_rows == []
    assert member.hidden_note == "Usage is visible to you on your own page only."


# --- department ---------------------------------------------------------------------------------


def test_department_section_shows_direct_and_subtree_rollups(session, usage_demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    engineering = _unit(session, usage_demo.id, "Engineering")
    usage = _open_department(tab, engineering.id)

    direct = queries.unit_summary(session=session, org_unit=engineering, breadth=Breadth.direct)
    subtree = queries.unit_summary(session=session, org_unit=engineering, breadth=Breadth.subtree)
    assert Decimal(0) < direct.last_month_cost_cents < subtree.last_month_cost_cents
    usage.choose_range("last_month")
    cards = _cards(usage)
    assert cards["Subtree cost"] == (format_usd(subtree.last_month_cost_cents), "Oct 1 – 31, 2026")
    assert cards["Direct cost"] == (format_usd(direct.last_month_cost_cents), "Oct 1 – 31, 2026")
    assert cards["Active users"][0] == str(subtree.last_month_active_users)
    usage.choose_range("all")
    cards = _cards(usage)
    when = periods.period_for("all", today=NOW.date(), first_usage=subtree.first_usage_date)
    assert cards["Sessions"] == (f"{subtree.sessions:,}", f"{usage.range_period} · {direct.sessions:,} direct")
    assert cards["Lines added"] == (f"{subtree.lines_added:,}", f"{usage.range_period} · {direct.lines_added:,} direct")
    assert usage.range_period.endswith("Nov 18, 2026") and when.end == NOW.date()

    def series(start, end):
        return queries.unit_series(session=session, org_unit=engineering, breadth=Breadth.subtree, start=start,
                                   end=end)

    for choice in Range:
        usage.choose_range(choice.value)
        expected = _expected_cards(choice, series, subtree.first_usage_date, {"Sessions": "sessions"})
        expected["Subtree cost"] = expected.pop("Cost")
        assert _values(usage, expected) == expected, choice
    assert usage.updated == "updated 2 minutes ago"
    for choice in Range:
        usage.choose_range(choice.value)
        _assert_plots(usage, queries.unit_series(session=session, org_unit=engineering, breadth=Breadth.subtree,
                                                 range=choice))

    # A team id is no department, and a department id is no team.
    team = _unit(session, usage_demo.id, "Checkout")
    assert not _open_department(tab, team.id).found_unit
    assert not _open_team(tab, engineering.id).found_unit


# --- SQL and speed ------------------------------------------------------------------------------


def test_team_and_department_pages_read_rollups_only_and_range_switches_read_no_usage_rows(session, usage_demo):
    tab = Tab(login_token(session, "admin@demo.test"))
    team = _unit(session, usage_demo.id, "Checkout")
    department = _unit(session, usage_demo.id, "Engineering")
    for open_page in (lambda: _open_team(tab, team.id), lambda: _open_department(tab, department.id)):
        with recorded_sql() as statements:
            usage = open_page()
        assert usage.found_unit
        assert any("ai_usage_rollups" in s for s in statements)  # the recorder sees the page's reads
        assert not [s for s in statements if "ai_tool_usage_records" in s]
        assert len(statements) < 60, statements  # a bounded number of reads, not one per day or member

        # A switch reads nothing for the cards and charts (its speed is for `make bench`, never a timed
        # assertion here); the team's member table, paged on the server, reads its first page of members.
        with recorded_sql() as statements:
            for choice in [*Range, *Range]:
                usage.choose_range(choice.value)
                assert tab.root.get_delta()  # what Reflex sends the browser: every changed var recomputed
        if isinstance(usage, TeamUsageState):
            assert not [s for s in statements if "ai_usage_rollups" in s or "ai_tool_usage_records" in s]
            assert len(statements) <= 5 * 2 * len(Range), statements  # a few reads a switch, not one per member
        else:
            assert statements == []
        tab.root._clean()


def test_a_pending_refresh_shows_updating_until_the_worker_is_done(session, usage_demo, celery_worker_process,
                                                                  redis_client):
    tab = Tab(login_token(session, "admin@demo.test"))
    team = _unit(session, usage_demo.id, "Checkout")
    julia = _actor(session, usage_demo.id, "Julia Fischer")
    # A job for the scope is already waiting in the queue (its send key stands), so this change
    # sends none: the scope stays pending until the job is sent below.
    redis_client.set(changes.sent_key(usage_demo.id, None), "1", ex=60)
    assert changes.queue_rollup_refresh(tenant_id=usage_demo.id, scenario_id=None, start=NOW.date(),
                                        end=NOW.date(), actor_ids=[julia.id])
    tab.open(TeamState, routes.TEAM, routes.team_url(team.id), team_id=str(team.id))
    usage = tab.state(TeamUsageState)
    watch = usage.load()
    assert usage.refresh_pending is True
    assert watch is not None and watch.fn.__name__ == "watch_refresh"  # the page polls until done
    assert changes.send_job(usage_demo.id, None, force=True)
    deadline = time.monotonic() + 60
    while refresh.refresh_pending(tenant_id=usage_demo.id, scenario_id=None):
        assert time.monotonic() < deadline, "the refresh did not finish"
        time.sleep(0.2)
    assert usage.load() is None
    assert usage.refresh_pending is False
