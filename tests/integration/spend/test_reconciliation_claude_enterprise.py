"""Invoice reconciliation of Claude Enterprise against its simulator over HTTP (the clock and the simulator's
today fixed at 20 July 2026, so June 2026 is served whole and still revisable): after a backfill of June,
ours is our stored records summed, the bill is the simulator's own `/cost_report` summed and its users' part
its `/user_cost_report`, read here over plain HTTP; the part no user account carries (Claude in Slack
channels) is named apart; a revision after the sync is exactly the unexplained gap; the API answers the same.
The current month reconciles up to the last day Claude Enterprise serves, and a month without one is refused."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orgonaut import clock
from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.providers.claude_enterprise.organisation_cost import NO_USER_ACCOUNT
from orgonaut.errors import ValidationFailed
from orgonaut.simulator.claude_enterprise import COST_PATH, USER_COST_PATH, ClaudeEnterpriseConfig
from orgonaut.simulator.claude_enterprise_data import UNATTRIBUTED_PRODUCT
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.spend import reconciliation
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.rollups import builders as b
from tests.integration.spend.reconcile_support import api_reconciliation, stored, stored_cents
from tests.support.claude_enterprise_simulator import VALID_ENTERPRISE_KEY, ClaudeEnterpriseSimulatorServer

NOW = dt.datetime(2026, 7, 20, 12, tzinfo=dt.UTC)
JUNE = [dt.date(2026, 6, 1) + dt.timedelta(days=n) for n in range(30)]
HEADERS = {"x-api-key": VALID_ENTERPRISE_KEY}


@pytest.fixture(scope="module")
def july_simulator():
    with ClaudeEnterpriseSimulatorServer(ClaudeEnterpriseConfig(today=lambda: NOW.date())) as server:
        yield server


@pytest.fixture
def sim(july_simulator):
    july_simulator.reset()
    with clock.frozen_at(NOW):
        yield july_simulator
    july_simulator.reset()


def raw(base_url: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a report over plain HTTP, page after page."""
    found: list[dict[str, Any]] = []
    query = {"starting_at": f"{JUNE[0]}T00:00:00Z", "ending_at": f"{JUNE[-1] + dt.timedelta(days=1)}T00:00:00Z",
             **params}
    while True:
        page = httpx.get(f"{base_url}{path}", params=query, headers=HEADERS, timeout=10).json()
        found += page["data"]
        if not page["has_more"]:
            return found
        query["page"] = page["next_page"]


def test_june_reconciles_to_the_bill_and_what_no_user_carries_is_named(session, sim):
    tenant = make_tenant(session)
    for email in DEFAULT_ROSTER[:8]:
        b.actor(session, tenant, email.split("@")[0], email=email)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="claude_enterprise",
                                  credentials={"api_key": VALID_ENTERPRISE_KEY}, api_base=sim.base_url)
    session.commit()
    assert backfill(session, integration, JUNE[0], JUNE[-1]).status == "succeeded"
    assert [r.label for r in reconciliation.reconcilable(session=session, tenant_id=tenant.id)] == [
        f"Claude Enterprise ({integration.organization_name})"]

    result = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2026-06")
    assert (result.start, result.end, result.current_cycle) == (JUNE[0], JUNE[-1], False)
    records = stored(session, integration, JUNE[0], JUNE[-1])
    assert result.ours_cents == stored_cents(records) > 0
    assert result.matched_cents == stored_cents(records, matched=True) > 0
    assert result.unmatched_cents == stored_cents(records, matched=False) > 0  # contractors, a deleted account

    buckets = raw(sim.base_url, COST_PATH, bucket_width="1d", **{"group_by[]": "product"}, limit=7)
    assert len(buckets) == 30
    by_product: dict[str, Decimal] = defaultdict(Decimal)
    for bucket in buckets:
        for line in bucket["results"]:
            by_product[line["product"]] += Decimal(line["amount"])
    users = sum((Decimal(row["amount"]) for row in raw(sim.base_url, USER_COST_PATH, limit=5)), Decimal(0))
    assert dict(result.vendor_lines) == dict(by_product)
    assert result.vendor_total_cents == sum(by_product.values(), Decimal(0))
    assert result.vendor_tool_cents == users == result.ours_cents and result.gap_cents == 0
    assert result.other_products_cents == by_product[UNATTRIBUTED_PRODUCT] > 0
    assert dict(result.causes())[NO_USER_ACCOUNT] == by_product[UNATTRIBUTED_PRODUCT]
    assert result.set_apart == ()

    # The vendor doubles one person's 25 June after our sync: the gap is exactly that day's change.
    day, email = dt.date(2026, 6, 25), DEFAULT_ROSTER[0]
    theirs = [row for row in raw(sim.base_url, USER_COST_PATH, bucket_width="1d", limit=1000)
              if row["actor"]["email_address"] == email and row["starting_at"].startswith(day.isoformat())]
    before = sum((Decimal(row["amount"]) for row in theirs), Decimal(0))
    assert before > 0, "the roster's first person has cost that day"
    sim.revise(date=day, action="change", email=email, factor=2)
    revised = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2026-06")
    assert revised.gap_cents == before and revised.vendor_total_cents == result.vendor_total_cents + before
    assert revised.ours_cents == result.ours_cents

    status, body = api_reconciliation(session, admin, integration.id, "2026-06")
    assert status == 200
    assert (body["provider"], body["start"], body["end"], body["current_billing_cycle"]) == (
        "claude_enterprise", "2026-06-01", "2026-06-30", False)
    assert (body["vendor_total_cents_exact"], body["vendor_tool_cents_exact"], body["ours_cents_exact"],
            body["gap_cents_exact"]) == (f"{revised.vendor_total_cents:.6f}", f"{revised.vendor_tool_cents:.6f}",
                                         f"{revised.ours_cents:.6f}", f"{before:.6f}")
    assert {line["label"] for line in body["vendor_lines"]} == set(by_product)
    assert body["causes"][2] == {"label": NO_USER_ACCOUNT,
                                 "amount_cents_exact": f"{by_product[UNATTRIBUTED_PRODUCT]:.6f}"}


def test_the_current_month_reconciles_to_the_last_day_served_and_a_month_without_one_is_refused(session, sim):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="claude_enterprise",
                                  credentials={"api_key": VALID_ENTERPRISE_KEY}, api_base=sim.base_url)
    session.commit()
    served = NOW.date() - dt.timedelta(days=3)  # a day is served three days after it ends: 17 July
    assert backfill(session, integration, dt.date(2026, 7, 1), served).status == "succeeded"
    result = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2026-07")
    assert (result.start, result.end) == (dt.date(2026, 7, 1), served)  # not to yesterday: ours ends there too
    assert result.gap_cents == 0 and result.ours_cents == stored_cents(
        stored(session, integration, dt.date(2026, 7, 1), served)) > 0
    requests = [r["query"] for r in sim.requests(COST_PATH)]
    assert requests[-1]["ending_at"].startswith((served + dt.timedelta(days=1)).isoformat())

    # On 2 August, 1 August has ended but 30 July is the last day served.
    with (clock.frozen_at(dt.datetime(2026, 8, 2, 12, tzinfo=dt.UTC)),
          pytest.raises(ValidationFailed, match="Claude Enterprise has not served any day of August 2026 yet")):
        reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2026-08")
