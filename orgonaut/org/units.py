"""Org units: the company root, departments, teams and systems, and the tree's shape rules."""

from __future__ import annotations

import re
from typing import Final

from sqlmodel import Session, col, select

from orgonaut.errors import Conflict, NotFound, ValidationFailed
from orgonaut.org import events
from orgonaut.org.models import OrgUnit, OrgUnitKind
from orgonaut.org.queries import descendant_unit_ids
from orgonaut.org.scenarios import ensure_writable
from orgonaut.org.validation import UNCHANGED, Unchanged, clean_name, parse_enum

TEAM_TYPES = ("stream-aligned", "platform", "enabling", "complicated-subsystem")
# A unit's kind -> the kinds its parent may have. The company is the root of its scope; a department
# sits under the root or another department; teams and systems hang anywhere below the root.
VALID_PARENT_KINDS: Final[dict[OrgUnitKind, tuple[OrgUnitKind, ...]]] = {
    OrgUnitKind.company: (),
    OrgUnitKind.department: (OrgUnitKind.company, OrgUnitKind.department),
    OrgUnitKind.team: (OrgUnitKind.company, OrgUnitKind.department, OrgUnitKind.team),
    OrgUnitKind.system: (OrgUnitKind.company, OrgUnitKind.department, OrgUnitKind.team),
}


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
            OrgUnit.kind == parse_enum(OrgUnitKind, kind, "org unit kind"), OrgUnit.name == name.strip(),
        ).order_by(col(OrgUnit.id))
    ).first()


def list_org_units(
    *, session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind | str | None = None
) -> list[OrgUnit]:
    statement = select(OrgUnit).where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id)
    if kind is not None:
        statement = statement.where(OrgUnit.kind == parse_enum(OrgUnitKind, kind, "org unit kind"))
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


_COST_CENTRE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,39}$")


def clean_cost_centre(code: str | None) -> str | None:
    """A cost centre code as finance writes it ("CC-4410", "4410/ENG"): 1 to 40 letters, digits, spaces and
    . _ / -, starting with a letter or digit; blank clears it."""
    text = (code or "").strip()
    if not text:
        return None
    if not _COST_CENTRE.match(text):
        raise ValidationFailed(f"'{text[:40]}' is not a cost centre code: use up to 40 letters, digits, spaces "
                               "and . _ / -, starting with a letter or digit.")
    return text


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
    kind = parse_enum(OrgUnitKind, kind, "org unit kind")
    name = clean_name(name, kind.value)
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
    team_type: str | None | Unchanged = UNCHANGED, purpose: str | None | Unchanged = UNCHANGED,
    cost_centre: str | None | Unchanged = UNCHANGED,
) -> OrgUnit:
    """Renames a unit or changes its team type, purpose or cost centre (None clears those three)."""
    unit = get_org_unit_or_raise(session=session, tenant_id=tenant_id, org_unit_id=org_unit_id)
    ensure_writable(session=session, tenant_id=tenant_id, scenario_id=unit.scenario_id)
    kind = OrgUnitKind(unit.kind)
    new_name = unit.name if name is None else clean_name(name, kind.value)
    new_type = unit.team_type if isinstance(team_type, Unchanged) else _clean_team_type(kind, team_type)
    new_purpose = unit.purpose if isinstance(purpose, Unchanged) else _clean_purpose(purpose)
    unit.name, unit.team_type, unit.purpose = new_name, new_type, new_purpose
    if not isinstance(cost_centre, Unchanged):
        unit.cost_centre = clean_cost_centre(cost_centre)
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
