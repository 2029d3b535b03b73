"""Unmatched e-mails: the usage of one scope that no actor's e-mail matched, grouped by address.

A vendor-id source (a GitHub user, say) is listed by the names its vendor gave it ("@octocat (GitHub user
id 583231)"); linking it to a person gives the person that id as an identity (`link_source`), so a renamed
login keeps them.

An address someone marked "not an employee" is ignored (`ignore` / `unignore`, the undo): the list
leaves it out in every scope of the tenant and `list_ignored` shows it apart. Ignoring changes no
record: its usage stays unmatched (in no unit), and a person who gets the address later still takes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from orgonaut.ai_tooling import aliases
from orgonaut.ai_tooling.matching import normalise_source
from orgonaut.ai_tooling.models import AiToolUsageRecord, IgnoredUsageSource, UsageSourceAlias, scope_key
from orgonaut.ai_tooling.providers.base import MACHINE_SOURCES, not_a_person, vendor_id_of
from orgonaut.db import micro_cents
from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import queries as org_queries
from orgonaut.org import service as org
from orgonaut.org.models import Actor, ActorKind, IdentityKind, OrgUnitKind, Scenario
from orgonaut.paging import Page, PageRequest, Sort, fetch, matches_search, search_term


@dataclasses.dataclass(frozen=True)
class UnmatchedEmail:
    source_email: str  # a lower-case e-mail, `api-key:<key name>`, `service-account:<name>` or a vendor id
    provider: str
    not_a_person: str  # "API key" or "Service account" (usage that can never match a person), else ""
    record_count: int
    last_seen: dt.date
    total_cost_cents: Decimal
    label: str = ""  # how the list names it: the e-mail, the key's name, "@octocat (GitHub user id 583231)"
    suggested_email: str = ""  # for a vendor id, an e-mail its vendor gave it (SAML): "Add person" offers it


# The list's sortable columns (`unmatched_page`); ties go by source, then provider.
UNMATCHED_SORTS = ("email", "provider", "records", "last_seen", "cost")
UNMATCHED_DEFAULT_SORT = Sort("last_seen", descending=True)


def _grouped(
    session: Session, tenant_id: int, scenario_id: int | None, provider: str | None, ignored: bool, search: str,
) -> tuple[Any, dict[str, Any]]:
    """SQL: the scope's unmatched usage grouped by (source, provider), the ignored sources left out (or only
    those), matching `search` in the source or a name its vendor gave it; and each sort key's expression."""
    if scenario_id is not None:
        scenario = session.get(Scenario, scenario_id)
        if scenario is None or scenario.tenant_id != tenant_id:
            raise NotFound(f"Scenario {scenario_id} was not found.")
    record = AiToolUsageRecord
    # Cost in whole millionths of a cent: exact sums on both databases, and an order that cannot drift.
    count, last_seen, cost = func.count(), func.max(record.usage_date), func.sum(micro_cents(record.total_cost_cents))
    statement = (
        select(  # type: ignore[call-overload]  # sqlmodel.select is typed for up to four columns
            record.source_email, record.provider, count, last_seen, cost
        )
        .where(record.tenant_id == tenant_id, record.scope_key == scope_key(scenario_id),
               col(record.actor_id).is_(None))
        .group_by(record.source_email, record.provider)
    )
    if provider is not None:
        statement = statement.where(record.provider == provider)
    ignored_sources = select(IgnoredUsageSource.source_email).where(IgnoredUsageSource.tenant_id == tenant_id)
    source = col(record.source_email)
    statement = statement.where(source.in_(ignored_sources) if ignored else source.not_in(ignored_sources))
    if search:
        # A vendor id is listed by its login or name ("@octocat"): those match too, without the "@".
        named = select(UsageSourceAlias.source).where(
            UsageSourceAlias.tenant_id == tenant_id, matches_search(search.removeprefix("@"), UsageSourceAlias.value))
        statement = statement.where(or_(matches_search(search, record.source_email), source.in_(named)))
    sorts = {"email": source, "provider": col(record.provider), "records": count, "last_seen": last_seen,
             "cost": cost}
    return statement, sorts


def _ordered(statement: Any, sorts: dict[str, Any], sort: Sort) -> Any:
    column = sorts.get(sort.key, sorts[UNMATCHED_DEFAULT_SORT.key])
    return statement.order_by(column.desc() if sort.descending else column.asc(), sorts["email"], sorts["provider"])


def _entries(session: Session, tenant_id: int, rows: list[Any]) -> list[UnmatchedEmail]:
    names = aliases.names_of(session=session, tenant_id=tenant_id, sources=[row[0] for row in rows])
    listed = []
    for source, provider_key, count, seen, cost in rows:
        kind, name = not_a_person(source) or ("", source)
        named = names.get(source)
        listed.append(UnmatchedEmail(
            source_email=source, provider=provider_key, not_a_person=kind, record_count=count, last_seen=seen,
            total_cost_cents=Decimal(int(cost or 0)) / 1_000_000, label=named.label if named else name,
            suggested_email=named.email if named else "",
        ))
    return listed


def list_unmatched(
    *, session: Session, tenant_id: int, scenario_id: int | None = None, provider: str | None = None,
    limit: int = 200, ignored: bool = False,
) -> list[UnmatchedEmail]:
    """Distinct unmatched e-mails (and API keys, service accounts) of one scope, most recently seen first;
    the ignored ones left out (`ignored=True`: only those)."""
    statement, sorts = _grouped(session, tenant_id, scenario_id, provider, ignored, "")
    rows = list(session.execute(_ordered(statement, sorts, UNMATCHED_DEFAULT_SORT).limit(max(1, min(limit, 1000)))))
    return _entries(session, tenant_id, rows)


def unmatched_page(
    *, session: Session, tenant_id: int, scenario_id: int | None = None, request: PageRequest, search: str = "",
    sort: Sort = UNMATCHED_DEFAULT_SORT, provider: str | None = None, ignored: bool = False,
) -> Page[UnmatchedEmail]:
    """One page of the list `list_unmatched` gives, searched (case-insensitive, in the source and the names
    its vendor gave it) and sorted by one of `UNMATCHED_SORTS` (another key: the default), with the count
    of every (source, provider) that matches."""
    statement, sorts = _grouped(session, tenant_id, scenario_id, provider, ignored, search_term(search))
    page = fetch(session, _ordered(statement, sorts, sort), request)
    return Page(items=_entries(session, tenant_id, page.items), total=page.total, page=page.page, size=page.size)


def identity_of_source(source: str) -> tuple[IdentityKind, str]:
    """The identity an actor takes to own this source's usage: the e-mail, the vendor's id for them, or an API
    key's or service account's name (held by a robot or an agent only)."""
    source = normalise_source(source)
    for prefix, kind in MACHINE_SOURCES.items():
        if source.startswith(prefix):
            return IdentityKind(kind), source.removeprefix(prefix)
    vendor_id = vendor_id_of(source)
    if vendor_id is not None:
        return IdentityKind(vendor_id[0]), vendor_id[1]
    return IdentityKind.email, source


def link_source(*, session: Session, tenant_id: int, actor_id: int, source: str) -> org.LinkResult:
    """"Use for an existing person": the person is also known by this source's e-mail or vendor id, in
    every writable scope that has them (`org.link_everywhere`); the org event re-matches its usage."""
    kind, value = identity_of_source(source)
    return org.link_everywhere(session=session, tenant_id=tenant_id, actor_id=actor_id, kind=kind, value=value)


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
    source = normalise_source(source_email)
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
    source = normalise_source(source_email)
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
        AiToolUsageRecord.source_email == normalise_source(source_email),
    )).one()


def add_person(
    *, session: Session, tenant_id: int, scenario_id: int | None, source_email: str, name: str,
    kind: ActorKind | str = ActorKind.human, fte: str = "1.00", team_id: int | None, email: str | None = None,
) -> Actor:
    """"Add person" on the Unmatched list: a person with this e-mail, placed (primary, 100 %) in the chosen
    team from the address's first day of usage in this scope, so the cost already stored lands in that
    team's rollups (a placement from today would leave it in no team). A team is required when the scope
    has one. For a vendor-id source (a GitHub user) the person's e-mail is `email` and they are given the
    vendor's id as an identity. The org events of the new actor, identity and placement re-match the usage
    and owe the refreshes after the commit."""
    identity_kind, identity_value = identity_of_source(source_email)
    if identity_kind is not IdentityKind.email and not (email or "").strip():
        raise ValidationFailed("Enter the person's e-mail.")
    team = None
    if team_id:
        team = org.get_org_unit_in_scope_or_raise(session=session, tenant_id=tenant_id, scenario_id=scenario_id,
                                                  org_unit_id=team_id, kind=OrgUnitKind.team)
    elif org.list_org_units(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=OrgUnitKind.team):
        raise ValidationFailed("Choose the team this person works in, so their cost counts in its numbers.")
    actor = org.create_actor(session=session, tenant_id=tenant_id, scenario_id=scenario_id, name=name,
                             email=identity_value if identity_kind is IdentityKind.email else str(email), kind=kind,
                             fte=fte)
    if identity_kind is not IdentityKind.email:
        org.add_identity(session=session, tenant_id=tenant_id, actor_id=actor.id, kind=identity_kind,
                         value=identity_value)
    if team is None:  # a scope without teams: the person is added unplaced
        return actor
    start = first_usage_day(session=session, tenant_id=tenant_id, scenario_id=scenario_id, source_email=source_email)
    org.create_placement(
        session=session, tenant_id=tenant_id, actor_id=actor.id, org_unit_id=team.id, is_primary=True,
        start_date=start or org_queries.tenant_today(session=session, tenant_id=tenant_id),
    )
    return actor
