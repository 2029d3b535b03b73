"""Invoice reconciliation of GitHub Copilot against the GitHub simulator over HTTP (the clock and the simulator
fixed at 3 July 2026): after a backfill of June 2026, ours is our stored records summed (seat shares and AI
credits), the bill is the simulator's billing usage report summed here over plain HTTP, its Copilot lines the
tool's part, which equals ours to a float's rounding of the daily seat lines, and Actions is another product
on the bill; the API answers the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from orgonaut import clock
from orgonaut.ai_tooling import service
from orgonaut.simulator.copilot import GithubConfig
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.spend import reconciliation
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.rollups import builders as b
from tests.integration.spend.reconcile_support import api_reconciliation, stored, stored_cents
from tests.support.github_simulator import VALID_GITHUB_TOKEN, GithubSimulatorServer

NOW = dt.datetime(2026, 7, 3, 12, tzinfo=dt.UTC)
JUNE = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(30)]
CREDENTIALS = {"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
               "business_seat_usd": "19", "enterprise_seat_usd": "39"}


@pytest.fixture(scope="module")
def july_github():
    with GithubSimulatorServer(GithubConfig(now=lambda: NOW)) as server:
        yield server


@pytest.fixture
def sim(july_github):
    july_github.reset()
    with clock.frozen_at(NOW):
        yield july_github
    july_github.reset()


def test_june_reconciles_to_githubs_billing_usage_report(session, sim):
    tenant = make_tenant(session)
    for email in DEFAULT_ROSTER[:20]:  # those with a SAML identity are matched through its e-mail
        b.actor(session, tenant, email.split("@")[0], email=email)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="copilot", credentials=CREDENTIALS,
                                  api_base=sim.base_url)
    session.commit()
    assert backfill(session, integration, JUNE[0], JUNE[-1]).status == "succeeded"

    result = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2026-06")
    assert (result.start, result.end, result.current_cycle) == (JUNE[0], JUNE[-1], False)
    records = stored(session, integration, JUNE[0], JUNE[-1])
    assert result.ours_cents == stored_cents(records) > 0
    assert result.matched_cents == stored_cents(records, matched=True) > 0
    assert result.unmatched_cents == stored_cents(records, matched=False) > 0

    items = httpx.get(f"{sim.base_url}/organizations/orgonaut-sim/settings/billing/usage",
                      params={"year": 2026, "month": 6}, headers={"authorization": f"Bearer {VALID_GITHUB_TOKEN}"},
                      timeout=30).json()["usageItems"]
    copilot = sum((Decimal(str(i["netAmount"])) * 100 for i in items if i["product"] == "Copilot"), Decimal(0))
    actions = sum((Decimal(str(i["netAmount"])) * 100 for i in items if i["product"] == "Actions"), Decimal(0))
    assert {i["sku"] for i in items if i["product"] == "Copilot"} == {
        "copilot_for_business", "copilot_enterprise", "copilot_ai_credit"}
    assert result.vendor_tool_cents == copilot and result.vendor_total_cents == copilot + actions
    assert result.other_products_cents == dict(result.vendor_lines)["Actions: actions_linux"] == actions > 0
    # A whole month of seat shares is the seat's price: only the daily seat lines' float rounding is left.
    assert abs(result.gap_cents) < Decimal("0.000001")
    seats = sum((Decimal(r.provider_metrics["seat_cost_cents"]) for r in records), Decimal(0))
    billed_seats = sum((amount for name, amount in result.vendor_lines if name in (
        "Copilot: copilot_for_business", "Copilot: copilot_enterprise")), Decimal(0))
    assert abs(billed_seats - seats) < Decimal("0.000001") and seats > 0

    status, body = api_reconciliation(session, admin, integration.id, "2026-06")
    assert status == 200
    assert (body["provider"], body["start"], body["end"], body["current_billing_cycle"]) == (
        "copilot", "2026-06-01", "2026-06-30", False)
    assert (body["vendor_tool_cents_exact"], body["ours_cents_exact"], body["vendor_total_cents_exact"]) == (
        f"{copilot:.6f}", f"{result.ours_cents:.6f}", f"{copilot + actions:.6f}")
    assert [line["label"] for line in body["vendor_lines"]] == [
        "Actions: actions_linux", "Copilot: copilot_ai_credit", "Copilot: copilot_enterprise",
        "Copilot: copilot_for_business"]
