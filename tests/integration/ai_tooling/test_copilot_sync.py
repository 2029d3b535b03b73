"""GitHub Copilot end to end: a week's backfill from the GitHub simulator over HTTP on a real worker,
stored exactly as the vendor's truth (lines, CLI tokens, seat and AI-credit cost to the fraction of a
cent) under `github:<user id>` sources. Matching them to people is not this provider's: they stay
unmatched here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.integrations.models import SyncStatus
from tests.integration.ai_tooling.test_jobs import wait_finished
from tests.support.github_simulator import VALID_GITHUB_TOKEN, copilot_truth

# A settled Monday-to-Sunday week inside GitHub's year of history (the backfill refuses older days).
_TODAY = dt.datetime.now(dt.UTC).date()
START = _TODAY - dt.timedelta(days=_TODAY.weekday() + 14)
END = START + dt.timedelta(days=6)


def test_a_week_of_copilot_on_the_worker_stores_the_vendors_truth_exactly(
    session, tenant, clean_github_simulator, celery_worker_process,
):
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="copilot",
        credentials={"kind": "organization", "owner": "orgonaut-sim", "token": VALID_GITHUB_TOKEN,
                     "business_seat_usd": "19", "enterprise_seat_usd": "39"},
        api_base=clean_github_simulator.base_url, baseline=True)
    session.commit()
    assert integration.organization_name == "orgonaut-sim"

    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=START, end=END, user_id=None)
    session.commit()
    final = wait_finished(log.id, timeout=240)
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.days_total, final.checkpoint_date) == (7, 7, END)

    stored = {(r.source_email, r.usage_date): r
              for r in session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant.id))}
    expected = {(who, day): values for n in range(7) for day in [START + dt.timedelta(days=n)]
                for who, values in copilot_truth(clean_github_simulator.truth(day), day)[0].items()}
    assert set(stored) == set(expected)
    for key, values in expected.items():
        record = stored[key]
        assert {name: getattr(record, name) for name in values} == values, key
        # Not reported by Copilot: NULL, not 0.
        assert (record.sessions_count, record.commits_count, record.total_cache_read_tokens) == (None, None, None)
        assert record.actor_id is None and record.source_email.startswith("github:")
    assert any(v["total_cost_cents"] != int(v["total_cost_cents"]) for v in expected.values())
    assert sum((r.total_cost_cents for r in stored.values()), Decimal(0)) == sum(
        (v["total_cost_cents"] for v in expected.values()), Decimal(0))
    some = next(r for r in stored.values() if r.lines_added)
    assert some.provider_metrics["interactions"] > 0 and some.model_breakdown[0]["model"]
