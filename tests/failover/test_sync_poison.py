"""R13: a chunk whose pool child is killed every time (out of memory, say) fails the run after a bounded
number of deliveries instead of being handed out again for ever.

A real worker (one pool child) runs the chunk; the simulator holds every usage request (`slow`), so
each delivery sits in its first day's fetch without progress. Each time a new request arrives, the
test SIGKILLs the pool child that sent it; Celery starts a new child and, with late acks and reject
on worker lost, hands the same message out again at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from orgonaut.ai_tooling import sync
from orgonaut.ai_tooling.chunk import MAX_DELIVERIES_WITHOUT_PROGRESS
from orgonaut.integrations.models import SyncStatus
from tests.failover.test_sync_faults import USAGE, backfill, days, isolated_broker_db, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_finished, wait_for
from tests.support.processes import Worker

pytestmark = pytest.mark.timeout(150)


def pool_children(worker: Worker) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(worker.process.pid)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def test_a_chunk_whose_pool_child_is_killed_every_time_fails_after_bounded_deliveries(
    session, placed, clean_simulator, isolated_broker_db, run_dir  # noqa: F811
):
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(5)
    clean_simulator.set_fault(mode="slow", delay=60, path=USAGE)  # no delivery stores a day
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())  # a starting worker resumes it
    worker = Worker(run_dir / "failover-poison.log", concurrency=1,
                    extra_env={"ORGONAUT_REDIS_CELERY_DB": str(isolated_broker_db)}).start()
    kills = 0
    try:
        for _ in range(MAX_DELIVERIES_WITHOUT_PROGRESS + 3):  # a few more than the bound, should it not hold
            wait_for(lambda seen=kills: len(clean_simulator.requests()) > seen or
                     reload(log.id).status == SyncStatus.failed, timeout=60, what=f"delivery {kills + 1} asking")
            if reload(log.id).status == SyncStatus.failed:
                break
            [child] = pool_children(worker)
            os.kill(child, signal.SIGKILL)
            kills += 1
            wait_for(lambda dead=child: dead not in pool_children(worker) and len(pool_children(worker)) == 1,
                     timeout=30, what="a new pool child")
        final = wait_finished(log.id, timeout=60)
        # The worker keeps working: nothing of this run is handed out again.
        time.sleep(3)
        assert len(clean_simulator.requests()) == kills
    finally:
        worker.kill()

    assert kills == MAX_DELIVERIES_WITHOUT_PROGRESS
    assert final.status == SyncStatus.failed
    assert f"worker died {MAX_DELIVERIES_WITHOUT_PROGRESS} times" in final.error_message
    assert window[0].isoformat() in final.error_message
    assert (final.days_done, final.checkpoint_date) == (0, None)
    assert lock.holder() is None
