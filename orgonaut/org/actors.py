"""Actors: people, robots and agents, their e-mail addresses (how usage finds them) and FTE."""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlmodel import Session, col, select

from orgonaut.emails import looks_like_email, normalise_email
from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import events
from orgonaut.org.models import Actor, ActorIdentity, ActorKind, ActorStatus, IdentityKind, identity_scope_key
from orgonaut.org.scenarios import ensure_writable
from orgonaut.org.validation import clean_name, parse_enum

MIN_FTE = Decimal("0.01")
MAX_FTE = Decimal("3.00")


def parse_fte(value: Decimal | float | int | str) -> Decimal:
    """FTE as a Decimal with two places, 0.01 to 3.00."""
    if isinstance(value, bool):
        raise ValidationFailed("FTE must be a number between 0.01 and 3.00.")
    try:
        fte = Decimal(str(value).strip()).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(f"FTE must be a number between 0.01 and 3.00, not '{value}'.") from None
    if not fte.is_finite() or not MIN_FTE <= fte <= MAX_FTE:
        raise ValidationFailed(f"FTE must be between 0.01 and 3.00, not {value}.")
    return fte


def get_actor(*, session: Session, tenant_id: int, actor_id: int) -> Actor | None:
    actor = session.get(Actor, actor_id)
    return actor if actor is not None and actor.tenant_id == tenant_id else None


def get_actor_or_raise(*, session: Session, tenant_id: int, actor_id: int) -> Actor:
    actor = get_actor(session=session, tenant_id=tenant_id, actor_id=actor_id)
    if actor is None:
        raise NotFound(f"Person {actor_id} was not found.")
    return actor


def get_actor_in_scope_or_raise(*, session: Session, tenant_id: int, scenario_id: int | None, actor_id: int) -> Actor:
    """The actor, when it is in the tenant and the scope; NotFound otherwise, worded like an unknown id."""
    actor = get_actor(session=session, tenant_id=tenant_id, actor_id=actor_id)
    if actor is None or actor.scenario_id != scenario_id:
        raise NotFound(f"Person {actor_id} was not found.")
    return actor


def get_actor_by_email(*, session: Session, tenant_id: int, scenario_id: int | None, email: str) -> Actor | None:
    address = normalise_email(email)
    if not address:
        return None
    return session.exec(
        select(Actor).where(Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id, Actor.email == address)
    ).first()


def get_actor_by_external_uid(
    *, session: Session, tenant_id: int, scenario_id: int | None, external_uid: str
) -> Actor | None:
    return session.exec(
        select(Actor).where(
            Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id, Actor.external_uid == external_uid
        )
    ).first()


def _clean_email(
    *, session: Session, tenant_id: int, scenario_id: int | None, email: str | None, kind: ActorKind,
    actor_id: int | None,
) -> str:
    address = normalise_email(email)
    if not address:
        if kind == ActorKind.human:
            raise ValidationFailed("A person needs an e-mail address; only robots and agents may have none.")
        return ""
    if len(address) > 320 or not looks_like_email(address):
        raise ValidationFailed(f"'{(email or '').strip()}' is not a valid e-mail address.")
    holder = get_actor_by_email(session=session, tenant_id=tenant_id, scenario_id=scenario_id, email=address)
    if holder is not None and holder.id != actor_id:
        raise Conflict(f"The e-mail {address} is already used by {holder.name} in this scope.")
    # A value belongs to one person: another person's "also known as" address is theirs too.
    known_as = session.exec(
        select(Actor.name).join(ActorIdentity, col(ActorIdentity.actor_id) == col(Actor.id)).where(
            ActorIdentity.tenant_id == tenant_id, ActorIdentity.scope_key == identity_scope_key(scenario_id),
            ActorIdentity.kind == IdentityKind.email, ActorIdentity.value == address, Actor.id != actor_id,
        )
    ).first()
    if known_as is not None:
        raise Conflict(f"The e-mail {address} is already used by {known_as} in this scope (as another address).")
    return address


def create_actor(
    *, session: Session, tenant_id: int, scenario_id: int | None, name: str, email: str | None = "",
    kind: ActorKind | str = ActorKind.human, fte: Decimal | float | int | str = Decimal("1.00"),
    status: ActorStatus | str = ActorStatus.active, external_uid: str | None = None,
) -> Actor:
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    kind = parse_enum(ActorKind, kind, "actor kind")
    name = clean_name(name, kind.value)
    address = _clean_email(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, email=email, kind=kind, actor_id=None
    )
    uid = (external_uid or "").strip() or uuid.uuid4().hex
    if len(uid) > 64:
        raise ValidationFailed("An external id has at most 64 characters.")
    if get_actor_by_external_uid(session=session, tenant_id=tenant_id, scenario_id=scenario_id, external_uid=uid):
        raise Conflict(f"An actor with external id '{uid}' already exists in this scope.")
    actor = Actor(
        tenant_id=tenant_id, scenario_id=scenario_id, kind=kind, name=name, email=address, fte=parse_fte(fte),
        status=parse_enum(ActorStatus, status, "actor status"), external_uid=uid,
    )
    session.add(actor)
    session.flush()
    events.emit(
        session,
        events.ActorCreated(tenant_id=tenant_id, scenario_id=scenario_id, actor_id=actor.id, email=address),
    )
    return actor


def update_actor(
    *, session: Session, tenant_id: int, actor_id: int, name: str | None = None, email: str | None = None,
    kind: ActorKind | str | None = None, fte: Decimal | float | int | str | None = None,
    status: ActorStatus | str | None = None,
) -> Actor:
    """Changes the given fields (None leaves a field as it is; email "" clears a robot's or agent's)."""
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id)
    new_kind = ActorKind(actor.kind) if kind is None else parse_enum(ActorKind, kind, "actor kind")
    new_name = actor.name if name is None else clean_name(name, new_kind.value)
    new_email = _clean_email(
        session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id,
        email=actor.email if email is None else email, kind=new_kind, actor_id=actor.id,
    )
    new_fte = actor.fte if fte is None else parse_fte(fte)
    new_status = actor.status if status is None else parse_enum(ActorStatus, status, "actor status")
    old_email = actor.email
    actor.kind, actor.name, actor.email, actor.fte, actor.status = new_kind, new_name, new_email, new_fte, new_status
    session.add(actor)
    session.flush()
    if new_email != old_email:
        events.emit(
            session,
            events.ActorEmailChanged(
                tenant_id=tenant_id, scenario_id=actor.scenario_id, actor_id=actor.id, old_email=old_email,
                new_email=new_email,
            ),
        )
    return actor
