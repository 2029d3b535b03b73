"""Matching usage records to actors by normalised e-mail, one scope (Live or a scenario) at a time.

A record belongs to the actor of its scope whose primary e-mail, or one of whose e-mail identities
("also known as", `org.identities`), equals the record's `source_email`. API-key records
(`api-key:<name>`) never match. The org model gives a value to one person; should two actors of one
scope still share one (an import may), a primary e-mail beats an identity, then the active actor with
the lowest id wins, so the choice is stable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, func, select, update

from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.ai_tooling.providers.base import API_KEY_PREFIX
from orgonaut.emails import normalise_email
from orgonaut.integrations.models import Integration
from orgonaut.org.models import Actor, ActorIdentity, ActorStatus, IdentityKind, identity_scope_key


def actor_email_map(
    *, session: Session, tenant_id: int, scenario_id: int | None, emails: Iterable[str] | None = None
) -> dict[str, int]:
    """e-mail -> actor id for the actors of one scope (optionally only these e-mails): primary e-mails
    and e-mail identities."""
    primaries = select(Actor.email, Actor.id, Actor.status).where(
        Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id, Actor.email != ""
    )
    aliases = select(ActorIdentity.value, Actor.id, Actor.status).join(
        Actor, col(Actor.id) == col(ActorIdentity.actor_id)
    ).where(
        ActorIdentity.tenant_id == tenant_id, ActorIdentity.scope_key == identity_scope_key(scenario_id),
        ActorIdentity.kind == IdentityKind.email,
    )
    if emails is not None:
        wanted = sorted({normalise_email(e) for e in emails if normalise_email(e)})
        if not wanted:
            return {}
        primaries = primaries.where(col(Actor.email).in_(wanted))
        aliases = aliases.where(col(ActorIdentity.value).in_(wanted))
    owners: dict[str, tuple[bool, bool, int]] = {}
    for is_alias, statement in ((False, primaries), (True, aliases)):
        for email, actor_id, status in session.exec(statement):
            key = normalise_email(email)
            rank = (is_alias, status != ActorStatus.active, actor_id)
            if key not in owners or rank < owners[key]:
                owners[key] = rank
    return {email: rank[2] for email, rank in owners.items()}


def owner_of(email: str, owners: dict[str, int]) -> int | None:
    if email.startswith(API_KEY_PREFIX):
        return None
    return owners.get(email)


@dataclasses.dataclass
class RematchResult:
    linked: int = 0  # records that now point at an actor they did not point at before
    unlinked: int = 0  # records that pointed at an actor and now are unmatched
    actor_ids: set[int] = dataclasses.field(default_factory=set)  # old and new owners of changed records
    start: dt.date | None = None  # the dates of the changed records
    end: dt.date | None = None

    @property
    def changed(self) -> bool:
        return bool(self.linked or self.unlinked)

    def _cover(self, first: dt.date, last: dt.date) -> None:
        self.start = first if self.start is None else min(self.start, first)
        self.end = last if self.end is None else max(self.end, last)


def rematch(
    *, session: Session, tenant_id: int, scenario_id: int | None, emails: Iterable[str] | None = None
) -> RematchResult:
    """Brings `actor_id` of the scope's records in line with the scope's actors (flushed, not committed).

    Links records whose e-mail now belongs to an actor, re-links records whose e-mail moved to another
    actor and unlinks records whose e-mail no longer belongs to anyone. Without `emails`, the whole
    scope is checked: one grouped read, then one UPDATE per e-mail that changed.
    """
    wanted = None if emails is None else sorted({normalise_email(e) for e in emails if normalise_email(e)})
    result = RematchResult()
    if wanted is not None and not wanted:
        return result
    owners = actor_email_map(session=session, tenant_id=tenant_id, scenario_id=scenario_id, emails=wanted)
    record = AiToolUsageRecord
    in_scope = (col(record.tenant_id) == tenant_id, col(record.scope_key) == scope_key(scenario_id))
    statement = select(  # type: ignore[call-overload]  # sqlmodel.select is typed for up to four columns
        record.source_email, record.actor_id, func.min(record.usage_date), func.max(record.usage_date),
        func.count(),
    ).where(*in_scope)
    provider_filter: tuple = ()
    if wanted is not None:
        # Naming the providers lets the natural-key index (tenant, provider, scope, e-mail, date) serve
        # a lookup by e-mail instead of a scan of the whole scope.
        providers = list(
            session.exec(select(Integration.provider).where(Integration.tenant_id == tenant_id).distinct())
        )
        provider_filter = (col(record.provider).in_(providers),)
        statement = statement.where(*provider_filter, col(record.source_email).in_(wanted))
    groups = list(session.exec(statement.group_by(record.source_email, record.actor_id)))
    for email, current, first, last, count in groups:
        target = owner_of(email, owners)
        if target == current:
            continue
        same_owner = col(record.actor_id).is_(None) if current is None else col(record.actor_id) == current
        session.execute(
            update(record)
            .where(*in_scope, col(record.source_email) == email, same_owner, *provider_filter)
            .values(actor_id=target)
        )
        if target is None:
            result.unlinked += count
        else:
            result.linked += count
        result.actor_ids.update(a for a in (current, target) if a is not None)
        result._cover(first, last)
    session.flush()
    return result
