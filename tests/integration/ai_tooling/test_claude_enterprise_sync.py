"""Claude Enterprise end to end: connected through the wizard's service (its test connection through the
`anthropic` SDK), a 35-day backfill run by the sync engine (two calls: 31 days and 4) against the
simulator over HTTP, stored exactly as the vendor's truth (cost to the fraction of a cent), the days
not served yet stored as empty days, a deleted account kept under its user id, people matched by
e-mail, and the metrics Claude Enterprise does not report left NULL."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import service, sync
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.claude_enterprise.client import ORGANISATION_LABEL
from orgonaut.integrations.models import SyncStatus
from orgonaut.simulator.claude_enterprise import DEFAULT_DELETED
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.conftest import add_actor
from tests.integration.ai_tooling.test_key_leak import _table_texts
from tests.support.claude_enterprise_simulator import VALID_ENTERPRISE_KEY, enterprise_totals

TODAY = dt.datetime.now(dt.UTC).date()
# The last complete day (yesterday, or the day before in the hour after UTC midnight): Claude Enterprise
# serves it days later.
END = sync.last_complete_day()
START = END - dt.timedelta(days=34)
SERVED = TODAY - dt.timedelta(days=3)


def test_a_backfill_stores_the_vendors_truth_exactly_and_the_days_not_served_yet_empty(
    session, tenant, clean_claude_enterprise_simulator, caplog,
):
    caplog.set_level(logging.DEBUG)  # the SDK's own debug logs too
    simulator = clean_claude_enterprise_simulator
    mine = [email for email in DEFAULT_ROSTER[:8] if email not in DEFAULT_DELETED]
    actors = {email: add_actor(session, tenant.id, email) for email in mine}
    integration = service.connect(session=session, tenant_id=tenant.id, provider="claude_enterprise",
                                  credentials={"api_key": VALID_ENTERPRISE_KEY}, api_base=simulator.base_url)
    session.commit()
    assert integration.organization_name == ORGANISATION_LABEL

    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=START, end=END, triggered_by=sync.TriggeredBy.cli, enqueue=False,
                                 confirmed=True)
    session.commit()
    final = sync.run_foreground(log_id=log.id)
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.days_total, final.checkpoint_date) == (35, 35, END)

    stored = {(r.source_email, r.usage_date): r
              for r in session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant.id))}
    expected = {(who, day): values for n in range(35) for day in [START + dt.timedelta(days=n)] if day <= SERVED
                for who, values in enterprise_totals(simulator.truth(day)).items()}
    assert set(stored) == set(expected)
    assert max(day for _, day in stored) == SERVED  # the two days after it: not served yet, empty
    metrics = ("sessions_count", "lines_added", "lines_removed", "commits_count", "pull_requests_count",
               "total_cost_cents")
    for key, values in expected.items():
        record = stored[key]
        assert {name: getattr(record, name) for name in metrics} == {name: values[name] for name in metrics}, key
        assert {e["product"]: Decimal(e["estimated_cost"]["amount"]) for e in record.model_breakdown} == \
            values["products"]
        assert record.total_input_tokens is None and record.total_output_tokens is None  # not reported
        assert set(record.provider_metrics) >= {"chat_messages", "tool_actions_accepted", "requests"}
    assert any(v["total_cost_cents"] != int(v["total_cost_cents"]) for v in expected.values())  # fractions
    deleted = {who for who, _ in stored if who.startswith("claude-user:user_")}
    assert deleted and all(stored[key].actor_id is None for key in stored if key[0] in deleted)
    assert all((record.actor_id == actors[email].id) if email in actors else record.actor_id is None
               for (email, _), record in stored.items())
    assert final.records_upserted == len(stored)
    total = sum((values["total_cost_cents"] for values in expected.values()), Decimal(0))
    assert sum((r.total_cost_cents for r in stored.values()), Decimal(0)) == total
    # The key is sealed at rest and in no log line (the SDK logged every request at debug level).
    assert "Sending HTTP Request" in caplog.text and VALID_ENTERPRISE_KEY not in caplog.text
    assert not any(VALID_ENTERPRISE_KEY in text for text in _table_texts())
