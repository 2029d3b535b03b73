"""Scenarios and snapshots: the scopes, their copies of Live, and the read-only rule.

Live is `scenario_id=None`; a scenario or snapshot is its id. Archived scenarios and snapshots are
read-only: every write into them raises `ReadOnlyScope` (`ensure_writable`, which every org write calls).
An id that belongs to another tenant is `NotFound`, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any, overload

from sqlmodel import Session, col, func, select

from orgonaut.errors import Conflict, NotFound, ReadOnlyScope
from orgonaut.org import events
from orgonaut.org.models import (
    Actor,
    ActorIdentity,
    OrgUnit,
    Placement,
    Scenario,
    ScenarioKind,
    ScenarioStatus,
    identity_scope_key,
)
from orgonaut.org.validation import clean_name, parse_enum


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
    """Refuses writes to archived scenarios and snapshots. Every org write goes through it."""
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
        statement = statement.where(Scenario.kind == parse_enum(ScenarioKind, kind, "scenario kind"))
    if status is not None:
        statement = statement.where(Scenario.status == parse_enum(ScenarioStatus, status, "scenario status"))
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
    name = clean_name(name, "scenario" if kind == ScenarioKind.scenario else "snapshot")
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
    """Copies every org unit, actor, actor identity and placement of one scope into another; copies keep
    `source_id` (identities have none: the copied actor and the value say which they are)."""

    def in_source(model: Any) -> Any:
        return select(model).where(model.tenant_id == tenant_id, model.scenario_id == source).order_by(model.id)

    units = list(session.exec(in_source(OrgUnit)))
    unit_copies = {
        unit.id: OrgUnit(
            tenant_id=tenant_id, scenario_id=target, kind=unit.kind, name=unit.name, team_type=unit.team_type,
            purpose=unit.purpose, cost_centre=unit.cost_centre, source_id=unit.id,
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
    session.add_all(
        ActorIdentity(
            tenant_id=tenant_id, scenario_id=target, scope_key=identity_scope_key(target),
            actor_id=actor_copies[i.actor_id].id, kind=i.kind, value=i.value,
        )
        for i in session.exec(in_source(ActorIdentity))
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


# --- the same unit or person in another scope ---------------------------------------------------------


def _lineage_root(parents: dict[int, int | None], row_id: int) -> int:
    """The row a chain of copies started from (a Live row, or one created inside a scenario)."""
    seen = {row_id}
    while (parent := parents.get(row_id)) is not None and parent not in seen:
        seen.add(parent)
        row_id = parent
    return row_id


def counterpart_unit(*, session: Session, tenant_id: int, org_unit_id: int, scenario_id: int | None) -> int | None:
    """The id of the same org unit in scope `scenario_id` (None = Live): the one copied, directly or through
    other scenarios, from the same original; None when it does not exist there (or `org_unit_id` is not the
    tenant's)."""
    rows = session.exec(select(OrgUnit.id, OrgUnit.source_id, OrgUnit.scenario_id).where(
        OrgUnit.tenant_id == tenant_id)).all()
    parents = {row_id: source_id for row_id, source_id, _ in rows}
    if org_unit_id not in parents:
        return None
    root = _lineage_root(parents, org_unit_id)
    return next((row_id for row_id, _, scope in sorted(rows) if scope == scenario_id
                 and _lineage_root(parents, row_id) == root), None)


def counterpart_actor(*, session: Session, tenant_id: int, actor_id: int, scenario_id: int | None) -> int | None:
    """The id of the same person in scope `scenario_id` (None = Live), by their durable `external_uid`."""
    actor = session.get(Actor, actor_id)
    if actor is None or actor.tenant_id != tenant_id:
        return None
    return session.exec(select(Actor.id).where(
        Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id,
        Actor.external_uid == actor.external_uid).order_by(col(Actor.id))).first()
