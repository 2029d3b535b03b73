"""The AI spend overview (/ai-tooling) in a real browser, as an admin on the demo with 180 days of
simulator usage: reached from the navigation, its month-to-date card equal to the sum of the demo's
raw records read here, the top-units CSV equal to its table, and a unit's link opening its page."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.db import session_scope
from orgonaut.tenancy.models import Tenant
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in


def _tenant() -> Tenant:
    with session_scope() as session:
        return session.exec(select(Tenant).where(Tenant.slug == "demo")).one()


@pytest.fixture(autouse=True)
def _refreshes_done(demo_refreshed):
    """The seed's rollup refreshes are worked off before each test (conftest: `demo_refreshed`)."""


def _month_to_date_cents() -> Decimal:
    tenant = _tenant()
    today = clock.today_in(tenant.timezone)
    r = AiToolUsageRecord
    with session_scope() as session:
        costs = session.exec(select(r.total_cost_cents).where(
            r.tenant_id == tenant.id, r.scope_key == 0, r.usage_date >= today.replace(day=1), r.usage_date <= today,
        )).all()
    return sum_cost_cents(Decimal(c) for c in costs if c is not None)


def _card(page: Page, label: str):
    return page.get_by_label("AI spend summary").get_by_role("term").filter(
        has_text=re.compile(f"^{re.escape(label)}$")).locator("xpath=following-sibling::dd[1]")


def test_admin_opens_the_overview_and_its_numbers_are_the_databases(page: Page, base_url: str, tmp_path):
    log_in(page, base_url, "admin@demo.test")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="AI spend")).to_be_visible()
    nav.get_by_role("link", name="AI spend").click()
    expect(page).to_have_url(f"{base_url}/ai-tooling")

    expected = _month_to_date_cents()
    assert expected > 0, "the demo has usage this month"
    expect(_card(page, "Month to date")).to_have_text(format_usd(expected), timeout=20_000)
    expect(page.get_by_text("The whole organisation")).to_be_visible()
    expect(page.locator("#spend-by-month")).to_be_visible()

    table = page.get_by_role("region", name="Top departments and teams")
    expect(table.get_by_role("rowheader").first).to_be_visible()
    names = table.get_by_role("rowheader").all_inner_texts()
    month_to_date = [row.get_by_role("cell").nth(1).inner_text() for row in table.get_by_role("row").all()[1:]]

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    name = download.suggested_filename
    assert re.fullmatch(r"ai-spend-top-units-live-\d{4}-\d{2}-01-to-\d{4}-\d{2}-\d{2}\.csv", name)
    path = tmp_path / "units.csv"
    download.save_as(path)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[1] for row in rows[1:]] == names
    assert [row[2] for row in rows[1:]] == [text.replace("$", "").replace(",", "") for text in month_to_date]

    first = table.get_by_role("link").first
    href = first.get_attribute("href")
    assert href is not None and re.fullmatch(r"/(departments|teams)/\d+", href)
    first.click()
    expect(page).to_have_url(f"{base_url}{href}")
    expect(page.get_by_role("region", name="AI Tooling Usage", exact=True)).to_be_visible(timeout=20_000)
