"""Paging's lenient reading of an address and the pager's links (`orgonaut.paging`, `ui.components.pager`)."""

from __future__ import annotations

import pytest

from orgonaut.paging import DEFAULT_SIZE, MAX_SIZE, Page, PageRequest, Sort, parse_page, parse_sort, search_term
from orgonaut.ui.components.pager import address, page_numbers, pager_view


@pytest.mark.parametrize(("page", "size", "expected"), [
    (None, None, PageRequest(1, DEFAULT_SIZE)),
    ("3", "25", PageRequest(3, 25)),
    (" 3 ", 25, PageRequest(3, 25)),
    ("0", "0", PageRequest(1, DEFAULT_SIZE)),
    ("-2", "-5", PageRequest(1, DEFAULT_SIZE)),
    ("2.5", "1e3", PageRequest(1, DEFAULT_SIZE)),
    ("abc", "", PageRequest(1, DEFAULT_SIZE)),
    ("٣", "٣", PageRequest(1, DEFAULT_SIZE)),  # a digit, but not an ASCII one
    ("9" * 5000, "9" * 40, PageRequest(1, DEFAULT_SIZE)),  # too long to be a page anyone asked for
    ("999999999999", "100000", PageRequest(999_999_999_999, MAX_SIZE)),  # past the end: `fetch` shows the last
])
def test_parse_page_never_refuses(page, size, expected):
    assert parse_page(page, size) == expected


def test_parse_sort_takes_allowed_keys_only():
    default = Sort("name")
    assert parse_sort("fte", ("name", "fte"), default) == Sort("fte")
    assert parse_sort("-fte", ("name", "fte"), default) == Sort("fte", descending=True)
    for raw in (None, "", "-", "--fte", "salary", "FTE", "name;drop table actors"):
        assert parse_sort(raw, ("name", "fte"), default) == default
    assert Sort("fte", descending=True).value == "-fte"


def test_search_term_is_trimmed_and_bounded():
    assert search_term("  Ana ") == "Ana"
    assert search_term(None) == ""
    assert len(search_term("x" * 1000)) == 200


def test_page_positions():
    page = Page(items=list(range(26)), total=126, page=3, size=50)
    assert (page.pages, page.first_index, page.last_index) == (3, 101, 126)
    empty = Page(items=[], total=0, page=1, size=50)
    assert (empty.pages, empty.first_index, empty.last_index) == (1, 0, 0)
    assert page.map(str).items[:2] == ["0", "1"]


def test_page_numbers_link_both_ends_and_the_neighbourhood():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 5) == [1, 2, 3, 4, 5]
    assert page_numbers(1, 200) == [1, 2, 3, None, 200]
    assert page_numbers(100, 200) == [1, None, 98, 99, 100, 101, 102, None, 200]
    assert page_numbers(4, 200) == [1, 2, 3, 4, 5, 6, None, 200]
    assert page_numbers(5, 200) == [1, 2, 3, 4, 5, 6, 7, None, 200]  # page 2 rather than "…"
    assert page_numbers(200, 200) == [1, None, 198, 199, 200]


def test_pager_view_says_where_it_stands_and_links_every_step():
    view = pager_view(Page(items=list(range(50)), total=10_000, page=1, size=50), lambda n: f"/people?page={n}")
    assert view.summary == "1–50 of 10,000"
    assert (view.previous_href, view.next_href) == ("", "/people?page=2")
    assert [(link.label, link.href, link.current) for link in view.links] == [
        ("1", "", True), ("2", "/people?page=2", False), ("3", "/people?page=3", False), ("…", "", False),
        ("200", "/people?page=200", False)]
    last = pager_view(Page(items=[1], total=101, page=3, size=50), lambda n: f"?p={n}")
    assert (last.summary, last.previous_href, last.next_href) == ("101–101 of 101", "?p=2", "")
    single = pager_view(Page(items=[1, 2], total=2, page=1, size=50), str)
    assert (single.summary, single.links, single.previous_href, single.next_href) == ("1–2 of 2", [], "", "")
    assert pager_view(Page(items=[], total=0, page=1, size=50), str).summary == ""


def test_address_leaves_out_what_is_unset():
    assert address("/people", {"q": "", "page": None, "sort": "-fte"}) == "/people?sort=-fte"
    assert address("/people", {"q": "a b&c"}) == "/people?q=a+b%26c"
    assert address("/people", {}) == "/people"
