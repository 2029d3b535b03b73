"""Queued rollup refreshes on real Redis and a real Celery worker."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut.ai_tooling import refresh
from orgonaut.db import get_engine, upsert
from orgonaut.errors import ValidationFailed
from orgonaut.org import service as org_service
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups.models import AiUsageRollup, AiUsageRollupScope
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

DAY = dt.date(2025, 1, 10)


@pytest.fixture
def org(session):
    tenant = make_tenant(session)
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    web = b.unit(session, tenant, "Web", company)
    alice, carol = b.actor(session, tenant, "Alice"), b.actor(session, tenant, "Carol")
    b.place(session, alice, web, dt.date(2024, 1, 1))
    b.usage(session, tenant, alice, DAY, cost="12.5", sessions=3)
    b.usage(session, tenant, carol, DAY, cost="99", sessions=1)
    session.commit()
    return dict(tenant=tenant, company=company, web=web, alice=alice, carol=carol)


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout}s: {condition.__doc__ or condition}")


def stored(unit_id, breadth):
    """The unit's stored (cost, sessions) on DAY."""
    with Session(get_engine()) as fresh:
        row = fresh.exec(select(AiUsageRollup).where(
            AiUsageRollup.org_unit_id == unit_id, AiUsageRollup.breadth == breadth,
            AiUsageRollup.usage_date == DAY)).first()
        return None if row is None else (Decimal(row.cost_cents), row.sessions)


def test_a_queued_refresh_is_computed_by_the_worker(org, celery_worker_process):
    tenant, web, company = org["tenant"], org["web"], org["company"]
    assert refresh.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                                        actor_ids=[org["alice"].id]) is True
    assert wait_for(lambda: stored(company.id, "subtree")) == (Decimal("12.5"), 3)
    assert stored(web.id, "direct") == (Decimal("12.5"), 3)
    wait_for(lambda: not refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None))


def test_identical_requests_are_queued_once_while_waiting(session, org, celery_worker_process, redis_client):
    tenant, alice = org["tenant"], org["alice"]
    request = dict(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY, actor_ids=[alice.id])
    # Hold the scope's refresh lock so the first job, once the worker takes it, waits before it
    # clears its de-duplication key: the scope stays "queued".
    holder = Session(get_engine())
    upsert(holder, AiUsageRollupScope, [{"tenant_id": tenant.id, "scope_key": 0, "scenario_id": None,
                                          "refreshed_at": dt.datetime.now(dt.UTC)}],
           conflict_columns=["tenant_id", "scope_key"], update_columns=["refreshed_at"])
    try:
        assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False
        assert refresh.queue_rollup_refresh(**request) is True
        assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is True
        assert refresh.queue_rollup_refresh(**request) is False
        # Same units named differently (the team instead of its member) is the same job.
        assert refresh.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                                            org_unit_ids=[org["web"].id]) is False
        # Another date range is another job.
        assert refresh.queue_rollup_refresh(**{**request, "start": DAY - dt.timedelta(days=1)}) is True
        queued = redis_client.keys("orgonaut:rollups:queued:*")
        assert len(queued) == 2
        assert redis_client.zcard(f"orgonaut:rollups:pending:{tenant.id}:0") == 2
        assert stored(org["web"].id, "direct") is None
    finally:
        holder.rollback()
        holder.close()
    assert wait_for(lambda: stored(org["web"].id, "direct")) == (Decimal("12.5"), 3)
    wait_for(lambda: not refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None))
    assert redis_client.keys("orgonaut:rollups:queued:*") == []
    # Nothing waits any more, so the next request queues a new job.
    assert refresh.queue_rollup_refresh(**request) is True
    wait_for(lambda: not refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None))


def test_nothing_is_queued_when_no_unit_is_affected(org, redis_client):
    tenant = org["tenant"]
    assert refresh.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                                        actor_ids=[org["carol"].id]) is False
    assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False
    with pytest.raises(ValidationFailed, match="before it starts"):
        refresh.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY - dt.timedelta(1),
                                     org_unit_ids=[org["web"].id])
    assert redis_client.keys("orgonaut:rollups:*") == []


def test_a_placement_change_refreshes_the_units_it_touches(session, org, celery_worker_process):
    tenant, carol, web, company = org["tenant"], org["carol"], org["web"], org["company"]
    org_service.create_placement(session=session, tenant_id=tenant.id, actor_id=carol.id, org_unit_id=web.id,
                                 start_date=DAY)
    session.commit()  # the PlacementChanged event queues the refresh after this commit
    assert wait_for(lambda: stored(company.id, "subtree") == (Decimal("111.5"), 4))
    assert stored(web.id, "direct") == (Decimal("111.5"), 4)


def test_moving_a_unit_refreshes_its_old_and_new_ancestors(session, org, celery_worker_process):
    tenant, web = org["tenant"], org["web"]
    from orgonaut.rollups import service

    ops = b.unit(session, tenant, "Ops", org["company"], kind=OrgUnitKind.department)
    service.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    assert stored(ops.id, "subtree") is None
    org_service.move_org_unit(session=session, tenant_id=tenant.id, org_unit_id=web.id, parent_id=ops.id)
    session.commit()
    assert wait_for(lambda: stored(ops.id, "subtree")) == (Decimal("12.5"), 3)
    assert stored(org["company"].id, "subtree") == (Decimal("12.5"), 3)


def test_a_job_that_fails_for_good_does_not_stay_pending(org, redis_client):
    tenant = org["tenant"]
    pending = f"orgonaut:rollups:pending:{tenant.id}:0"
    redis_client.zadd(pending, {"job-1": time.time() + 600})
    redis_client.set("orgonaut:rollups:queued:test", "job-1")
    job = {"tenant_id": tenant.id, "scenario_id": None, "org_unit_ids": [org["web"].id], "start": "2025-01-10",
           "end": "2025-01-01", "queued_key": "orgonaut:rollups:queued:test", "job_id": "job-1"}
    assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is True
    with pytest.raises(ValidationFailed):
        refresh.run_refresh_job(job=job, final_attempt=False)
    assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False
    job = {**job, "start": "2025-01-10", "end": "2025-01-10", "job_id": "job-2"}
    redis_client.zadd(pending, {"job-2": time.time() + 600})
    result = refresh.run_refresh_job(job=job)
    assert (result.member_rows, result.unit_rows) == (1, 3)
    assert refresh.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False
    assert redis_client.get("orgonaut:rollups:queued:test") is None
