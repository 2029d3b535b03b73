"""Cursor under the same faults as Claude Code: a worker SIGKILLed in the middle of a backfill whose
calls cover thirty days each, and a 429 storm on both of Cursor's endpoints. The oracle is the suite's:
stored records equal the Cursor simulator's truth (cost to the fraction of a cent; sessions, commits
and pull requests not reported), counters equal the rows, one runner per day, nothing owed, and the
rollups equal a rebuild."""

from __future__ import annotations

import datetime as dt

from orgonaut.ai_tooling import service, sync
from orgonaut.integrations.models import SyncStatus
from tests.failover.test_sync_faults import _reaped_and_settled, backfill, days, isolated_broker_db, placed  # noqa: F401
from tests.integration.ai_tooling.test_jobs import reload, wait_finished, wait_for
from tests.support import oracle
from tests.support.cursor_simulator import VALID_CURSOR_KEY
from tests.support.processes import Worker

DAILY_USAGE = "/teams/daily-usage-data"
EVENTS = "/teams/filtered-usage-events"


def connect_cursor(session, tenant, base_url: str):
    integration = service.connect(session=session, tenant_id=tenant.id, provider="cursor",
                                  credentials={"api_key": VALID_CURSOR_KEY}, api_base=base_url, baseline=True)
    session.commit()
    return integration


def assert_exact(log_id: int, tenant_id: int, server, covered: list[dt.date]) -> None:
    wait_for(lambda: _reaped_and_settled(tenant_id), timeout=90, what="owed refreshes worked off")
    oracle.assert_settled(log_id, tenant_id)
    assert oracle.stored_totals(tenant_id) == oracle.cursor_vendor_totals(server, covered)
    stored = oracle.rollup_rows(tenant_id)
    assert stored[0], "no rollups at all: the oracle would prove nothing"
    assert stored == oracle.rebuilt_rollup_rows(tenant_id)


def test_a_cursor_backfill_whose_worker_is_killed_mid_window_ends_exact(
    session, placed, clean_cursor_simulator, isolated_broker_db, celery_worker_process, run_dir,  # noqa: F811
):
    integration = connect_cursor(session, placed, clean_cursor_simulator.base_url)
    window = days(45)  # two calls: 30 days, then 15
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())  # left queued without a task: a starting worker resumes it
    points = run_dir / "cursor-kill-points"
    points.mkdir()
    # The whole worker is SIGKILLed as its eighth day is about to commit: inside the first call's 30 days.
    env = {"ORGONAUT_REDIS_CELERY_DB": str(isolated_broker_db),
           "ORGONAUT_FAULTPOINTS": "after_copy_before_commit:8:group", "ORGONAUT_FAULTPOINTS_DIR": str(points)}
    first = Worker(run_dir / "cursor-kill-first.log", extra_env=env).start()
    try:
        wait_for(lambda: (points / "after_copy_before_commit.fired").exists(), what="the kill point fired")
        wait_for(lambda: first.process is not None and first.process.poll() is not None, what="the first worker gone")
    finally:
        first.kill()
    interrupted = reload(log.id)
    assert interrupted.status == SyncStatus.running and interrupted.days_done == 7  # mid-window

    wait_for(lambda: lock.holder() is None, timeout=sync.lock_ttl() * 2 + 10, what="the dead run's lock expiry")
    second = Worker(run_dir / "cursor-kill-second.log",
                    extra_env={"ORGONAUT_REDIS_CELERY_DB": str(isolated_broker_db)}).start()
    try:
        wait_finished(log.id, timeout=180)
        assert_exact(log.id, placed.id, clean_cursor_simulator, window)
    finally:
        second.stop()
    # The resumed run asked again from the day after its checkpoint: the window was read more than once.
    assert len(clean_cursor_simulator.requests(DAILY_USAGE)) >= 3


def test_a_429_storm_on_both_cursor_endpoints_ends_exact(session, placed, clean_cursor_simulator,  # noqa: F811
                                                         celery_worker_process):
    integration = connect_cursor(session, placed, clean_cursor_simulator.base_url)
    window = days(20)
    clean_cursor_simulator.set_faults([
        {"mode": "status", "status": 429, "rate": 0.5, "seed": 7, "path": DAILY_USAGE, "count": None},
        {"mode": "status", "status": 429, "rate": 0.5, "seed": 11, "path": EVENTS, "count": None},
    ])
    log = backfill(session, integration, window[0], window[-1])
    final = wait_finished(log.id, timeout=240)
    assert final.status == SyncStatus.succeeded, final.error_message
    statuses = [request["status"] for request in clean_cursor_simulator.requests(None)]
    assert statuses.count(429) >= 2 and statuses.count(200) >= 2  # the storm was real, and was waited out
    clean_cursor_simulator.clear_faults()
    assert_exact(log.id, placed.id, clean_cursor_simulator, window)
