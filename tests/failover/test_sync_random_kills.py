"""F1: SIGKILL at random moments of a backfill on a supervised worker: nothing lost, nothing duplicated.

A seeded random plan picks the moments (a number of stored days, then up to half a second more, so
a kill lands anywhere: in a fetch, a COPY, a commit, a hand-over, a refresh job) and alternates the
victims: every pool child of the worker (its main process lives and the broker hands the running
task out again) or the worker's whole process group (its supervisor starts a new one, which
resumes the run once the dead runner's lock expired). A thread plays beat: `resume_interrupted`
every few seconds on the private broker.

`FAILOVER_DAYS` is the backfill's length (30 by default; `make failover` runs a year),
`FAILOVER_KILLS` the number of kills (4; 10 in `make failover`), `FAILOVER_SEED` the plan's seed,
`FAILOVER_PEOPLE` the simulated roster (the shared simulator's 40 by default; `make failover` runs
a simulator of its own with 1,000, whose truth the oracle reads in pages of 1,000).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time

import pytest

from orgonaut.integrations.models import SyncStatus
from orgonaut.simulator.app import SimulatorConfig
from orgonaut.simulator.data import DEFAULT_ROSTER, synthetic_roster
from tests.failover.test_sync_broker_faults import RESUME_TASK, start_on_private_broker
from tests.failover.test_sync_faults import KILL_TEST_DAYS, USAGE, assert_exact, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload, wait_finished, wait_for
from tests.support import oracle
from tests.support.simulator import SimulatorServer

KILLS = int(os.environ.get("FAILOVER_KILLS", "4"))
SEED = int(os.environ.get("FAILOVER_SEED", "20261207"))
PEOPLE = int(os.environ.get("FAILOVER_PEOPLE", str(len(DEFAULT_ROSTER))))
LOCK_TTL = 4
pytestmark = pytest.mark.timeout(240 + KILL_TEST_DAYS * (3 + PEOPLE // 200) + KILLS * 30)


@pytest.fixture
def roster_simulator(clean_simulator):
    """The shared simulator, or one of its own with a roster of FAILOVER_PEOPLE."""
    if len(DEFAULT_ROSTER) == PEOPLE:
        yield clean_simulator
        return
    with SimulatorServer(SimulatorConfig(roster=synthetic_roster(PEOPLE))) as server:
        yield server


def pool_children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(child) for child in out.stdout.split()]


class Beat(threading.Thread):
    """Sends `resume_interrupted` to the private broker every `every` seconds until stopped."""

    def __init__(self, client, every: float = 3.0):
        super().__init__(name="test-beat", daemon=True)
        self.client, self.every, self.stopped = client, every, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.client.send(RESUME_TASK)


def test_sigkill_at_random_moments_of_a_backfill_loses_and_duplicates_nothing(
    session, placed, roster_simulator, celery_worker_process, redis_server, worker_supervisor_factory,  # noqa: F811
    broker_client,
):
    simulator = roster_simulator
    plan = random.Random(SEED)
    window = days(KILL_TEST_DAYS)
    targets = sorted(plan.sample(range(1, len(window) - 1), min(KILLS, len(window) - 2)))
    victims = ["children" if n % 2 == 0 else "group" for n in range(len(targets))]
    worker = worker_supervisor_factory(redis_server, extra_env={"ORGONAUT_SYNC_LOCK_TTL_SECONDS": str(LOCK_TTL)})
    integration = connect(session, placed, simulator.base_url)
    simulator.set_fault(mode="slow", delay=0.05, path=USAGE)  # a day takes a little while
    log = start_on_private_broker(session, integration, window, broker_client)
    beat = Beat(broker_client, every=1.0)
    beat.start()
    kills = []
    try:
        for target, victim in zip(targets, victims, strict=True):
            wait_for(lambda t=target: reload(log.id).days_done >= t, timeout=90 + KILL_TEST_DAYS,
                     what=f"{target} days stored")
            time.sleep(plan.uniform(0.0, 0.5))
            at = reload(log.id).days_done
            if victim == "group":
                os.killpg(worker.pid, signal.SIGKILL)
                wait_for(lambda n=len([k for k in kills if k[1] == "group"]) + 1: worker.restarts == n,
                         timeout=30, what="the supervisor's restart")
            else:
                for child in pool_children(worker.pid):
                    os.kill(child, signal.SIGKILL)
            kills.append((at, victim))
        final = wait_finished(log.id, timeout=90 + KILL_TEST_DAYS * (2 + PEOPLE // 200))
    finally:
        beat.stopped.set()
        beat.join(10)

    assert final.status == SyncStatus.succeeded, (final.error_message, kills)
    assert (final.days_done, final.checkpoint_date) == (len(window), window[-1])
    assert [at for at, _ in kills] == sorted(at for at, _ in kills) and len(kills) == len(targets)
    assert worker.restarts == victims.count("group"), worker.log_tail()
    simulator.clear_faults()
    truth = oracle.vendor_totals(simulator.base_url, window, limit=7 if len(DEFAULT_ROSTER) >= PEOPLE else 1000)
    assert len({email for email, _ in truth}) > PEOPLE // 2  # the roster really was this large
    assert_exact(log.id, placed.id, simulator.base_url, window, truth=truth)
    # Every runner that committed a day is in the ledger, each day under exactly one of them.
    assert len(oracle.ledger(log.id)) == len(window)
