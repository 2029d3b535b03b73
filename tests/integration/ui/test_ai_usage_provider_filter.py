"""The provider filter of the person, team and department sections (`?provider=` in the page's URL), on
the demo org with random Claude Code and Cursor usage written here.

For "All tools" and each provider, every card, the cost chart of every range and the team's member
table are compared with a brute-force sum of the records this test wrote (never with the queries the
pages call), so the cards, chart and table of one filter agree with each other and with the records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.integrations.models import Integration, IntegrationCategory, IntegrationStatus
from orgonaut.org.models import Actor, OrgUnit, Placement
from orgonaut.rollups import periods
from orgonaut.rollups import service as rollups
from orgonaut.rollups.periods import Period, Range
from orgonaut.ui import routes
from orgonaut.ui.components.usage_cards import NOT_REPORTED
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_usage_state import DepartmentUsageState, PersonUsageState, TeamUsageState
from orgonaut.ui.pages.department import DepartmentState
from orgonaut.ui.pages.person import PersonState
from orgonaut.ui.pages.team import TeamState
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import recorded_sql

NOW = dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
START = dt.date(2026, 8, 20)
LAST_MONTH = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
MTD = Period(dt.date(2026, 11, 1), TODAY)
TEAM = "Core Platform"
FILTERS = (None, "claude_code", "cursor")  # None: All tools


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


@dataclasses.dataclass(frozen=True)
class Rec:
    actor_id: int
    provider: str
    day: dt.date
    cost: Decimal
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    lines_added: int
    tabs_accepted: int | None
    agent_requests: int | None


@dataclasses.dataclass
class World:
    tenant_id: int
    team: OrgUnit
    department: OrgUnit
    actors: list[Actor]  # [0] uses both tools, [1] Claude Code only, [2] Cursor only, the rest both
    records: list[Rec]


def _only_in_team(session: Session, team: OrgUnit) -> list[Actor]:
    """People placed in the team alone (no other placement) since before START, still there."""
    actors = []
    for actor in session.exec(select(Actor).where(Actor.tenant_id == team.tenant_id, Actor.scenario_id.is_(None))):
        placements = session.exec(select(Placement).where(Placement.actor_id == actor.id)).all()
        if (len(placements) == 1 and placements[0].org_unit_id == team.id and placements[0].start_date <= START
                and placements[0].end_date is None and actor.email):
            actors.append(actor)
    return sorted(actors, key=lambda a: a.id)


def _write(session: Session, tenant_id: int, actors: list[Actor], rng: random.Random) -> list[Rec]:
    uses = {actors[0].id: ("claude_code", "cursor"), actors[1].id: ("claude_code",), actors[2].id: ("cursor",)}
    records = []
    day = START
    while day <= TODAY:
        for actor in actors:
            for provider in uses.get(actor.id, ("claude_code", "cursor")):
                if rng.random() < 0.4:
                    continue
                cursor = provider == "cursor"
                records.append(Rec(
                    actor_id=actor.id, provider=provider, day=day,
                    cost=Decimal(rng.randint(0, 5_000_000_000)) / Decimal(1_000_000),
                    sessions=None if cursor else rng.randint(0, 9), commits=None if cursor else rng.randint(0, 5),
                    pull_requests=None if cursor else rng.randint(0, 2), lines_added=rng.randint(0, 900),
                    tabs_accepted=rng.randint(0, 60) if cursor else None,
                    agent_requests=rng.randint(0, 30) if cursor else None,
                ))
        day += dt.timedelta(days=1)
    emails = {a.id: a.email for a in actors}
    for r in records:
        metrics = ({"tabs_accepted": r.tabs_accepted, "agent_requests": r.agent_requests, "tabs_shown": 99}
                   if r.provider == "cursor" else {})
        session.add(AiToolUsageRecord(
            tenant_id=tenant_id, provider=r.provider, source_email=emails[r.actor_id], usage_date=r.day,
            actor_id=r.actor_id, sessions_count=r.sessions, commits_count=r.commits,
            pull_requests_count=r.pull_requests, lines_added=r.lines_added, lines_removed=0,
            total_cost_cents=r.cost, provider_metrics=metrics,
        ))
    session.commit()
    return records


@pytest.fixture(params=[7, 2027], ids=lambda seed: f"seed{seed}")
def world(request, session: Session, demo) -> World:
    team = session.exec(select(OrgUnit).where(OrgUnit.tenant_id == demo.id, OrgUnit.scenario_id.is_(None),
                                              OrgUnit.name == TEAM)).one()
    department = session.get(OrgUnit, team.parent_id)
    actors = _only_in_team(session, team)
    assert len(actors) >= 3
    records = _write(session, demo.id, actors, random.Random(request.param))
    rollups.rebuild(session=session, tenant_id=demo.id)
    session.commit()
    return World(tenant_id=demo.id, team=team, department=department, actors=actors, records=records)


# --- brute force -----------------------------------------------------------------------------------


def _of(world: World, provider: str | None, actor_id: int | None = None) -> list[Rec]:
    return [r for r in world.records
            if (provider is None or r.provider == provider) and (actor_id is None or r.actor_id == actor_id)]


def _cost(records: list[Rec], period: Period | None = None) -> str:
    return format_usd(sum((r.cost for r in records if period is None or period.start <= r.day <= period.end),
                          Decimal(0)))


def _count(records: list[Rec], field: str) -> str:
    values = [getattr(r, field) for r in records if getattr(r, field) is not None]
    return f"{sum(values):,}" if values else NOT_REPORTED


def _counter_hint(records: list[Rec]) -> str:
    """What a Cursor-only counter's card says under its number, by whose records are behind it."""
    shown = sorted({r.provider for r in records})
    if shown == ["claude_code"]:
        return "not reported by Claude Code · Cursor only"
    return "all time" if shown == ["cursor"] else "all time · Cursor only"


def _period(records: list[Rec], choice: Range) -> Period:
    return periods.period_for(choice, today=TODAY, first_usage=min((r.day for r in records), default=None))


def _plotted_expected(records: list[Rec], period: Period) -> dict[str, list[str]]:
    """What the cost chart plots: one stacked series per provider when the range has two, else one."""
    by_day: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for r in records:
        if period.start <= r.day <= period.end:
            by_day[(r.day, r.provider)] += r.cost
    providers = sorted({p for _, p in by_day})
    if len(providers) > 1:
        return {PROVIDERS[p].display_name: [format_usd(by_day.get((day, p), Decimal(0))) for day in period.days]
                for p in providers}
    return {"Cost": [format_usd(sum((c for (d, _), c in by_day.items() if d == day), Decimal(0)))
                     for day in period.days]}


def _plotted(state) -> dict[str, list[str]]:
    return {trace["name"]: trace["customdata"] for trace in state.cost_figure["data"]}


def _query(provider: str | None) -> dict[str, str]:
    return {} if provider is None else {"provider": provider}


def _path(url: str, provider: str | None) -> str:
    return url if provider is None else f"{url}?provider={provider}"


def _cards(state) -> dict[str, tuple[str, str]]:
    return {card.label: (card.value, card.hint) for card in state.cards}


def _check_chart(state, records: list[Rec]) -> None:
    for choice in Range:
        state.choose_range(choice.value)
        period = _period(records, choice)
        assert _plotted(state) == _plotted_expected(records, period), choice
        assert state.range_total == _cost(records, period), choice


# --- person ------------------------------------------------------------------------------------------


def _open_person(tab: Tab, actor_id: int, provider: str | None) -> PersonUsageState:
    tab.open(PersonState, routes.PERSON, _path(routes.person_url(actor_id), provider), person_id=str(actor_id),
             **_query(provider))
    usage = tab.state(PersonUsageState)
    usage.load()
    return usage


def test_every_person_card_and_the_chart_follow_the_chosen_provider(session, world):
    tab = Tab(login_token(session, "owner@demo.test"))
    for actor in world.actors[:3]:
        mine = _of(world, None, actor.id)
        used = sorted({r.provider for r in mine})
        offered = ["claude_code", "cursor"] if len(used) > 1 else used  # no integration: only their own usage
        for provider in [None, *offered]:
            usage = _open_person(tab, actor.id, provider)
            records = _of(world, provider, actor.id)
            shown = sorted({r.provider for r in records})
            assert usage.has_usage
            assert usage.chosen_provider == (provider or "all") and usage.provider_notice == ""
            assert [c.value for c in usage.provider_choices] == ["all", *offered]
            cards = _cards(usage)
            assert cards["Last month cost"][0] == _cost(records, LAST_MONTH)
            assert cards["Month-to-date cost"][0] == _cost(records, MTD)
            assert cards["Sessions"][0] == _count(records, "sessions")
            assert cards["Commits"][0] == _count(records, "commits")
            assert cards["Pull requests"][0] == _count(records, "pull_requests")
            assert cards["Lines added"][0] == _count(records, "lines_added")
            assert cards["Active providers"] == (str(len(shown)), ", ".join(PROVIDERS[p].display_name for p in shown))
            if "cursor" in used:
                assert cards["Tabs accepted"][0] == _count(records, "tabs_accepted")
                assert cards["Agent requests"][0] == _count(records, "agent_requests")
                if shown == ["claude_code"]:
                    assert cards["Tabs accepted"][1] == "not reported by Claude Code · Cursor only"
                elif shown == ["cursor"]:
                    assert cards["Sessions"][1] == "not reported by Cursor" and cards["Tabs accepted"][1] == "all time"
                else:
                    assert cards["Tabs accepted"][1] == "all time · Cursor only"
                    assert cards["Sessions"][1] == "all time · Claude Code only"
            else:  # nobody offered reports them: no such cards
                assert "Tabs accepted" not in cards and "Agent requests" not in cards
            assert usage.activity_reported == (provider != "cursor")
            if provider == "cursor":
                assert not usage.has_activity
                assert usage.activity_empty == "Cursor does not report sessions, commits or pull requests."
            else:
                assert usage.activity_empty == "No sessions, commits or pull requests in these days."
            _check_chart(usage, records)


def test_a_connected_provider_is_offered_and_shows_zero_or_not_reported(session, world):
    claude_only = world.actors[1]
    tab = Tab(login_token(session, "owner@demo.test"))
    assert [c.value for c in _open_person(tab, claude_only.id, None).provider_choices] == ["all", "claude_code"]

    session.add(Integration(tenant_id=world.tenant_id, category=IntegrationCategory.ai_tooling, provider="cursor",
                            status=IntegrationStatus.disconnected))
    session.commit()
    usage = _open_person(tab, claude_only.id, "cursor")
    assert [c.value for c in usage.provider_choices] == ["all", "claude_code", "cursor"]
    assert usage.chosen_provider == "cursor" and usage.has_usage
    cards = _cards(usage)
    assert cards["Last month cost"][0] == cards["Month-to-date cost"][0] == "$0.00"
    assert cards["Sessions"] == (NOT_REPORTED, "not reported by Cursor")
    assert cards["Tabs accepted"] == ("0", "all time")
    assert cards["Active providers"] == ("0", "none")
    assert not usage.has_cost and usage.range_total == "$0.00"


def test_an_unknown_or_unoffered_provider_in_the_link_falls_back_to_all_tools(session, world):
    tab = Tab(login_token(session, "owner@demo.test"))
    claude_only = world.actors[1]
    everything = _cards(_open_person(tab, claude_only.id, None))
    for raw, notice in (("gemini<script>", "Unknown AI tool 'gemini<script>' in the link: showing all tools."),
                        ("cursor", "No Cursor usage or connection here: showing all tools."),
                        ("copilot", "No GitHub Copilot usage or connection here: showing all tools."),
                        ("x" * 500, f"Unknown AI tool '{'x' * 40}' in the link: showing all tools.")):
        usage = _open_person(tab, claude_only.id, raw)
        assert usage.chosen_provider == "all" and usage.provider_notice == notice
        assert _cards(usage) == everything
    team = _open_team(tab, world.team.id, "nope")
    assert team.chosen_provider == "all" and team.provider_notice.startswith("Unknown AI tool 'nope'")


def _redirected_to(spec) -> str:
    """The path of an `rx.redirect` event spec."""
    assert "_redirect" in repr(spec.handler.fn)
    return dict((name._js_expr, value._var_value) for name, value in spec.args)["path"]


def test_choosing_a_provider_goes_to_the_pages_url_with_it(session, world):
    tab = Tab(login_token(session, "owner@demo.test"))
    both = world.actors[0]
    usage = _open_person(tab, both.id, None)
    assert _redirected_to(usage.choose_provider("cursor")) == f"{routes.person_url(both.id)}?provider=cursor"
    assert usage.chosen_provider == "cursor"
    usage = _open_person(tab, both.id, "cursor")
    assert _redirected_to(usage.choose_provider(["claude_code"])) == (
        f"{routes.person_url(both.id)}?provider=claude_code")
    usage = _open_person(tab, both.id, "cursor")
    assert _redirected_to(usage.choose_provider("all")) == routes.person_url(both.id)
    assert usage.choose_provider("gemini") is None and usage.chosen_provider == "all"  # not offered: nothing


# --- team and department -----------------------------------------------------------------------------


def _open_team(tab: Tab, team_id: int, provider: str | None) -> TeamUsageState:
    tab.open(TeamState, routes.TEAM, _path(routes.team_url(team_id), provider), team_id=str(team_id),
             **_query(provider))
    usage = tab.state(TeamUsageState)
    usage.load()
    return usage


def _open_department(tab: Tab, department_id: int, provider: str | None) -> DepartmentUsageState:
    tab.open(DepartmentState, routes.DEPARTMENT, _path(routes.department_url(department_id), provider),
             department_id=str(department_id), **_query(provider))
    usage = tab.state(DepartmentUsageState)
    usage.load()
    return usage


@pytest.mark.parametrize("provider", FILTERS, ids=lambda p: p or "all")
def test_team_cards_chart_and_member_table_follow_the_chosen_provider(session, world, provider):
    tab = Tab(login_token(session, "owner@demo.test"))
    with recorded_sql() as statements:
        usage = _open_team(tab, world.team.id, provider)
    assert not [s for s in statements if "ai_tool_usage_records" in s]  # rollups only, filtered or not
    records = _of(world, provider)
    assert usage.found_unit and usage.chosen_provider == (provider or "all")
    assert [c.value for c in usage.provider_choices] == ["all", "claude_code", "cursor"]

    def users(period: Period) -> int:
        return len({r.actor_id for r in records if period.start <= r.day <= period.end})

    assert _cards(usage) == {
        "Last month cost": (_cost(records, LAST_MONTH), "Oct 1 – 31, 2026"),
        "Month-to-date cost": (_cost(records, MTD), "Nov 1 – 18, 2026"),
        "Active users": (str(users(MTD)), f"this month · {users(LAST_MONTH)} last month"),
        # Cursor's counters, from the rollups: each equals the raw records' sum (— for Claude Code alone).
        "Tabs accepted": (_count(records, "tabs_accepted"), _counter_hint(records)),
        "Agent requests": (_count(records, "agent_requests"), _counter_hint(records)),
    }
    _check_chart(usage, records)
    names = {a.id: a.name for a in world.actors}
    for choice in Range:
        usage.choose_range(choice.value)
        period = _period(records, choice)
        rows = {row.name: row for row in usage.member_rows}
        for actor_id, name in names.items():
            theirs = [r for r in records if r.actor_id == actor_id and period.start <= r.day <= period.end]
            assert rows[name].cost == _cost(theirs), (choice, name)
            assert rows[name].sessions == (_count(theirs, "sessions") if theirs else "0"), (choice, name)
            assert rows[name].lines_added == (_count(theirs, "lines_added") if theirs else "0"), (choice, name)
        # The table's people add up to the chart's total (exact cents, both from the same records).
        assert sum((r.cost for r in records if period.start <= r.day <= period.end), Decimal(0)) == sum(
            (sum((r.cost for r in records if r.actor_id == a and period.start <= r.day <= period.end), Decimal(0))
             for a in names), Decimal(0))
        # ... and so does its totals row, shown as the range total is: the exact sum rounded once.
        in_range = [r for r in records if period.start <= r.day <= period.end]
        assert usage.member_totals.cost == _cost(in_range) == usage.range_total, choice


@pytest.mark.parametrize("provider", FILTERS, ids=lambda p: p or "all")
def test_department_cards_and_chart_follow_the_chosen_provider(session, world, provider):
    tab = Tab(login_token(session, "owner@demo.test"))
    with recorded_sql() as statements:
        usage = _open_department(tab, world.department.id, provider)
    assert not [s for s in statements if "ai_tool_usage_records" in s]
    records = _of(world, provider)  # all of it in a team below: the subtree's, none direct
    assert usage.found_unit and usage.chosen_provider == (provider or "all")
    cards = _cards(usage)
    assert cards["Direct · last month"][0] == cards["Direct · month to date"][0] == "$0.00"
    assert cards["Subtree · last month"][0] == _cost(records, LAST_MONTH)
    assert cards["Subtree · month to date"][0] == _cost(records, MTD)
    assert cards["Sessions"] == (_count(records, "sessions"), "all time · 0 direct")
    assert cards["Lines added"] == (_count(records, "lines_added"), "all time · 0 direct")
    for key, label in (("tabs_accepted", "Tabs accepted"), ("agent_requests", "Agent requests")):
        assert cards[label] == (_count(records, key), f"{_counter_hint(records)} · {NOT_REPORTED} direct")
    _check_chart(usage, records)
