"""GET /api/v1/ai-tooling/anomalies: the stored anomalies (`spend.anomalies`) with the overview's numbers,
after the API's only conversion (exact cents -> whole cents); nothing of another tenant.

The team of tests/integration/spend/test_anomalies.py; Ben's Monday planted at $120.
"""

from __future__ import annotations

import datetime as dt

from orgonaut import clock
from tests.integration.api.conftest import bearer, new_token, tenant_with_tokens
from tests.integration.spend.test_anomalies import NOW, TODAY, _detect, _set_cost, team  # noqa: F401

URL = "/api/v1/ai-tooling/anomalies"


def test_the_anomaly_reads_with_its_numbers_and_stays_in_its_tenant(client, session, team):  # noqa: F811
    tenant, people, admin, _ = team
    monday = TODAY - dt.timedelta(days=3)
    _set_cost(session, tenant, people["Ben"], monday, 12_345)
    [found] = _detect(session, tenant)
    secret = new_token(session, admin)
    other = tenant_with_tokens(session, slug="elsewhere")
    session.commit()
    with clock.frozen_at(NOW):
        answer = client.get(URL, headers=bearer(secret))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["today"], body["days"]) == (TODAY.isoformat(), 30)
        assert body["data"] == [{
            "actor_id": people["Ben"].id, "name": "Ben", "date": monday.isoformat(), "provider": "claude_code",
            "cost_cents": 12_345, "cost_cents_exact": "12345.000000",
            "usual_day_cents": int(found.baseline_cents.quantize(1)),
            "usual_day_cents_exact": f"{found.baseline_cents:f}",
            "team_median_cents": int(found.team_median_cents.quantize(1)), "ratio": float(found.ratio),
            "model": "claude-opus-4",
        }]
        assert client.get(f"{URL}?days=1", headers=bearer(secret)).json()["data"] == []  # Monday is 3 days back
        assert client.get(f"{URL}?days=91", headers=bearer(secret)).status_code == 422
        assert client.get(URL, headers=bearer(other.admin_secret)).json()["data"] == []
