"""Invoice reconciliation (`spend.reconciliation`) against the Anthropic simulator's cost report over HTTP:
after a sync of February 2025 our records and the vendor's Claude Code lines agree to the millionth of a
cent, the other product on the bill and the unmatched and API-key usage are named apart; a revision the
vendor made after the sync is exactly the unexplained gap; a provider without a cost report and a manager
are refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut.ai_tooling import service
from orgonaut.errors import Forbidden, ValidationFailed
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.spend import reconciliation
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_sync_runs import backfill
from tests.integration.rollups import builders as b
from tests.support.codex_simulator import clean_codex_simulator, codex_credentials, codex_simulator  # noqa: F401
from tests.support.simulator import clean_simulator, person_totals, simulator  # noqa: F401 - the fixtures

FEBRUARY = [dt.date(2025, 2, 1) + dt.timedelta(days=n) for n in range(28)]


def _records_cost(sim, day: dt.date) -> Decimal:
    people = person_totals(sim.truth(day)["data"]).values()
    return sum((Decimal(str(t["total_cost_cents"])) for t in people), Decimal(0))


def test_a_synced_month_reconciles_to_the_vendors_bill(session, clean_simulator):  # noqa: F811
    tenant = make_tenant(session)
    for email in DEFAULT_ROSTER[:25]:  # the other 15 people are nobody in this org: unmatched
        b.actor(session, tenant, email.split("@")[0], email=email)
    admin = make_user(session, tenant, role=Role.admin)
    manager = make_user(session, tenant, role=Role.manager)
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url)
    assert backfill(session, integration, FEBRUARY[0], FEBRUARY[-1]).status == "succeeded"

    result = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-02")
    assert (result.start, result.end) == (FEBRUARY[0], FEBRUARY[-1])
    truth = sum((_records_cost(clean_simulator, day) for day in FEBRUARY), Decimal(0))
    assert result.vendor_tool_cents == truth == result.ours_cents and result.gap_cents == 0
    assert result.matched_cents > 0 and result.unmatched_cents > 0 and result.api_key_cents > 0
    assert [name for name, _ in result.vendor_lines] == ["Claude Code", "Messages API"]
    assert result.other_products_cents == dict(result.vendor_lines)["Messages API"] > 0
    assert sum((amount for _, amount in result.causes()), Decimal(0)) == (
        result.vendor_total_cents - result.matched_cents)  # every cent between the bill and people's pages

    # The vendor doubles one person's day after our sync: the unexplained gap is exactly that day's change.
    day, email = FEBRUARY[10], DEFAULT_ROSTER[0]
    before = person_totals(clean_simulator.truth(day)["data"]).get(email.lower())
    assert before is not None, "the roster's first person worked that day"
    clean_simulator.revise(date=day, action="change", email=email, factor=2)
    after = person_totals(clean_simulator.truth(day)["data"])[email.lower()]
    revised = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-02")
    assert revised.gap_cents == Decimal(str(after["total_cost_cents"])) - Decimal(str(before["total_cost_cents"])) > 0

    with pytest.raises(Forbidden):
        reconciliation.reconcile(session=session, user=manager, integration_id=integration.id, month="2025-02")
    with pytest.raises(ValidationFailed, match="not a month"):
        reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="Feb")


def test_a_provider_without_a_cost_report_is_refused(session, clean_codex_simulator):  # noqa: F811
    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    integration = service.connect(session=session, tenant_id=tenant.id, provider="codex",
                                  credentials=codex_credentials(), api_base=clean_codex_simulator.base_url,
                                  baseline=True)
    session.commit()
    assert [r.integration_id for r in reconciliation.reconcilable(session=session, tenant_id=tenant.id)] == []
    with pytest.raises(ValidationFailed, match="Codex does not report the organisation's billed cost"):
        reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-02")


def test_the_chargeback_page_reconciles_last_month(session, clean_simulator):  # noqa: F811
    from orgonaut import clock
    from orgonaut.ui import routes
    from orgonaut.ui.auth import AuthState
    from orgonaut.ui.pages.chargeback import ChargebackState
    from tests.integration.ui.conftest import Tab, login_token

    today = clock.utcnow().date()
    last = today.replace(day=1) - dt.timedelta(days=1)
    tenant = make_tenant(session)
    for email in DEFAULT_ROSTER[:10]:
        b.actor(session, tenant, email.split("@")[0], email=email)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url)
    assert backfill(session, integration, last.replace(day=1), last).status == "succeeded"
    tab = Tab(login_token(session, admin.email))
    tab.route(routes.AI_CHARGEBACK, routes.AI_CHARGEBACK)
    tab.state(AuthState).require_login()
    page = tab.state(ChargebackState)
    page.load()
    assert [c.label for c in page.reconcilable] == [f"Claude Code ({integration.organization_name})"]
    page.reconcile(page.reconcilable[0].value)
    assert page.reconciliation_error == "" and page.reconciliation_title.endswith("gap $0.00")
    rows = {r.label: r.amount for r in page.reconciliation_rows}
    expected = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id,
                                        month=last.replace(day=1))
    assert rows["Billed in all"] == f"${expected.vendor_total_cents / 100:,.2f}"
    page.reconcile("999999")  # another tenant's or no connection: refused, nothing shown
    assert page.reconciliation_rows == [] and "was not found" in page.reconciliation_error


def test_the_api_answers_the_same_reconciliation(session, clean_simulator):  # noqa: F811
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_app
    from tests.integration.api.conftest import bearer, new_token

    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url)
    assert backfill(session, integration, FEBRUARY[0], FEBRUARY[6]).status == "succeeded"
    secret = new_token(session, admin)
    session.commit()
    client = TestClient(create_app())
    body = client.get(f"/api/v1/ai-tooling/reconciliation?integration_id={integration.id}&month=2025-02",
                      headers=bearer(secret)).json()
    want = reconciliation.reconcile(session=session, user=admin, integration_id=integration.id, month="2025-02")
    assert (body["gap_cents_exact"], body["vendor_total_cents_exact"], body["end"]) == (
        f"{want.gap_cents:.6f}", f"{want.vendor_total_cents:.6f}", "2025-02-28")
    assert [line["label"] for line in body["vendor_lines"]] == ["Claude Code", "Messages API"]
    missing = client.get("/api/v1/ai-tooling/reconciliation?integration_id=99999&month=2025-02", headers=bearer(secret))
    assert missing.status_code == 404
    # Another tenant's connection reads exactly like no connection (and its owner gets the answer).
    other = make_tenant(session)
    other_admin = make_user(session, other, role=Role.admin)
    session.commit()
    theirs = connect(session, other, clean_simulator.base_url)
    foreign = client.get(f"/api/v1/ai-tooling/reconciliation?integration_id={theirs.id}&month=2025-02",
                         headers=bearer(secret))
    assert (foreign.status_code, foreign.json()["error"]["message"]) == (404, missing.json()["error"]["message"]
                                                                         .replace("99999", str(theirs.id)))
    their_secret = new_token(session, other_admin)
    session.commit()
    own = client.get(f"/api/v1/ai-tooling/reconciliation?integration_id={theirs.id}&month=2025-02",
                     headers=bearer(their_secret))
    assert own.status_code == 200
