"""Owed rollup refreshes: durable intents, the job that works them off and the reaper, on real Redis,
a real Celery worker and the run's database."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut.ai_tooling import changes
from orgonaut.ai_tooling.models import RollupRefreshIntent
from orgonaut.db import get_engine
from orgonaut.errors import ValidationFailed
from orgonaut.org import service as org_service
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import queue
from orgonaut.rollups.models import AiUsageRollup
from tests.factories import make_tenant
from tests.integration.rollups import builders as b
from tests.support.refusals import database_refusing

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


def intents(tenant_id):
    with Session(get_engine()) as fresh:
        return fresh.exec(select(RollupRefreshIntent).where(RollupRefreshIntent.tenant_id == tenant_id)).all()


def test_an_owed_refresh_is_computed_by_the_worker_and_forgotten(org, celery_worker_process):
    tenant, web, company = org["tenant"], org["web"], org["company"]
    assert changes.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                                        actor_ids=[org["alice"].id]) is True
    assert wait_for(lambda: stored(company.id, "subtree")) == (Decimal("12.5"), 3)
    assert stored(web.id, "direct") == (Decimal("12.5"), 3)
    wait_for(lambda: not queue.refresh_pending(tenant_id=tenant.id, scenario_id=None))
    assert intents(tenant.id) == []


def test_owed_refreshes_of_a_scope_are_one_job_over_merged_days(session, org, redis_client):
    tenant, alice = org["tenant"], org["alice"]
    # A job for the scope is already waiting (its send key stands): these changes send no other.
    redis_client.set(changes.sent_key(tenant.id, None), "1", ex=60)
    for day in (DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=9)):
        changes.owe_refresh(session, tenant_id=tenant.id, scenario_id=None, start=day, end=day, actor_ids=[alice.id])
    assert queue.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False  # not committed yet
    session.commit()
    assert queue.refresh_pending(tenant_id=tenant.id, scenario_id=None) is True
    spans = queue.merge_spans(intents(tenant.id))
    assert [(s.start, s.end) for s in spans] == [(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)),
                                                  (DAY + dt.timedelta(days=9), DAY + dt.timedelta(days=9))]
    result = queue.run_owed(tenant_id=tenant.id, scenario_id=None)
    assert (result.intents, result.more) == (4, False)
    assert stored(org["web"].id, "direct") == (Decimal("12.5"), 3)
    assert stored(org["company"].id, "subtree") == (Decimal("12.5"), 3)
    assert intents(tenant.id) == []
    assert queue.refresh_pending(tenant_id=tenant.id, scenario_id=None) is False
    assert redis_client.get(changes.sent_key(tenant.id, None)) is None  # the next change sends again


def test_a_rolled_back_change_owes_nothing(session, org):
    tenant = org["tenant"]
    changes.owe_refresh(session, tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                        actor_ids=[org["alice"].id])
    session.rollback()
    assert intents(tenant.id) == []


def test_nothing_is_owed_when_no_actor_or_unit_is_named(org, redis_client):
    tenant = org["tenant"]
    assert changes.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY) is False
    with pytest.raises(ValidationFailed, match="before it starts"):
        changes.queue_rollup_refresh(tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY - dt.timedelta(1),
                                     org_unit_ids=[org["web"].id])
    assert intents(tenant.id) == []
    assert redis_client.keys("orgonaut:rollups:*") == []


def test_a_refresh_whose_job_was_lost_is_sent_again_by_the_reaper(session, org, celery_worker_process):
    """The change committed with its intent, but the job never arrived (a broker restart lost it)."""
    tenant = org["tenant"]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    session.execute(RollupRefreshIntent.__table__.insert().values(
        tenant_id=tenant.id, scope_key=0, scenario_id=None, start_date=DAY, end_date=DAY,
        actor_ids=[org["alice"].id], org_unit_ids=[], created_at=long_ago, queued_at=long_ago, attempts=0))
    session.commit()
    recent = changes.owe_refresh(session, tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                                 actor_ids=[org["carol"].id])
    assert recent is True
    assert queue.reap(session) == [(tenant.id, None)]  # only the old one is stale
    session.commit()
    assert wait_for(lambda: stored(org["company"].id, "subtree")) == (Decimal("12.5"), 3)
    wait_for(lambda: intents(tenant.id) == [])
    assert queue.reap(session) == []


def test_a_refresh_that_fails_keeps_its_intent_for_the_next_job(session, org, redis_client):
    tenant = org["tenant"]
    redis_client.set(changes.sent_key(tenant.id, None), "1", ex=60)  # no job sent: this test runs it
    changes.owe_refresh(session, tenant_id=tenant.id, scenario_id=None, start=DAY, end=DAY,
                        actor_ids=[org["alice"].id])
    session.commit()
    with database_refusing_rollups(session):
        with pytest.raises(Exception, match="No space left"):
            queue.run_owed(tenant_id=tenant.id, scenario_id=None)
        assert len(intents(tenant.id)) == 1
        assert stored(org["web"].id, "direct") is None
        redis_client.set(changes.sent_key(tenant.id, None), "1", ex=60)
    assert queue.run_owed(tenant_id=tenant.id, scenario_id=None).intents == 1
    assert stored(org["web"].id, "direct") == (Decimal("12.5"), 3)
    assert intents(tenant.id) == []


def database_refusing_rollups(session):
    """A real storage failure inside the refresh: the database refuses rollup rows."""
    return database_refusing(session, "ai_usage_rollups", "INSERT")


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
