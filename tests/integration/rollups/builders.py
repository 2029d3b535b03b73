"""Org rows and usage records for rollup tests, written straight to the tables (each flushes)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlmodel import Session

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Placement
from orgonaut.tenancy.models import Tenant

_uid = itertools.count(1)


def unit(session: Session, tenant: Tenant, name: str, parent: OrgUnit | None = None, *,
         kind: OrgUnitKind = OrgUnitKind.team, scenario_id: int | None = None) -> OrgUnit:
    row = OrgUnit(tenant_id=tenant.id, scenario_id=scenario_id, kind=kind, name=name,
                  parent_id=parent.id if parent else None)
    session.add(row)
    session.flush()
    return row


def actor(session: Session, tenant: Tenant, name: str, *, email: str | None = None,
          scenario_id: int | None = None) -> Actor:
    row = Actor(tenant_id=tenant.id, scenario_id=scenario_id, name=name,
                email=email if email is not None else f"{name.lower().replace(' ', '.')}@example.test",
                external_uid=f"uid-{next(_uid)}")
    session.add(row)
    session.flush()
    return row


def place(session: Session, who: Actor, where: OrgUnit, start: dt.date, end: dt.date | None = None, *,
          allocation_pct: int = 100, is_primary: bool = False) -> Placement:
    row = Placement(tenant_id=who.tenant_id, scenario_id=who.scenario_id, actor_id=who.id, org_unit_id=where.id,
                    start_date=start, end_date=end, allocation_pct=allocation_pct, is_primary=is_primary)
    session.add(row)
    session.flush()
    return row


def usage(session: Session, tenant: Tenant, who: Actor | None, day: dt.date, *, cost: str | Decimal = "0",
          sessions: int = 0, commits: int = 0, pull_requests: int = 0, lines_added: int = 0,
          lines_removed: int = 0, tokens: int = 0, provider: str = "claude_code", email: str | None = None,
          scenario_id: int | None = None) -> AiToolUsageRecord:
    row = AiToolUsageRecord(
        tenant_id=tenant.id, provider=provider, scope_key=scope_key(scenario_id), scenario_id=scenario_id,
        source_email=email or (who.email if who is not None else "nobody@example.test"), usage_date=day,
        actor_id=who.id if who is not None else None, sessions_count=sessions, commits_count=commits,
        pull_requests_count=pull_requests, lines_added=lines_added, lines_removed=lines_removed,
        total_input_tokens=tokens, total_output_tokens=2 * tokens, total_cache_read_tokens=3 * tokens,
        total_cache_creation_tokens=4 * tokens, total_cost_cents=Decimal(cost),
    )
    session.add(row)
    session.flush()
    return row
