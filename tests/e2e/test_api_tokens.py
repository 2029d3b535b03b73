"""API tokens in a real browser, and the REST API through the real web app's single port
(`reflex run --env prod --single-port`): create a token on /settings/api-tokens, copy its secret
(shown once), call /api/v1 with it, revoke it, and see it refused."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from orgonaut.tenancy import tokens
from orgonaut.ui.pages.api_tokens import EXPIRY_LABEL
from tests.e2e.pages import log_in

USAGE = "/api/v1/ai-tooling/usage"


class ApiTokensPage:
    def __init__(self, page: Page, base_url: str):
        self.page = page
        self.base_url = base_url

    def open(self) -> ApiTokensPage:
        self.page.goto(f"{self.base_url}/settings/api-tokens")
        expect(self.page.get_by_role("heading", name="Create a token")).to_be_visible(timeout=20_000)
        return self

    def create(self, name: str, *, abilities_off: tuple[str, ...] = (), expires_in_days: str = "") -> str:
        self.page.get_by_label("Name", exact=True).fill(name)
        if expires_in_days:
            self.page.get_by_label(EXPIRY_LABEL).fill(expires_in_days)
        for ability in abilities_off:
            self.page.get_by_role("checkbox", name=ability).click()
        self.page.get_by_role("button", name="Create token").click()
        secret_box = self.page.get_by_label("New token secret")
        expect(secret_box).to_have_value(re.compile(r"^ogt_[A-Za-z0-9]{43}$"), timeout=20_000)
        return secret_box.input_value()

    def row(self, name: str):
        return self.page.get_by_role("region", name="API tokens").get_by_role("row").filter(has_text=name)


def _api(base_url: str, path: str, secret: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.get(f"{base_url}{path}", headers=headers, timeout=20)


def test_owner_creates_uses_and_revokes_a_token(page: Page, base_url: str):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    name = f"E2E export {uuid.uuid4().hex[:6]}"
    log_in(page, base_url, "owner@demo.test")
    tokens_page = ApiTokensPage(page, base_url).open()
    secret = tokens_page.create(name, expires_in_days="30")

    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    # The API answers through the web app's one port, with the demo's usage.
    response = _api(base_url, f"{USAGE}?limit=5", secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["data"]) == 5 and body["next_cursor"]
    assert all(isinstance(row["cost_cents"], int) and row["currency"] == "USD" for row in body["data"])

    # Dismissed, the secret is gone, and a reload never shows it again.
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_label("New token secret")).to_have_count(0)
    tokens_page.open()
    expect(page.get_by_label("New token secret")).to_have_count(0)
    assert secret not in page.content()
    row = tokens_page.row(name)
    expect(row).to_contain_text(f"ogt_{secret[4:12]}…")
    expect(row).to_contain_text("owner@demo.test")
    expect(row).to_contain_text("ai-tooling.manage")
    expect(row).to_contain_text("active")
    cells = row.get_by_role("cell")  # after the name (a row header): token, user, abilities, created, expires, ...
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))  # expires in 30 days
    expect(cells.nth(5)).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))  # used just now

    row.get_by_role("button", name=f"Revoke {name}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Revoke this token?")
    expect(dialog).to_contain_text(name)
    dialog.get_by_role("button", name="Revoke token").click()
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name=f"Revoke {name}")).to_have_count(0)

    refused = _api(base_url, USAGE, secret)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "The API token has been revoked."


def test_cancelling_revoke_keeps_the_token(page: Page, base_url: str):
    name = f"E2E keep {uuid.uuid4().hex[:6]}"
    log_in(page, base_url, "admin@demo.test")
    tokens_page = ApiTokensPage(page, base_url).open()
    secret = tokens_page.create(name)
    page.get_by_role("button", name="Done").click()
    tokens_page.row(name).get_by_role("button", name=f"Revoke {name}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(tokens_page.row(name)).to_contain_text("active")
    assert _api(base_url, USAGE, secret).status_code == 200


def test_abilities_offered_are_the_users_own(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    ApiTokensPage(page, base_url).open()
    expect(page.get_by_role("checkbox", name="ai-tooling.manage")).to_be_checked()
    expect(page.get_by_role("checkbox", name="teams.read")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="billing.manage")).to_have_count(0)  # owners only


def test_a_token_without_the_ability_is_refused_by_the_api(page: Page, base_url: str):
    name = f"E2E read-only {uuid.uuid4().hex[:6]}"
    log_in(page, base_url, "admin@demo.test")
    tokens_page = ApiTokensPage(page, base_url).open()
    page.get_by_role("checkbox", name="teams.read").click()
    secret = tokens_page.create(name, abilities_off=("ai-tooling.manage",))
    response = _api(base_url, USAGE, secret)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_ability"


def test_creating_without_a_name_says_why_and_creates_nothing(page: Page, base_url: str):
    log_in(page, base_url, "owner@demo.test")
    ApiTokensPage(page, base_url).open()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_contain_text("A token needs a name")
    expect(page.get_by_label("New token secret")).to_have_count(0)


@pytest.mark.parametrize("email", ["manager@demo.test", "member@demo.test"])
def test_other_roles_neither_see_nor_open_the_page(page: Page, base_url: str, email: str):
    log_in(page, base_url, email)
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="People")).to_be_visible()
    expect(navigation.get_by_role("link", name="API tokens")).to_have_count(0)
    page.goto(f"{base_url}/settings/api-tokens")
    expect(page.get_by_role("heading", name="You don't have access to this page")).to_be_visible()
    expect(page.get_by_role("button", name="Create token")).to_have_count(0)


def test_the_api_owns_everything_under_api_v1_and_reflex_the_rest(base_url: str):
    missing = _api(base_url, USAGE)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="orgonaut"'
    assert missing.json()["error"]["code"] == "unauthorized"
    unknown = _api(base_url, "/api/v1/no-such-thing", tokens.generate_secret())
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    document = _api(base_url, "/api/v1/openapi.json")
    assert document.status_code == 200
    assert "/ai-tooling/actors/{id}/summary" in document.json()["paths"]
    docs = _api(base_url, "/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/openapi.json" in docs.text
    # Reflex still serves its pages and its own endpoints on the same port.
    assert _api(base_url, "/ping").status_code == 200
    login = httpx.get(f"{base_url}/login", follow_redirects=True, timeout=20)
    assert login.status_code == 200 and "text/html" in login.headers["content-type"]
