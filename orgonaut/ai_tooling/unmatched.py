"""Unmatched e-mails: the usage of one scope that no actor's e-mail matched, grouped by address."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlmodel import Session, col, func, select

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers.base import not_a_person
from orgonaut.errors import NotFound
from orgonaut.org.models import Scenario


@dataclasses.dataclass(frozen=True)
class UnmatchedEmail:
    source_email: str  # a lower-case e-mail, `api-key:<key name>` or `service-account:<name>`
    provider: str
    not_a_person: str  # "API key" or "Service account" (usage that can never match a person), else ""
    record_count: int
    last_seen: dt.date
    total_cost_cents: Decimal


def list_unmatched(
    *, session: Session, tenant_id: int, scenario_id: int | None = None, provider: str | None = None,
    limit: int = 200,
) -> list[UnmatchedEmail]:
    """Distinct unmatched e-mails (and API keys, service accounts) of one scope, most recently seen first."""
    if scenario_id is not None:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None or scenario.tenant_id != tenant_id:
            raise NotFound(f"Scenario {scenario_id} was not found.")
    record = AiToolUsageRecord
    last_seen = func.max(record.usage_date)
    statement = (
        select(  # type: ignore[call-overload]  # sqlmodel.select is typed for up to four columns
            record.source_email, record.provider, func.count(), last_seen, func.sum(record.total_cost_cents)
        )
        .where(record.tenant_id == tenant_id, record.scope_key == scope_key(scenario_id),
               col(record.actor_id).is_(None))
        .group_by(record.source_email, record.provider)
        .order_by(last_seen.desc(), record.source_email)
        .limit(max(1, min(limit, 1000)))
    )
    if provider is not None:
        statement = statement.where(record.provider == provider)
    return [
        UnmatchedEmail(
            source_email=email, provider=provider_key, not_a_person=(not_a_person(email) or ("", ""))[0],
            record_count=count, last_seen=seen, total_cost_cents=Decimal(str(cost or 0)),
        )
        for email, provider_key, count, seen, cost in session.exec(statement)
    ]
