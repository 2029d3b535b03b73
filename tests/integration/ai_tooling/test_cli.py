"""`orgonaut ai-tooling ...` end to end: real database, the simulator over HTTP, the worker for --queue."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.cli import app
from orgonaut.integrations.models import Integration, IntegrationSyncLog
from orgonaut.org import service as org
from tests.factories import make_tenant
from tests.integration.ai_tooling.conftest import WEEK, connect, expected_totals
from tests.integration.ai_tooling.test_jobs import wait_finished
from tests.support.simulator import REVOKED_KEY, VALID_KEY


def cli(*args: str, key: str | None = None):
    result = CliRunner().invoke(app, ["ai-tooling", *args], input=f"{key}\n" if key is not None else None)
    return result


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_connect_prints_the_integration_and_organisation(session, tenant, clean_simulator):
    scenario = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan B")
    session.commit()
    result = cli("connect", "--tenant", tenant.slug, "--provider", "claude_code", "--key-stdin", "--api-base",
                 clean_simulator.base_url, "--baseline", "--scenario", str(scenario.id), "--all-future", key=VALID_KEY)
    assert result.exit_code == 0, result.output
    integration = session.exec(select(Integration)).one()
    assert result.stdout == (f"connected claude_code for {tenant.slug}: integration {integration.id}, "
                             "organisation 'Orgonaut Demo (simulated)'\n")
    assert (integration.target_baseline, integration.target_scenario_ids, integration.target_all_future) == (
        True, [scenario.id], True)
    assert VALID_KEY not in result.output


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        (["--key-stdin"], "sk-wrong", "An Anthropic Admin API key starts with sk-ant-admin"),
        (["--key-stdin"], REVOKED_KEY, "Test connection failed: Invalid or revoked Admin API key"),
        ([], VALID_KEY, "pass the API key on stdin with --key-stdin"),
        (["--key-stdin", "--scenario", "424242"], VALID_KEY, "Scenario 424242 was not found."),
        (["--key-stdin", "--provider", "gemini"], "key", "Unknown AI Tooling provider 'gemini'"),
    ],
)
def test_connect_refuses_bad_input_with_one_line_and_changes_nothing(session, tenant, clean_simulator, args, key,
                                                                     message):
    provider = [] if "--provider" in args else ["--provider", "claude_code"]
    result = cli("connect", "--tenant", tenant.slug, *provider, "--api-base", clean_simulator.base_url,
                 "--baseline", *args, key=key)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1
    assert key not in result.stderr or key == "key"
    assert count(session, Integration) == 0


def test_unknown_tenant_and_foreign_integration_are_refused(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    other = make_tenant(session)
    session.commit()
    result = cli("connect", "--tenant", "nope", "--provider", "claude_code", "--key-stdin", "--baseline",
                 key=VALID_KEY)
    assert (result.exit_code, result.stderr) == (1, "error: Unknown tenant 'nope'.\n")
    for args in (["pause", "--integration", "999"], ["pause", "--integration", str(integration.id),
                                                     "--tenant", other.slug]):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.stderr == f"error: Integration {args[2]} was not found.\n"
    assert session.get(Integration, integration.id).status == "active"


def test_test_sync_and_backfill_in_the_foreground(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    ident = str(integration.id)

    assert cli("test", "--integration", ident).stdout == "connection ok: organisation 'Orgonaut Demo (simulated)'\n"

    result = cli("sync", "--integration", ident, "--date", WEEK[0].isoformat())
    assert result.exit_code == 0, result.output
    people = len(expected_totals(clean_simulator.base_url, WEEK[0]))
    log = session.exec(select(IntegrationSyncLog)).one()
    assert result.stdout == (f"sync log {log.id} (reconcile {WEEK[0]}..{WEEK[0]}) succeeded: 1/1 days, "
                             f"fetched {people}, upserted {people}, matched 0, unmatched {people}\n")

    result = cli("backfill", "--integration", ident, "--start", WEEK[1].isoformat(), "--end", WEEK[6].isoformat())
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"backfill: 6/6 days, {WEEK[6]} stored"  # progress, not a tty
    assert " succeeded: 6/6 days" in result.stdout
    assert count(session, AiToolUsageRecord) == sum(len(expected_totals(clean_simulator.base_url, d)) for d in WEEK)

    status = cli("status", "--tenant", tenant.slug)
    assert status.exit_code == 0
    lines = status.stdout.splitlines()
    assert lines[0].startswith(f"integration {integration.id} claude_code tenant={tenant.slug} status=active")
    assert "backfill" in lines[1] and "reconcile" in lines[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backfill", "--start", "2025-03-05", "--end", "2025-03-01"],
         "The end date (2025-03-01) is before the start date (2025-03-05)."),
        (["backfill", "--start", "2025-03-01", "--end", "2999-01-01"], "2999-01-01 is in the future"),
        (["sync", "--date", "2999-01-01"], "2999-01-01 is in the future"),
        (["sync", "--date", "yesterday"], "--date 'yesterday' is not a date (YYYY-MM-DD)."),
    ],
)
def test_bad_dates_are_refused(session, tenant, clean_simulator, args, message):
    integration = connect(session, tenant, clean_simulator.base_url)
    result = cli(args[0], "--integration", str(integration.id), *args[1:])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert count(session, IntegrationSyncLog) == 0


def test_a_failed_run_exits_non_zero_with_the_reason(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(status=401)
    result = cli("sync", "--integration", str(integration.id), "--date", WEEK[0].isoformat())
    assert result.exit_code == 1
    assert " failed: 0/1 days" in result.stderr and "Invalid or revoked Admin API key" in result.stderr
    assert "status=error" in cli("status").stdout


def test_pause_resume_disconnect(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    ident = str(integration.id)
    assert cli("pause", "--integration", ident).stdout == f"integration {ident} is paused\n"
    refused = cli("sync", "--integration", ident)
    assert (refused.exit_code, refused.stderr) == (1, f"error: Integration {ident} is paused; resume it to sync.\n")
    assert cli("resume", "--integration", ident).stdout == f"integration {ident} is active\n"
    assert cli("disconnect", "--integration", ident, "--tenant", tenant.slug).stdout == (
        f"integration {ident} is disconnected\n")
    session.expire_all()
    assert session.get(Integration, integration.id).config_encrypted is None


def test_queue_hands_the_run_to_the_workers(session, tenant, clean_simulator, celery_worker_process):
    integration = connect(session, tenant, clean_simulator.base_url)
    result = cli("backfill", "--integration", str(integration.id), "--start", WEEK[0].isoformat(), "--end",
                 WEEK[2].isoformat(), "--queue")
    assert result.exit_code == 0, result.output
    log = session.exec(select(IntegrationSyncLog)).one()
    assert result.stdout.startswith(f"queued sync log {log.id} (3 days)")
    final = wait_finished(log.id)
    assert (final.status, final.triggered_by, final.days_done) == ("succeeded", "cli", 3)
    unmatched = cli("unmatched", "--tenant", tenant.slug)
    assert "api-key:ci-pipeline (api key, claude_code)" in unmatched.stdout
