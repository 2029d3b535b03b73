"""Storing a day: new rows go in whole, stored ones are updated in place, exact to the cent's fraction.

On PostgreSQL a day with no stored rows is COPY'd straight in and any other day is merged through a
staging table; both paths (and the fall-back when the straight COPY meets a stored row) must upsert.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import select

from orgonaut.ai_tooling import ingest
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.base import DailyUsage
from orgonaut.integrations.models import Integration
from tests.integration.ai_tooling.conftest import add_actor

DAY = dt.date(2025, 3, 3)


def _integration(session, tenant) -> Integration:
    integration = Integration(tenant_id=tenant.id, category="ai_tooling", provider="claude_code",
                              api_base="http://127.0.0.1:9")
    session.add(integration)
    session.commit()
    return integration


def _usage(email: str, sessions: int, cost: str) -> DailyUsage:
    return DailyUsage(source_email=email, usage_date=DAY, sessions_count=sessions, total_cost_cents=Decimal(cost),
                      tool_actions={"edit_tool": {"accepted": sessions, "rejected": 0}},
                      model_breakdown=[{"model": "m", "estimated_cost": {"currency": "USD", "amount": cost}}])


def _store(session, integration, matchers, usages) -> None:
    ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY, usages=usages)
    session.commit()


def _stored(session) -> dict[str, tuple[int, Decimal, int | None, dict]]:
    return {r.source_email: (r.sessions_count, r.total_cost_cents, r.actor_id, r.tool_actions)
            for r in session.exec(select(AiToolUsageRecord))}


def test_a_stored_day_is_replaced_by_the_complete_day_fetched_again(session, tenant):
    integration = _integration(session, tenant)
    ada = add_actor(session, tenant.id, "ada@x.test")
    ben = add_actor(session, tenant.id, "ben@x.test")
    matchers = ingest.load_matchers(session=session, tenant_id=tenant.id, scopes=[ingest.LIVE])

    first = ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY,
                             usages=[_usage("ada@x.test", 2, "1.234567"), _usage("ben@x.test", 1, "7")])
    session.commit()
    assert first.deleted == 0
    assert _stored(session) == {
        "ada@x.test": (2, Decimal("1.234567"), ada.id, {"edit_tool": {"accepted": 2, "rejected": 0}}),
        "ben@x.test": (1, Decimal(7), ben.id, {"edit_tool": {"accepted": 1, "rejected": 0}}),
    }

    # The vendor revised the day: ada's values changed, ben's usage is gone, cy's is new.
    second = ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY,
                              usages=[_usage("ada@x.test", 5, "0.000001"), _usage("cy@x.test", 3, "2.5")])
    session.commit()
    assert _stored(session) == {
        "ada@x.test": (5, Decimal("0.000001"), ada.id, {"edit_tool": {"accepted": 5, "rejected": 0}}),
        "cy@x.test": (3, Decimal("2.5"), None, {"edit_tool": {"accepted": 3, "rejected": 0}}),
    }
    assert second.deleted == 1
    # ben's rollups must drop his usage too: his actor is among those whose rollups the day changed.
    assert second.actor_ids == {None: {ada.id, ben.id}}


def test_replacing_a_day_leaves_other_days_providers_and_scopes_alone(session, tenant):
    integration = _integration(session, tenant)
    matchers = ingest.load_matchers(session=session, tenant_id=tenant.id, scopes=[ingest.LIVE])
    other_day = DAY + dt.timedelta(days=1)
    ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY,
                     usages=[_usage("ada@x.test", 2, "1")])
    ingest.store_day(session=session, integration=integration, matchers=matchers, day=other_day,
                     usages=[DailyUsage(source_email="ada@x.test", usage_date=other_day, sessions_count=9)])
    session.commit()
    result = ingest.store_day(session=session, integration=integration, matchers=matchers, day=DAY, usages=[])
    session.commit()
    assert result.deleted == 1
    assert [(r.usage_date, r.sessions_count) for r in session.exec(select(AiToolUsageRecord))] == [(other_day, 9)]


def test_a_row_stored_after_the_chunk_looked_is_merged_not_refused(session, tenant):
    integration = _integration(session, tenant)
    matchers = ingest.load_matchers(session=session, tenant_id=tenant.id, scopes=[ingest.LIVE])
    assert ingest.stored_days(session=session, tenant_id=tenant.id, provider="claude_code", scopes=[ingest.LIVE],
                              days=[DAY]) == set()
    _store(session, integration, matchers, [_usage("ada@x.test", 2, "1")])  # stored after the look
    assert ingest.stored_days(session=session, tenant_id=tenant.id, provider="claude_code", scopes=[ingest.LIVE],
                              days=[DAY, DAY + dt.timedelta(days=1)]) == {DAY}

    # The caller still believes the day is new (on PostgreSQL: a straight COPY that meets the row).
    rows, _ = ingest.build_rows(integration=integration, matchers=matchers, day=DAY,
                                usages=[_usage("ada@x.test", 4, "3.5"), _usage("ben@x.test", 1, "2")])
    ingest.store_rows(session=session, rows=rows, fresh=True)
    session.commit()

    assert _stored(session) == {
        "ada@x.test": (4, Decimal("3.5"), None, {"edit_tool": {"accepted": 4, "rejected": 0}}),
        "ben@x.test": (1, Decimal(2), None, {"edit_tool": {"accepted": 1, "rejected": 0}}),
    }


AWKWARD_EMAILS = ["back\\slash@x.test", "tab\there@x.test", "new\nline@x.test", "cr\rhere@x.test", "\\N@x.test"]


def _awkward(email: str, sessions: int) -> DailyUsage:
    return DailyUsage(
        source_email=email, usage_date=DAY, sessions_count=sessions, total_cost_cents=Decimal("1E+2"),
        tool_actions={"edit\\tool \"q\" ü": {"accepted": sessions, "rejected": 0}},
        model_breakdown=[{"model": "m\\1\t\"x\"", "estimated_cost": {"currency": "USD", "amount": "100"}}],
    )


def test_values_the_copy_text_must_escape_survive_both_store_paths(session, tenant):
    integration = _integration(session, tenant)
    matchers = ingest.load_matchers(session=session, tenant_id=tenant.id, scopes=[ingest.LIVE])
    for sessions in (1, 2):  # a new day (straight COPY on PostgreSQL), then the same day again (merge)
        _store(session, integration, matchers, [_awkward(email, sessions) for email in AWKWARD_EMAILS])
        session.expire_all()
        rows = {r.source_email: r for r in session.exec(select(AiToolUsageRecord))}
        assert sorted(rows) == sorted(AWKWARD_EMAILS)
        for row in rows.values():
            assert row.sessions_count == sessions
            assert row.total_cost_cents == Decimal(100)
            assert row.actor_id is None and row.scenario_id is None
            assert row.tool_actions == {"edit\\tool \"q\" ü": {"accepted": sessions, "rejected": 0}}
            assert row.model_breakdown[0]["model"] == "m\\1\t\"x\""
