"""The failover suite's oracle: what is stored must equal the vendor's truth, and the rollups a rebuild.

- `stored_totals` / `vendor_totals`: (e-mail, day) -> every summed metric, from our table and from the
  simulator's raw rows (read over HTTP with small pages, summed here, independently of our client).
- `rollup_rows` / `rebuilt_rollup_rows`: the stored rollup tables (unit, member, whole tenant), and what
  a full rebuild from the records would store (computed in a transaction that is rolled back, so nothing changes).
- `assert_settled`: no log left queued or running, no owed refresh left, counters equal stored rows,
  and the runner ledger shows one committing runner per day (`assert_one_runner_per_day`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord, RollupRefreshIntent, SyncDayCommit
from orgonaut.ai_tooling.windows import days_between
from orgonaut.db import get_engine
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from orgonaut.rollups import service as rollups
from orgonaut.rollups.models import (
    AiUsageMemberRollup,
    AiUsageRollup,
    AiUsageTenantActiveUsers,
    AiUsageTenantActor,
    AiUsageTenantActorMonth,
    AiUsageTenantModelCost,
    AiUsageTenantRollup,
)

METRICS = ("sessions_count", "lines_added", "lines_removed", "commits_count", "pull_requests_count",
           "total_input_tokens", "total_output_tokens", "total_cache_read_tokens", "total_cache_creation_tokens",
           "total_cost_cents")


def stored_totals(tenant_id: int) -> dict[tuple[str, dt.date], dict[str, Any]]:
    with Session(get_engine()) as session:
        rows = session.execute(select(AiToolUsageRecord).where(AiToolUsageRecord.tenant_id == tenant_id,
                                                               AiToolUsageRecord.scope_key == 0)).scalars()
        return {(r.source_email, r.usage_date): {m: _exact(getattr(r, m)) for m in METRICS} for r in rows}


def _exact(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)  # None: a metric the provider does not report


def vendor_totals(base_url: str, days: list[dt.date], limit: int = 7) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """`limit`: the page size the oracle reads with (7 exercises paging; a large roster takes more)."""
    from tests.integration.ai_tooling.conftest import expected_totals

    return {(email, day): {m: Decimal(total[m]) for m in METRICS}
            for day in days for email, total in expected_totals(base_url, day, limit=limit).items()}


def cursor_vendor_totals(server: Any, days: list[dt.date]) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """The Cursor simulator's truth for `days`, as `stored_totals` should read (`cursor_reported`)."""
    from tests.support.cursor_simulator import cursor_reported

    return {(who, day): {m: _exact(values[m]) for m in METRICS}
            for day in days for who, values in cursor_reported(server.truth(day)).items()}


def _rows(session: Session, model: Any, tenant_id: int) -> list[tuple]:
    table = model.__table__
    columns = [c for c in table.c if c.name != "computed_at"]
    rows = session.execute(select(*columns).where(table.c.tenant_id == tenant_id)).all()
    return sorted(tuple(Decimal(v) if isinstance(v, Decimal) else v for v in row) for row in rows)


# The unit, member and whole-tenant rollup tables: all must equal a rebuild.
ROLLUP_MODELS = (AiUsageRollup, AiUsageMemberRollup, AiUsageTenantRollup, AiUsageTenantActorMonth,
                 AiUsageTenantActor, AiUsageTenantModelCost, AiUsageTenantActiveUsers)


def rollup_rows(tenant_id: int) -> tuple[list[tuple], ...]:
    with Session(get_engine()) as session:
        return tuple(_rows(session, model, tenant_id) for model in ROLLUP_MODELS)


def rebuilt_rollup_rows(tenant_id: int) -> tuple[list[tuple], ...]:
    with Session(get_engine()) as session:
        try:
            rollups.rebuild(session=session, tenant_id=tenant_id)
            session.flush()
            return tuple(_rows(session, model, tenant_id) for model in ROLLUP_MODELS)
        finally:
            session.rollback()


def owed_refreshes(tenant_id: int) -> int:
    with Session(get_engine()) as session:
        return len(session.execute(select(RollupRefreshIntent.id).where(
            RollupRefreshIntent.tenant_id == tenant_id)).all())


def assert_settled(log_id: int, tenant_id: int) -> IntegrationSyncLog:
    """The run succeeded with counters equal to the stored rows, and nothing is left owed."""
    with Session(get_engine()) as session:
        log = session.get(IntegrationSyncLog, log_id)
        assert log is not None
        unfinished = session.execute(select(IntegrationSyncLog.id).where(
            IntegrationSyncLog.tenant_id == tenant_id,
            IntegrationSyncLog.status.in_([SyncStatus.queued, SyncStatus.running]))).all()  # type: ignore[attr-defined]
    assert log.status == SyncStatus.succeeded, log.error_message
    assert unfinished == []
    stored = len(stored_totals(tenant_id))
    assert log.records_fetched == log.records_upserted == stored
    assert log.records_matched + log.records_unmatched == log.records_fetched
    assert owed_refreshes(tenant_id) == 0
    assert_one_runner_per_day(log)
    return log


def ledger(log_id: int) -> list[tuple[dt.date, str]]:
    """The run's day commits from the runner ledger: (day, lease of the runner that committed it)."""
    with Session(get_engine()) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(SyncDayCommit.usage_date, SyncDayCommit.lease).where(SyncDayCommit.log_id == log_id)
            .order_by(SyncDayCommit.id))]


def assert_one_runner_per_day(log: IntegrationSyncLog) -> None:
    """Every day up to the checkpoint was committed exactly once (so by one runner), none after it."""
    commits = ledger(log.id)
    committed = [day for day, _ in commits]
    twice = {day for day, times in Counter(committed).items() if times > 1}
    assert not twice, f"days committed more than once: {[c for c in commits if c[0] in twice]}"
    done = days_between(log.window_start, log.checkpoint_date) if log.checkpoint_date else []
    assert sorted(committed) == done
    assert len(commits) == log.days_done
