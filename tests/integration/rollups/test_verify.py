"""The nightly check: recent rollups equal a recompute from the records, or they are repaired (and logged)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, update

from orgonaut import clock
from orgonaut.ai_tooling import changes
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import queue
from orgonaut.rollups import service as rollups
from orgonaut.rollups.models import AiUsageRollup, AiUsageTenantActiveUsers, AiUsageTenantModelCost
from tests.factories import make_tenant
from tests.integration.rollups import builders as b
from tests.support import oracle

NOW = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)


def small_org(session):
    tenant = make_tenant(session)
    company = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    web = b.unit(session, tenant, "Web", company)
    alice = b.actor(session, tenant, "Alice")
    b.place(session, alice, web, dt.date(2024, 1, 1))
    for days_ago, cost in ((1, "12.5"), (3, "7"), (30, "100")):
        b.usage(session, tenant, alice, NOW.date() - dt.timedelta(days=days_ago), cost=cost, sessions=2)
    rollups.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    return tenant, web


def test_rollups_that_agree_with_their_records_are_left_alone(session):
    tenant, _ = small_org(session)
    before = oracle.rollup_rows(tenant.id)
    with clock.frozen_at(NOW):
        assert queue.verify_recent() == []
    assert oracle.rollup_rows(tenant.id) == before


def test_a_recent_rollup_that_drifted_is_repaired_and_reported(session, caplog):
    tenant, web = small_org(session)
    session.execute(update(AiUsageRollup).where(AiUsageRollup.org_unit_id == web.id,
                                                AiUsageRollup.usage_date == NOW.date() - dt.timedelta(days=1))
                    .values(cost_cents=Decimal("1")))
    session.commit()
    assert oracle.rollup_rows(tenant.id) != oracle.rebuilt_rollup_rows(tenant.id)
    with clock.frozen_at(NOW):
        [repair] = queue.verify_recent()
    assert (repair.tenant_id, repair.scenario_id, repair.rows_changed) == (tenant.id, None, 4)  # direct + subtree
    assert oracle.rollup_rows(tenant.id) == oracle.rebuilt_rollup_rows(tenant.id)
    assert "differed from their records" in caplog.text


def test_a_scope_that_owes_a_refresh_is_left_to_it(session, redis_client):
    tenant, web = small_org(session)
    redis_client.set(changes.sent_key(tenant.id, None), "1", ex=60)  # its job is waiting
    changes.owe_refresh(session, tenant_id=tenant.id, scenario_id=None, start=NOW.date(), end=NOW.date(),
                        org_unit_ids=[web.id])
    session.execute(update(AiUsageRollup).where(AiUsageRollup.org_unit_id == web.id).values(cost_cents=Decimal(1)))
    session.commit()
    with clock.frozen_at(NOW):
        assert queue.verify_recent() == []


def test_drifted_model_costs_and_active_users_are_repaired_too(session):
    """The overview's model mix and active users are compared as well: a lost row and a wrong count come back."""
    tenant, _ = small_org(session)
    day = NOW.date() - dt.timedelta(days=1)
    week = day - dt.timedelta(days=day.weekday())
    session.execute(delete(AiUsageTenantModelCost).where(AiUsageTenantModelCost.tenant_id == tenant.id,
                                                         AiUsageTenantModelCost.usage_date == day))
    session.execute(update(AiUsageTenantActiveUsers).where(
        AiUsageTenantActiveUsers.tenant_id == tenant.id, AiUsageTenantActiveUsers.grain == "week",
        AiUsageTenantActiveUsers.period_start == week).values(users=7))
    session.commit()
    assert oracle.rollup_rows(tenant.id) != oracle.rebuilt_rollup_rows(tenant.id)
    with clock.frozen_at(NOW):
        [repair] = queue.verify_recent()
    # The day's model row back; the week's two counts (Claude Code, every provider) corrected.
    assert repair.rows_changed == 1 + 2 * 2
    assert oracle.rollup_rows(tenant.id) == oracle.rebuilt_rollup_rows(tenant.id)
