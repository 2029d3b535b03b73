"""The people list's pages (`org.queries.people_page`) against brute force: 120 people and more, every page
of every sort and a few searches equal to a slice of the whole list filtered and sorted here in Python."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut.org import queries, service
from orgonaut.org.models import Actor, ActorKind, ActorStatus, Placement
from orgonaut.paging import PageRequest, Sort
from tests.integration.org.conftest import DAY, SmallOrg

GIVEN = ("Ada", "bob", "Cy", "dee", "Eve", "fay", "Gil", "hal", "Ivy", "jo")
FAMILY = ("Smith", "jones", "Brown", "taylor", "Wilson", "100%_sure", "Lee")


@pytest.fixture
def crowd(session, org: SmallOrg) -> SmallOrg:
    """120 more people on the small org: mixed case, repeated names (ties go by id), a `%` and `_` in some
    names, every kind and status, FTEs from 0.10 to 1.00, half of them with a home team."""
    draw = random.Random(7)
    teams = [org.core, org.checkout, org.field_sales]
    for n in range(120):
        name = f"{draw.choice(GIVEN)} {draw.choice(FAMILY)}" if n % 9 else "Ada Smith"
        kind = (ActorKind.human, ActorKind.human, ActorKind.robot, ActorKind.agent)[n % 4]
        email = "" if kind != ActorKind.human and n % 3 == 0 else f"p{n:03d}.{name.split()[0].lower()}@crowd.test"
        actor = service.create_actor(session=session, tenant_id=org.tenant_id, scenario_id=None, name=name,
                                     email=email, kind=kind, fte=f"{draw.randint(1, 10) / 10:.2f}")
        if n % 5 == 0:
            actor.status = ActorStatus.inactive
        if n % 2:
            service.create_placement(session=session, tenant_id=org.tenant_id, actor_id=actor.id,
                                     org_unit_id=draw.choice(teams).id, is_primary=True,
                                     start_date=DAY - dt.timedelta(days=10))
    session.commit()
    return org


def _everyone(session, tenant_id: int) -> list[tuple[Actor, str]]:
    """Every Live actor with the name of their primary unit on DAY (""), computed without the query."""
    units = {u.id: u.name for u in service.list_org_units(session=session, tenant_id=tenant_id, scenario_id=None)}
    home: dict[int, str] = {}
    for p in session.exec(select(Placement)).all():
        in_force = p.start_date <= DAY and (p.end_date is None or p.end_date >= DAY)
        if p.is_primary and in_force and p.org_unit_id in units:
            home[p.actor_id] = units[p.org_unit_id]
    actors = session.exec(select(Actor).where(Actor.tenant_id == tenant_id, Actor.scenario_id == None)).all()  # noqa: E711
    return [(a, home.get(a.id, "")) for a in actors]


def _brute_force(people: list[tuple[Actor, str]], search: str, sort: Sort) -> list[int]:
    term = search.strip().lower()
    found = [(a, h) for a, h in people if not term or term in a.name.lower() or term in a.email.lower()]
    value = {
        "name": lambda a, h: a.name.lower(), "email": lambda a, h: a.email, "kind": lambda a, h: str(a.kind),
        "fte": lambda a, h: Decimal(a.fte), "home_unit": lambda a, h: h.lower(), "status": lambda a, h: str(a.status),
    }[sort.key]
    # Ties by name then id, both ascending whichever way the column goes: sort by those first, then stably.
    ordered = sorted(found, key=lambda ah: (ah[0].name.lower(), ah[0].id))
    ordered.sort(key=lambda ah: value(*ah), reverse=sort.descending)
    return [a.id for a, _h in ordered]


def _pages(session, tenant_id: int, *, size: int, search: str = "", sort: Sort = Sort("name")) -> list[list[int]]:
    pages, number = [], 1
    while True:
        page = queries.people_page(session=session, tenant_id=tenant_id, scenario_id=None, on=DAY, search=search,
                                   sort=sort, request=PageRequest(page=number, size=size))
        assert page.page == number
        pages.append([row.actor.id for row in page.items])
        if number == page.pages:
            return pages
        number += 1


SORTS = [Sort(key, descending) for key in queries.PEOPLE_SORTS for descending in (False, True)]


@pytest.mark.parametrize("sort", SORTS, ids=lambda s: s.value)
def test_every_page_of_every_sort_is_the_slice_of_the_whole_sorted_list(session, crowd, sort):
    expected = _brute_force(_everyone(session, crowd.tenant_id), "", sort)
    assert len(expected) == 126
    pages = _pages(session, crowd.tenant_id, size=25, sort=sort)
    assert pages == [expected[i:i + 25] for i in range(0, 126, 25)]


@pytest.mark.parametrize("search", ["ada", "ADA SMITH", "%_s", "crowd.test", "p07", "  Lee ", "nobody-at-all"])
def test_a_search_pages_its_matches_and_counts_them(session, crowd, search):
    expected = _brute_force(_everyone(session, crowd.tenant_id), search, Sort("fte", descending=True))
    page = queries.people_page(session=session, tenant_id=crowd.tenant_id, scenario_id=None, on=DAY, search=search,
                               sort=Sort("fte", descending=True), request=PageRequest(page=1, size=7))
    assert page.total == len(expected)
    pages = _pages(session, crowd.tenant_id, size=7, search=search, sort=Sort("fte", descending=True))
    assert [actor_id for p in pages for actor_id in p] == expected
    if not expected:
        assert (page.items, page.page, page.pages, page.first_index) == ([], 1, 1, 0)


def test_a_page_past_the_end_is_the_last_page(session, crowd):
    last = queries.people_page(session=session, tenant_id=crowd.tenant_id, scenario_id=None, on=DAY,
                               request=PageRequest(page=10_000, size=50))
    assert (last.page, last.pages, last.total, len(last.items)) == (3, 3, 126, 26)
    assert (last.first_index, last.last_index) == (101, 126)


def test_the_kind_filter_pages_only_that_kind(session, crowd):
    robots = [a.id for a, _h in _everyone(session, crowd.tenant_id) if a.kind == ActorKind.robot]
    page = queries.people_page(session=session, tenant_id=crowd.tenant_id, scenario_id=None, on=DAY,
                               kind="robot", request=PageRequest(page=1, size=200))
    assert page.total == len(robots) == 30
    assert sorted(row.actor.id for row in page.items) == sorted(robots)
