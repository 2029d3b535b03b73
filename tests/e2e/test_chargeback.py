"""The chargeback report in a real browser, as an admin on the demo with 180 days of simulator usage: reached
from the navigation, last month's total equal to the demo's raw records of that month read here, the CSV's
exact lines adding up to it, and the month closed after a confirmation."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.db import session_scope
from orgonaut.ui.format import format_usd
from tests.e2e.pages import log_in
from tests.e2e.test_spend_overview import _tenant


def _last_month_cents() -> tuple[dt.date, Decimal]:
    tenant = _tenant()
    first = (clock.today_in(tenant.timezone).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    r = AiToolUsageRecord
    with session_scope() as session:
        costs = session.exec(select(r.total_cost_cents).where(
            r.tenant_id == tenant.id, r.scope_key == 0, r.usage_date >= first, r.usage_date <= last)).all()
    return first, sum_cost_cents(Decimal(c) for c in costs if c is not None)


def test_admin_reads_last_months_chargeback_downloads_it_and_closes_the_month(page: Page, base_url: str, tmp_path,
                                                                              seeded_demo):
    log_in(page, base_url, "admin@demo.test")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Chargeback").click()
    expect(page).to_have_url(f"{base_url}/ai-tooling/chargeback")
    month, expected = _last_month_cents()
    assert expected > 0, "the demo has usage last month"
    expect(page.get_by_label("Month")).to_have_value(f"{month:%Y-%m}", timeout=20_000)
    expect(page.locator("#chargeback-total")).to_have_text(format_usd(expected))
    expect(page.get_by_role("region", name="Chargeback by cost centre").get_by_role("row").nth(1)).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    assert info.value.suggested_filename == f"chargeback-{month:%Y-%m}.csv"
    path = tmp_path / "chargeback.csv"
    info.value.save_as(path)
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum((Decimal(r["amount_usd"]) for r in rows), Decimal(0)) * 100 == expected

    page.get_by_role("button", name="Close month").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Close this month?")
    confirm.get_by_role("button", name="Close month").click()
    expect(page.get_by_text("Closed ", exact=False).first).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="Close month")).to_have_count(0)
