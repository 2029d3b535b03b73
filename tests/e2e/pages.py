"""Page objects for the flows QA drives most. Selectors by role and label."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from orgonaut.demo import DEMO_PASSWORD


class LoginPage:
    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self) -> LoginPage:
        self.page.goto(f"{self.base_url}/login")
        expect(self.page.get_by_role("button", name="Log in")).to_be_visible()
        return self

    def log_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()


def log_in(page: Page, base_url: str, email: str) -> None:
    LoginPage(page, base_url).open().log_in(email)
    expect(page.get_by_role("button", name="User menu")).to_be_visible(timeout=20_000)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="User menu").click()
    page.get_by_role("menuitem", name="Log out", exact=True).click()
    # Logout reloads the page with a new tab identity: a whole page load, slow on a busy machine.
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=20_000)
