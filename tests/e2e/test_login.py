import re
from pathlib import Path

import redis
from playwright.sync_api import Page, expect

from orgonaut.settings import get_settings
from orgonaut.tenancy.service import LOGIN_FAILED_MESSAGE
from tests.e2e.pages import LoginPage, log_in, log_out


def test_each_demo_user_logs_in_and_out(page: Page, base_url: str):
    for email in ("owner@demo.test", "admin@demo.test", "manager@demo.test", "member@demo.test"):
        log_in(page, base_url, email)
        expect(page).to_have_url(re.compile(r"/people/?$"))
        page.get_by_role("button", name="User menu").click()
        expect(page.get_by_role("menuitem", name=email)).to_be_visible()
        page.keyboard.press("Escape")
        log_out(page)
        expect(page).to_have_url(re.compile(r"/login/?$"))
        # After logout a protected page sends us back to the login page.
        page.goto(f"{base_url}/people")
        expect(page).to_have_url(re.compile(r"/login/?$"), timeout=20_000)


def test_the_session_cookie_is_http_only_and_out_of_the_pages_reach(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "orgonaut_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 40
    assert "orgonaut_session" not in page.evaluate("document.cookie")
    token = page.evaluate("window.sessionStorage.getItem('token')")
    assert token and not _state_of_token_holds(token, cookie["value"])  # not in the Redis state either
    log_out(page)
    expect(page).to_have_url(re.compile(r"/login/?$"))
    assert [c for c in page.context.cookies() if c["name"] == "orgonaut_session"] == []


def test_wrong_password_and_unknown_email_get_the_same_message(page: Page, base_url: str):
    login = LoginPage(page, base_url).open()
    login.log_in("owner@demo.test", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(LOGIN_FAILED_MESSAGE)
    login.log_in("nobody@demo.test", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(LOGIN_FAILED_MESSAGE)
    expect(page).to_have_url(re.compile(r"/login/?$"))


def test_member_neither_sees_nor_opens_ai_tooling_settings(page: Page, base_url: str):
    log_in(page, base_url, "member@demo.test")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="People")).to_be_visible()
    expect(navigation.get_by_role("link", name="AI Tooling")).to_have_count(0)
    page.goto(f"{base_url}/settings/integrations/ai-tooling")
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    expect(page.get_by_text("Connect Claude Code")).to_have_count(0)


def test_admin_sees_ai_tooling_in_navigation(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="AI Tooling")).to_be_visible()


def test_unknown_page_shows_a_friendly_404(page: Page, base_url: str):
    page.goto(f"{base_url}/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_the_logo_and_favicon_come_from_the_assets_folder(page: Page, base_url: str):
    assets = Path(__file__).resolve().parents[2] / "assets"
    log_in(page, base_url, "member@demo.test")
    logo = page.locator("img[src='/logo.svg']").first
    expect(logo).to_be_visible()
    for name in ("logo.svg", "favicon.ico"):
        response = page.request.get(f"{base_url}/{name}")
        assert response.status == 200 and response.body() == (assets / name).read_bytes()


def _state_of_token_holds(token: str, text: str) -> bool:
    """Whether any Reflex state stored for the tab `token` holds `text`."""
    client = redis.Redis.from_url(get_settings().redis_state_url)
    for name in client.scan_iter(match=f"{token}*", count=500):
        if client.type(name) == b"string" and text.encode() in (client.get(name) or b""):
            return True
    return False


def test_logout_leaves_no_page_data_in_the_tab_or_the_state_store(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    page.goto(f"{base_url}/people")
    expect(page.get_by_role("link", name="Ethan Brooks").first).to_be_visible()
    token = page.evaluate("window.sessionStorage.getItem('token')")
    assert token and _state_of_token_holds(token, "Ethan Brooks")  # the people page's state

    log_out(page)
    expect(page).to_have_url(re.compile(r"/login/?$"))
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # The tab has a new state token, and what the old one held is back to its defaults.
    # (The new token is saved once the reloaded page connects: wait for it.)
    page.wait_for_function("old => { const t = window.sessionStorage.getItem('token'); return t && t !== old; }",
                           arg=token, timeout=20_000)
    assert not _state_of_token_holds(token, "Ethan Brooks")
    assert not _state_of_token_holds(token, "admin@demo.test")


def test_log_out_everywhere_ends_the_users_other_sessions(page: Page, base_url: str, browser):
    other = browser.new_context().new_page()  # another browser of the same user (a laptop and a phone)
    try:
        log_in(other, base_url, "admin@demo.test")
        log_in(page, base_url, "admin@demo.test")
        page.get_by_role("button", name="User menu").click()
        page.get_by_role("menuitem", name="Log out everywhere").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
        other.goto(f"{base_url}/people")
        expect(other).to_have_url(re.compile(r"/login/?$"), timeout=20_000)
    finally:
        other.context.close()
