"""The sync engine under faults: what people read stays exact.

Every test ends with the same oracle (tests/support/oracle.py): the stored (e-mail, day) keys and
every metric equal the simulator's raw rows, the log's counters equal the stored rows, no run is
left queued or running, no refresh is left owed, and the rollup tables equal a rebuild from the
records. Real parts throughout: the simulator over HTTP, real Celery workers (killed with SIGKILL),
the run's database (SQLite or PostgreSQL) and Redis.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import text, update
from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import changes, service, sync
from orgonaut.db import get_engine
from orgonaut.integrations.models import IntegrationSyncLog, SyncKind, SyncStatus
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import queue
from orgonaut.settings import get_settings
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.conftest import BACKEND
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_finished, wait_for
from tests.integration.rollups import builders as b
from tests.support import celery_queue, oracle, redis_claims
from tests.support.processes import Worker

USAGE = "/v1/organizations/usage_report/claude_code"
START = dt.date(2025, 1, 6)
# The kill test's backfill; `make failover` runs it over a year.
KILL_TEST_DAYS = int(os.environ.get("FAILOVER_DAYS", "30"))


def days(n: int, start: dt.date = START) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


@pytest.fixture
def placed(session):
    """A tenant whose first eight simulated people are placed in two teams of one department."""
    return place_people(session)


def place_people(session):
    """`placed`, in any session (a test on a database of its own calls it)."""
    from tests.factories import make_tenant

    tenant = make_tenant(session)
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    department = b.unit(session, tenant, "Engineering", company, kind=OrgUnitKind.department)
    teams = [b.unit(session, tenant, name, department) for name in ("Web", "Data")]
    for n, email in enumerate(DEFAULT_ROSTER[:8]):
        person = b.actor(session, tenant, email.split("@")[0], email=email)
        b.place(session, person, teams[n % 2], dt.date(2024, 1, 1))
    session.commit()
    return tenant


def assert_exact(log_id: int, tenant_id: int, base_url: str, covered: list[dt.date],
                 truth: dict | None = None) -> None:
    """The oracle, after owed refreshes settled (a beat's reaper sends what a crash lost).
    `truth`: `oracle.vendor_totals(base_url, covered)` read once before, for tests that replay one
    unrevised window many times."""
    wait_for(lambda: _reaped_and_settled(tenant_id), timeout=90, what="owed refreshes worked off")
    oracle.assert_settled(log_id, tenant_id)
    assert oracle.stored_totals(tenant_id) == (oracle.vendor_totals(base_url, covered) if truth is None else truth)
    stored = oracle.rollup_rows(tenant_id)
    assert stored[0], "no rollups at all: the oracle would prove nothing"
    assert stored == oracle.rebuilt_rollup_rows(tenant_id)


def _reaped_and_settled(tenant_id: int) -> bool:
    if oracle.owed_refreshes(tenant_id) == 0:
        return True
    with Session(get_engine()) as session:  # what beat's reaper does every minute, without the wait
        queue.reap(session, older_than=dt.timedelta(0))
        session.commit()
    return False


def backfill(session, integration, start, end, enqueue=True):
    log = service.start_backfill(session=session, tenant_id=integration.tenant_id, integration_id=integration.id,
                                 start=start, end=end, enqueue=enqueue)
    session.commit()
    return log


@pytest.fixture
def isolated_broker_db():
    """A Celery database of its own for this test's killable workers, so the run's shared worker
    never takes their tasks (the locks and rollup keys stay shared with the test)."""
    with redis_claims.private_database(get_settings().redis_url) as db:
        yield db


def test_sigkill_mid_chunk_loses_no_rollup_of_the_days_it_committed(
    session, placed, clean_simulator, isolated_broker_db, celery_worker_process, run_dir
):
    """R1: a worker killed in the middle of a chunk had committed days whose refresh it never sent."""
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(KILL_TEST_DAYS)
    clean_simulator.set_fault(mode="slow", delay=0.2, path=USAGE)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())  # left queued without a task: a starting worker resumes it
    env = {"ORGONAUT_REDIS_CELERY_DB": str(isolated_broker_db)}

    first = Worker(run_dir / "failover-kill-first.log", extra_env=env).start()
    try:
        wait_for(lambda: reload(log.id).days_done >= 5, what="five days stored")
    finally:
        first.kill()
    interrupted = reload(log.id)
    assert interrupted.status == SyncStatus.running and 5 <= interrupted.days_done < 14  # mid-chunk

    clean_simulator.clear_faults()
    wait_for(lambda: lock.holder() is None, timeout=sync.lock_ttl() * 2 + 10, what="the dead run's lock expiry")
    second = Worker(run_dir / "failover-kill-second.log", extra_env=env).start()
    try:
        wait_finished(log.id, timeout=180 + KILL_TEST_DAYS)
        assert_exact(log.id, placed.id, clean_simulator.base_url, window)
    finally:
        second.stop()


def test_a_crash_after_commit_before_any_refresh_was_sent_is_repaired(session, placed, clean_simulator,
                                                                      celery_worker_process, redis_client):
    """Every day's refresh was lost in transit (a job 'waiting' that never comes): the intents are
    durable, and the reaper's send repairs the rollups."""
    integration = connect(session, placed, clean_simulator.base_url)
    redis_client.set(changes.sent_key(placed.id, None), "1", ex=300)  # a job that was lost
    window = days(5)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    sync.run_foreground(log_id=log.id)
    assert oracle.owed_refreshes(placed.id) > 0
    assert oracle.rollup_rows(placed.id) != oracle.rebuilt_rollup_rows(placed.id)  # stale until reaped
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)


def test_a_second_runner_takes_over_and_the_first_commits_nothing_more(session, placed, clean_simulator,
                                                                       celery_worker_process):
    """R4/R5: a redelivered task (same id, same lock token) or a runner that lost its lock runs the
    same run; the lease on the log lets only the newest commit."""
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(6)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    token = sync.IntegrationLock(integration.id).holder()
    outcomes = []

    def second_runner_after_day_two(progress: IntegrationSyncLog) -> None:
        if progress.days_done == 2 and not outcomes:
            outcomes.append(sync.run_chunk(log_id=log.id, token=token))  # the copy works the rest off

    first = sync.run_chunk(log_id=log.id, token=token, on_day=second_runner_after_day_two)

    assert (first, outcomes) == (sync.ChunkOutcome.duplicate, [sync.ChunkOutcome.finished])
    final = reload(log.id)
    # Each day committed once: the first runner's third day was rolled back, not counted again.
    assert (final.days_done, final.checkpoint_date) == (6, window[-1])
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)


def test_a_cancelled_backfill_stops_after_the_current_day_and_keeps_what_it_stored(session, placed,
                                                                                   clean_simulator,
                                                                                   celery_worker_process):
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(6)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)

    def cancel_after_day_two(progress: IntegrationSyncLog) -> None:
        if progress.days_done == 2:
            with Session(get_engine()) as other:
                other.execute(update(IntegrationSyncLog).where(IntegrationSyncLog.id == log.id)
                              .values(cancel_requested_at=clock.utcnow()))
                other.commit()

    final = sync.run_foreground(log_id=log.id, on_day=cancel_after_day_two)
    assert (final.status, final.days_done, final.checkpoint_date) == (SyncStatus.cancelled, 2, window[1])
    assert "2 of 6 days were synced before" in final.error_message
    assert oracle.stored_totals(placed.id) == oracle.vendor_totals(clean_simulator.base_url, window[:2])
    assert sync.IntegrationLock(integration.id).holder() is None
    wait_for(lambda: _reaped_and_settled(placed.id), timeout=60, what="owed refreshes worked off")
    assert oracle.rollup_rows(placed.id) == oracle.rebuilt_rollup_rows(placed.id)


def test_a_revised_day_is_replaced_and_its_rollups_follow(session, placed, clean_simulator, celery_worker_process):
    """R10: the vendor drops a person-day, changes another and moves a third to a new e-mail."""
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(4)
    sync.run_foreground(log_id=backfill(session, integration, window[0], window[-1], enqueue=False).id)
    day = window[2]
    people = sorted({email for email, d in oracle.stored_totals(placed.id) if d == day and
                     email in DEFAULT_ROSTER[:8]})
    dropped, changed, moved = people[:3]
    clean_simulator.revise(date=day, action="drop", email=dropped)
    clean_simulator.revise(date=day, action="change", email=changed, factor=3)
    clean_simulator.revise(date=day, action="move", email=moved, to_email="someone.new@acme.test")
    before = oracle.rollup_rows(placed.id)

    log = service.start_sync_now(session=session, tenant_id=placed.id, integration_id=integration.id, day=day,
                                 enqueue=False)
    session.commit()
    final = sync.run_foreground(log_id=log.id)

    assert final.status == SyncStatus.succeeded
    assert any("no longer reports were removed" in w for w in final.diagnostics["warnings"])
    assert (dropped, day) not in oracle.stored_totals(placed.id)
    assert oracle.stored_totals(placed.id) == oracle.vendor_totals(clean_simulator.base_url, window)
    wait_for(lambda: _reaped_and_settled(placed.id), timeout=60, what="owed refreshes worked off")
    after = oracle.rollup_rows(placed.id)
    assert after != before and after == oracle.rebuilt_rollup_rows(placed.id)


def test_a_429_storm_on_the_worker_ends_exact(session, placed, clean_simulator, celery_worker_process):
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(8)
    clean_simulator.set_fault(mode="status", status=429, retry_after=0.05, rate=0.5, seed=7, path=USAGE)
    log = backfill(session, integration, window[0], window[-1])
    wait_finished(log.id, timeout=240)
    requests = clean_simulator.requests()
    assert len(requests) > len(window)  # the storm was real
    clean_simulator.clear_faults()  # the oracle reads the truth through the same API
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)


def test_a_paused_integration_stops_the_run_before_its_next_day(session, placed, clean_simulator,
                                                                celery_worker_process):
    """R18: gates are checked before each day, not once per chunk."""
    from orgonaut.integrations import service as integrations

    integration = connect(session, placed, clean_simulator.base_url)
    window = days(6)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)

    def pause_after_day_three(progress: IntegrationSyncLog) -> None:
        if progress.days_done == 3:
            with Session(get_engine(), expire_on_commit=False) as other:
                integrations.pause(session=other, tenant_id=placed.id, integration_id=integration.id)
                other.commit()

    final = sync.run_foreground(log_id=log.id, on_day=pause_after_day_three)
    assert (final.status, final.days_done, final.error_message) == (
        SyncStatus.skipped, 3, "The integration is paused. 3 of 6 days were synced before.")
    assert oracle.stored_totals(placed.id) == oracle.vendor_totals(clean_simulator.base_url, window[:3])


def test_two_beats_and_a_redelivery_queue_one_reconcile_per_window(session, placed, clean_simulator):
    """R14: the nightly job is asked three times for the same night."""
    integration = connect(session, placed, clean_simulator.base_url)
    lock = sync.IntegrationLock(integration.id)
    with clock.frozen_at(dt.datetime(2025, 3, 10, 2, 0, tzinfo=dt.UTC)):
        first = sync.queue_nightly(session=session)
        session.commit()
        assert sync.queue_nightly(session=session) == []
        session.commit()
        assert sync.queue_nightly(session=session) == []
        session.commit()
    lock.release(lock.holder())
    celery_queue.empty_queue()  # no worker here: its task must not outlive the test
    [log_id] = first
    log = reload(log_id)
    # 02:00 UTC on the 10th: the 9th ended two hours ago, so it is the night's last day.
    assert (log.window_end, log.schedule_key) == (dt.date(2025, 3, 9), "nightly:2025-03-09")


def test_missed_nights_are_caught_up_and_no_night_fetches_a_partial_day(session, placed, clean_simulator):
    """R9/R12: the window reaches back to the day after the last successful reconcile, and ends at
    the last UTC day that ended over an hour ago, whatever the server's time zone."""
    integration = connect(session, placed, clean_simulator.base_url)
    done = sync.create_log(session=session, integration=integration, kind=SyncKind.reconcile,
                           start=dt.date(2025, 2, 20), end=dt.date(2025, 2, 28), triggered_by="schedule")
    done.status = SyncStatus.succeeded
    session.commit()
    lock = sync.IntegrationLock(integration.id)
    # Ten nights later, at 00:30 UTC (03:30 in Riyadh): the 10th has ended but is not served yet.
    with clock.frozen_at(dt.datetime(2025, 3, 11, 0, 30, tzinfo=dt.UTC)):
        [log_id] = sync.queue_nightly(session=session)
        session.commit()
    lock.release(lock.holder())
    celery_queue.empty_queue()
    log = reload(log_id)
    assert (log.window_start, log.window_end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 9))


if BACKEND == "postgresql":  # the failure is PostgreSQL's own: its backend terminated under the run

    def test_database_connections_dropped_mid_run_are_retried_and_the_run_ends_exact(
        session, placed, clean_simulator, celery_worker_process
    ):
        """R6: a dropped connection is transient, like a vendor's 503: the chunk is tried again."""
        integration = connect(session, placed, clean_simulator.base_url)
        window = days(5)
        log = backfill(session, integration, window[0], window[-1], enqueue=False)
        mine = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        session.commit()
        dropped = []

        def drop_connections_after_day_two(progress: IntegrationSyncLog) -> None:
            if progress.days_done == 2 and not dropped:
                with get_engine().connect() as admin:
                    admin_pid = admin.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                    dropped.extend(admin.execute(text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid NOT IN (:mine, :admin)"),
                        {"mine": mine, "admin": admin_pid}).scalars())
                get_engine().dispose()  # the pool's connections are dead: as after a restart

        final = sync.run_foreground(log_id=log.id, on_day=drop_connections_after_day_two, sleep=lambda _: None)
        assert dropped and all(dropped)
        assert final.status == SyncStatus.succeeded, final.error_message
        assert (final.days_done, final.checkpoint_date) == (5, window[-1])
        assert_exact(log.id, placed.id, clean_simulator.base_url, window)
