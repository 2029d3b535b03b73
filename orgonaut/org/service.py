"""The org model's rules: scenarios and snapshots, org units, actors and placements.

Every function takes the session first and keyword-only arguments. Services flush; the caller commits
(a page handler, an API route, a task or the CLI). Change events (`orgonaut.org.events`) are queued by
the services and delivered only once that commit succeeds, never for a rollback.

Scopes: Live is `scenario_id=None`; a scenario or snapshot is its id. Archived scenarios and snapshots
are read-only: every write into them raises `ReadOnlyScope`. An id that belongs to another tenant is
`NotFound`, exactly like an id that does not exist, so nothing leaks.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final, TypeVar, overload

from sqlmodel import Session, col, func, or_, select

from orgonaut.emails import looks_like_email, normalise_email
from orgonaut.errors import Conflict, NotFound, ReadOnlyScope, ValidationFailed
from orgonaut.org import events
from orgonaut.org.models import (
    Actor,
    ActorKind,
    ActorStatus,
    OrgUnit,
    OrgUnitKind,
    Placement,
    Scenario,
    ScenarioKind,
    ScenarioStatus,
)
from orgonaut.org.queries import descendant_unit_ids

MIN_FTE = Decimal("0.01")
MAX_FTE = Decimal("3.00")
MIN_ALLOCATION = 0
MAX_ALLOCATION = 300
TEAM_TYPES = ("stream-aligned", "platform", "enabling", "complicated-subsystem")
# A unit's kind -> the kinds its parent may have. The company is the root of its scope; a department
# sits under the root or another department; teams and systems hang anywhere below the root.
VALID_PARENT_KINDS: Final[dict[OrgUnitKind, tuple[OrgUnitKind, ...]]] = {
    OrgUnitKind.company: (),
    OrgUnitKind.department: (OrgUnitKind.company, OrgUnitKind.department),
    OrgUnitKind.team: (OrgUnitKind.company, OrgUnitKind.department, OrgUnitKind.team),
    OrgUnitKind.system: (OrgUnitKind.company, OrgUnitKind.department, OrgUnitKind.team),
}
_NAME_MAX = 200


EnumT = TypeVar("EnumT", bound=StrEnum)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# For optional fields where None is a value (a placement's open end): "leave it as it is".
UNCHANGED: Final = _Unchanged()


# --- small validators -------------------------------------------------------------------------


def _clean_name(name: str | None, what: str) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationFailed(f"A {what} needs a name.")
    if len(value) > _NAME_MAX:
        raise ValidationFailed(f"A {what} name has at most {_NAME_MAX} characters.")
    return value


def _parse_enum(enum: type[EnumT], value: EnumT | str, what: str) -> EnumT:
    try:
        return enum(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown {what} '{value}'. Valid: {', '.join(member.value for member in enum)}."
        ) from None


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


def parse_allocation(value: int | str) -> int:
    """Allocation % as a whole number 0 to 300 (above 100 is allowed and shown, not hidden)."""
    if isinstance(value, bool):
        raise ValidationFailed("Allocation must be a whole number of percent between 0 and 300.")
    try:
        allocation = int(str(value).strip())
    except ValueError:
        raise ValidationFailed(
            f"Allocation must be a whole number of percent between 0 and 300, not '{value}'."
        ) from None
    if not MIN_ALLOCATION <= allocation <= MAX_ALLOCATION:
        raise ValidationFailed(f"Allocation must be between 0 and 300 %, not {allocation} %.")
    return allocation


def _check_dates(start: dt.date, end: dt.date | None) -> None:
    if end is not None and end < start:
        raise ValidationFailed(f"A placement's end date ({end}) cannot be before its start date ({start}).")


def _union(
    a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date | None]:
    start = min(a[0], b[0])
    end = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return start, end


# --- scenarios --------------------------------------------------------------------------------


def get_scenario(*, session: Session, tenant_id: int, scenario_id: int) -> Scenario | None:
    scenario = session.get(Scenario, scenario_id)
    return scenario if scenario is not None and scenario.tenant_id == tenant_id else None


def get_scenario_or_raise(*, session: Session, tenant_id: int, scenario_id: int) -> Scenario:
    scenario = get_scenario(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    if scenario is None:
        raise NotFound(f"Scenario {scenario_id} was not found.")
    return scenario


def get_scope_or_raise(*, session: Session, tenant_id: int, scenario_id: int | None) -> Scenario | None:
    """The scenario for a scope (None for Live); NotFound for another tenant's or an unknown scenario."""
    if scenario_id is None:
        return None
    return get_scenario_or_raise(session=session, tenant_id=tenant_id, scenario_id=scenario_id)


@overload
def ensure_writable(*, session: Session, tenant_id: int, scenario_id: int) -> Scenario: ...
@overload
def ensure_writable(*, session: Session, tenant_id: int, scenario_id: int | None) -> Scenario | None: ...
def ensure_writable(*, session: Session, tenant_id: int, scenario_id: int | None) -> Scenario | None:
    """Refuses writes to archived scenarios and snapshots. Every write in this module goes through it."""
    scenario = get_scope_or_raise(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    if scenario is not None and scenario.kind == ScenarioKind.snapshot:
        raise ReadOnlyScope(f"'{scenario.name}' is a snapshot and cannot be changed.")
    if scenario is not None and scenario.status == ScenarioStatus.archived:
        raise ReadOnlyScope(f"The scenario '{scenario.name}' is archived and cannot be changed.")
    return scenario


def list_scenarios(
    *, session: Session, tenant_id: int, kind: ScenarioKind | str | None = None,
    status: ScenarioStatus | str | None = None,
) -> list[Scenario]:
    """Active scenarios first, then archived ones, then snapshots; each group by name.

    `Scenario.read_only` says whether a scope accepts writes.
    """
    statement = select(Scenario).where(Scenario.tenant_id == tenant_id)
    if kind is not None:
        statement = statement.where(Scenario.kind == _parse_enum(ScenarioKind, kind, "scenario kind"))
    if status is not None:
        statement = statement.where(Scenario.status == _parse_enum(ScenarioStatus, status, "scenario status"))
    rows = list(session.exec(statement))

    def group(scenario: Scenario) -> int:
        if scenario.kind == ScenarioKind.snapshot:
            return 2
        return 1 if scenario.status == ScenarioStatus.archived else 0

    return sorted(rows, key=lambda s: (group(s), s.name.lower(), s.id))


def _create_scope_copy(
    *, session: Session, tenant_id: int, name: str, kind: ScenarioKind, source_scenario_id: int | None,
    created_by_user_id: int | None,
) -> Scenario:
    name = _clean_name(name, "scenario" if kind == ScenarioKind.scenario else "snapshot")
    get_scope_or_raise(session=session, tenant_id=tenant_id, scenario_id=source_scenario_id)
    taken = session.exec(
        select(Scenario.id).where(Scenario.tenant_id == tenant_id, func.lower(Scenario.name) == name.lower())
    ).first()
    if taken is not None:
        raise Conflict(f"A scenario or snapshot named '{name}' already exists.")
    scenario = Scenario(
        tenant_id=tenant_id, name=name, kind=kind, status=ScenarioStatus.active,
        source_scenario_id=source_scenario_id, created_by_user_id=created_by_user_id,
    )
    session.add(scenario)
    session.flush()
    _copy_scope(session=session, tenant_id=tenant_id, source=source_scenario_id, target=scenario.id)
    events.emit(session, events.ScenarioCreated(tenant_id=tenant_id, scenario_id=scenario.id))
    return scenario


def _copy_scope(*, session: Session, tenant_id: int, source: int | None, target: int) -> None:
    """Copies every org unit, actor and placement of one scope into another; copies keep `source_id`."""

    def in_source(model: Any) -> Any:
        return select(model).where(model.tenant_id == tenant_id, model.scenario_id == source).order_by(model.id)

    units = list(session.exec(in_source(OrgUnit)))
    unit_copies = {
        unit.id: OrgUnit(
            tenant_id=tenant_id, scenario_id=target, kind=unit.kind, name=unit.name, team_type=unit.team_type,
            purpose=unit.purpose, source_id=unit.id,
        )
        for unit in units
    }
    session.add_all(unit_copies.values())
    session.flush()
    for unit in units:
        if unit.parent_id is not None:
            unit_copies[unit.id].parent_id = unit_copies[unit.parent_id].id
    actors = list(session.exec(in_source(Actor)))
    actor_copies = {
        actor.id: Actor(
            tenant_id=tenant_id, scenario_id=target, kind=actor.kind, name=actor.name, email=actor.email,
            fte=actor.fte, status=actor.status, external_uid=actor.external_uid, source_id=actor.id,
        )
        for actor in actors
    }
    session.add_all(actor_copies.values())
    session.flush()
    session.add_all(
        Placement(
            tenant_id=tenant_id, scenario_id=target, actor_id=actor_copies[p.actor_id].id,
            org_unit_id=unit_copies[p.org_unit_id].id, is_primary=p.is_primary, allocation_pct=p.allocation_pct,
            start_date=p.start_date, end_date=p.end_date, source_id=p.id,
        )
        for p in session.exec(in_source(Placement))
    )
    session.flush()


def create_scenario(
    *, session: Session, tenant_id: int, name: str, source_scenario_id: int | None = None,
    created_by_user_id: int | None = None,
) -> Scenario:
    """A new active scenario, a copy of Live (or of `source_scenario_id`) with lineage."""
    return _create_scope_copy(
        session=session, tenant_id=tenant_id, name=name, kind=ScenarioKind.scenario,
        source_scenario_id=source_scenario_id, created_by_user_id=created_by_user_id,
    )


def create_snapshot(
    *, session: Session, tenant_id: int, name: str, created_by_user_id: int | None = None
) -> Scenario:
    """A read-only point-in-time copy of Live."""
    return _create_scope_copy(
        session=session, tenant_id=tenant_id, name=name, kind=ScenarioKind.snapshot, source_scenario_id=None,
        created_by_user_id=created_by_user_id,
    )


def archive_scenario(*, session: Session, tenant_id: int, scenario_id: int) -> Scenario:
    """Makes an active scenario read-only for good."""
    scenario = ensure_writable(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    scenario.status = ScenarioStatus.archived
    session.add(scenario)
    session.flush()
    return scenario


# --- org units --------------------------------------------------------------------------------


def get_org_unit(*, session: Session, tenant_id: int, org_unit_id: int) -> OrgUnit | None:
    unit = session.get(OrgUnit, org_unit_id)
    return unit if unit is not None and unit.tenant_id == tenant_id else None


def get_org_unit_or_raise(*, session: Session, tenant_id: int, org_unit_id: int) -> OrgUnit:
    unit = get_org_unit(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    if unit is None:
        raise NotFound(f"Org unit {org_unit_id} was not found.")
    return unit


def get_org_unit_in_scope_or_raise(
    *, session: Session, tenant_id: int, scenario_id: int | None, org_unit_id: int, kind: OrgUnitKind | None = None
) -> OrgUnit:
    """The unit, when it is in the tenant and the scope (and of `kind`, when given); NotFound otherwise.

    Another tenant's, another scope's or another kind's id reads exactly like an unknown one.
    """
    unit = get_org_unit(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    if unit is None or unit.scenario_id != scenario_id or (kind is not None and unit.kind != kind):
        what = OrgUnitKind(kind).value.capitalize() if kind is not None else "Org unit"
        raise NotFound(f"{what} {org_unit_id} was not found.")
    return unit


def get_company(*, session: Session, tenant_id: int, scenario_id: int | None) -> OrgUnit | None:
    return session.exec(
        select(OrgUnit).where(
            OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id, OrgUnit.kind == OrgUnitKind.company
        )
    ).first()


def get_org_unit_by_name(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind | str, name: str
) -> OrgUnit | None:
    return session.exec(
        select(OrgUnit).where(
            OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id,
            OrgUnit.kind == _parse_enum(OrgUnitKind, kind, "org unit kind"), OrgUnit.name == name.strip(),
        ).order_by(col(OrgUnit.id))
    ).first()


def list_org_units(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind | str | None = None
) -> list[OrgUnit]:
    statement = select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id)
    if kind is not None:
        statement = statement.where(OrgUnit.kind == _parse_enum(OrgUnitKind, kind, "org unit kind"))
    return list(session.exec(statement.order_by(col(OrgUnit.name), col(OrgUnit.id))))


def _check_parent(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind, parent_id: int | None
) -> OrgUnit | None:
    if not VALID_PARENT_KINDS[kind]:
        if parent_id is not None:
            raise ValidationFailed("The company is the root of the tree and has no parent.")
        return None
    return _required_parent(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=kind,
                            parent_id=parent_id)


def _required_parent(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind, parent_id: int | None
) -> OrgUnit:
    """The parent of a unit of `kind` (any kind but the company), checked: in the scope and of a valid kind."""
    allowed = VALID_PARENT_KINDS[kind]
    if parent_id is None:
        raise ValidationFailed(f"A {kind.value} needs a parent unit ({' or '.join(k.value for k in allowed)}).")
    parent = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=parent_id)
    if parent.scenario_id != scenario_id:
        raise ValidationFailed(f"The parent unit '{parent.name}' belongs to another scope.")
    if parent.kind not in allowed:
        raise ValidationFailed(
            f"A {kind.value} cannot sit under a {parent.kind}; valid parents: "
            f"{', '.join(k.value for k in allowed)}."
        )
    return parent


def _clean_team_type(kind: OrgUnitKind, team_type: str | None) -> str | None:
    value = (team_type or "").strip().lower() or None
    if value is None:
        return None
    if kind != OrgUnitKind.team:
        raise ValidationFailed("Only teams have a team type.")
    if value not in TEAM_TYPES:
        raise ValidationFailed(f"Unknown team type '{team_type}'. Valid: {', '.join(TEAM_TYPES)}.")
    return value


def _clean_purpose(purpose: str | None) -> str | None:
    value = (purpose or "").strip() or None
    if value is not None and len(value) > 500:
        raise ValidationFailed("A purpose has at most 500 characters.")
    return value


def create_org_unit(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind | str, name: str,
    parent_id: int | None = None, team_type: str | None = None, purpose: str | None = None,
) -> OrgUnit:
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    kind = _parse_enum(OrgUnitKind, kind, "org unit kind")
    name = _clean_name(name, kind.value)
    _check_parent(session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=kind, parent_id=parent_id)
    if kind == OrgUnitKind.company and get_company(session=session, tenant_id=tenant_id, scenario_id=scenario_id):
        raise Conflict("This scope already has a company root; there is one per scope.")
    unit = OrgUnit(
        tenant_id=tenant_id, scenario_id=scenario_id, kind=kind, name=name, parent_id=parent_id,
        team_type=_clean_team_type(kind, team_type), purpose=_clean_purpose(purpose),
    )
    session.add(unit)
    session.flush()
    return unit


def update_org_unit(
    *, session: Session, tenant_id: int, org_unit_id: int, name: str | None = None,
    team_type: str | None | _Unchanged = UNCHANGED, purpose: str | None | _Unchanged = UNCHANGED,
) -> OrgUnit:
    """Renames a unit or changes its team type or purpose (None clears those two)."""
    unit = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=unit.scenario_id)
    kind = OrgUnitKind(unit.kind)
    new_name = unit.name if name is None else _clean_name(name, kind.value)
    new_type = unit.team_type if isinstance(team_type, _Unchanged) else _clean_team_type(kind, team_type)
    new_purpose = unit.purpose if isinstance(purpose, _Unchanged) else _clean_purpose(purpose)
    unit.name, unit.team_type, unit.purpose = new_name, new_type, new_purpose
    session.add(unit)
    session.flush()
    return unit


def move_org_unit(*, session: Session, tenant_id: int, org_unit_id: int, parent_id: int) -> OrgUnit:
    """Gives a unit a new parent in the same scope; refuses a move that would make a cycle."""
    unit = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=unit.scenario_id)
    kind = OrgUnitKind(unit.kind)
    if kind == OrgUnitKind.company:
        raise ValidationFailed("The company is the root of the tree and cannot be moved.")
    parent = _required_parent(
        session=session, tenant_id=tenant_id, scenario_id=unit.scenario_id, kind=kind, parent_id=parent_id
    )
    if parent.id in descendant_unit_ids(session=session, org_unit_id=unit.id):
        raise ValidationFailed(
            f"'{unit.name}' cannot move under '{parent.name}': that unit is inside it, so the tree would "
            "have a cycle."
        )
    old_parent_id = unit.parent_id
    if old_parent_id == parent.id:
        return unit
    unit.parent_id = parent.id
    session.add(unit)
    session.flush()
    events.emit(
        session,
        events.OrgUnitMoved(
            tenant_id=tenant_id, scenario_id=unit.scenario_id, org_unit_id=unit.id, old_parent_id=old_parent_id,
            new_parent_id=parent.id,
        ),
    )
    return unit


# --- actors -----------------------------------------------------------------------------------


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
    return address


def create_actor(
    *, session: Session, tenant_id: int, scenario_id: int | None, name: str, email: str | None = "",
    kind: ActorKind | str = ActorKind.human, fte: Decimal | float | int | str = Decimal("1.00"),
    status: ActorStatus | str = ActorStatus.active, external_uid: str | None = None,
) -> Actor:
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=scenario_id)
    kind = _parse_enum(ActorKind, kind, "actor kind")
    name = _clean_name(name, kind.value)
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
        status=_parse_enum(ActorStatus, status, "actor status"), external_uid=uid,
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
    new_kind = ActorKind(actor.kind) if kind is None else _parse_enum(ActorKind, kind, "actor kind")
    new_name = actor.name if name is None else _clean_name(name, new_kind.value)
    new_email = _clean_email(
        session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id,
        email=actor.email if email is None else email, kind=new_kind, actor_id=actor.id,
    )
    new_fte = actor.fte if fte is None else parse_fte(fte)
    new_status = actor.status if status is None else _parse_enum(ActorStatus, status, "actor status")
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


# --- placements -------------------------------------------------------------------------------


def get_placement(*, session: Session, tenant_id: int, placement_id: int) -> Placement | None:
    placement = session.get(Placement, placement_id)
    return placement if placement is not None and placement.tenant_id == tenant_id else None


def get_placement_or_raise(*, session: Session, tenant_id: int, placement_id: int) -> Placement:
    placement = get_placement(session=session, tenant_id=tenant_id, placement_id=placement_id)
    if placement is None:
        raise NotFound(f"Placement {placement_id} was not found.")
    return placement


def _overlapping(
    session: Session, *, actor_id: int, start: dt.date, end: dt.date | None, exclude_id: int | None
) -> Any:
    statement = select(Placement).where(
        Placement.actor_id == actor_id,
        or_(col(Placement.end_date).is_(None), col(Placement.end_date) >= start),
    )
    if end is not None:
        statement = statement.where(Placement.start_date <= end)
    if exclude_id is not None:
        statement = statement.where(Placement.id != exclude_id)
    return statement


def _check_placement(
    *, session: Session, actor: Actor, unit: OrgUnit, is_primary: bool, start: dt.date, end: dt.date | None,
    exclude_id: int | None,
) -> None:
    if unit.scenario_id != actor.scenario_id:
        raise ValidationFailed(f"'{unit.name}' belongs to another scope than {actor.name}.")
    _check_dates(start, end)
    overlapping = _overlapping(session, actor_id=actor.id, start=start, end=end, exclude_id=exclude_id)
    same_unit = session.exec(overlapping.where(Placement.org_unit_id == unit.id)).first()
    if same_unit is not None:
        raise Conflict(
            f"{actor.name} is already placed in '{unit.name}' from {same_unit.start_date}"
            f"{f' to {same_unit.end_date}' if same_unit.end_date else ''}."
        )
    if is_primary:
        other = session.exec(overlapping.where(Placement.is_primary == True)).first()  # noqa: E712
        if other is not None:
            home = session.get(OrgUnit, other.org_unit_id)
            until = f" to {other.end_date}" if other.end_date else " on (open-ended)"
            raise Conflict(
                f"{actor.name} already has a primary placement in '{home.name if home else other.org_unit_id}' "
                f"from {other.start_date}{until}; an actor has exactly one primary placement at a time."
            )


def create_placement(
    *, session: Session, tenant_id: int, actor_id: int, org_unit_id: int, start_date: dt.date,
    end_date: dt.date | None = None, is_primary: bool = False, allocation_pct: int | str = 100,
) -> Placement:
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=actor_id)
    unit = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=actor.scenario_id)
    allocation = parse_allocation(allocation_pct)
    _check_placement(
        session=session, actor=actor, unit=unit, is_primary=is_primary, start=start_date, end=end_date,
        exclude_id=None,
    )
    placement = Placement(
        tenant_id=tenant_id, scenario_id=actor.scenario_id, actor_id=actor.id, org_unit_id=unit.id,
        is_primary=is_primary, allocation_pct=allocation, start_date=start_date, end_date=end_date,
    )
    session.add(placement)
    session.flush()
    events.emit(
        session,
        events.PlacementChanged(
            tenant_id=tenant_id, scenario_id=placement.scenario_id, placement_id=placement.id, actor_id=actor.id,
            org_unit_ids=(unit.id,), change="created", start=start_date, end=end_date,
        ),
    )
    return placement


def _apply_placement_change(
    *, session: Session, tenant_id: int, placement: Placement, change: str, org_unit_id: int,
    is_primary: bool, allocation: int, start: dt.date, end: dt.date | None,
) -> Placement:
    actor = get_actor_or_raise(session=session, tenant_id=tenant_id, actor_id=placement.actor_id)
    unit = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    _check_placement(
        session=session, actor=actor, unit=unit, is_primary=is_primary, start=start, end=end,
        exclude_id=placement.id,
    )
    old = (placement.org_unit_id, placement.is_primary, placement.allocation_pct, placement.start_date,
           placement.end_date)
    if old == (unit.id, is_primary, allocation, start, end):
        return placement
    placement.org_unit_id, placement.is_primary, placement.allocation_pct = unit.id, is_primary, allocation
    placement.start_date, placement.end_date = start, end
    session.add(placement)
    session.flush()
    covered_start, covered_end = _union((old[3], old[4]), (start, end))
    events.emit(
        session,
        events.PlacementChanged(
            tenant_id=tenant_id, scenario_id=placement.scenario_id, placement_id=placement.id, actor_id=actor.id,
            org_unit_ids=tuple(sorted({old[0], unit.id})), change=change, start=covered_start, end=covered_end,
        ),
    )
    return placement


def update_placement(
    *, session: Session, tenant_id: int, placement_id: int, org_unit_id: int | None = None,
    is_primary: bool | None = None, allocation_pct: int | str | None = None, start_date: dt.date | None = None,
    end_date: dt.date | None | _Unchanged = UNCHANGED,
) -> Placement:
    """Changes the given fields (None leaves a field as it is; `end_date=None` makes it open-ended)."""
    placement = get_placement_or_raise(session=session, tenant_id=tenant_id, placement_id=placement_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=placement.scenario_id)
    return _apply_placement_change(
        session=session, tenant_id=tenant_id, placement=placement, change="changed",
        org_unit_id=placement.org_unit_id if org_unit_id is None else org_unit_id,
        is_primary=placement.is_primary if is_primary is None else is_primary,
        allocation=placement.allocation_pct if allocation_pct is None else parse_allocation(allocation_pct),
        start=placement.start_date if start_date is None else start_date,
        end=placement.end_date if isinstance(end_date, _Unchanged) else end_date,
    )


def end_placement(*, session: Session, tenant_id: int, placement_id: int, end_date: dt.date) -> Placement:
    """Sets the last day (inclusive) of a placement."""
    placement = get_placement_or_raise(session=session, tenant_id=tenant_id, placement_id=placement_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=placement.scenario_id)
    return _apply_placement_change(
        session=session, tenant_id=tenant_id, placement=placement, change="ended",
        org_unit_id=placement.org_unit_id, is_primary=placement.is_primary, allocation=placement.allocation_pct,
        start=placement.start_date, end=end_date,
    )

