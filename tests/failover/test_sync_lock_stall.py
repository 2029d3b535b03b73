"""F9: a runner whose lock Redis stalls is fenced out by the lease once another runner took over.

Runner A is a real process, `orgonaut ai-tooling backfill` (the CLI's foreground run), whose
REDIS_URL is a private redis-server: its lock and the lock's renewals live there. Its fourth day's
request is held by the simulator for a while (`slow`, count 1); while it waits, the test freezes
A's Redis with SIGSTOP (a hung server: connections open, no answers), and runner B (this process,
whose locks are another Redis: to the database it is simply a new runner, as after A's lock had
expired) takes the run over and works it off to the end.

A's stderr has one line per day it committed (the CLI's progress when not on a terminal, printed
after each commit), so it is the ledger of A's commits. Asserted: A committed no day after B's
takeover (its day in flight is rolled back by the lease fence), A's process ends within a bound
while its Redis is still frozen (calls time out after 5 s; the renewal thread is joined with a
timeout), and the run is exact.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import Session, col, select

from orgonaut import kv
from orgonaut.ai_tooling import sync
from orgonaut.db import get_engine
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from tests.failover.test_sync_faults import USAGE, assert_exact, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_for
from tests.support.processes import ROOT

pytestmark = pytest.mark.timeout(120)
HELD_SECONDS = 8.0
LOCK_TTL = 6
# A's day in flight returns HELD_SECONDS after it was asked for; then at most two renewal timeouts
# (the join) and the process's exit.
EXIT_BOUND_SECONDS = HELD_SECONDS + 2 * kv.SOCKET_TIMEOUT_SECONDS + 5


def _log_of(integration_id: int) -> IntegrationSyncLog | None:
    with Session(get_engine()) as fresh:
        return fresh.exec(select(IntegrationSyncLog).where(IntegrationSyncLog.integration_id == integration_id)
                          .order_by(col(IntegrationSyncLog.id).desc())).first()


def _committed_days(stderr: str) -> list[int]:
    return [int(n) for n in re.findall(r"backfill: (\d+)/\d+ days", stderr)]


def test_a_stalled_lock_renewal_is_fenced_and_the_stale_runner_ends(
    session, placed, clean_simulator, celery_worker_process, redis_server, tmp_path  # noqa: F811
):
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(8)
    held = 3  # A's fourth day
    clean_simulator.set_faults([{"mode": "slow", "delay": HELD_SECONDS, "path": USAGE, "after": held, "count": 1}])
    stderr_path = tmp_path / "runner-a.stderr"
    env = {**os.environ, "REDIS_URL": redis_server.url, "ORGONAUT_SYNC_LOCK_TTL_SECONDS": str(LOCK_TTL)}
    with open(stderr_path, "wb") as stderr:
        runner_a = subprocess.Popen(
            [sys.executable, "-m", "orgonaut.cli", "ai-tooling", "backfill", "--integration", str(integration.id),
             "--start", window[0].isoformat(), "--end", window[-1].isoformat()],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr,
        )
    frozen = False
    try:
        wait_for(lambda: held in _committed_days(stderr_path.read_text()) or runner_a.poll() is not None,
                 timeout=60, what="runner A's first days committed")
        assert runner_a.poll() is None, stderr_path.read_text()
        wait_for(lambda: len(clean_simulator.requests()) > held, timeout=10, what="A asking for its held day")
        os.kill(redis_server.pid, signal.SIGSTOP)  # A's lock Redis hangs: renewals block, then time out
        frozen = True
        log = _log_of(integration.id)
        assert log is not None and log.status == SyncStatus.running and log.days_done == held

        outcome = sync.run_chunk(log_id=log.id, token=sync.task_token(log.id, "runner-b"), max_days=len(window))
        took_over = time.monotonic()

        assert outcome == sync.ChunkOutcome.finished
        after_b = reload(log.id)
        assert (after_b.status, after_b.days_done) == (SyncStatus.succeeded, len(window))
        try:
            stdout, _ = runner_a.communicate(timeout=EXIT_BOUND_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"runner A still running {EXIT_BOUND_SECONDS}s after the takeover, its Redis frozen:\n"
                        f"{stderr_path.read_text()[-3000:]}")
        ended_in = time.monotonic() - took_over
        assert frozen and redis_server.pid is not None  # A ended while its Redis was still hung
    finally:
        if frozen:
            os.kill(redis_server.pid, signal.SIGCONT)
        if runner_a.poll() is None:
            runner_a.kill()
            runner_a.wait(10)

    a_commits = _committed_days(stderr_path.read_text())
    assert a_commits == list(range(1, held + 1)), stderr_path.read_text()[-3000:]  # nothing after the takeover
    assert ended_in < EXIT_BOUND_SECONDS
    assert runner_a.returncode == 0 and b"succeeded" in stdout  # it reports B's finished run
    final = reload(log.id)
    assert (final.status, final.days_done, final.checkpoint_date) == (SyncStatus.succeeded, len(window), window[-1])
    assert final.lease == after_b.lease  # A wrote nothing, not even its end
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)
