"""Person identities: the other names a person goes by in tools' data, beside the primary e-mail.

A person (actor) can be known by several e-mails (work, personal, a former domain), a GitHub login
and its numeric user id, and a Cursor user id (`IdentityKind`). Identities are per tenant and per
scope like actors (Live is `scenario_id=None`; a scenario's copy of a person has copies of their
identities). The one rule: a value belongs to one person per tenant, scope and kind, and an e-mail
identity may not be another person's primary e-mail (nor the person's own: that is already theirs).

Adding, moving or removing an identity emits `ActorIdentityChanged`; its subscriber
(`ai_tooling.subscribers`) re-matches that value's usage and owes the rollup refresh, after the commit,
through the org event outbox like every org change. Services flush; the caller commits.

`link_everywhere` is the Unmatched list's "Use for an existing person": the address is added in the
scope on screen and in every other writable scope that has the same person (matched by the actor's
durable `external_uid`, which scenario copies keep).
"""

from __future__ import annotations

import dataclasses
import re

from sqlmodel import Session, col, select

from orgonaut.emails import looks_like_email, normalise_email
from orgonaut.errors import Conflict, DomainError, NotFound, ValidationFailed
from orgonaut.org import events
from orgonaut.org.actors import get_actor_by_email, get_actor_or_raise
from orgonaut.org.models import (
    Actor,
    ActorIdentity,
    ActorKind,
    IdentityKind,
    Scenario,
    ScenarioKind,
    ScenarioStatus,
    identity_scope_key,
)
from orgonaut.org.scenarios import ensure_writable
from orgonaut.org.validation import parse_enum

LABELS: dict[IdentityKind, str] = {
    IdentityKind.email: "e-mail",
    IdentityKind.github_login: "GitHub login",
    IdentityKind.github_user_id: "GitHub user id",
    IdentityKind.cursor_user_id: "Cursor user id",
    IdentityKind.codex_user_id: "Codex user id",
    IdentityKind.claude_user_id: "Claude user id",
    IdentityKind.api_key: "API key",
    IdentityKind.service_account: "service account",
}
# Names of machines, not people: only a robot or an agent holds them.
MACHINE_KINDS = frozenset({IdentityKind.api_key, IdentityKind.service_account})
MAX_VALUE = 320
# GitHub logins: letters, digits and hyphens; managed users add `_<shortcode>`. Compared lower case.
_GITHUB_LOGIN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def label(kind: IdentityKind | str) -> str:
    return LABELS[IdentityKind(kind)]


def normalise_value(kind: IdentityKind | str, value: str | None) -> str:
    """The stored form of a value of this kind, or ValidationFailed saying what is wrong with it."""
    kind = parse_enum(IdentityKind, kind, "identity kind")
    raw = (value or "").strip()
    if not raw:
        raise ValidationFailed(f"Enter the {LABELS[kind]}.")
    if len(raw) > MAX_VALUE:
        raise ValidationFailed(f"A {LABELS[kind]} has at most {MAX_VALUE} characters.")
    if kind == IdentityKind.email:
        address = normalise_email(raw)
        if not looks_like_email(address):
            raise ValidationFailed(f"'{raw}' is not a valid e-mail address.")
        return address
    if kind == IdentityKind.github_login:
        login = raw.removeprefix("@").lower()
        if not _GITHUB_LOGIN.match(login):
            raise ValidationFailed(f"'{raw}' is not a GitHub login (letters, digits and hyphens).")
        return login
    if kind == IdentityKind.github_user_id:
        if not raw.isascii() or not raw.isdigit():
            raise ValidationFailed(f"'{raw}' is not a GitHub user id (a number, e.g. 583231).")
        return str(int(raw))
    if kind in MACHINE_KINDS:  # the name as the vendor writes it (case and inner spaces kept)
        if any(c in raw for c in "\r\n\t"):
            raise ValidationFailed(f"An {LABELS[kind]} name is one line.")
        return raw
    if any(c.isspace() for c in raw):
        raise ValidationFailed(f"'{raw}' is not a {LABELS[kind]} (no spaces).")
    return raw


def list_identities(*, session: Session, tenant_id: int, actor_id: int) -> list[ActorIdentity]:
    """The person's identities, by kind then value."""
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    return list(session.exec(
        select(ActorIdentity).where(ActorIdentity.tenant_id == tenant_id, ActorIdentity.actor_id == actor.id)
        .order_by(col(ActorIdentity.kind), col(ActorIdentity.value))
    ))


def get_identity(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: IdentityKind | str, value: str
) -> ActorIdentity | None:
    """The identity holding this (already normalised) value in the scope, if any."""
    return session.exec(select(ActorIdentity).where(
        ActorIdentity.tenant_id == tenant_id, ActorIdentity.scope_key == identity_scope_key(scenario_id),
        ActorIdentity.kind == IdentityKind(kind), ActorIdentity.value == value,
    )).first()


def _holder_name(session: Session, actor_id: int) -> str:
    actor = session.get(Actor, actor_id)
    return actor.name if actor is not None else f"person {actor_id}"


@dataclasses.dataclass(frozen=True)
class _Plan:
    actor: Actor
    kind: IdentityKind
    value: str
    taken_from: ActorIdentity | None  # another person's identity this add moves


def _plan(
    *, session: Session, tenant_id: int, actor: Actor, kind: IdentityKind | str, value: str | None, move: bool
) -> _Plan:
    """Checks an add without writing: every refusal is a DomainError whose message names the holder."""
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id)
    kind = parse_enum(IdentityKind, kind, "identity kind")
    value = normalise_value(kind, value)
    if kind in MACHINE_KINDS and ActorKind(actor.kind) == ActorKind.human:
        raise ValidationFailed(f"An {LABELS[kind]}'s usage lands on a robot or an agent, and {actor.name} is a "
                               "person: add a robot or agent actor for it.")
    if kind == IdentityKind.email:
        primary = get_actor_by_email(session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id,
                                     email=value)
        if primary is not None and primary.id == actor.id:
            raise ValidationFailed(f"{value} is already {actor.name}'s primary e-mail.")
        if primary is not None:
            raise Conflict(f"{value} is the primary e-mail of {primary.name}; an address belongs to one person.")
    held = get_identity(session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id, kind=kind, value=value)
    if held is not None and held.actor_id == actor.id:
        raise Conflict(f"{actor.name} already has the {LABELS[kind]} {value}.")
    if held is not None and not move:
        raise Conflict(f"The {LABELS[kind]} {value} already belongs to {_holder_name(session, held.actor_id)}.")
    return _Plan(actor=actor, kind=kind, value=value, taken_from=held)


def check_add(
    *, session: Session, tenant_id: int, actor_id: int, kind: IdentityKind | str, value: str | None
) -> tuple[IdentityKind, str]:
    """What `add_identity` would store (kind, normalised value), or its refusal; writes nothing."""
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    plan = _plan(session=session, tenant_id=tenant_id, actor=actor, kind=kind, value=value, move=False)
    return plan.kind, plan.value


def _apply(session: Session, plan: _Plan) -> ActorIdentity:
    actor = plan.actor
    if plan.taken_from is not None:
        session.delete(plan.taken_from)
        session.flush()
    identity = ActorIdentity(tenant_id=actor.tenant_id, scenario_id=actor.scenario_id,
                             scope_key=identity_scope_key(actor.scenario_id), actor_id=actor.id, kind=plan.kind,
                             value=plan.value)
    session.add(identity)
    session.flush()
    events.emit(session, events.ActorIdentityChanged(
        tenant_id=actor.tenant_id, scenario_id=actor.scenario_id, actor_id=actor.id, kind=plan.kind.value,
        value=plan.value, change="moved" if plan.taken_from is not None else "added",
    ))
    return identity


def add_identity(
    *, session: Session, tenant_id: int, actor_id: int, kind: IdentityKind | str = IdentityKind.email,
    value: str | None, move: bool = False,
) -> ActorIdentity:
    """Gives the person this identity in their scope. `move` takes it from the person who holds it
    (never a primary e-mail: change that person's e-mail instead). Refusals change nothing."""
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    return _apply(session, _plan(session=session, tenant_id=tenant_id, actor=actor, kind=kind, value=value,
                                 move=move))


def remove_identity(*, session: Session, tenant_id: int, identity_id: int) -> ActorIdentity:
    """Removes an identity; that value's usage goes back to Unmatched (or to whoever else holds it)."""
    identity = session.get(ActorIdentity, identity_id)
    if identity is None or identity.tenant_id != tenant_id:
        raise NotFound(f"Identity {identity_id} was not found.")
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=identity.scenario_id)
    session.delete(identity)
    session.flush()
    events.emit(session, events.ActorIdentityChanged(
        tenant_id=tenant_id, scenario_id=identity.scenario_id, actor_id=identity.actor_id,
        kind=IdentityKind(identity.kind).value, value=identity.value, change="removed",
    ))
    return identity


@dataclasses.dataclass(frozen=True)
class LinkResult:
    actor: Actor  # the person in the scope the link was asked in
    identities: list[ActorIdentity]  # added, the asked scope's first
    skipped: list[str]  # other scopes left alone, each with the reason


def _same_person_elsewhere(session: Session, actor: Actor) -> list[tuple[Actor, Scenario | None]]:
    """The same person (by `external_uid`) in the tenant's other writable scopes: Live and active scenarios."""
    rows = session.exec(
        select(Actor, Scenario).join(Scenario, col(Scenario.id) == col(Actor.scenario_id), isouter=True)
        .where(Actor.tenant_id == actor.tenant_id, Actor.external_uid == actor.external_uid, Actor.id != actor.id)
        .order_by(col(Actor.scenario_id).is_not(None), col(Actor.scenario_id))
    ).all()
    return [(other, scenario) for other, scenario in rows if scenario is None
            or (scenario.kind == ScenarioKind.scenario and scenario.status == ScenarioStatus.active)]


def link_everywhere(
    *, session: Session, tenant_id: int, actor_id: int, kind: IdentityKind | str = IdentityKind.email,
    value: str | None,
) -> LinkResult:
    """"Use for an existing person": adds the identity to the person in their scope (refusals raise and
    change nothing), then to the same person in every other writable scope where the value is free;
    a scope where it is not is skipped and named in `skipped`."""
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    first = _plan(session=session, tenant_id=tenant_id, actor=actor, kind=kind, value=value, move=False)
    plans, skipped = [first], []
    for other, scenario in _same_person_elsewhere(session, actor):
        try:
            plans.append(_plan(session=session, tenant_id=tenant_id, actor=other, kind=first.kind,
                               value=first.value, move=False))
        except DomainError as error:
            skipped.append(f"{'Live' if scenario is None else scenario.name}: {error}")
    return LinkResult(actor=actor, identities=[_apply(session, plan) for plan in plans], skipped=skipped)
