"""The Celery jobs on a real worker and real Redis: the nightly run, chunked backfills, the lock, and a
worker killed in the middle of a backfill whose successor finishes the rest."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlmodel import Session, func, select

from orgonaut.ai_tooling import service, sync
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.db import get_engine
from orgonaut.errors import Conflict
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from orgonaut.settings import get_settings
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.tenancy.service import set_plan
from tests.factories import make_tenant
from tests.integration.ai_tooling.conftest import WEEK, add_actor, connect, expected_totals
from tests.support import redis_claims
from tests.support.processes import Worker
from workers.ai_tooling_tasks import nightly_sync, resume_interrupted

FINISHED = (SyncStatus.succeeded, SyncStatus.failed, SyncStatus.skipped)


def reload(log_id: int) -> IntegrationSyncLog:
    with Session(get_engine()) as fresh:
        log = fresh.get(IntegrationSyncLog, log_id)
        assert log is not None
        return log


def wait_for(predicate, timeout: float = 120.0, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} not reached within {timeout}s")


def wait_finished(log_id: int, timeout: float = 120.0) -> IntegrationSyncLog:
    return wait_for(lambda: (log := reload(log_id)).status in FINISHED and log, timeout, what=f"log {log_id} end")


def count_records(session, **where) -> int:
    statement = select(func.count()).select_from(AiToolUsageRecord)
    for name, value in where.items():
        statement = statement.where(getattr(AiToolUsageRecord, name) == value)
    return session.exec(statement).one()


def test_nightly_queues_one_run_per_integration_and_skips_paused_and_downgraded(
    session, clean_simulator, celery_worker_process
):
    active, paused, downgraded, gone = (make_tenant(session) for _ in range(4))
    session.commit()
    running = connect(session, active, clean_simulator.base_url)
    on_pause = connect(session, paused, clean_simulator.base_url)
    integrations.pause(session=session, tenant_id=paused.id, integration_id=on_pause.id)
    on_free_plan = connect(session, downgraded, clean_simulator.base_url)
    set_plan(session=session, tenant=downgraded, plan="free")
    disconnected = connect(session, gone, clean_simulator.base_url)
    integrations.disconnect(session=session, tenant_id=gone.id, integration_id=disconnected.id)
    session.commit()
    clean_simulator.reset()

    log_ids = nightly_sync.delay().get(timeout=60)

    logs = {log.integration_id: log for log in (wait_finished(i) for i in log_ids)}
    assert set(logs) == {running.id, on_pause.id, on_free_plan.id}  # none for the disconnected one
    yesterday = sync.last_complete_day()
    lookback = get_settings().lookback_days
    for log in logs.values():
        assert (log.kind, log.triggered_by) == ("reconcile", "schedule")
        assert (log.window_start, log.window_end) == (yesterday - dt.timedelta(days=lookback), yesterday)
    assert logs[running.id].status == SyncStatus.succeeded and logs[running.id].days_done == lookback + 1
    assert (logs[on_pause.id].status, logs[on_pause.id].error_message) == ("skipped", "The integration is paused.")
    assert logs[on_free_plan.id].status == SyncStatus.skipped
    assert "plan (free) does not include AI Tooling usage sync" in logs[on_free_plan.id].error_message
    # Only the active integration reached the provider: one request per day of its window.
    days = sorted(r["query"]["starting_at"] for r in clean_simulator.requests())
    assert days == [(yesterday - dt.timedelta(days=n)).isoformat() for n in range(lookback, -1, -1)]


def test_a_backfill_runs_as_chunked_tasks_on_the_worker(session, tenant, clean_simulator, celery_worker_process):
    add_actor(session, tenant.id, DEFAULT_ROSTER[0])
    integration = connect(session, tenant, clean_simulator.base_url)
    start, end = dt.date(2025, 2, 10), dt.date(2025, 3, 1)  # 20 days: more than one chunk
    log_path = celery_worker_process.log_path
    chunks_before = log_path.read_text().count("orgonaut.ai_tooling.sync_range[")

    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=start, end=end, user_id=None)
    assert reload_or_none(log.id) is None  # nothing is visible (or queued) before the commit
    session.commit()
    final = wait_finished(log.id)

    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.days_total, final.checkpoint_date, final.triggered_by) == (20, 20, end, "user")
    expected = sum(len(expected_totals(clean_simulator.base_url, start + dt.timedelta(days=n))) for n in range(20))
    assert count_records(session, integration_id=integration.id) == expected == final.records_fetched
    chunk_lines = log_path.read_text().count("orgonaut.ai_tooling.sync_range[") - chunks_before
    chunks = -(-20 // sync.CHUNK_DAYS)
    assert chunks >= 2 and chunk_lines >= 2 * chunks  # received + succeeded, for each chunk
    assert sync.IntegrationLock(integration.id).holder() is None


def reload_or_none(log_id: int):
    with Session(get_engine()) as fresh:
        return fresh.get(IntegrationSyncLog, log_id)


def test_a_second_request_while_the_worker_runs_is_refused(session, tenant, clean_simulator, celery_worker_process):
    integration = connect(session, tenant, clean_simulator.base_url)
    clean_simulator.set_fault(mode="slow", delay=0.5, path="/v1/organizations/usage_report/claude_code")
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[5])
    session.commit()
    wait_for(lambda: reload(log.id).status == SyncStatus.running, what="run started")

    for start_run in (
        lambda: service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id),
        lambda: service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                       start=WEEK[0], end=WEEK[1]),
    ):
        with pytest.raises(Conflict, match="A sync is already running for this integration"):
            start_run()
        session.rollback()

    assert wait_finished(log.id).status == SyncStatus.succeeded
    clean_simulator.clear_faults()
    again = service.start_sync_now(session=session, tenant_id=tenant.id, integration_id=integration.id, day=WEEK[6])
    session.commit()
    assert wait_finished(again.id).status == SyncStatus.succeeded
    assert session.exec(select(func.count()).select_from(IntegrationSyncLog)).one() == 2


def test_an_interrupted_run_is_resumed_from_its_checkpoint(session, tenant, clean_simulator, celery_worker_process):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[4], enqueue=False)
    session.commit()
    # As a dead worker leaves it: running, two days checkpointed, the lock expired.
    assert sync.run_chunk(log_id=log.id, token=sync.IntegrationLock(integration.id).holder(), max_days=2) == "more"
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())
    assert (reload(log.id).status, reload(log.id).days_done) == (SyncStatus.running, 2)
    clean_simulator.reset()

    assert resume_interrupted.delay().get(timeout=30) == [log.id]

    final = wait_finished(log.id)
    assert (final.status, final.days_done, final.checkpoint_date) == (SyncStatus.succeeded, 5, WEEK[4])
    assert sorted(r["query"]["starting_at"] for r in clean_simulator.requests()) == [
        d.isoformat() for d in WEEK[2:5]]
    expected = sum(len(expected_totals(clean_simulator.base_url, d)) for d in WEEK[:5])
    assert count_records(session) == expected == final.records_fetched


@pytest.fixture
def isolated_broker_db():
    """A Redis database of its own for the kill test's workers, so the run's shared worker never takes
    their tasks (and they never take its)."""
    with redis_claims.private_database(get_settings().redis_url) as db:
        yield db


def test_a_worker_killed_mid_backfill_loses_and_duplicates_nothing(
    session, tenant, clean_simulator, isolated_broker_db, run_dir
):
    for email in DEFAULT_ROSTER[:5]:
        add_actor(session, tenant.id, email)
    integration = connect(session, tenant, clean_simulator.base_url)
    start, end = dt.date(2025, 1, 1), dt.date(2025, 2, 14)  # 45 days
    days = [start + dt.timedelta(days=n) for n in range(45)]
    clean_simulator.set_fault(mode="slow", delay=0.25, path="/v1/organizations/usage_report/claude_code")
    # The run is left queued without its first task; a starting worker picks it up (resume on start).
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=start, end=end, enqueue=False)
    session.commit()
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())
    env = {"ORGONAUT_REDIS_CELERY_DB": str(isolated_broker_db)}

    first = Worker(run_dir / "kill-test-first.log", extra_env=env).start()
    try:
        wait_for(lambda: reload(log.id).days_done >= 10, what="ten days stored")
    finally:
        first.kill()

    interrupted = reload(log.id)
    assert interrupted.status == SyncStatus.running and 10 <= interrupted.days_done < 45
    done = interrupted.days_done
    assert interrupted.checkpoint_date == days[done - 1]
    # Exactly the checkpointed days are stored, nothing of the day that was cut off.
    stored_days = set(session.exec(select(AiToolUsageRecord.usage_date).distinct()))
    assert max(stored_days) == interrupted.checkpoint_date
    fetched_so_far = interrupted.records_fetched
    assert count_records(session) == fetched_so_far

    clean_simulator.clear_faults()
    wait_for(lambda: lock.holder() is None, timeout=sync.lock_ttl() * 2 + 10, what="the dead run's lock expiry")
    second = Worker(run_dir / "kill-test-second.log", extra_env=env).start()
    try:
        final = wait_finished(log.id, timeout=180)
    finally:
        second.stop()

    fetched_days = [r["query"]["starting_at"] for r in clean_simulator.requests()]
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.checkpoint_date) == (45, end)
    expected = {d: len(expected_totals(clean_simulator.base_url, d)) for d in days}
    assert count_records(session) == sum(expected.values()) == final.records_fetched == final.records_upserted
    per_day = dict(session.exec(select(AiToolUsageRecord.usage_date, func.count()).group_by(
        AiToolUsageRecord.usage_date)).all())
    assert {d: per_day.get(d, 0) for d in days} == expected
    # The second worker started after the checkpoint: the checkpointed days were not fetched again.
    assert all(fetched_days.count(d.isoformat()) == 1 for d in days[:done])
