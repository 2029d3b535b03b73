"""F3: PostgreSQL fails under a running backfill on a supervised worker; the run still ends exact.

PostgreSQL only (ORGONAUT_TEST_DB=postgresql): these faults are the server's own.

- A backend terminated during the day's COPY, and one terminated between the COPY and the commit
  (the day written and fenced, not committed). The worker is held at the kill point (`hold`, see
  `orgonaut/faultpoints.py`) while the test, from a connection of its own, terminates the backend
  in that exact state (`pg_terminate_backend`), then lets it go on: the day's transaction is lost,
  the chunk fails transiently and the task's retry resumes from the checkpoint.
- A 45-second outage: a private cluster (`tests/support/pg_cluster.py`) is stopped mid-run and
  started again 45 s later. Chunks, their retries, refresh jobs and `resume_interrupted` all meet a
  refused connection meanwhile; the run must end exact, not stay running.

Each ends with the oracle (stored keys and values equal the simulator's, counters, nothing owed or
running, rollups equal a rebuild, one commit per day in the runner ledger).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import Session

from orgonaut.db import engine_for, get_engine
from orgonaut.integrations.models import SyncStatus
from orgonaut.migrate import upgrade
from orgonaut.settings import reset_settings_cache
from tests.conftest import BACKEND
from tests.failover.test_sync_broker_faults import finish_as_beat_would, start_on_private_broker
from tests.failover.test_sync_faults import USAGE, assert_exact, days, place_people, placed  # noqa: F401
from tests.failover.test_sync_kill_points import faultpoint_env
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_for
from tests.support import oracle
from tests.support.pg_cluster import PostgresCluster

OUTAGE_SECONDS = 45
# Which backend the test terminates at each point: the worker's, in the state the point leaves it.
BACKEND_AT = {
    "in_copy": "state = 'active' AND query LIKE 'COPY ai_tool_usage_records %'",
    # The runner's transaction, held after its copy: its last statement is the fenced lease write. Other
    # work of the worker (a budget or anomaly check after a refresh) may be idle in a transaction too.
    "after_copy_before_commit": ("state = 'idle in transaction' "
                                 "AND query LIKE 'UPDATE integration_sync_logs SET lease%'"),
}


def terminate_backends(where: str) -> list[str]:
    """Terminates this database's other backends matching `where`; returns their queries."""
    with get_engine().connect() as admin:
        rows = admin.execute(text(
            f"SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "  # noqa: S608
            f"AND pid <> pg_backend_pid() AND {where}")).all()
        for pid, _ in rows:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()
    return [query for _, query in rows]


if BACKEND == "postgresql":

    @pytest.mark.timeout(150)
    @pytest.mark.parametrize("point", list(BACKEND_AT))
    def test_a_backend_terminated_in_the_copy_or_before_its_commit_loses_only_that_day_in_flight(
        session, placed, clean_simulator, celery_worker_process, redis_server, worker_supervisor_factory,  # noqa: F811
        broker_client, tmp_path, point,
    ):
        faults_dir = tmp_path / "faultpoints"
        worker = worker_supervisor_factory(redis_server, extra_env=faultpoint_env(faults_dir, f"{point}:5:hold"))
        integration = connect(session, placed, clean_simulator.base_url)
        window = days(10)
        log = start_on_private_broker(session, integration, window, broker_client)

        wait_for(lambda: (faults_dir / f"{point}.fired").exists(), timeout=60, what=f"the worker held at {point}")
        held = reload(log.id)
        terminated = terminate_backends(BACKEND_AT[point])
        (faults_dir / f"{point}.go").touch()
        final = finish_as_beat_would(log.id, broker_client, timeout=90, every=1.0)

        assert len(terminated) == 1, terminated
        if point == "in_copy":
            assert terminated[0].startswith("COPY ai_tool_usage_records (")
        assert (held.status, held.days_done) == (SyncStatus.running, 4)  # day 5 in flight
        assert final.status == SyncStatus.succeeded, final.error_message
        assert (final.days_done, final.checkpoint_date) == (len(window), window[-1])
        [error] = final.diagnostics["errors"]  # the lost day, retried once
        assert (error["date"], error["kind"]) == (window[4].isoformat(), "unavailable")
        assert worker.restarts == 0
        assert_exact(log.id, placed.id, clean_simulator.base_url, window)
        commits = oracle.ledger(log.id)
        assert len({lease for _, lease in commits}) == 2  # the first runner to day 4, its retry after

    @pytest.fixture
    def private_postgres():
        """A private cluster with a migrated database that this test process (and the workers it
        starts, which inherit its environment) use instead of the run's."""
        cluster = PostgresCluster().init()
        cluster.start()
        url = cluster.create_database(f"orgonaut_outage_{uuid.uuid4().hex[:8]}")
        upgrade(url)
        before = os.environ["ORGONAUT_DATABASE_URL"]
        os.environ["ORGONAUT_DATABASE_URL"] = url
        reset_settings_cache()
        try:
            yield cluster
        finally:
            os.environ["ORGONAUT_DATABASE_URL"] = before
            reset_settings_cache()
            engine_for(url).dispose()
            cluster.remove()

    @pytest.fixture
    def on_private_redis(redis_server):
        """This process's Redis (locks, and the broker the oracle's reaper sends to) is the private
        server too, so the refresh jobs it sends reach the worker on the private database."""
        before = os.environ.get("REDIS_URL")
        os.environ["REDIS_URL"] = redis_server.url
        reset_settings_cache()
        yield redis_server
        if before is None:
            del os.environ["REDIS_URL"]
        else:
            os.environ["REDIS_URL"] = before
        reset_settings_cache()

    @pytest.mark.timeout(300)
    def test_a_45_second_postgres_outage_mid_backfill_ends_exact(
        private_postgres, on_private_redis, clean_simulator, worker_supervisor_factory, broker_client,
    ):
        with Session(get_engine(), expire_on_commit=False) as session:
            assert session.connection().exec_driver_sql("SHOW port").scalar() == str(private_postgres.port)
            session.commit()
            tenant = place_people(session)
            integration = connect(session, tenant, clean_simulator.base_url)
            worker = worker_supervisor_factory(on_private_redis, extra_env={"ORGONAUT_SYNC_LOCK_TTL_SECONDS": "6"})
            window = days(24)
            clean_simulator.set_fault(mode="slow", delay=0.3, path=USAGE)  # about 8 s of fetching
            log = start_on_private_broker(session, integration, window, broker_client)
        get_engine().dispose()

        wait_for(lambda: reload(log.id).days_done >= 3, timeout=60, what="three days stored")
        get_engine().dispose()  # no pooled connection of ours outlives the server
        at_stop = reload(log.id)
        private_postgres.stop("fast")  # every backend terminated, new connections refused
        stopped = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        private_postgres.start()
        down = time.monotonic() - stopped

        final = finish_as_beat_would(log.id, broker_client, timeout=200)
        assert down >= OUTAGE_SECONDS
        assert at_stop.status == SyncStatus.running and at_stop.days_done < len(window)  # mid-run
        assert final.status == SyncStatus.succeeded, final.error_message
        assert (final.days_done, final.checkpoint_date) == (len(window), window[-1])
        assert worker.restarts == 0
        worker_log = "".join(p.read_text(errors="replace") for p in worker.directory.glob("worker-*.log"))
        assert "OperationalError" in worker_log  # the outage was met, not slept through
        clean_simulator.clear_faults()
        assert_exact(log.id, tenant.id, clean_simulator.base_url, window)
