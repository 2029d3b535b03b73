"""The budgets page in a real browser, as an admin on the demo with 180 days of simulator usage: reached
from the navigation, a bad amount refused in the form, a budget for the whole organisation set and shown
with its month-to-date spend equal to the demo's raw records read here, its burn-down drawn, the CSV equal
to the table, and the budget removed after a confirmation."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import Page, expect

from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in
from tests.e2e.test_spend_overview import _month_to_date_cents


@pytest.fixture(autouse=True)
def _refreshes_done(demo_refreshed):
    """The seed's rollup refreshes are worked off before each test (conftest: `demo_refreshed`)."""


def test_admin_sets_a_budget_sees_its_spend_and_burn_down_and_removes_it(page: Page, base_url: str, tmp_path):
    log_in(page, base_url, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Budgets").click()
    expect(page).to_have_url(f"{base_url}/ai-tooling/budgets")
    expect(page.get_by_text("No budgets this month")).to_be_visible(timeout=20_000)

    page.get_by_role("button", name="Set a budget").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Unit")).to_have_value("tenant")
    dialog.get_by_label("Amount per month (USD)").fill("lots")
    dialog.get_by_role("button", name="Save budget").click()
    expect(dialog.get_by_role("alert")).to_have_text("'lots' is not an amount in USD (such as 1500 or 1500.50).")
    dialog.get_by_label("Amount per month (USD)").fill("250,000")
    dialog.get_by_role("button", name="Save budget").click()
    expect(dialog).to_be_hidden()

    table = page.get_by_role("region", name="Budgets this month")
    row = table.get_by_role("row").nth(1)
    expect(row.get_by_role("rowheader")).to_have_text("Whole organization", timeout=20_000)
    cells = row.get_by_role("cell")
    expect(cells.nth(1)).to_have_text("$250,000.00")
    expected = _month_to_date_cents()
    expect(cells.nth(2)).to_have_text(format_usd(expected))
    expect(page.locator("#budget-burn-down")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    path = tmp_path / "budgets.csv"
    info.value.save_as(path)
    assert info.value.suggested_filename.startswith("budgets-")
    with open(path, newline="") as handle:
        [line] = list(csv.DictReader(handle))
    assert (line["unit"], line["budget_usd"], line["spent_usd"]) == (
        "Whole organization", "250000.00", format_usd(expected).replace("$", "").replace(",", ""))

    row.get_by_role("button", name="Remove budget").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Remove this budget?")
    confirm.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No budgets this month")).to_be_visible(timeout=20_000)
