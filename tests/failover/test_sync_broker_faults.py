"""The sync engine on a supervised worker whose broker and locks are a private redis-server.

The worker's REDIS_URL is the private server, so its broker, its results and its locks live there;
this test process keeps its own Redis (the run's) for nothing but the oracle's reaper, whose refresh
jobs the run's shared worker takes. So the run itself is started and resumed only through the
private broker, as beat would: the test creates the log in the database (no task) and sends
`orgonaut.ai_tooling.resume_interrupted` to the private broker, which takes the lock there and
queues the first chunk. Progress is read from the database only.
"""

from __future__ import annotations

import time

import pytest

from orgonaut.ai_tooling import sync
from orgonaut.integrations.models import SyncStatus
from tests.failover.conftest import BrokerClient
from tests.failover.test_sync_faults import USAGE, assert_exact, backfill, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_for
from tests.support import oracle

RESUME_TASK = "orgonaut.ai_tooling.resume_interrupted"
pytestmark = pytest.mark.timeout(150)


def start_on_private_broker(session, integration, window, client: BrokerClient):
    """A backfill log with no task, and `resume_interrupted` on the private broker to start it."""
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    lock = sync.IntegrationLock(integration.id)  # the test process's Redis: not the worker's
    lock.release(lock.holder())
    client.send(RESUME_TASK)
    return log


def finish_as_beat_would(log_id: int, client: BrokerClient, timeout: float, every: float = 3.0):
    """Waits for the run's end, sending `resume_interrupted` every few seconds (beat: two minutes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = reload(log_id)
        if log.status not in (SyncStatus.queued, SyncStatus.running):
            return log
        client.send(RESUME_TASK)
        time.sleep(every)
    raise TimeoutError(f"sync log {log_id} still {reload(log_id).status} after {timeout}s")


def resumed_times(worker, log_id: int) -> int:
    needle = f"resuming interrupted sync log {log_id} "
    return sum(path.read_text(errors="replace").count(needle) for path in worker.directory.glob("worker-*.log"))


@pytest.mark.parametrize("aof", [False, True], ids=["no-persistence", "aof-everysec"])
def test_redis_restart_mid_chunk_of_a_backfill_ends_exact(
    session, placed, clean_simulator, celery_worker_process, redis_server_factory,  # noqa: F811
    worker_supervisor_factory, aof,
):
    """F2: Redis restarts while a chunk runs. Without persistence the lock, the chunk's message and
    the queued refresh jobs are gone: the runner notices the lost lock after its day and stops,
    `resume_interrupted` goes on from the checkpoint, and the reaper sends the lost refreshes. With
    AOF the lock survives and the same runner goes on. Either way: exact, and the worker never exits."""
    server = redis_server_factory(aof=aof)
    worker = worker_supervisor_factory(server)
    client = BrokerClient(server)
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(20)
    clean_simulator.set_fault(mode="slow", delay=0.3, path=USAGE)
    log = start_on_private_broker(session, integration, window, client)

    wait_for(lambda: reload(log.id).days_done >= 4, timeout=60, what="four days stored")
    server.restart(down=1.0, kill=aof)  # with AOF a crash, not a clean shutdown
    at_restart = reload(log.id)
    assert at_restart.status == SyncStatus.running and 4 <= at_restart.days_done < sync.CHUNK_DAYS  # mid-chunk

    final = finish_as_beat_would(log.id, client, timeout=90)
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.checkpoint_date) == (len(window), window[-1])
    assert worker.restarts == 0, f"the worker exited (codes {worker.exit_codes}):\n{worker.log_tail()}"
    # Without persistence the run went on only because it was resumed; with AOF its lock held.
    resumes = resumed_times(worker, log.id)
    assert resumes == 1 if aof else resumes >= 2, worker.log_tail()
    clean_simulator.clear_faults()
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)
    assert oracle.owed_refreshes(placed.id) == 0
