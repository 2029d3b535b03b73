"""The provider filter of the person, team and department sections (`?provider=` in the page's URL), on
the demo org with random Claude Code and Cursor usage written here.

For "All tools" and each provider, every card of every range (and its change against the days
before the range), the cost chart of every range and the team's member table are compared with a
brute-force sum of the records this test wrote (never with the queries the pages call), so the cards,
chart and table of one filter agree with each other, to the cent, and with the records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
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
from orgonaut.ui.components.usage_cards import NOT_REPORTED, period_text
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_usage_state import DepartmentUsageState, PersonUsageState, TeamUsageState
from orgonaut.ui.pages.department import DepartmentState
from orgonaut.ui.pages.person import PersonState
from orgonaut.ui.pages.team import TeamState
from orgonaut.ui.pages.usage_views import change_text
from tests.integration.ui.conftest import Tab, login_token
from tests.integration.ui.test_ai_usage_states import recorded_sql

NOW = dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
TODAY = NOW.date()
START = dt.date(2026, 8, 20)
LAST_MONTH = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
MTD = Period(dt.date(2026, 11, 1), TODAY)
TEAM = "Core Platform"
FILTERS = (None, "claude_code", "cursor")  # None: All tools
DEFAULT = Range.three_months.value


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


def _counter_hint(records: list[Rec], when: str = "all time") -> str:
    """What a Cursor-only counter's card says under its number, by whose records are behind it."""
    shown = sorted({r.provider for r in records})
    if shown == ["claude_code"]:
        return "not reported by Claude Code · Cursor only"
    return when if shown == ["cursor"] else f"{when} · Cursor only"


def _in(records: list[Rec], period: Period) -> list[Rec]:
    return [r for r in records if period.start <= r.day <= period.end]


def _total(records: list[Rec], field: str) -> int | None:
    """A count over records: None when records exist and none reports it, 0 when there are none."""
    values = [getattr(r, field) for r in records if getattr(r, field) is not None]
    return sum(values) if values or not records else None


def _money(records: list[Rec]) -> Decimal:
    return sum((r.cost for r in records), Decimal(0))


def _expected_cards(records: list[Rec], choice: Range, fields: dict[str, str], *, users: bool = False
                    ) -> dict[str, tuple[str, str]]:
    """(value, change) of the cost card and of `fields` (label -> Rec field) for the range, by brute force:
    the range's records summed, and again for the same number of days before it ("all": no change)."""
    period = _period(records, choice)
    before = None if choice == Range.all else periods.previous_period(period)
    days = (period.end - period.start).days + 1
    now, earlier = _in(records, period), _in(records, before) if before else []

    def card(value, previous, money=False):
        shown = format_usd(value) if money else (NOT_REPORTED if value is None else f"{value:,}")
        return shown, change_text(value, previous, days, money=money) if before else ""

    cards = {"Cost": card(_money(now), _money(earlier), money=True)}
    for label, field in fields.items():
        cards[label] = card(_total(now, field), _total(earlier, field))
    if users:
        cards["Active users"] = card(len({r.actor_id for r in now}), len({r.actor_id for r in earlier}))
    return cards


def _period(records: list[Rec], choice: Range) -> Period:
    return periods.period_for(choice, today=TODAY, first_usage=min((r.day for r in records), default=None))


def _plotted_expected(records: list[Rec], period: Period) -> dict[str, list[str]]:
    """What the cost chart plots: one stacked series per provider when the range has two, else one."""
    by_day: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for r in records:
        if period.start <= r.day <= period.end:
            by_day[(r.day, r.provider)] += r.cost
    providers = sorted({p for _, p in by_day})
    # Today is plotted only once it has usage (then as partial), never as a drop to $0.
    days = [day for day in period.days if day != TODAY or any(d == TODAY for d, _ in by_day)]
    if len(providers) > 1:
        return {PROVIDERS[p].display_name: [format_usd(by_day.get((day, p), Decimal(0))) for day in days]
                for p in providers}
    return {"Cost": [format_usd(sum((c for (d, _), c in by_day.items() if d == day), Decimal(0)))
                     for day in days]}


def _plotted(state) -> dict[str, list[str]]:
    return {trace["name"]: [amount for _, amount in trace["customdata"]] for trace in state.cost_figure["data"]}


def _query(provider: str | None) -> dict[str, str]:
    return {} if provider is None else {"provider": provider}


def _path(url: str, provider: str | None) -> str:
    return url if provider is None else f"{url}?provider={provider}"


def _cards(state) -> dict[str, tuple[str, str]]:
    return {card.label: (card.value, card.hint) for card in state.cards}


def _values(state, labels) -> dict[str, tuple[str, str]]:
    """(value, change) of the named cards."""
    return {card.label: (card.value, card.change) for card in state.cards if card.label in labels}


PERSON_FIELDS = {"Sessions": "sessions", "Commits": "commits", "Pull requests": "pull_requests",
                 "Lines added": "lines_added"}
CURSOR_FIELDS = {"Tabs accepted": "tabs_accepted", "Agent requests": "agent_requests"}


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
            fields = {**PERSON_FIELDS, **(CURSOR_FIELDS if "cursor" in used else {})}
            for choice in Range:
                usage.choose_range(choice.value)
                period = _period(records, choice)
                expected = _expected_cards(records, choice, fields)
                assert _values(usage, expected) == expected, (provider, choice)
                # One number: the card, the chart's total and its table's total row.
                assert expected["Cost"][0] == usage.range_total == usage.cost_table[-1].cost, choice
                cards = _cards(usage)
                when = period_text(period)
                assert cards["Cost"][1] == when
                shown = sorted({r.provider for r in _in(records, period)})
                assert cards["Active providers"] == (
                    str(len(shown)), ", ".join(PROVIDERS[p].display_name for p in shown) or "none in these days")
                if "cursor" in used:
                    if shown == ["claude_code"]:
                        assert cards["Tabs accepted"][1] == "not reported by Claude Code · Cursor only"
                    elif shown == ["cursor"]:
                        assert cards["Sessions"][1] == "not reported by Cursor" and cards["Tabs accepted"][1] == when
                    elif shown:
                        assert cards["Tabs accepted"][1] == f"{when} · Cursor only"
                        assert cards["Sessions"][1] == f"{when} · Claude Code only"
                else:  # nobody offered reports them: no such cards
                    assert "Tabs accepted" not in cards and "Agent requests" not in cards
            usage.choose_range(DEFAULT)
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
    for choice in Range:
        usage.choose_range(choice.value)
        cards = _cards(usage)
        assert cards["Cost"][0] == "$0.00"
        assert cards["Sessions"] == (NOT_REPORTED, "not reported by Cursor")
        assert cards["Tabs accepted"] == ("0", period_text(_period([], choice)))
        assert cards["Active providers"] == ("0", "none in these days")
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

    team_fields = {"Sessions": "sessions", "Commits": "commits", "Pull requests": "pull_requests",
                   "Lines added": "lines_added", **CURSOR_FIELDS}
    for choice in Range:
        usage.choose_range(choice.value)
        period = _period(records, choice)
        expected = _expected_cards(records, choice, team_fields, users=True)
        assert _values(usage, [*expected, "Active users"]) == expected, choice
        cards = _cards(usage)
        assert list(cards)[:2] == ["Cost", "Active users"]
        assert cards["Cost"][1] == cards["Active users"][1] == period_text(period)
        # Cursor's counters, from the rollups: each equals the raw records' sum (— for Claude Code alone).
        assert cards["Tabs accepted"][1] == _counter_hint(_in(records, period), period_text(period))
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
        assert usage.member_totals.cost == _cost(in_range) == usage.range_total == _cards(usage)["Cost"][0], choice


@pytest.mark.parametrize("provider", FILTERS, ids=lambda p: p or "all")
def test_department_cards_and_chart_follow_the_chosen_provider(session, world, provider):
    tab = Tab(login_token(session, "owner@demo.test"))
    with recorded_sql() as statements:
        usage = _open_department(tab, world.department.id, provider)
    assert not [s for s in statements if "ai_tool_usage_records" in s]
    records = _of(world, provider)  # all of it in a team below: the subtree's, none direct
    assert usage.found_unit and usage.chosen_provider == (provider or "all")
    fields = {"Sessions": "sessions", "Lines added": "lines_added", **CURSOR_FIELDS}
    for choice in Range:
        usage.choose_range(choice.value)
        expected = _expected_cards(records, choice, fields, users=True)
        expected["Subtree cost"] = expected.pop("Cost")
        assert _values(usage, expected) == expected, choice
        cards = _cards(usage)
        when = period_text(_period(records, choice))
        assert cards["Direct cost"][0] == "$0.00" and cards["Subtree cost"] == (usage.range_total, when)
        # Nothing is placed in the department itself: 0 direct, or "—" where the chosen tool does not report it.
        no_sessions = NOT_REPORTED if provider == "cursor" else "0"
        assert cards["Sessions"][1].endswith(f" · {no_sessions} direct")
        assert cards["Lines added"][1] == f"{when} · 0 direct"
        no_tabs = NOT_REPORTED if provider == "claude_code" else "0"
        for label in CURSOR_FIELDS:
            hint = _counter_hint(_in(records, _period(records, choice)), when)
            assert cards[label][1] == f"{hint} · {no_tabs} direct"
    _check_chart(usage, records)


# --- the range in the URL ------------------------------------------------------------------------------


def _open(tab: Tab, state_cls, page_cls, route: str, url: str, id_param: str, unit_id: int, **query: str):
    path = f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url
    tab.open(page_cls, route, path, **{id_param: str(unit_id)}, **query)
    usage = tab.state(state_cls)
    usage.load()
    return usage


def _address_shown(spec) -> str:
    """The address a `choose_range` event puts in the browser's address bar (without navigating)."""
    script = dict((name._js_expr, value._var_value) for name, value in spec.args)["javascript_code"]
    assert "history.replaceState" in script
    return json.loads(re.search(r"'', (\"(?:[^\"\\]|\\.)*\")\)", script).group(1))


def test_the_range_lives_in_the_url_with_the_provider(session, world):
    tab = Tab(login_token(session, "owner@demo.test"))
    team_url = routes.team_url(world.team.id)

    def team(**query):
        return _open(tab, TeamUsageState, TeamState, routes.TEAM, team_url, "team_id", world.team.id, **query)

    # A link names the range: the cards, the chart and the member table load for it.
    usage = team(range="mtd")
    assert usage.chosen_range == "mtd" and _cards(usage)["Cost"] == (_cost(world.records, MTD), "Nov 1 – 18, 2026")
    assert usage.member_totals.cost == usage.range_total == _cost(world.records, MTD)
    usage = team(provider="cursor", range="last_month")
    assert (usage.chosen_provider, usage.chosen_range) == ("cursor", "last_month")
    assert _cards(usage)["Cost"][0] == _cost(_of(world, "cursor"), LAST_MONTH) == usage.range_total
    # A bad value is the default range, without an error or a notice.
    for bad in ("7y", "", "ALL", "<script>alert(1)</script>", "x" * 300):
        usage = team(range=bad)
        assert usage.chosen_range == DEFAULT and usage.provider_notice == "" and usage.found_unit, bad

    # Choosing a range shows it in the address (provider kept), so a reload or a copied link keeps it.
    usage = team(provider="cursor")
    assert _address_shown(usage.choose_range("6m")) == f"{team_url}?provider=cursor&range=6m"
    assert _address_shown(usage.choose_range("3m")) == f"{team_url}?provider=cursor"  # the default: no parameter
    assert usage.choose_range("3m") is None and usage.choose_range("decade") is None  # nothing changed
    usage.choose_range("all")
    # Choosing a provider reloads the page at its URL, with the chosen range.
    assert _redirected_to(usage.choose_provider("claude_code")) == f"{team_url}?provider=claude_code&range=all"
    assert _redirected_to(usage.choose_provider("all")) == f"{team_url}?range=all"

    person = world.actors[0]
    page = _open(tab, PersonUsageState, PersonState, routes.PERSON, routes.person_url(person.id), "person_id",
                 person.id, range="last_month")
    assert page.chosen_range == "last_month"
    assert _cards(page)["Cost"] == (_cost(_of(world, None, person.id), LAST_MONTH), "Oct 1 – 31, 2026")
    department = _open(tab, DepartmentUsageState, DepartmentState, routes.DEPARTMENT,
                       routes.department_url(world.department.id), "department_id", world.department.id, range="all")
    assert department.chosen_range == "all" and _cards(department)["Subtree cost"][0] == _cost(world.records)
