"""A runner that takes a run over while the previous runner commits a day starts after that day.

Found by the failover suite (`in_retry_countdown-kill`, CI of stop 25): a redelivered task read the
run's log, then waited for the lease while the other runner committed day k, then worked from the
checkpoint it had read before day k, so day k was committed twice (by two leases). Here the first
runner is held (fault point `hold`) with day 1 written and fenced, the second starts and reads the
log meanwhile, and only then is the first let go: the second must go on with day 2.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from orgonaut import faultpoints
from orgonaut.ai_tooling import service, sync
from orgonaut.db import get_engine
from orgonaut.settings import reset_settings_cache
from tests.integration.ai_tooling.conftest import WEEK, connect
from tests.integration.ai_tooling.test_jobs import reload, wait_for
from tests.support import oracle

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def hold_before_first_commit(monkeypatch, tmp_path):
    monkeypatch.setenv("ORGONAUT_FAULTPOINTS", "after_copy_before_commit:1:hold")
    monkeypatch.setenv("ORGONAUT_FAULTPOINTS_DIR", str(tmp_path))
    reset_settings_cache()
    yield tmp_path
    (tmp_path / "after_copy_before_commit.go").touch()  # never leave a thread held
    monkeypatch.undo()
    reset_settings_cache()
    faultpoints._counts.clear()


def _waiting_for_a_lock() -> bool:
    """True once some PostgreSQL backend waits for a row lock (the second runner's lease)."""
    with get_engine().connect() as connection:
        return bool(connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar())


def test_a_takeover_during_a_commit_goes_on_after_the_committed_day(
    session, tenant, clean_simulator, hold_before_first_commit
):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[2], enqueue=False)
    session.commit()
    token = sync.IntegrationLock(integration.id).holder()
    outcomes: dict[str, sync.ChunkOutcome] = {}

    def runner(name: str) -> None:
        outcomes[name] = sync.run_chunk(log_id=log.id, token=token, max_days=1)

    first = threading.Thread(target=runner, args=("first",))
    first.start()
    wait_for(lambda: (hold_before_first_commit / "after_copy_before_commit.fired").exists(), timeout=30,
             what="the first runner holding day 1 uncommitted")
    # The same task handed out again (same token): it reads the log, then waits for the lease.
    second = threading.Thread(target=runner, args=("second",))
    second.start()
    if get_engine().dialect.name == "postgresql":
        wait_for(_waiting_for_a_lock, timeout=30, what="the second runner waiting for the lease")
    else:
        time.sleep(1.5)  # SQLite: the second runner's write waits on the database lock (busy timeout)
    (hold_before_first_commit / "after_copy_before_commit.go").touch()
    first.join(60)
    second.join(60)

    assert outcomes == {"first": sync.ChunkOutcome.more, "second": sync.ChunkOutcome.more}
    commits = oracle.ledger(log.id)
    assert [day for day, _ in commits] == WEEK[:2], commits
    assert len({lease for _, lease in commits}) == 2
    after = reload(log.id)
    assert (after.days_done, after.checkpoint_date) == (2, WEEK[1])
