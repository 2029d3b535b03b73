"""Unmatched e-mails: the usage of one scope that no actor's e-mail matched, grouped by address.

An address someone marked "not an employee" is ignored (`ignore` / `unignore`, the undo): the list
leaves it out in every scope of the tenant and `list_ignored` shows it apart. Ignoring changes no
record: its usage stays unmatched (in no unit), and a person who gets the address later still takes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlmodel import Session, col, func, select

from orgonaut.ai_tooling.models import AiToolUsageRecord, IgnoredUsageSource, scope_key
from orgonaut.ai_tooling.providers.base import not_a_person
from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import queries as org_queries
from orgonaut.org import service as org
from orgonaut.org.models import Actor, ActorKind, OrgUnitKind, Scenario


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
    limit: int = 200, ignored: bool = False,
) -> list[UnmatchedEmail]:
    """Distinct unmatched e-mails (and API keys, service accounts) of one scope, most recently seen first;
    the ignored ones left out (`ignored=True`: only those)."""
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
    ignored_sources = select(IgnoredUsageSource.source_email).where(IgnoredUsageSource.tenant_id == tenant_id)
    source = col(record.source_email)
    statement = statement.where(source.in_(ignored_sources) if ignored else source.not_in(ignored_sources))
    return [
        UnmatchedEmail(
            source_email=email, provider=provider_key, not_a_person=(not_a_person(email) or ("", ""))[0],
            record_count=count, last_seen=seen, total_cost_cents=Decimal(str(cost or 0)),
        )
        for email, provider_key, count, seen, cost in session.exec(statement)
    ]


def list_ignored(
    *, session: Session, tenant_id: int, scenario_id: int | None = None, limit: int = 200
) -> list[UnmatchedEmail]:
    """The ignored addresses that still have unmatched usage in this scope, like `list_unmatched`."""
    return list_unmatched(session=session, tenant_id=tenant_id, scenario_id=scenario_id, limit=limit, ignored=True)


def _unmatched_somewhere(session: Session, tenant_id: int, source_email: str) -> bool:
    return session.exec(select(AiToolUsageRecord.id).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.source_email == source_email,
        col(AiToolUsageRecord.actor_id).is_(None),
    ).limit(1)).first() is not None


def ignore(*, session: Session, tenant_id: int, source_email: str, user_id: int | None = None) -> IgnoredUsageSource:
    """Marks an unmatched address as not an employee: it leaves the Unmatched list of every scope."""
    source = (source_email or "").strip().lower()
    if not source:
        raise ValidationFailed("Choose the unmatched e-mail to ignore.")
    if not _unmatched_somewhere(session, tenant_id, source):
        raise NotFound(f"{source} has no unmatched usage.")
    taken = session.exec(select(IgnoredUsageSource).where(IgnoredUsageSource.tenant_id == tenant_id,
                                                          IgnoredUsageSource.source_email == source)).first()
    if taken is not None:
        raise Conflict(f"{source} is already ignored.")
    row = IgnoredUsageSource(tenant_id=tenant_id, source_email=source, created_by_user_id=user_id)
    session.add(row)
    session.flush()
    return row


def unignore(*, session: Session, tenant_id: int, source_email: str) -> None:
    """The undo of `ignore`: the address is listed as unmatched again."""
    source = (source_email or "").strip().lower()
    row = session.exec(select(IgnoredUsageSource).where(IgnoredUsageSource.tenant_id == tenant_id,
                                                        IgnoredUsageSource.source_email == source)).first()
    if row is None:
        raise NotFound(f"{source or 'That e-mail'} is not ignored.")
    session.delete(row)
    session.flush()


def first_usage_day(*, session: Session, tenant_id: int, scenario_id: int | None, source_email: str) -> dt.date | None:
    """The first day this address has usage in the scope (matched or not)."""
    return session.exec(select(func.min(AiToolUsageRecord.usage_date)).where(
        AiToolUsageRecord.tenant_id == tenant_id, AiToolUsageRecord.scope_key == scope_key(scenario_id),
        AiToolUsageRecord.source_email == source_email.strip().lower(),
    )).one()


def add_person(
    *, session: Session, tenant_id: int, scenario_id: int | None, source_email: str, name: str,
    kind: ActorKind | str = ActorKind.human, fte: str = "1.00", team_id: int | None,
) -> Actor:
    """"Add person" on the Unmatched list: a person with this e-mail, placed (primary, 100 %) in the chosen
    team from the address's first day of usage in this scope, so the cost already stored lands in that
    team's rollups (a placement from today would leave it in no team). A team is required when the scope
    has one. The org events of the new actor
    and placement re-match the usage and owe the refreshes after the commit."""
    team = None
    if team_id:
        team = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                                                  org_unit_id=team_id, kind=OrgUnitKind.team)
    elif org.list_org_units(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=OrgUnitKind.team):
        raise ValidationFailed("Choose the team this person works in, so their cost counts in its numbers.")
    actor = org.create_actor(session=session, tenant_id=tenant_id, scenario_id=scenario_id, name=name,
                             email=source_email, kind=kind, fte=fte)
    if team is None:  # a scope without teams: the person is added unplaced
        return actor
    start = first_usage_day(session=session, tenant_id=tenant_id, scenario_id=scenario_id, source_email=actor.email)
    org.create_placement(
        session=session, tenant_id=tenant_id, actor_id=actor.id, org_unit_id=team.id, is_primary=True,
        start_date=start or org_queries.tenant_today(session=session, tenant_id=tenant_id),
    )
    return actor
