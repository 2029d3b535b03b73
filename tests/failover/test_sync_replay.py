"""F7: replay from every checkpoint of a 10-day run (review 2026-12-03).

A crash "after commit k" is modelled without patching anything: the run's first runner works off
exactly k days (`run_chunk(max_days=k)`: each day commits with its checkpoint, as in any chunk) and
is then abandoned, its lock left to expire (released here, as the TTL would). A new runner on a
fresh token, as a new worker would be, resumes the run to its end. The `refresh-lost` variant is a
crash before any of the first runner's rollup refreshes was sent: the scope's send key is set
beforehand, so every send is a no-op, as if each job had been lost in transit; only the durable
intents (and the reaper, run by `assert_exact` as beat would) can repair the rollups.

Each case ends with the oracle, and checks that no day up to the checkpoint was fetched again.
"""

from __future__ import annotations

import pytest

from orgonaut.ai_tooling import changes, sync
from orgonaut.integrations.models import SyncStatus
from tests.failover.test_sync_faults import assert_exact, backfill, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import reload
from tests.support import oracle

DAYS = 10
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def truth(simulator):
    """The vendor's totals of the window, read once: no case revises or grows a day."""
    return oracle.vendor_totals(simulator.base_url, days(DAYS))


def _fetched_days(requests: list[dict]) -> set[str]:
    return {entry["query"]["starting_at"][:10] for entry in requests if "starting_at" in entry["query"]}


@pytest.mark.parametrize("refresh", ["sent", "lost"], ids=["refresh-sent", "refresh-lost"])
@pytest.mark.parametrize("k", range(DAYS + 1))
def test_replay_after_commit_k_is_exact_and_fetches_nothing_twice(
    session, placed, clean_simulator, celery_worker_process, redis_client, truth, k, refresh  # noqa: F811
):
    integration = connect(session, placed, clean_simulator.base_url)
    if refresh == "lost":
        redis_client.set(changes.sent_key(placed.id, None), "1", ex=300)  # a job "waiting" that never comes
    window = days(DAYS)
    log = backfill(session, integration, window[0], window[-1], enqueue=False)
    lock = sync.IntegrationLock(integration.id)
    first_token = lock.holder()

    outcome = sync.run_chunk(log_id=log.id, token=first_token, max_days=k)

    crashed = reload(log.id)
    assert crashed.days_done == k
    assert crashed.checkpoint_date == (window[k - 1] if k else None)
    assert outcome == (sync.ChunkOutcome.finished if k == DAYS else sync.ChunkOutcome.more)
    assert oracle.stored_totals(placed.id) == {key: value for key, value in truth.items() if key[1] in window[:k]}
    if refresh == "lost" and k:
        assert oracle.owed_refreshes(placed.id) > 0  # owed, and nobody was told
    # The first runner is gone; its lock expires (here: now), and a new worker resumes the run.
    lock.release(first_token)
    before = len(clean_simulator.requests())

    final = sync.run_foreground(log_id=log.id)

    resumed = _fetched_days(clean_simulator.requests()[before:])
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.checkpoint_date) == (DAYS, window[-1])
    assert resumed == {day.isoformat() for day in window[k:]}  # days <= k are not fetched again
    if refresh == "lost":
        assert oracle.rollup_rows(placed.id) != oracle.rebuilt_rollup_rows(placed.id)  # stale until reaped
    assert_exact(log.id, placed.id, clean_simulator.base_url, window, truth=truth)
