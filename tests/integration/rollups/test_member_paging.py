"""A team's member table in pages (`rollups.members.team_member_page`) against brute force over the raw
records and placements: 120 people (joining, leaving, never using a tool, one provider that does not report
sessions), every page of every sort equal to a slice of the whole table sorted here, and the totals row
over everyone listed whatever the page; a manager's visible people only; a provider filter."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

import pytest

from orgonaut import clock
from orgonaut.org.models import Actor, OrgUnitKind, Placement
from orgonaut.paging import PageRequest, Sort
from orgonaut.rollups import members, service
from orgonaut.rollups.periods import Period, Range, period_for
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

NOW = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
FIRST = dt.date(2024, 11, 1)
METRICS = ("sessions", "commits", "pull_requests", "lines_added")
SORTS = [Sort(key, descending) for key in members.MEMBER_SORTS for descending in (False, True)]


@dataclass
class Record:
    actor_id: int
    day: dt.date
    provider: str
    cost: Decimal
    sessions: int | None
    commits: int
    pull_requests: int
    lines_added: int


@dataclass
class Team:
    unit: object
    people: list[Actor]
    placements: list[Placement]
    records: list[Record]


@pytest.fixture
def team(session) -> Team:
    draw = random.Random(5)
    tenant = make_tenant(session)
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    big, other = b.unit(session, tenant, "Big", company), b.unit(session, tenant, "Other", company)
    people, placements, records = [], [], []
    for n in range(121):
        # Repeated names (ties go by id), mixed case.
        person = b.actor(session, tenant, f"{draw.choice(['ann', 'Ben', 'cleo', 'Dev'])} {n % 30:02d}",
                         email=f"p{n}@example.test")
        people.append(person)
        start = FIRST + dt.timedelta(days=draw.randint(0, 120))
        end = start + dt.timedelta(days=draw.randint(5, 60)) if n % 4 == 0 else None
        where = other if n == 120 else big  # the last one is another team's only
        placements.append(b.place(session, person, where, start, end))
        days = (TODAY - FIRST).days
        used = {(FIRST + dt.timedelta(days=draw.randint(0, days)), draw.choice(["claude_code", "cursor"]))
                for _ in range(0 if n % 9 == 0 else draw.randint(1, 6))}
        for day, provider in sorted(used):
            row = b.usage(session, tenant, person, day, provider=provider,
                          cost=str(Decimal(draw.randint(0, 9_999_999)) / 1_000_000), sessions=draw.randint(0, 5),
                          commits=draw.randint(0, 3), pull_requests=draw.randint(0, 1),
                          lines_added=draw.randint(0, 400))
            if provider == "cursor":
                row.sessions_count = None  # not reported
            session.flush()
            records.append(Record(person.id, day, provider, row.total_cost_cents, row.sessions_count,
                                  row.commits_count, row.pull_requests_count, row.lines_added))
    session.commit()
    with clock.frozen_at(NOW):
        service.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    return Team(unit=big, people=people, placements=placements, records=records)


def _brute_force(team: Team, period: Period, provider: str | None, visible: set[int] | None = None):
    """(rows, totals): every member of the period (placed in it, or with usage attributed to it), as
    (id, name, cost, sessions, commits, pull_requests, lines_added), summed from the records here."""
    def placed_on(actor_id: int, day: dt.date) -> bool:
        return any(p.actor_id == actor_id and p.org_unit_id == team.unit.id and p.start_date <= day
                   and (p.end_date is None or p.end_date >= day) for p in team.placements)

    names = {p.id: p.name for p in team.people}
    member_ids = {p.actor_id for p in team.placements if p.org_unit_id == team.unit.id
                  and p.start_date <= period.end and (p.end_date is None or p.end_date >= period.start)}
    attributed = [r for r in team.records if period.start <= r.day <= period.end and placed_on(r.actor_id, r.day)
                  and (provider is None or r.provider == provider)]
    member_ids |= {r.actor_id for r in attributed}
    if visible is not None:
        member_ids &= visible
    rows = []
    for actor_id in member_ids:
        theirs = [r for r in attributed if r.actor_id == actor_id]
        counts = []
        for metric in METRICS:
            values = [getattr(r, metric) for r in theirs if getattr(r, metric) is not None]
            counts.append(sum(values) if values or not theirs else None)
        rows.append((actor_id, names[actor_id], sum((r.cost for r in theirs), Decimal(0)), *counts))

    def total(i: int):
        values = [row[i] for row in rows if row[i] is not None]
        return sum(values) if values else None
    totals = (sum((row[2] for row in rows), Decimal(0)), *[total(i) for i in range(3, 7)])
    return rows, totals


def _sorted(rows: list[tuple], sort: Sort) -> list[tuple]:
    position = {"name": 1, "cost": 2, **{metric: 3 + i for i, metric in enumerate(METRICS)}}[sort.key]
    ordered = sorted(rows, key=lambda row: (row[1].lower(), row[0]))  # ties: name, then id, ascending

    def value(row):
        if sort.key == "name":
            return row[1].lower()
        return (row[position] is not None, row[position] or 0)  # not reported below every reported value
    return sorted(ordered, key=value, reverse=sort.descending)


def _as_tuple(row: members.MemberRow) -> tuple:
    return (row.actor_id, row.name, row.cost_cents, row.sessions, row.commits, row.pull_requests, row.lines_added)


def _pages(session, team: Team, sort: Sort, size: int, **kwargs) -> tuple[list[list[tuple]], members.MemberPage]:
    pages, number, first = [], 1, None
    while True:
        with clock.frozen_at(NOW):
            found = members.team_member_page(session=session, org_unit=team.unit, sort=sort,
                                             request=PageRequest(number, size), **kwargs)
        first = first or found
        assert found.rows.page == number and found.totals == first.totals
        pages.append([_as_tuple(row) for row in found.rows.items])
        if number == found.rows.pages:
            return pages, first
        number += 1


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
def test_every_page_of_every_sort_is_the_slice_of_the_whole_table_and_the_totals_are_everyones(session, team, sort):
    period = period_for(Range.six_months, today=TODAY)
    rows, totals = _brute_force(team, period, None)
    assert len(rows) > 100
    expected = _sorted(rows, sort)
    pages, found = _pages(session, team, sort, 25, range=Range.six_months)
    assert pages == [expected[i:i + 25] for i in range(0, len(expected), 25)]
    assert found.rows.total == len(rows) and found.left_out == 0
    assert (found.totals.cost_cents, found.totals.sessions, found.totals.commits, found.totals.pull_requests,
            found.totals.lines_added) == totals


def _first_usage(team: Team, provider: str | None) -> dt.date:
    """The team's first day with usage attributed to it (of the provider): where "All" starts."""
    return min(r.day for r in team.records if (provider is None or r.provider == provider) and any(
        p.actor_id == r.actor_id and p.org_unit_id == team.unit.id and p.start_date <= r.day
        and (p.end_date is None or p.end_date >= r.day) for p in team.placements))


@pytest.mark.parametrize("chosen", [Range.all, Range.last_month, Range.mtd])
def test_other_ranges_and_a_provider(session, team, chosen):
    for provider in (None, "cursor"):
        period = period_for(chosen, today=TODAY, first_usage=_first_usage(team, provider))
        rows, totals = _brute_force(team, period, provider)
        pages, found = _pages(session, team, members.MEMBER_DEFAULT_SORT, 40, range=chosen, provider=provider)
        assert [row for page in pages for row in page] == _sorted(rows, members.MEMBER_DEFAULT_SORT), provider
        assert found.totals.cost_cents == totals[0] and found.totals.sessions == totals[1], provider


def test_a_viewer_sees_only_their_people_and_is_told_how_many_are_not_listed(session, team):
    visible = {p.id for p in team.people[::3]}
    period = period_for(Range.six_months, today=TODAY)
    everyone, _ = _brute_force(team, period, None)
    rows, totals = _brute_force(team, period, None, visible)
    pages, found = _pages(session, team, Sort("name"), 10, range=Range.six_months, visible_actor_ids=visible)
    assert [row for page in pages for row in page] == _sorted(rows, Sort("name"))
    assert found.left_out == len(everyone) - len(rows) > 0
    assert found.totals.cost_cents == totals[0]


def test_a_page_past_the_end_is_the_last_and_an_unknown_sort_the_default(session, team):
    with clock.frozen_at(NOW):
        last = members.team_member_page(session=session, org_unit=team.unit, range=Range.six_months,
                                        request=PageRequest(10**9, 50), sort=Sort("salary"))
        first = members.team_member_page(session=session, org_unit=team.unit, range=Range.six_months,
                                         request=PageRequest(1, 200))
    assert last.rows.page == last.rows.pages
    everyone = [_as_tuple(r) for r in first.rows.items]
    assert [_as_tuple(r) for r in last.rows.items] == everyone[(last.rows.page - 1) * 50:]
