"""Invoice reconciliation of Cursor, which reports only its current billing cycle to date (`/teams/spend`),
against its simulator over HTTP (the clock and the simulator fixed at 5 March 2025, the cycle from 17 February):
after a backfill of the cycle's days, the current month reconciles over the cycle's days, not the month's; ours
is our stored records summed, service accounts (in no member's spend) set apart; the vendor's figure is the
members' `overallSpendCents`, which equal the cycle's usage events summed here from the simulator over plain
HTTP; another month is refused saying why; the page and the API say it is the current billing cycle."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from orgonaut import clock
from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.providers.base import SERVICE_ACCOUNT_PREFIX
from orgonaut.errors import ValidationFailed
from orgonaut.simulator.cursor import EVENTS_PATH, SPEND_PATH, CursorConfig
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.spend import reconciliation
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.rollups import builders as b
from tests.integration.spend.reconcile_support import api_reconciliation, stored, stored_cents
from tests.support.cursor_simulator import (
    VALID_CURSOR_KEY,
    CursorSimulatorServer,
    cursor_auth,
    day_window,
    event_cents,
)

NOW = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
CYCLE_START, LAST_SERVED = dt.date(2025, 2, 17), dt.date(2025, 3, 4)


@pytest.fixture(scope="module")
def march_cursor():
    with CursorSimulatorServer(CursorConfig(now=lambda: NOW, billing_cycle_day=17)) as server:
        yield server


@pytest.fixture
def sim(march_cursor):
    march_cursor.reset()
    with clock.frozen_at(NOW):
        yield march_cursor
    march_cursor.reset()


def cycle_cost_by_events(sim) -> tuple[Decimal, Decimal]:
    """(members', service accounts') cost of every usage event of the cycle so far, page by page."""
    members, accounts, page = Decimal(0), Decimal(0), 1
    while True:
        answer = json.loads(httpx.post(
            f"{sim.base_url}{EVENTS_PATH}", json={**day_window(CYCLE_START, NOW.date()), "page": page,
                                                  "pageSize": 1000}, auth=cursor_auth(), timeout=30).text,
            parse_float=Decimal)
        for event in answer["usageEvents"]:
            if "serviceAccountId" in event:
                accounts += event_cents(event)
            else:
                members += event_cents(event)
        if not answer["pagination"]["hasNextPage"]:
            return members, accounts
        page += 1


def test_the_current_month_reconciles_over_the_billing_cycle_with_service_accounts_apart(session, sim):
    tenant = make_tenant(session)
    for email in DEFAULT_ROSTER[:12]:
        b.actor(session, tenant, email.split("@")[0], email=email)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="cursor",
                                  credentials={"api_key": VALID_CURSOR_KEY}, api_base=sim.base_url)
    session.commit()
    assert backfill(session, integration, CYCLE_START, LAST_SERVED).status == "succeeded"
    assert [r.label for r in reconciliation.reconcilable(session=session, tenant_id=tenant.id)] == [
        f"Cursor ({integration.organization_name}), current billing cycle"]

    result = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-03")
    assert (result.start, result.end, result.current_cycle) == (CYCLE_START, NOW.date(), True)
    records = stored(session, integration, CYCLE_START, NOW.date())
    accounts = stored_cents(records, prefix=SERVICE_ACCOUNT_PREFIX)
    assert accounts > 0 and result.set_apart == (
        ("Service accounts (in our report; the vendor's figure leaves them out)", accounts),)
    assert result.ours_cents == stored_cents(records) - accounts
    people = [r for r in records if not r.source_email.startswith(SERVICE_ACCOUNT_PREFIX)]
    assert result.matched_cents == stored_cents(people, matched=True) > 0
    assert result.unmatched_cents == stored_cents(people, matched=False) > 0

    rows = json.loads(httpx.post(f"{sim.base_url}{SPEND_PATH}", json={"pageSize": 1000}, auth=cursor_auth(),
                                 timeout=30).text, parse_float=Decimal)["teamMemberSpend"]
    spend = sum((row["overallSpendCents"] for row in rows), Decimal(0))
    members, service_accounts = cycle_cost_by_events(sim)
    assert result.vendor_tool_cents == result.vendor_total_cents == spend == members
    assert service_accounts == accounts  # what the figure leaves out is what we set apart
    assert result.gap_cents == 0 and result.other_products_cents == 0
    assert dict(result.vendor_lines)["On-demand usage (beyond the plan)"] == sum(
        (row["spendCents"] for row in rows), Decimal(0))

    with pytest.raises(ValidationFailed, match="Cursor reports only the spend of its current billing cycle, so only "
                                               "the current month \\(March 2025\\) can be reconciled"):
        reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-02")

    status, body = api_reconciliation(session, admin, integration.id, "2025-03")
    assert status == 200
    assert (body["start"], body["end"], body["current_billing_cycle"], body["gap_cents_exact"]) == (
        "2025-02-17", "2025-03-05", True, "0.000000")
    assert body["set_apart"] == [{"label": result.set_apart[0][0], "amount_cents_exact": f"{accounts:.6f}"}]
    status, refused = api_reconciliation(session, admin, integration.id, "2025-02")
    assert status == 422 and "current billing cycle" in refused["error"]["message"]


def test_the_chargeback_page_says_it_is_the_current_billing_cycle(session, sim):
    from orgonaut.ui import routes
    from orgonaut.ui.auth import AuthState
    from orgonaut.ui.pages.chargeback import ChargebackState
    from tests.integration.ui.conftest import Tab, login_token

    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="cursor",
                                  credentials={"api_key": VALID_CURSOR_KEY}, api_base=sim.base_url)
    session.commit()
    tab = Tab(login_token(session, admin.email))
    tab.route(routes.AI_CHARGEBACK, routes.AI_CHARGEBACK)
    tab.state(AuthState).require_login()
    page = tab.state(ChargebackState)
    page.load()
    assert page.month == "2025-02"  # last month, as the page opens
    page.reconcile(page.reconcilable[0].value)
    assert page.reconciliation_rows == [] and "only the current month (March 2025)" in page.reconciliation_error
    page.month = "2025-03"
    page.reconcile(str(integration.id))
    assert page.reconciliation_error == ""
    assert page.reconciliation_title.startswith(
        f"{integration.organization_name}, current billing cycle, 17 Feb – 5 Mar 2025: gap $")
    rows = {r.label: r.amount for r in page.reconciliation_rows}
    assert "… set apart: Service accounts (in our report; the vendor's figure leaves them out)" in rows
