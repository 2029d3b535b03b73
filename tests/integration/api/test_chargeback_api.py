"""GET /api/v1/ai-tooling/chargeback: the month's report of `spend.chargeback` (the chargeback page's), its
exact lines adding up to the total; a bad month names its parameter; another tenant sees none of it."""

from __future__ import annotations

from decimal import Decimal

from orgonaut.spend import chargeback as cb
from tests.integration.api.conftest import bearer, new_token, tenant_with_tokens
from tests.integration.spend.test_chargeback import world  # noqa: F401 - the fixture

URL = "/api/v1/ai-tooling/chargeback"


def test_the_report_reads_exactly_and_stays_in_its_tenant(client, session, world):  # noqa: F811
    tenant, _, _, admin, _ = world
    secret = new_token(session, admin)
    other = tenant_with_tokens(session, slug="elsewhere")
    session.commit()
    answer = client.get(f"{URL}?month=2026-11", headers=bearer(secret))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    report = cb.report(session=session, tenant_id=tenant.id, month="2026-11")
    assert (body["month"], body["closed_at"], body["total_cents_exact"]) == (
        "2026-11-01", None, f"{report.total_cents.quantize(Decimal('0.000001')):f}")
    assert sum((Decimal(line["amount_cents_exact"]) for line in body["lines"]), Decimal(0)) == report.total_cents
    assert [c["cost_centre"] for c in body["by_cost_centre"]] == [name for name, _ in report.by_cost_centre()]
    assert {line["kind"] for line in body["lines"]} == {"usage"}

    bad = client.get(f"{URL}?month=November", headers=bearer(secret))
    assert bad.status_code == 422 and bad.json()["error"]["param"] == "month"
    elsewhere = client.get(f"{URL}?month=2026-11", headers=bearer(other.admin_secret)).json()
    assert elsewhere["lines"] == [] and elsewhere["total_cents"] == 0
