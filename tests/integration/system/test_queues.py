"""Queues by kind (`jobs.QUEUES`): each kind of work is sent to its own queue, and a worker reads them in turn,
so a nightly run's chunk does not wait behind a tenant's backlog of backfill chunks.

On a Celery database of its own and a real worker (one process, prefetch 1, as configured), with the
failover suite's tiny tasks standing in for chunks: six one-second "backfill chunks" are queued first, then
one "nightly chunk". The nightly one finishes while most of the backlog still waits; on one shared queue it
would have run last.
"""

from __future__ import annotations

import pytest
import redis
from celery import Celery

from orgonaut import jobs
from orgonaut.ai_tooling import runs
from orgonaut.integrations.models import SyncKind
from orgonaut.settings import get_settings
from tests.support import redis_claims
from tests.support.failover_tasks import ECHO_TASK, SLEEP_TASK
from tests.support.processes import Worker

pytestmark = pytest.mark.timeout(120)


def test_each_kind_of_work_has_its_own_queue():
    assert runs.queue_of(SyncKind.backfill) == jobs.BACKFILL_QUEUE
    assert runs.queue_of(SyncKind.reconcile) == jobs.NIGHTLY_QUEUE
    assert [q.name for q in jobs.celery_config()["task_queues"]] == list(jobs.QUEUES)
    assert len(set(jobs.QUEUES)) == 4


def test_a_nightly_chunk_does_not_wait_behind_a_backlog_of_backfill_chunks(run_dir):
    settings = get_settings()
    with redis_claims.private_database(settings.redis_url) as db:
        url = settings.redis_db_url(db)
        sender = Celery("queue-test", set_as_current=False)
        sender.conf.update({**jobs.celery_config(), "broker_url": url, "result_backend": url})
        backlog = [sender.send_task(SLEEP_TASK, args=[1.0, f"backfill-{n}"], queue=jobs.BACKFILL_QUEUE)
                   for n in range(6)]
        nightly = sender.send_task(ECHO_TASK, args=["nightly"], queue=jobs.NIGHTLY_QUEUE)
        broker = redis.Redis.from_url(url)
        assert broker.llen(jobs.BACKFILL_QUEUE) == 6 and broker.llen(jobs.NIGHTLY_QUEUE) == 1

        worker = Worker(run_dir / "queues-worker.log", concurrency=1, include="tests.support.failover_tasks",
                        extra_env={"ORGONAUT_REDIS_CELERY_DB": str(db)}).start()
        try:
            assert nightly.get(timeout=60) == "nightly"
            still_waiting = broker.llen(jobs.BACKFILL_QUEUE)
            assert still_waiting >= 3, f"the nightly chunk ran after {6 - still_waiting} backfill chunks"
            assert [r.get(timeout=60) for r in backlog] == [f"backfill-{n}" for n in range(6)]
        finally:
            worker.stop()
