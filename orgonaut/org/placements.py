"""Placements: an actor in an org unit over dates, with an allocation; one primary at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, or_, select

from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import events
from orgonaut.org.actors import get_actor_or_raise
from orgonaut.org.models import Actor, OrgUnit, Placement
from orgonaut.org.scenarios import ensure_writable
from orgonaut.org.units import get_org_unit_or_raise
from orgonaut.org.validation import UNCHANGED, Unchanged

MIN_ALLOCATION = 0
MAX_ALLOCATION = 300


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
    end_date: dt.date | None | Unchanged = UNCHANGED,
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
        end=placement.end_date if isinstance(end_date, Unchanged) else end_date,
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
