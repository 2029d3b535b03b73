"""Sync runs against the simulator over HTTP, in the foreground (the CLI's path, the workers' code)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import func, select

from orgonaut.ai_tooling import service, sync
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.claude_code.client import INVALID_KEY_MESSAGE, MISSING_PERMISSION_MESSAGE
from orgonaut.errors import Conflict, Forbidden, ValidationFailed
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.tenancy.service import set_plan
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect, expected_totals
from tests.support.refusals import database_refusing

METRICS = (
    "sessions_count", "lines_added", "lines_removed", "commits_count", "pull_requests_count", "total_input_tokens",
    "total_output_tokens", "total_cache_read_tokens", "total_cache_creation_tokens", "total_cost_cents",
)


def backfill(session, integration, start, end) -> IntegrationSyncLog:
    log = service.start_backfill(
        session=session, tenant_id=integration.tenant_id, integration_id=integration.id, start=start, end=end,
        triggered_by="cli", enqueue=False,
    )
    session.commit()
    return sync.run_foreground(log_id=log.id, sleep=lambda _s: None)


def records(session, integration, scenario_id=None) -> list[AiToolUsageRecord]:
    session.expire_all()
    statement = select(AiToolUsageRecord).where(
        AiToolUsageRecord.integration_id == integration.id, AiToolUsageRecord.scenario_id == scenario_id
    )
    return list(session.exec(statement.order_by(AiToolUsageRecord.usage_date, AiToolUsageRecord.source_email)))


def snapshot(session, integration) -> dict:
    rows = records(session, integration)
    return {(r.source_email, r.usage_date): (r.id, r.total_cost_cents, r.actor_id) for r in rows}


def test_backfill_stores_one_exact_record_per_person_day(session, tenant, clean_simulator):
    for email in DEFAULT_ROSTER[:10]:
        add_actor(session, tenant.id, email)
    integration = connect(session, tenant, clean_simulator.base_url)

    log = backfill(session, integration, WEEK[0], WEEK[-1])

    assert log.status == SyncStatus.succeeded, log.error_message
    assert (log.kind, log.triggered_by, log.days_total, log.days_done) == ("backfill", "cli", 7, 7)
    assert log.checkpoint_date == WEEK[-1]
    stored = records(session, integration)
    by_key = {(r.source_email, r.usage_date): r for r in stored}
    multi_row = fractional = 0
    expected_count = 0
    for day in WEEK:
        expected = expected_totals(clean_simulator.base_url, day)
        expected_count += len(expected)
        for who, totals in expected.items():
            record = by_key[(who, day)]
            for metric in METRICS:
                assert Decimal(getattr(record, metric)) == totals[metric], (who, day, metric)
            multi_row += totals["rows"] > 1
            fractional += totals["total_cost_cents"] != totals["total_cost_cents"].to_integral_value()
    assert len(stored) == expected_count == log.records_fetched == log.records_upserted
    assert multi_row > 0 and fractional > 0  # the week holds both hard cases
    matched = [r for r in stored if r.actor_id is not None]
    assert {r.source_email for r in matched} <= set(DEFAULT_ROSTER[:10])
    assert log.records_matched == len(matched) and log.records_unmatched == len(stored) - len(matched)
    api_key_rows = [r for r in stored if r.source_email.startswith("api-key:")]
    assert api_key_rows and all(r.actor_id is None for r in api_key_rows)
    assert all(isinstance(r.tool_actions, dict) and r.model_breakdown for r in stored if r.sessions_count)

    session.refresh(integration)
    assert integration.status == IntegrationStatus.active
    assert integration.last_success_at is not None and integration.last_error is None


def test_a_rerun_upserts_in_place_with_the_same_counts(session, tenant, clean_simulator):
    add_actor(session, tenant.id, DEFAULT_ROSTER[0])
    integration = connect(session, tenant, clean_simulator.base_url)
    first = backfill(session, integration, WEEK[0], WEEK[2])
    before = snapshot(session, integration)

    second = backfill(session, integration, WEEK[0], WEEK[2])

    after = snapshot(session, integration)
    assert second.status == SyncStatus.succeeded
    assert after == before  # same rows (same ids), same values: no duplicates
    counts = ("records_fetched", "records_upserted", "records_matched", "records_unmatched")
    assert [getattr(second, c) for c in counts] == [getattr(first, c) for c in counts]
    total = session.exec(select(func.count()).select_from(AiToolUsageRecord)).one()
    assert total == len(before)


def test_rate_limiting_is_survived(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.reset()
    clean_simulator.set_fault(status=429, retry_after=0.1, count=2)

    log = backfill(session, integration, WEEK[0], WEEK[0])

    assert log.status == SyncStatus.succeeded
    statuses = [r["status"] for r in clean_simulator.requests()]
    assert statuses[:3] == [429, 429, 200]
    assert len(records(session, integration)) == len(expected_totals(clean_simulator.base_url, WEEK[0]))


def test_rate_limiting_that_outlasts_the_retries_fails_the_run_with_a_readable_error(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(status=429, retry_after=0)

    log = backfill(session, integration, WEEK[0], WEEK[1])

    assert log.status == SyncStatus.failed
    assert "rate limiting" in log.error_message
    errors = log.diagnostics["errors"]
    assert len(errors) == sync.MAX_TRANSIENT_RETRIES + 1  # every attempt noted, the last one fails the run
    assert {e["kind"] for e in errors} == {"rate_limited"} and errors[-1]["date"] == WEEK[0].isoformat()
    assert log.diagnostics["affected_records"]["dates"] == [WEEK[0].isoformat(), WEEK[1].isoformat()]
    session.refresh(integration)
    assert (integration.status, integration.last_error_kind) == (IntegrationStatus.error, "rate_limited")


def test_a_revoked_key_fails_the_run_and_sets_the_integration_to_error(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    # Three requests go through, the fourth is refused once: a retry would pass, so failing proves none.
    clean_simulator.set_fault(status=401, after=3, count=1)

    log = backfill(session, integration, WEEK[0], WEEK[4])

    assert log.status == SyncStatus.failed
    assert log.error_message == INVALID_KEY_MESSAGE
    # Days are fetched a few at a time, so the refused request is the fourth to arrive, not
    # necessarily the fourth day's; what was stored before the failing day stays stored.
    done = log.days_done
    assert done >= 2 and log.checkpoint_date == WEEK[done - 1]
    assert {r.usage_date for r in records(session, integration)} == set(WEEK[:done])
    [error] = log.diagnostics["errors"]
    assert (error["kind"], error["status"], error["date"]) == ("invalid_key", 401, WEEK[done].isoformat())
    assert error["request_id"].startswith("req_sim_")
    assert log.diagnostics["affected_records"]["dates"] == [d.isoformat() for d in WEEK[done:5]]
    session.refresh(integration)
    assert integration.status == IntegrationStatus.error
    assert (integration.last_error_kind, integration.last_error) == ("invalid_key", INVALID_KEY_MESSAGE)
    assert integration.error_since is not None
    assert [r["status"] for r in clean_simulator.requests()].count(401) == 1

    # The next good run heals it.
    assert backfill(session, integration, WEEK[done], WEEK[4]).status == SyncStatus.succeeded
    session.refresh(integration)
    assert (integration.status, integration.last_error, integration.error_since) == (IntegrationStatus.active,
                                                                                     None, None)


def test_a_key_without_permission_is_reported_with_the_spec_wording(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(status=403)
    log = backfill(session, integration, WEEK[0], WEEK[0])
    assert (log.status, log.error_message) == (SyncStatus.failed, MISSING_PERMISSION_MESSAGE)
    session.refresh(integration)
    assert integration.last_error_kind == "missing_permission"


def test_a_malformed_page_fails_the_day_and_names_it(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(mode="malformed", variant="shape")
    log = backfill(session, integration, WEEK[1], WEEK[1])
    assert log.status == SyncStatus.failed
    assert WEEK[1].isoformat() in log.error_message and "malformed" in log.error_message
    assert records(session, integration) == []


def test_a_second_request_while_a_run_holds_the_integration_is_refused(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    first = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                   start=WEEK[0], end=WEEK[1], enqueue=False)
    session.commit()

    with pytest.raises(Conflict, match="A sync is already running"):
        service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id, enqueue=False)
    session.rollback()
    assert session.exec(select(func.count()).select_from(IntegrationSyncLog)).one() == 1

    assert sync.run_foreground(log_id=first.id).status == SyncStatus.succeeded
    # The lock is released at the end: the next request is accepted.
    second = service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                    day=WEEK[2], enqueue=False)
    session.commit()
    assert sync.run_foreground(log_id=second.id).status == SyncStatus.succeeded


def test_a_refused_request_changes_nothing_and_releases_its_lock(session, tenant, clean_simulator, redis_client):
    integration = connect(session, tenant, clean_simulator.base_url)
    service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                           start=WEEK[0], end=WEEK[1], enqueue=False)
    session.rollback()  # the caller gave up before committing
    assert sync.IntegrationLock(integration.id).holder() is None
    assert session.exec(select(func.count()).select_from(IntegrationSyncLog)).one() == 0


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (WEEK[3], WEEK[1], "The end date (2025-03-04) is before the start date (2025-03-06)."),
        (WEEK[0], dt.date(2999, 1, 1), "2999-01-01 is in the future"),
        (dt.date(1990, 1, 1), WEEK[0], "at most 3660 days"),
    ],
)
def test_bad_backfill_ranges_are_refused_with_a_clear_message(session, tenant, clean_simulator, start, end, message):
    integration = connect(session, tenant, clean_simulator.base_url)
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id, start=start,
                               end=end, enqueue=False)
    session.rollback()
    assert session.exec(select(func.count()).select_from(IntegrationSyncLog)).one() == 0


def test_user_requests_on_a_paused_integration_or_a_downgraded_plan_are_refused(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    integrations.pause(session=session, tenant_id=tenant.id, integration_id=integration.id)
    session.commit()
    with pytest.raises(ValidationFailed, match="paused"):
        service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id, enqueue=False)
    session.rollback()
    integrations.resume(session=session, tenant_id=tenant.id, integration_id=integration.id)
    set_plan(session=session, tenant=tenant, plan="team")
    session.commit()
    with pytest.raises(Forbidden, match="business, enterprise, agency"):
        service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id, enqueue=False)


def test_a_run_for_a_downgraded_tenant_is_skipped_without_a_request(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[1], enqueue=False)
    session.commit()
    set_plan(session=session, tenant=tenant, plan="free")  # downgraded while the run waited
    session.commit()
    clean_simulator.reset()

    final = sync.run_foreground(log_id=log.id)

    assert final.status == SyncStatus.skipped
    assert "does not include AI Tooling usage sync" in final.error_message
    assert clean_simulator.requests(path=None) == []
    session.refresh(integration)
    assert integration.status == IntegrationStatus.active  # a downgrade is not an error...
    assert integration.last_error_kind == "plan_unavailable"  # ...but the page can say why nothing arrives
    assert sync.IntegrationLock(integration.id).holder() is None


def test_nothing_is_fetched_when_no_target_is_writable(session, tenant, clean_simulator):
    from orgonaut.org import service as org

    scenario = org.create_scenario(session=session, tenant_id=tenant.id, name="Plan B")
    session.commit()
    integration = connect(session, tenant, clean_simulator.base_url, baseline=False, scenario_ids=[scenario.id])
    org.archive_scenario(session=session, tenant_id=tenant.id, scenario_id=scenario.id)
    session.commit()
    clean_simulator.reset()

    log = backfill(session, integration, WEEK[0], WEEK[0])

    assert log.status == SyncStatus.skipped
    assert "No writable target" in log.error_message and "Plan B (archived (read-only))" in log.error_message
    assert log.diagnostics["skipped_scopes"] == [
        {"scenario_id": scenario.id, "name": "Plan B", "reason": "archived (read-only)"}
    ]
    assert clean_simulator.requests(path=None) == []
    assert session.get(Integration, integration.id) is not None


def database_refusing_rows_of(session, day: dt.date):
    """A real storage failure for one day: the database refuses its rows."""
    return database_refusing(session, "ai_tool_usage_records", "INSERT", day)


def test_a_day_that_cannot_be_stored_fails_the_run_naming_its_records(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)

    with database_refusing_rows_of(session, WEEK[1]):
        log = backfill(session, integration, WEEK[0], WEEK[2])

    assert log.status == SyncStatus.failed
    # Only the error's type, never its text (which may quote data).
    assert log.error_message.startswith("Internal error (") and log.error_message.endswith("); see the worker log.")
    assert "No space left" not in log.error_message
    assert (log.days_done, log.checkpoint_date) == (1, WEEK[0])
    affected = log.diagnostics["affected_records"]
    assert affected["dates"] == [WEEK[1].isoformat(), WEEK[2].isoformat()]
    assert affected["emails"] == sorted(expected_totals(clean_simulator.base_url, WEEK[1]))
    assert log.diagnostics["errors"][0]["kind"] == "internal"
    assert {r.usage_date for r in records(session, integration)} == {WEEK[0]}
