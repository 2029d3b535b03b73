"""The per-integration run lock on real Redis: claim, renewal, loss, hand-over, waiting behind another run."""

from __future__ import annotations

import datetime as dt
import time

from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling import service, sync
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from tests.integration.ai_tooling.conftest import WEEK, connect


def test_claim_hand_over_and_release_compare_the_token(redis_client):
    lock = sync.IntegrationLock(424242)
    assert lock.claim("1:a") == "1:a" and lock.holder() == "1:a"
    assert lock.claim("1:a") == "1:a"  # ours again (a redelivered task keeps its id)
    assert lock.claim("2:b") == "1:a"  # someone else's: not taken
    assert not lock.release("2:b") and lock.holder() == "1:a"
    assert not lock.hand_over("2:b", "2:c")
    assert lock.hand_over("1:a", "1:next", 100)
    assert lock.holder() == "1:next" and 90 < redis_client.ttl(lock.key) <= 100
    assert lock.release("1:next") and lock.holder() is None
    assert lock.acquire("3:x") and not lock.acquire("4:y")
    lock.release("3:x")


def test_the_lock_is_renewed_while_held_and_expires_after(redis_client):
    lock = sync.IntegrationLock(434343, ttl=2)
    assert lock.acquire("1:a")
    with lock.kept_alive("1:a") as lost:
        time.sleep(3.5)  # longer than the TTL: only renewal keeps it
        assert lock.holder() == "1:a" and not lost.is_set()
    time.sleep(2.5)
    assert lock.holder() is None


def test_a_lost_lock_is_noticed(redis_client):
    lock = sync.IntegrationLock(454545, ttl=3)
    assert lock.acquire("1:a")
    with lock.kept_alive("1:a") as lost:
        redis_client.set(lock.key, "2:intruder")
        assert lost.wait(3)
    redis_client.delete(lock.key)


def test_a_chunk_waits_behind_another_run_and_drops_out_as_a_duplicate(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[1], enqueue=False)
    session.commit()
    lock = sync.IntegrationLock(integration.id)
    lock.release(lock.holder())
    lock.acquire("999999:other-run")
    assert sync.run_chunk(log_id=log.id, token=sync.task_token(log.id, "t1")) == sync.ChunkOutcome.busy
    lock.release("999999:other-run")
    lock.acquire(sync.task_token(log.id, "t1"))
    assert sync.run_chunk(log_id=log.id, token=sync.task_token(log.id, "t2")) == sync.ChunkOutcome.duplicate
    assert session.get(IntegrationSyncLog, log.id).status == SyncStatus.queued  # nothing happened to it
    assert clean_simulator.requests() == []

    # Someone else holding the integration for too long ends the wait with a clear failure.
    lock.release(sync.task_token(log.id, "t1"))
    lock.acquire("999999:other-run")
    clock.advance(sync.MAX_WAIT_BEHIND + dt.timedelta(minutes=1))
    assert sync.run_chunk(log_id=log.id, token=sync.task_token(log.id, "t3")) == sync.ChunkOutcome.finished
    session.expire_all()
    failed = session.get(IntegrationSyncLog, log.id)
    assert (failed.status, failed.error_message) == (SyncStatus.failed, sync.ALREADY_RUNNING)
    assert session.get(Integration, integration.id).status == IntegrationStatus.active  # not a health problem
    lock.release("999999:other-run")


def test_a_finished_run_ignores_a_redelivered_task(session, tenant, clean_simulator):
    integration = connect(session, tenant, clean_simulator.base_url)
    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=WEEK[0], end=WEEK[0], enqueue=False)
    session.commit()
    assert sync.run_foreground(log_id=log.id).status == SyncStatus.succeeded
    requests = len(clean_simulator.requests())
    assert sync.run_chunk(log_id=log.id, token=sync.task_token(log.id, "late")) == sync.ChunkOutcome.finished
    assert len(clean_simulator.requests()) == requests
    session.expire_all()
    assert session.exec(select(IntegrationSyncLog)).one().days_done == 1
