"""Cursor end to end: a 60-day backfill from the Cursor simulator over HTTP on a real worker, stored
exactly as the vendor's truth (cost to the fraction of a cent, per person and UTC day), matched to the
org, with rollups equal to a rebuild; and Claude Code and Cursor side by side for one person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import diagnostics, service
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.base import SERVICE_ACCOUNT_PREFIX
from orgonaut.integrations.models import SyncStatus
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import queries
from orgonaut.rollups.models import Breadth
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.integration.ai_tooling.test_jobs import wait_finished, wait_for
from tests.integration.rollups import builders as b
from tests.support import oracle
from tests.support.cursor_simulator import VALID_CURSOR_KEY, cursor_reported
from tests.support.simulator import VALID_KEY

START, END = dt.date(2025, 1, 9), dt.date(2025, 3, 9)  # 60 days: two 30-day calls


def test_a_60_day_cursor_backfill_on_the_worker_stores_the_vendors_truth_exactly(
    session, tenant, clean_cursor_simulator, celery_worker_process,
):
    team = b.unit(session, tenant, "Platform", kind=OrgUnitKind.team)
    people = [b.actor(session, tenant, email.split("@")[0], email=email) for email in DEFAULT_ROSTER[:12]]
    for who in people:
        b.place(session, who, team, START)
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="cursor",
                                  credentials={"api_key": VALID_CURSOR_KEY},
                                  api_base=clean_cursor_simulator.base_url, baseline=True)
    session.commit()
    assert integration.organization_name == clean_cursor_simulator.team()["name"]

    log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                 start=START, end=END, user_id=None)
    session.commit()
    final = wait_finished(log.id, timeout=240)
    assert final.status == SyncStatus.succeeded, final.error_message
    assert (final.days_done, final.days_total, final.checkpoint_date) == (60, 60, END)

    stored: dict[tuple[str, dt.date], AiToolUsageRecord] = {
        (r.source_email, r.usage_date): r
        for r in session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant.id))
    }
    expected = {(who, day): values for n in range(60) for day in [START + dt.timedelta(days=n)]
                for who, values in cursor_reported(clean_cursor_simulator.truth(day)).items()}
    assert set(stored) == set(expected)
    for key, values in expected.items():
        record = stored[key]
        assert {name: getattr(record, name) for name in values} == values, key
        assert record.sessions_count is None and record.commits_count is None
    assert any(v["total_cost_cents"] != int(v["total_cost_cents"]) for v in expected.values())  # fractions
    assert any(who.startswith(SERVICE_ACCOUNT_PREFIX) and stored[(who, day)].actor_id is None
               for who, day in expected)
    mine = {who.email for who in people}
    assert all((record.actor_id is not None) == (email in mine) for (email, _), record in stored.items())
    assert final.records_fetched == final.records_upserted == len(stored)
    assert diagnostics.read(final).first_day_with_data == START.isoformat()
    total = sum((values["total_cost_cents"] for values in expected.values()), Decimal(0))
    assert sum((r.total_cost_cents for r in stored.values()), Decimal(0)) == total

    # The rollups follow: the team's cost is its members' stored cost, and equal to a rebuild.
    wait_for(lambda: oracle.owed_refreshes(tenant.id) == 0, what="owed refreshes worked off")
    assert oracle.rollup_rows(tenant.id) == oracle.rebuilt_rollup_rows(tenant.id)
    summary = queries.unit_summary(session=session, org_unit=team, breadth=Breadth.direct)
    members_cost = sum((r.total_cost_cents for r in stored.values() if r.actor_id is not None), Decimal(0))
    assert summary.cost_cents == members_cost
    assert summary.sessions is None  # Cursor reports no sessions: not reported, not 0
    assert summary.lines_added == sum(r.lines_added for r in stored.values() if r.actor_id is not None)


def test_a_person_using_claude_code_and_cursor_sees_both_and_their_sum(
    session, tenant, clean_cursor_simulator, clean_simulator, celery_worker_process,
):
    days = (dt.date(2025, 3, 3), dt.date(2025, 3, 9))
    email = DEFAULT_ROSTER[0]
    person = b.actor(session, tenant, "Both Tools", email=email)
    session.commit()
    runs = []
    for provider, key, base_url in (("cursor", VALID_CURSOR_KEY, clean_cursor_simulator.base_url),
                                    ("claude_code", VALID_KEY, clean_simulator.base_url)):
        integration = service.connect(session=session, tenant_id=tenant.id, provider=provider,
                                      credentials={"api_key": key}, api_base=base_url, baseline=True)
        session.commit()
        runs.append(service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                           start=days[0], end=days[1], user_id=None))
        session.commit()
        assert wait_finished(runs[-1].id, timeout=180).status == SyncStatus.succeeded

    records = session.exec(select(AiToolUsageRecord).where(AiToolUsageRecord.actor_id == person.id)).all()
    by_provider = {provider: sum((r.total_cost_cents for r in records if r.provider == provider), Decimal(0))
                   for provider in ("claude_code", "cursor")}
    assert all(by_provider.values())  # the demo roster's first person uses both
    summary = queries.person_summary(session=session, actor=person)
    assert summary.providers == ("claude_code", "cursor") and summary.active_providers == 2
    # Sessions and commits come from Claude Code alone (Cursor does not report them), never doubled.
    assert summary.sessions == sum(r.sessions_count for r in records if r.provider == "claude_code")
    series = queries.person_series(session=session, actor=person, start=days[0], end=days[1])
    assert sum((p.cost_cents for p in series), Decimal(0)) == sum(by_provider.values())
    for provider, cost in by_provider.items():
        assert sum((dict(p.cost_by_provider).get(provider, Decimal(0)) for p in series), Decimal(0)) == cost
