"""Codex end to end in the foreground: connected through the service (its test connection against the
simulator over HTTP), a two-week backfill in one 31-day call, stored exactly as the vendor's truth (cost
from exact credits × the price per credit, per person and UTC day), what Codex does not report stored as
not reported, its counters stored losslessly, and rows without an e-mail stored under `codex-user:<id>`;
and the CLI's connect with Codex's fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from orgonaut.ai_tooling import service
from orgonaut.ai_tooling.providers import registry
from orgonaut.cli import app
from orgonaut.integrations.models import Integration, SyncStatus
from orgonaut.simulator.codex import CodexConfig
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.conftest import add_actor
from tests.integration.ai_tooling.test_sync_runs import backfill, records
from tests.support.codex_simulator import (
    REVOKED_CODEX_KEY,
    VALID_CODEX_KEY,
    WORKSPACE_ID,
    CodexSimulatorServer,
    codex_credentials,
    codex_totals,
)

REPORTED = ("sessions_count", "lines_added", "lines_removed", "total_input_tokens", "total_output_tokens",
            "total_cache_read_tokens", "total_cost_cents")


@pytest.fixture(scope="module")
def live_codex():
    """The simulator on the wall clock: a backfill may only ask for the last 90 days."""
    with CodexSimulatorServer(CodexConfig(workspace_id=WORKSPACE_ID, page_size=9)) as server:
        yield server


def test_a_codex_backfill_stores_the_vendors_truth_exactly(session, tenant, live_codex):
    live_codex.reset()
    for email in DEFAULT_ROSTER[:10]:
        add_actor(session, tenant.id, email)
    integration = service.connect(session=session, tenant_id=tenant.id, provider="codex",
                                  credentials=codex_credentials(usd_per_credit="0.035"),
                                  api_base=live_codex.base_url)
    session.commit()
    assert integration.organization_name == f"Codex workspace {WORKSPACE_ID}"

    today = dt.datetime.now(dt.UTC).date()
    start, end = today - dt.timedelta(days=20), today - dt.timedelta(days=7)  # settled: older than 5 days
    log = backfill(session, integration, start, end)
    assert log.status == SyncStatus.succeeded, log.error_message
    assert (log.days_total, log.days_done) == (14, 14)
    usage_requests = live_codex.requests()[1:]  # after the test connection
    assert {r["query"]["start_time"] for r in usage_requests} == {
        str(int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp()))}  # one range
    assert all(r["status"] == 200 for r in usage_requests) and len(usage_requests) > 1  # paged

    stored = {(r.source_email, r.usage_date): r for r in records(session, integration)}
    expected = {(who, day): totals for n in range(14) for day in [start + dt.timedelta(days=n)]
                for who, totals in codex_totals(live_codex.truth(day)["rows"], "0.035").items()}
    assert set(stored) == set(expected) and len(stored) == log.records_fetched == log.records_upserted
    for key, totals in expected.items():
        record = stored[key]
        assert {name: getattr(record, name) for name in REPORTED} == {name: totals.get(name, 0) for name in REPORTED}
        assert (record.commits_count, record.pull_requests_count, record.total_cache_creation_tokens) == (
            None, None, None)  # not reported by Codex, not 0
        counters = registry.get_provider_info("codex").read_provider_metrics(record.provider_metrics)
        assert counters.credits == totals["credits"] and counters.turns == totals["turns"]
        assert record.provider_metrics["credits"] == format(totals["credits"], "f")  # exact text in the JSON
    assert any(v["total_cost_cents"] != v["total_cost_cents"].to_integral_value() for v in expected.values())
    hidden = [record for (who, _), record in stored.items() if who.startswith("codex-user:")]
    assert hidden and all(record.actor_id is None for record in hidden)
    mine = set(DEFAULT_ROSTER[:10])
    assert all((record.actor_id is not None) == (who in mine) for (who, _), record in stored.items()
               if not who.startswith("codex-user:"))
    total = sum((v["total_cost_cents"] for v in expected.values()), Decimal(0))
    assert sum((r.total_cost_cents for r in stored.values()), Decimal(0)) == total


def test_the_cli_connects_codex_with_its_fields_and_the_key_on_stdin(session, tenant, live_codex):
    live_codex.reset()
    base = ["ai-tooling", "connect", "--tenant", tenant.slug, "--provider", "codex", "--key-stdin", "--api-base",
            live_codex.base_url, "--baseline"]
    fields = ["--field", f"workspace_id={WORKSPACE_ID}", "--field", "usd_per_credit=0.04"]
    refused = CliRunner().invoke(app, [*base, "--field", f"workspace_id={WORKSPACE_ID}", "--field",
                                       "usd_per_credit=-1"], input=f"{VALID_CODEX_KEY}\n")
    assert refused.exit_code != 0 and "price per credit (USD) must be a positive amount" in refused.output
    assert live_codex.requests() == []  # checked before any request
    revoked = CliRunner().invoke(app, [*base, *fields], input=f"{REVOKED_CODEX_KEY}\n")
    assert revoked.exit_code != 0 and "Invalid or revoked Codex Analytics API key" in revoked.output
    assert REVOKED_CODEX_KEY not in revoked.output
    result = CliRunner().invoke(app, [*base, *fields], input=f"{VALID_CODEX_KEY}\n")
    assert result.exit_code == 0, result.output
    integration = session.exec(select(Integration)).one()
    assert result.stdout == (f"connected codex for {tenant.slug}: integration {integration.id}, "
                             f"organisation 'Codex workspace {WORKSPACE_ID}'\n")
    assert VALID_CODEX_KEY not in result.output
