"""Every page, for every role, in a real browser: axe-core finds no serious or critical violation, the
page has exactly one <h1>, and at 390 px (a phone) nothing is wider than the viewport.

axe-core comes from `axe-playwright-python`, whose wheel ships axe.min.js: no download at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from orgonaut.rollups.periods import RANGE_LABELS
from orgonaut.ui import routes
from orgonaut.ui.pages.usage_filters import DEFAULT_RANGE
from tests.e2e.a11y import (
    DESKTOP,
    PHONE,
    actor_id,
    assert_fits_the_viewport,
    assert_no_serious_violations,
    assert_one_h1,
    demo_pages,
    unit_id,
    wait_until_settled,
)
from tests.e2e.pages import LoginPage, log_in

ROLES = {"owner": "owner@demo.test", "manager": "manager@demo.test", "member": "member@demo.test"}


SIGNED_IN_PAGES = ["people", "person", "teams", "team", "departments", "department", "ai spend", "budgets",
                   "chargeback", "idle seats", "ai tooling settings", "api tokens", "notifications",
                   "notification settings", "access denied", "not found"]


@pytest.fixture(autouse=True)
def _refreshes_done(demo_refreshed):
    """The pages show their charts and numbers (conftest: `demo_refreshed`), so axe sees them too."""


@pytest.fixture(scope="module")
def role_pages(browser: Browser, base_url: str) -> Iterator[Callable[[str], Page]]:
    """One signed-in page per role for the whole module: signing in once per role, not per page."""
    pages: dict[str, Page] = {}
    contexts = []

    def page_for(role: str) -> Page:
        if role not in pages:
            context = browser.new_context(viewport=DESKTOP)
            contexts.append(context)
            pages[role] = context.new_page()
            log_in(pages[role], base_url, ROLES[role])
        return pages[role]

    yield page_for
    for context in contexts:
        context.close()


def _open(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}{path}")
    # The not-found page has no app shell (it serves any unknown address, signed in or not).
    wait_until_settled(page, signed_in=path != demo_pages()["not found"])


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
@pytest.mark.parametrize("role", list(ROLES))
def test_page_is_accessible_and_fits_a_phone(role_pages, base_url: str, role: str, name: str):
    page = role_pages(role)
    path = demo_pages()[name]
    page.set_viewport_size(DESKTOP)
    _open(page, base_url, path)
    where = f"{name} ({path}) as {role}"
    assert_one_h1(page, where)
    assert_no_serious_violations(page, where)

    page.set_viewport_size(PHONE)
    _open(page, base_url, path)
    assert_fits_the_viewport(page, where)
    assert_no_serious_violations(page, f"{where} at {PHONE['width']} px")


def test_login_page_is_accessible_and_fits_a_phone(browser: Browser, base_url: str):
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        try:
            LoginPage(page, base_url).open()
            wait_until_settled(page, signed_in=False)
            where = f"login at {viewport['width']} px"
            assert_one_h1(page, where)
            assert_no_serious_violations(page, where)
            assert_fits_the_viewport(page, where)
        finally:
            context.close()


# --- keyboard ---------------------------------------------------------------------------------


def test_skip_link_moves_focus_to_the_main_content(page: Page, base_url: str):
    log_in(page, base_url, "owner@demo.test")
    _open(page, base_url, routes.TEAMS)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_a_closed_dialog_gives_focus_back_to_the_button_that_opened_it(page: Page, base_url: str):
    log_in(page, base_url, "owner@demo.test")
    _open(page, base_url, routes.person_url(actor_id("Ana Souza")))
    edit = page.get_by_role("button", name="Edit", exact=True)
    for close in ("Escape", "Cancel"):
        edit.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Edit person")
        expect(dialog).to_be_visible()
        if close == "Escape":
            page.keyboard.press("Escape")
        else:
            dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        expect(edit).to_be_focused()


def test_the_arrow_keys_choose_a_range(page: Page, base_url: str):
    log_in(page, base_url, "owner@demo.test")
    _open(page, base_url, routes.person_url(actor_id("Ana Souza")))
    ranges = page.get_by_label("Range", exact=True).first
    labels = list(RANGE_LABELS.values())
    default = ranges.get_by_role("radio", name=RANGE_LABELS[DEFAULT_RANGE], exact=True)
    expect(default).to_have_attribute("aria-checked", "true")
    default.focus()
    page.keyboard.press("ArrowRight")
    after = ranges.get_by_role("radio", name=labels[labels.index(RANGE_LABELS[DEFAULT_RANGE]) + 1], exact=True)
    expect(after).to_be_focused()
    expect(after).to_have_attribute("aria-checked", "true")
    expect(page).to_have_url(re.compile(r"range="))  # chosen as a click chooses: the page follows it
    page.keyboard.press("ArrowLeft")
    expect(default).to_have_attribute("aria-checked", "true")


def test_detail_pages_name_who_or_what_they_show_in_the_tab_title(page: Page, base_url: str):
    log_in(page, base_url, "owner@demo.test")
    _open(page, base_url, routes.person_url(actor_id("Ana Souza")))
    expect(page).to_have_title("Ana Souza · Orgonaut")
    _open(page, base_url, routes.team_url(unit_id("Checkout")))
    expect(page).to_have_title("Checkout · Orgonaut")
    _open(page, base_url, routes.department_url(unit_id("Engineering")))
    expect(page).to_have_title("Engineering · Orgonaut")


def test_a_refused_login_marks_the_fields_invalid_and_describes_them_by_the_message(page: Page, base_url: str):
    LoginPage(page, base_url).open().log_in("nobody@demo.test", "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    for label in ("Email", "Password"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(alert.inner_text())


def test_on_a_phone_the_menu_button_opens_the_navigation(browser: Browser, base_url: str):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, base_url, "owner@demo.test")
        _open(page, base_url, routes.PEOPLE)
        page.get_by_role("button", name="Menu", exact=True).click()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        nav.get_by_role("link", name="Teams").click()
        expect(page).to_have_url(f"{base_url}{routes.TEAMS}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    finally:
        context.close()
