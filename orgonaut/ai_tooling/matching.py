"""Matching usage records to actors by their source, one scope (Live or a scenario) at a time.

A record's source is an e-mail, an API key (`api-key:<name>`, never a person) or a vendor id
(`github:583231`, `providers.base.VENDOR_ID_SOURCES`). It belongs to the actor of its scope who holds it:
- an e-mail: the actor's primary e-mail, else one of their e-mail identities ("also known as");
- a vendor id: the actor's identity of that kind (a GitHub user id, say);
- failing that, a vendor id goes through the other names the vendor gave it (`UsageSourceAlias`: its
  GitHub logins, an e-mail from SAML), each matched as above (a login through GitHub login identities).
The org model gives a value to one person; should two actors of one scope still share one (an import
may), the earlier rule above beats the later, then the active actor with the lowest id wins, so the
choice is stable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select, update

from orgonaut.ai_tooling.models import AiToolUsageRecord, UsageSourceAlias, scope_key
from orgonaut.ai_tooling.providers.base import MACHINE_SOURCES, VENDOR_ID_SOURCES, not_a_person, vendor_id_of
from orgonaut.emails import normalise_email
from orgonaut.integrations.models import Integration
from orgonaut.org.models import Actor, ActorIdentity, ActorStatus, IdentityKind, identity_scope_key

# Sources named by an id or a name after a prefix, matched through an identity of the prefix's kind.
_ID_SOURCES = {**VENDOR_ID_SOURCES, **MACHINE_SOURCES}
_PREFIX_OF_KIND = {kind: prefix for prefix, kind in _ID_SOURCES.items()}
_EMAIL, _EMAIL_ALIAS, _VENDOR_ID = range(3)  # how a value is held, best first


def normalise_source(source: str | None) -> str:
    """A source as records store it: e-mails lower case; a vendor id, an API key or a service account kept
    as the vendor wrote it."""
    raw = (source or "").strip()
    return raw if vendor_id_of(raw) or not_a_person(raw) else normalise_email(raw)


def sources_for_identity(*, session: Session, tenant_id: int, kind: str, value: str) -> list[str]:
    """The record sources an identity (kind, value) can own: the value itself for an e-mail, the
    vendor-id source for a vendor id, and every vendor-id source the vendor also called by it."""
    direct = value if kind == IdentityKind.email.value else (
        f"{_PREFIX_OF_KIND[kind]}{value}" if kind in _PREFIX_OF_KIND else None)
    via_alias = session.exec(select(UsageSourceAlias.source).where(
        UsageSourceAlias.tenant_id == tenant_id, UsageSourceAlias.kind == kind, UsageSourceAlias.value == value,
    ).distinct())
    return sorted({*([direct] if direct else []), *via_alias})


def actor_email_map(
    *, session: Session, tenant_id: int, scenario_id: int | None, emails: Iterable[str] | None = None
) -> dict[str, int]:
    """source -> actor id for the actors of one scope (optionally only these sources), by the rules in
    the module's docstring."""
    wanted = None if emails is None else sorted({normalise_source(e) for e in emails if normalise_source(e)})
    if wanted is not None and not wanted:
        return {}
    scope = identity_scope_key(scenario_id)
    identities = select(ActorIdentity.kind, ActorIdentity.value, Actor.id, Actor.status).join(
        Actor, col(Actor.id) == col(ActorIdentity.actor_id)
    ).where(ActorIdentity.tenant_id == tenant_id, ActorIdentity.scope_key == scope)
    primaries = select(Actor.email, Actor.id, Actor.status).where(
        Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id, Actor.email != ""
    )
    aliases = select(UsageSourceAlias.source, UsageSourceAlias.kind, UsageSourceAlias.value).where(
        UsageSourceAlias.tenant_id == tenant_id, UsageSourceAlias.kind != "display_name"
    )
    if wanted is not None:
        alias_rows = list(session.exec(aliases.where(col(UsageSourceAlias.source).in_(wanted))))
        emails_wanted = sorted({*wanted, *(v for _, k, v in alias_rows if k == IdentityKind.email.value)})
        primaries = primaries.where(col(Actor.email).in_(emails_wanted))
        pairs = [(IdentityKind.email.value, e) for e in emails_wanted]
        pairs += [(kind, source.removeprefix(prefix)) for source in wanted
                  for prefix, kind in _ID_SOURCES.items() if source.startswith(prefix)]
        pairs += [(k, v) for _, k, v in alias_rows if k != IdentityKind.email.value]
        if not pairs:
            identities = identities.where(False)
        else:
            identities = identities.where(or_(*(
                and_(col(ActorIdentity.kind) == kind, col(ActorIdentity.value) == value) for kind, value in set(pairs)
            )))
    else:
        alias_rows = list(session.exec(aliases))
    holder: dict[tuple[str, str], tuple[int, bool, int]] = {}  # (kind, value) -> best (rule, inactive, id)

    def offer(key: tuple[str, str], rule: int, status: str, actor_id: int) -> None:
        rank = (rule, status != ActorStatus.active, actor_id)
        if key not in holder or rank < holder[key]:
            holder[key] = rank

    for email, actor_id, status in session.exec(primaries):
        offer((IdentityKind.email.value, normalise_email(email)), _EMAIL, status, actor_id)
    for kind, value, actor_id, status in session.exec(identities):
        offer((str(kind), value), _EMAIL_ALIAS if kind == IdentityKind.email else _VENDOR_ID, status, actor_id)
    owners: dict[str, int] = {}  # matched by the source itself
    for (kind, value), rank in holder.items():
        if kind == IdentityKind.email.value:
            owners[value] = rank[2]
        elif kind in _PREFIX_OF_KIND:
            owners[f"{_PREFIX_OF_KIND[kind]}{value}"] = rank[2]
    via_alias: dict[str, tuple[int, bool, int]] = {}  # a vendor id no person holds: through its other names
    for source, kind, value in alias_rows:
        held = holder.get((kind, value))
        if held is not None and source not in owners and (source not in via_alias or held < via_alias[source]):
            via_alias[source] = held
    owners.update({source: held[2] for source, held in via_alias.items()})
    if wanted is not None:
        return {source: owners[source] for source in wanted if source in owners}
    return owners


def owner_of(email: str, owners: dict[str, int]) -> int | None:
    """The actor owning this source (an API key or service account: only the robot or agent mapped to it)."""
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
    wanted = None if emails is None else sorted({normalise_source(e) for e in emails if normalise_source(e)})
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
