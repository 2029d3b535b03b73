"""/people in pages, in a real browser on the seeded demo: a search shows its first page and puts itself in
the address, the pager goes to page 2, and a reload shows that same page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from orgonaut.db import session_scope
from orgonaut.org.models import Actor
from orgonaut.tenancy.models import Tenant
from tests.e2e.pages import log_in

SEARCH = "DEMO.TEST"  # every demo person with a mailbox: more than one page of 50


def _matches(slug: str) -> list[str]:
    """The names the search finds, in the list's order (name, then id), read from the database."""
    with session_scope() as session:
        tenant_id = session.exec(select(Tenant.id).where(Tenant.slug == slug)).one()
        rows = session.exec(
            select(Actor.name).where(Actor.tenant_id == tenant_id, col(Actor.scenario_id).is_(None),
                                     col(Actor.email).contains(SEARCH.lower()))
            .order_by(func.lower(Actor.name), Actor.id)
        ).all()
    return list(rows)


def test_search_go_to_page_two_and_reload_keeps_that_page(page: Page, base_url: str, seeded_demo: str):
    expected = _matches(seeded_demo)
    assert len(expected) > 50
    summary = f"51–{len(expected)} of {len(expected)}"
    log_in(page, base_url, "member@demo.test")
    page.goto(f"{base_url}/people")
    people = page.get_by_role("region", name="People", exact=True).get_by_role("rowheader")
    expect(people).to_have_count(50)

    page.get_by_label("Search people").fill(SEARCH)
    expect(page).to_have_url(re.compile(r"/people\?q=DEMO\.TEST$"))
    pages = page.get_by_role("navigation", name="People pages")
    expect(pages).to_contain_text(f"1–50 of {len(expected)}")
    expect(people).to_have_text(expected[:50])

    pages.get_by_role("link", name="People: page 2").click()
    expect(page).to_have_url(re.compile(r"/people\?q=DEMO\.TEST&page=2$"))
    expect(pages).to_contain_text(summary)
    expect(people).to_have_text(expected[50:])
    expect(pages.get_by_text("2", exact=True)).to_have_attribute("aria-current", "page")

    page.reload()
    expect(pages).to_contain_text(summary, timeout=20_000)
    expect(people).to_have_text(expected[50:])
    expect(page.get_by_label("Search people")).to_have_value(SEARCH)

    pages.get_by_role("link", name="People: previous page").click()
    expect(page).to_have_url(re.compile(r"/people\?q=DEMO\.TEST$"))
    expect(people).to_have_text(expected[:50])
