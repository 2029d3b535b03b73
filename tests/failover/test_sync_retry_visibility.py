"""F4 variant: a 429 whose retry-after is longer than the broker's visibility timeout, on a real worker.

A countdown task is held unacknowledged by the worker until its time comes; the Redis broker puts a
message unacknowledged for longer than the visibility timeout back in the queue, so a countdown
that followed the vendor's retry-after past it would run twice. The countdown is capped at
`retry_cap()`: 600 s, or a sixth of the visibility timeout where that is shorter.

Here the supervised worker's visibility timeout is 12 s (cap: 2 s) and its broker sweeps
unacknowledged messages every second (`ORGONAUT_TEST_RESTORE_UNACKED_EVERY`), so what production
would do after an hour shows in seconds. Day 4 answers 429 with `retry-after: 120` (over the
client's own 60 s limit, so the chunk fails at once and the task retries). Asserted: the countdown
was the cap, the run ends exact, no message is left unacknowledged (so none can come back) and no
task was delivered more often than it was sent (the retried one: twice, its first delivery and its retry),
day 4 was asked for twice and every other day once, and the ledger shows each day committed once.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import redis

from orgonaut.ai_tooling import sync
from orgonaut.integrations.models import SyncStatus
from tests.failover.test_sync_broker_faults import finish_as_beat_would, start_on_private_broker
from tests.failover.test_sync_faults import USAGE, assert_exact, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_for

VISIBILITY_TIMEOUT = 12
CAP = VISIBILITY_TIMEOUT / 6
RETRY_AFTER = 120
pytestmark = pytest.mark.timeout(120)


def test_a_retry_after_beyond_the_visibility_timeout_is_capped_and_the_chunk_runs_once(
    session, placed, clean_simulator, celery_worker_process, redis_server, worker_supervisor_factory,  # noqa: F811
    broker_client,
):
    worker = worker_supervisor_factory(redis_server, extra_env={
        "ORGONAUT_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT), "ORGONAUT_TEST_RESTORE_UNACKED_EVERY": "1"})
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(8)
    clean_simulator.set_faults([{"mode": "status", "status": 429, "retry_after": RETRY_AFTER, "after": 3, "count": 1,
                                 "path": USAGE}])
    log = start_on_private_broker(session, integration, window, broker_client)

    final = finish_as_beat_would(log.id, broker_client, timeout=60, every=1.0)
    assert final.status == SyncStatus.succeeded, final.error_message
    # Nothing is left unacknowledged, so nothing can come back after another visibility timeout.
    broker = redis.Redis.from_url(broker_client.broker_url)
    wait_for(lambda: broker.hlen("unacked") == 0, timeout=10, what="every message acknowledged")

    text = "".join(path.read_text(errors="replace") for path in worker.directory.glob("worker-*.log"))
    received = Counter(re.findall(rf"Task {re.escape(sync.TASK_NAME)}\[([0-9a-f-]+)\] received", text))
    countdowns = [float(s) for s in re.findall(rf"{re.escape(sync.TASK_NAME)}\[[0-9a-f-]+\] retry: Retry in ([\d.]+)s",
                                               text)]
    assert sorted(received.values()) == [2], received  # one chunk task: its delivery and its retry's
    assert countdowns == [CAP], text[-3000:]
    asked = Counter(r["query"]["starting_at"][:10] for r in clean_simulator.requests())
    assert asked == {day.isoformat(): 2 if n == 3 else 1 for n, day in enumerate(window)}
    [error] = final.diagnostics["errors"]
    assert (error["status"], error["date"]) == (429, window[3].isoformat())
    assert worker.restarts == 0
    assert reload(log.id).lease == final.lease
    clean_simulator.clear_faults()
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)
