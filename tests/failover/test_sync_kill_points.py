"""F1b: a worker SIGKILLed once at each kill point inside our code, then the run ends exact.

The kill points are `orgonaut/faultpoints.py`'s, named in the worker's environment
(`ORGONAUT_FAULTPOINTS=<point>:<nth>:<kill|group>`, counted across the worker's processes and its
restarts in a directory of the test's, so each fires exactly once): `kill` is the pool child that
reached the point (the worker's main process lives and the broker hands the task out again),
`group` the whole worker (its supervisor starts a new one, which finds the lock still held until it
expires). `make failover` (FAILOVER_EVERY_ACTION=1) kills at each point both ways.

The worker is supervised and its broker and locks are a private redis-server; the test starts the
run and finishes it as beat would (`resume_interrupted` every few seconds on the private broker),
and works off owed refreshes as beat's reaper would. Each case asserts that the point fired, how the
worker died, and the oracle: stored keys and values equal the simulator's, counters equal stored
rows, nothing left queued, running or owed, rollups equal a rebuild, and the runner ledger shows
each day committed once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from orgonaut.ai_tooling import sync
from orgonaut.integrations.models import SyncStatus
from orgonaut.settings import get_settings
from tests.failover.test_sync_broker_faults import finish_as_beat_would, start_on_private_broker
from tests.failover.test_sync_faults import USAGE, assert_exact, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.support import oracle

pytestmark = pytest.mark.timeout(180)

LOCK_TTL = 4
# A visibility timeout of a minute caps the task's retry countdown at 10 s (a sixth of it).
VISIBILITY_TIMEOUT = 60
WINDOW_DAYS = 20  # two chunks (14 + 6): the hand-over between them is reached once

# (point, nth reach, action, simulator faults)
KILL_POINTS = [
    ("after_fetch", 6, "group", []),
    ("in_copy", 5, "kill", []),
    ("after_copy_before_commit", 5, "group", []),
    ("before_refresh_send", 5, "kill", []),
    ("between_hand_over_and_send", 1, "group", []),
    # Day 4's request answers 429 with a retry-after over the client's own limit: the chunk fails
    # transiently, the task's retry goes out with its countdown (10 s, the cap), then the pool child
    # dies. The broker hands the killed delivery out again at once, and its retry copy arrives 10 s
    # later with the same task id (so the same lock token) while the first still works (the next
    # days are slow): two runners of one run at once, which only the lease fence keeps apart.
    ("in_retry_countdown", 1, "kill", [
        {"mode": "status", "status": 429, "retry_after": 120, "after": 3, "count": 1},
        {"mode": "slow", "delay": 1.0, "count": 12},
    ]),
    ("in_refresh_transaction", 1, "group", []),
]
# `make failover` (FAILOVER_EVERY_ACTION=1) also kills the other way at each point.
if os.environ.get("FAILOVER_EVERY_ACTION") == "1":
    KILL_POINTS += [(point, nth, "kill" if action == "group" else "group", faults)
                    for point, nth, action, faults in KILL_POINTS]


def faultpoint_env(directory: Path, spec: str) -> dict[str, str]:
    return {"ORGONAUT_FAULTPOINTS": spec, "ORGONAUT_FAULTPOINTS_DIR": str(directory),
            "ORGONAUT_SYNC_LOCK_TTL_SECONDS": str(LOCK_TTL),
            "ORGONAUT_CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


@pytest.mark.parametrize(("point", "nth", "action", "faults"), KILL_POINTS,
                         ids=[f"{p[0]}-{p[2]}" for p in KILL_POINTS])
def test_sigkill_once_at_each_kill_point_ends_exact(
    session, placed, clean_simulator, celery_worker_process, redis_server, worker_supervisor_factory,  # noqa: F811
    broker_client, tmp_path, point, nth, action, faults,
):
    faults_dir = tmp_path / "faultpoints"
    worker = worker_supervisor_factory(redis_server, extra_env=faultpoint_env(faults_dir, f"{point}:{nth}:{action}"))
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(WINDOW_DAYS)
    if faults:
        clean_simulator.set_faults([{**fault, "path": USAGE} for fault in faults])
    log = start_on_private_broker(session, integration, window, broker_client)

    final = finish_as_beat_would(log.id, broker_client, timeout=150, every=1.0)

    assert (faults_dir / f"{point}.fired").exists(), f"{point} never fired:\n{worker.log_tail()}"
    assert int((faults_dir / f"{point}.count").read_text()) >= nth
    # A child's death leaves the worker up; a group kill is one restart by the supervisor.
    assert worker.restarts == (1 if action == "group" else 0), worker.log_tail()
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.checkpoint_date) == (len(window), window[-1])
    if point == "in_retry_countdown":
        errors = final.diagnostics.get("errors", [])
        assert [e["status"] for e in errors] == [429] and errors[0]["date"] == window[3].isoformat()
    if point == "in_retry_countdown" and action == "kill":
        # The redelivered runner was superseded mid-chunk by its retry copy, which took the run over
        # with a lease of its own (so the ledger names three runners), and each day was still
        # committed once (assert_exact checks the ledger).
        worker_log = "".join(p.read_text(errors="replace") for p in worker.directory.glob("worker-*.log"))
        assert worker_log.count("succeeded in") and "'duplicate'" in worker_log, worker.log_tail()
        leases = list(dict.fromkeys(lease for _, lease in oracle.ledger(log.id)))
        assert len(leases) == 3, oracle.ledger(log.id)
    clean_simulator.clear_faults()
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)
    assert len(oracle.ledger(log.id)) == len(window)
    worker_locks = redis.Redis.from_url(redis_server.db_url(get_settings().redis_locks_db))
    assert worker_locks.get(sync.IntegrationLock(integration.id).key) is None  # released at the end
