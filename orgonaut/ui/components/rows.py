"""Plain rows the org pages keep in state, built from the org services' results.

Reflex sends state to the browser as JSON, so pages keep these small serialisable rows rather than
database objects. Building them is presentation only: names, links, formatted numbers (the effective
FTE rule is `orgonaut.org.queries.effective_fte`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Placement
from orgonaut.org.queries import PersonRow, UnitSummary, effective_fte
from orgonaut.ui import routes

_CENTS = Decimal("0.01")


def fte_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(_CENTS, rounding=ROUND_HALF_UP)}"


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def unit_url(unit: OrgUnit | None) -> str:
    """The page of a team or department; the company and systems have none."""
    if unit is None:
        return ""
    if unit.kind == OrgUnitKind.team:
        return routes.team_url(unit.id)
    if unit.kind == OrgUnitKind.department:
        return routes.department_url(unit.id)
    return ""


def in_force(placement: Placement, on: dt.date) -> bool:
    return placement.start_date <= on and (placement.end_date is None or placement.end_date >= on)


@dataclasses.dataclass
class PersonListRow:
    id: int = 0
    url: str = ""
    name: str = ""
    email: str = ""
    kind: str = ""
    fte: str = ""
    status: str = ""
    home_unit: str = ""
    home_url: str = ""


def person_list_row(row: PersonRow) -> PersonListRow:
    actor, home = row.actor, row.primary_unit
    return PersonListRow(
        id=actor.id, url=routes.person_url(actor.id), name=actor.name, email=actor.email, kind=str(actor.kind),
        fte=fte_text(actor.fte), status=str(actor.status), home_unit=home.name if home is not None else "",
        home_url=unit_url(home),
    )


@dataclasses.dataclass
class PlacementRow:
    id: int = 0
    unit_name: str = ""
    unit_kind: str = ""
    unit_url: str = ""
    allocation_pct: int = 0
    effective_fte: str = ""
    is_primary: bool = False
    start: str = ""
    end: str = ""
    # "current" | "ended" | "upcoming", on the tenant's today
    timing: str = ""


def placement_row(actor: Actor, placement: Placement, unit: OrgUnit, on: dt.date) -> PlacementRow:
    timing = "current" if in_force(placement, on) else "upcoming" if placement.start_date > on else "ended"
    return PlacementRow(
        id=placement.id, unit_name=unit.name, unit_kind=str(unit.kind), unit_url=unit_url(unit),
        allocation_pct=placement.allocation_pct,
        effective_fte=fte_text(effective_fte(actor.fte, placement.allocation_pct)),
        is_primary=placement.is_primary, start=date_text(placement.start_date), end=date_text(placement.end_date),
        timing=timing,
    )


@dataclasses.dataclass
class PersonView:
    id: int = 0
    name: str = ""
    kind: str = ""
    email: str = ""
    fte: str = ""
    status: str = ""
    # Over the placements in force today: their allocations summed (may exceed 100) and FTE x that.
    current_allocation_pct: int = 0
    current_effective_fte: str = ""


def person_view(actor: Actor, placements: list[tuple[Placement, OrgUnit]], on: dt.date) -> PersonView:
    allocation = sum(p.allocation_pct for p, _ in placements if in_force(p, on))
    return PersonView(
        id=actor.id, name=actor.name, kind=str(actor.kind), email=actor.email, fte=fte_text(actor.fte),
        status=str(actor.status), current_allocation_pct=allocation,
        current_effective_fte=fte_text(effective_fte(actor.fte, allocation)),
    )


@dataclasses.dataclass
class MemberRow:
    actor_id: int = 0
    url: str = ""
    name: str = ""
    email: str = ""
    kind: str = ""
    allocation_pct: int = 0
    effective_fte: str = ""
    is_primary: bool = False


def member_row(actor: Actor, placement: Placement) -> MemberRow:
    return MemberRow(
        actor_id=actor.id, url=routes.person_url(actor.id), name=actor.name, email=actor.email,
        kind=str(actor.kind), allocation_pct=placement.allocation_pct,
        effective_fte=fte_text(effective_fte(actor.fte, placement.allocation_pct)), is_primary=placement.is_primary,
    )


@dataclasses.dataclass
class UnitRow:
    id: int = 0
    url: str = ""
    name: str = ""
    kind: str = ""
    team_type: str = ""
    purpose: str = ""
    parent_name: str = ""
    parent_url: str = ""
    direct_count: int = 0
    subtree_count: int = 0


def unit_row(summary: UnitSummary) -> UnitRow:
    unit, parent = summary.unit, summary.parent
    return UnitRow(
        id=unit.id, url=unit_url(unit), name=unit.name, kind=str(unit.kind), team_type=unit.team_type or "",
        purpose=unit.purpose or "", parent_name=parent.name if parent is not None else "",
        parent_url=unit_url(parent), direct_count=summary.direct_member_count,
        subtree_count=summary.subtree_member_count,
    )
