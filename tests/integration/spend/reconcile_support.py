"""Pieces the reconciliation tests share: our stored records summed straight from the table (not through
the reconciliation), and the REST route's answer for a connection and month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import select

from orgonaut.ai_tooling.models import LIVE_SCOPE_KEY, AiToolUsageRecord


def stored(session, integration, start: dt.date, end: dt.date) -> list[AiToolUsageRecord]:
    """The connection's Live records of those days, as stored."""
    session.expire_all()
    return list(session.exec(select(AiToolUsageRecord).where(
        AiToolUsageRecord.integration_id == integration.id, AiToolUsageRecord.scope_key == LIVE_SCOPE_KEY,
        AiToolUsageRecord.usage_date >= start, AiToolUsageRecord.usage_date <= end)))


def stored_cents(records: list[AiToolUsageRecord], *, matched: bool | None = None, prefix: str = "") -> Decimal:
    """The records' cost summed exactly: all, or only those matched (or not) to an actor, or of a source prefix."""
    return sum((r.total_cost_cents for r in records
                if (matched is None or (r.actor_id is not None) == matched) and r.source_email.startswith(prefix)),
               Decimal(0))


def api_reconciliation(session, admin, integration_id: int, month: str) -> tuple[int, dict[str, Any]]:
    """(status, body) of `GET /api/v1/ai-tooling/reconciliation` for an admin's new token."""
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_app
    from tests.integration.api.conftest import bearer, new_token

    secret = new_token(session, admin)
    session.commit()
    answer = TestClient(create_app()).get(
        f"/api/v1/ai-tooling/reconciliation?integration_id={integration_id}&month={month}", headers=bearer(secret))
    return answer.status_code, answer.json()
