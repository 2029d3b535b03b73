"""/people in pages: the address names the page (`?q=&kind=&sort=&page=&size=`), a bad value shows the
first page (or the last, past the end) and never fails, and searching, filtering and sorting show page 1
and rewrite the address. Expected names come from the demo's definition."""

from __future__ import annotations

from orgonaut.org.demo_data import DEMO_PEOPLE
from orgonaut.org.models import ActorKind
from orgonaut.ui import routes
from orgonaut.ui.pages.people import PeopleState
from tests.integration.ui.conftest import Tab, login_token

BY_NAME = sorted((p.name for p in DEMO_PEOPLE), key=str.lower)


def _open(tab: Tab, **params: str) -> PeopleState:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return tab.open(PeopleState, routes.PEOPLE, f"{routes.PEOPLE}?{query}" if query else routes.PEOPLE, **params)


def _names(page: PeopleState) -> list[str]:
    return [p.name for p in page.people]


def _script(event) -> str:
    return str(event.args) if event is not None else ""


def test_the_demo_in_pages_of_fifty_with_a_pager(session, demo):
    assert len(BY_NAME) == 61
    tab = Tab(login_token(session, "member@demo.test"))
    first = _open(tab)
    assert _names(first) == BY_NAME[:50]
    assert (first.total, first.count_text, first.pager.summary) == (61, "61 people", "1–50 of 61")
    assert (first.pager.previous_href, first.pager.next_href) == ("", "/people?page=2")
    assert [(link.label, link.href, link.current) for link in first.pager.links] == [
        ("1", "", True), ("2", "/people?page=2", False)]

    second = _open(tab, page="2")
    assert _names(second) == BY_NAME[50:]
    assert (second.pager.summary, second.pager.previous_href, second.pager.next_href) == ("51–61 of 61", "/people", "")


def test_bad_page_numbers_and_sizes_show_the_first_or_the_last_page(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    for page in ("abc", "0", "-1", "1.5", "", "9" * 400):
        assert _names(_open(tab, page=page)) == BY_NAME[:50], page
    beyond = tab.open(PeopleState, routes.PEOPLE, "/people?page=999", page="999")
    assert _names(beyond) == BY_NAME[50:] and beyond.pager.summary == "51–61 of 61"
    # The load said so in the address: /people?page=2, the page shown.
    tab.route(routes.PEOPLE, "/people?page=999", page="999")
    assert '"/people?page=2"' in _script(beyond.load())
    assert _names(_open(tab, size="0")) == BY_NAME[:50]
    assert _names(_open(tab, size="x")) == BY_NAME[:50]
    assert _names(_open(tab, size="100000")) == BY_NAME  # at most 200 a page
    small = _open(tab, size="7", page="3")
    assert _names(small) == BY_NAME[14:21] and small.pager.next_href == "/people?page=4&size=7"


def test_search_sort_and_kind_come_from_the_address_and_go_back_to_it(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    found = _open(tab, q="SOUZA")
    assert (_names(found), found.search, found.pager.summary) == (["Ana Souza"], "SOUZA", "1–1 of 1")

    backwards = _open(tab, sort="-name", page="2")
    assert _names(backwards) == BY_NAME[::-1][50:]
    assert backwards.pager.previous_href == "/people?sort=-name"
    assert _names(_open(tab, sort="salary")) == BY_NAME[:50]  # not a column: by name
    assert _names(_open(tab, kind="wizard", size="100")) == BY_NAME  # not a kind: everyone

    robots = _open(tab, kind="robot")
    assert set(_names(robots)) == {p.name for p in DEMO_PEOPLE if p.kind == ActorKind.robot}

    page = _open(tab, page="2")
    assert '"/people?q=ana"' in _script(page.search_people("ana"))  # a new search starts at page 1
    assert page.pager.summary.startswith("1–") and all("ana" in (p.name + p.email).lower() for p in page.people)
    assert '"/people?q=ana&sort=-name"' in _script(page.sort_by("name"))  # A→Z was the order: now Z→A
    assert '"/people?q=ana&sort=fte"' in _script(page.sort_by("fte"))
    assert '"/people?q=ana&sort=-fte"' in _script(page.sort_by("fte"))
    assert '"/people?q=ana&kind=agent&sort=-fte"' in _script(page.filter_kind(["agent"]))
    assert '"/people?sort=-fte"' in _script(page.clear_filters())  # the sort is not a filter: it stays


def test_no_match_is_an_empty_state_with_no_pager(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    page = _open(tab, q="nobody-matches-this", page="4")
    assert (page.people, page.total, page.filtered, page.pager.summary, page.pager.links) == ([], 0, True, "", [])
    assert page.count_text == "0 people"
