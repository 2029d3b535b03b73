"""Read-side queries over the org tree, for pages, rollups and matching.

Placements are effective-dated: a placement counts on day `on` when `start_date <= on` and its end
date is empty or `>= on` (inclusive). Tree walks are recursive CTEs that run on SQLite and PostgreSQL.

Functions that take an `org_unit_id` or `actor_id` trust it: resolve ids that come from a user through
`orgonaut.org.service.get_*_or_raise(tenant_id=...)` first, which refuses other tenants' ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Integer, and_, cast, func, literal_column, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from orgonaut import clock
from orgonaut.errors import ValidationFailed
from orgonaut.org.models import Actor, ActorKind, OrgUnit, OrgUnitKind, Placement
from orgonaut.paging import Page, PageRequest, Sort, fetch, matches_search, search_term
from orgonaut.tenancy.models import Tenant

# A guard against a corrupt tree; the services never let a cycle in, and no real org is this deep.
_MAX_DEPTH = 64
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class UnitSummary:
    unit: OrgUnit
    parent: OrgUnit | None
    # Distinct actors placed in the unit itself / anywhere in its subtree on the day asked for.
    direct_member_count: int
    subtree_member_count: int


@dataclass(frozen=True)
class PersonRow:
    actor: Actor
    # The unit of the actor's primary placement on the day asked for, if any.
    primary_unit: OrgUnit | None


def effective_fte(fte: Decimal, allocation_pct: int) -> Decimal:
    """FTE x allocation % (org-model.md), to two decimals; above 100 % it is more than the FTE."""
    return (Decimal(fte) * allocation_pct / 100).quantize(_CENTS, rounding=ROUND_HALF_UP)


def members_effective_fte(members: list[tuple[Actor, Placement]]) -> Decimal:
    """A unit's capacity: its members' effective FTE (in the placement each is listed with) summed."""
    return sum((effective_fte(actor.fte, placement.allocation_pct) for actor, placement in members), Decimal("0"))


def tenant_today(*, session: Session, tenant_id: int) -> dt.date:
    """Today in the tenant's time zone: the default day for "who is where"."""
    tenant = session.get(Tenant, tenant_id)
    return clock.today_in(tenant.timezone if tenant is not None else "UTC")


def effective_on(on: dt.date) -> Any:
    """SQL condition: the placement is in force on `on`."""
    return and_(Placement.start_date <= on, or_(Placement.end_date.is_(None), Placement.end_date >= on))


def _zero() -> Any:
    # Typed literals keep PostgreSQL's recursive-CTE column types equal in both terms.
    return literal_column("0", Integer)


def _subtree_cte(org_unit_id: int) -> Any:
    tree = select(OrgUnit.id.label("id"), _zero().label("depth")).where(OrgUnit.id == org_unit_id)
    tree = tree.cte("subtree", recursive=True)
    child = aliased(OrgUnit)
    return tree.union_all(
        select(child.id, tree.c.depth + literal_column("1", Integer)).where(
            child.parent_id == tree.c.id, tree.c.depth < _MAX_DEPTH
        )
    )


def _closure_cte(unit_ids: list[int]) -> Any:
    """(ancestor_id, unit_id) for each given unit and every unit in its subtree, itself included."""
    closure = select(OrgUnit.id.label("ancestor_id"), OrgUnit.id.label("unit_id"), _zero().label("depth")).where(
        OrgUnit.id.in_(unit_ids)
    )
    closure = closure.cte("closure", recursive=True)
    child = aliased(OrgUnit)
    return closure.union_all(
        select(closure.c.ancestor_id, child.id, closure.c.depth + literal_column("1", Integer)).where(
            child.parent_id == closure.c.unit_id, closure.c.depth < _MAX_DEPTH
        )
    )


def descendant_unit_ids(*, session: Session, org_unit_id: int) -> list[int]:
    """The unit and every unit below it, the unit first, then by depth."""
    tree = _subtree_cte(org_unit_id)
    return list(session.execute(select(tree.c.id).order_by(tree.c.depth, tree.c.id)).scalars())


def ancestor_unit_ids(*, session: Session, org_unit_id: int) -> list[int]:
    """The unit and every unit above it, the unit first, the root last."""
    chain = select(OrgUnit.id.label("id"), OrgUnit.parent_id.label("parent_id"), _zero().label("depth")).where(
        OrgUnit.id == org_unit_id
    )
    chain = chain.cte("ancestors", recursive=True)
    parent = aliased(OrgUnit)
    chain = chain.union_all(
        select(parent.id, parent.parent_id, chain.c.depth + literal_column("1", Integer)).where(
            parent.id == chain.c.parent_id, chain.c.depth < _MAX_DEPTH
        )
    )
    return list(session.execute(select(chain.c.id).order_by(chain.c.depth)).scalars())


def unit_path(*, session: Session, org_unit_id: int) -> list[OrgUnit]:
    """The units from the root down to this one (a breadcrumb)."""
    ids = ancestor_unit_ids(session=session, org_unit_id=org_unit_id)
    units = {u.id: u for u in session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))).scalars()}
    return [units[i] for i in reversed(ids)]


def actors_in_unit(*, session: Session, org_unit_id: int, on: dt.date) -> list[tuple[Actor, Placement]]:
    """Actors placed directly in the unit on `on`, with that placement; by name."""
    rows = session.execute(
        select(Actor, Placement)
        .join(Placement, Placement.actor_id == Actor.id)
        .where(Placement.org_unit_id == org_unit_id, effective_on(on))
        .order_by(func.lower(Actor.name), Actor.id, Placement.id)
    )
    return [(actor, placement) for actor, placement in rows]


@dataclass(frozen=True)
class UnitMembersPage:
    members: Page[tuple[Actor, Placement]]
    effective_fte: Decimal  # every member's on every page: the unit's capacity (`members_effective_fte`)


def unit_members_page(*, session: Session, org_unit_id: int, on: dt.date, request: PageRequest) -> UnitMembersPage:
    """One page of `actors_in_unit` (by name), with the count of all and their effective FTE summed in SQL:
    each member's rounded half-up to hundredths first, as `effective_fte` does, in whole hundredths so
    both databases sum exactly."""
    placed = (select(Actor, Placement).join(Placement, Placement.actor_id == Actor.id)
              .where(Placement.org_unit_id == org_unit_id, effective_on(on)))
    hundredths = (cast(func.round(Actor.fte * 100), Integer) * Placement.allocation_pct + 50) // 100
    count, fte = session.execute(
        select(func.count(), func.sum(hundredths)).select_from(Actor)
        .join(Placement, Placement.actor_id == Actor.id).where(Placement.org_unit_id == org_unit_id, effective_on(on))
    ).one()
    page = fetch(session, placed.order_by(func.lower(Actor.name), Actor.id, Placement.id), request, total=count)
    return UnitMembersPage(members=page.map(lambda row: (row[0], row[1])),
                           effective_fte=(Decimal(int(fte or 0)) / 100).quantize(_CENTS))


def actors_in_subtree(*, session: Session, org_unit_id: int, on: dt.date) -> list[Actor]:
    """Distinct actors placed anywhere in the unit's subtree on `on`; by name."""
    tree = _subtree_cte(org_unit_id)
    placed = select(Placement.actor_id).where(Placement.org_unit_id.in_(select(tree.c.id)), effective_on(on))
    return list(
        session.execute(
            select(Actor).where(Actor.id.in_(placed)).order_by(func.lower(Actor.name), Actor.id)
        ).scalars()
    )


def subtree_member_count(*, session: Session, org_unit_id: int, on: dt.date) -> int:
    tree = _subtree_cte(org_unit_id)
    return session.execute(
        select(func.count(func.distinct(Placement.actor_id))).where(
            Placement.org_unit_id.in_(select(tree.c.id)), effective_on(on)
        )
    ).scalar_one()


def _summaries(session: Session, units: list[OrgUnit], on: dt.date) -> list[UnitSummary]:
    """Parent and member counts for the given units in three queries, whatever their number."""
    if not units:
        return []
    ids = [u.id for u in units]
    direct: dict[int, int] = dict(
        session.execute(
            select(Placement.org_unit_id, func.count(func.distinct(Placement.actor_id)))
            .where(Placement.org_unit_id.in_(ids), effective_on(on))
            .group_by(Placement.org_unit_id)
        ).all()
    )
    closure = _closure_cte(ids)
    subtree = dict(
        session.execute(
            select(closure.c.ancestor_id, func.count(func.distinct(Placement.actor_id)))
            .join(Placement, Placement.org_unit_id == closure.c.unit_id)
            .where(effective_on(on))
            .group_by(closure.c.ancestor_id)
        ).all()
    )
    parent_ids = {u.parent_id for u in units if u.parent_id is not None}
    parents = {
        p.id: p for p in session.execute(select(OrgUnit).where(OrgUnit.id.in_(parent_ids))).scalars()
    } if parent_ids else {}
    return [
        UnitSummary(
            unit=u, parent=parents.get(u.parent_id) if u.parent_id is not None else None,
            direct_member_count=direct.get(u.id, 0), subtree_member_count=subtree.get(u.id, 0),
        )
        for u in units
    ]


def _units_of_kind(session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind) -> list[OrgUnit]:
    return list(
        session.execute(
            select(OrgUnit)
            .where(OrgUnit.tenant_id == tenant_id, OrgUnit.scenario_id == scenario_id, OrgUnit.kind == kind)
            .order_by(func.lower(OrgUnit.name), OrgUnit.id)
        ).scalars()
    )


def list_teams(*, session: Session, tenant_id: int, scenario_id: int | None, on: dt.date) -> list[UnitSummary]:
    """Every team of the scope, by name, with its parent unit and member counts on `on`."""
    return _summaries(session, _units_of_kind(session, tenant_id, scenario_id, OrgUnitKind.team), on)


def list_departments(
    *, session: Session, tenant_id: int, scenario_id: int | None, on: dt.date
) -> list[UnitSummary]:
    """Every department of the scope, by name, with its parent unit and direct and subtree member counts."""
    return _summaries(session, _units_of_kind(session, tenant_id, scenario_id, OrgUnitKind.department), on)


def unit_summary(*, session: Session, unit: OrgUnit, on: dt.date) -> UnitSummary:
    """One unit's parent and member counts (a team's or department's header)."""
    return _summaries(session, [unit], on)[0]


def child_units(*, session: Session, org_unit_id: int, on: dt.date) -> list[UnitSummary]:
    """The units directly under this one, by kind then name, with their member counts on `on`."""
    children = list(
        session.execute(
            select(OrgUnit).where(OrgUnit.parent_id == org_unit_id).order_by(
                OrgUnit.kind, func.lower(OrgUnit.name), OrgUnit.id
            )
        ).scalars()
    )
    return _summaries(session, children, on)


def placements_of_actor(*, session: Session, actor_id: int) -> list[tuple[Placement, OrgUnit]]:
    """All of an actor's placements with their units: primary first, then the newest start first."""
    rows = session.execute(
        select(Placement, OrgUnit)
        .join(OrgUnit, OrgUnit.id == Placement.org_unit_id)
        .where(Placement.actor_id == actor_id)
        .order_by(Placement.is_primary.desc(), Placement.start_date.desc(), Placement.id)
    )
    return [(placement, unit) for placement, unit in rows]


# The people list's sortable columns (`people_page`); ties go by name, then id.
PEOPLE_SORTS = ("name", "email", "kind", "fte", "home_unit", "status")
PEOPLE_DEFAULT_SORT = Sort("name")


def _people_statement(
    session: Session, tenant_id: int, scenario_id: int | None, search: str | None, kind: ActorKind | str | None,
    on: dt.date | None,
) -> tuple[Any, Any]:
    """The scope's actors with their primary unit on `on`, filtered; and that unit's alias (for sorting)."""
    day = on if on is not None else tenant_today(session=session, tenant_id=tenant_id)
    primary = aliased(Placement)
    home = aliased(OrgUnit)
    statement = (
        select(Actor, home)
        .outerjoin(primary, and_(
            primary.actor_id == Actor.id, primary.is_primary.is_(True), primary.start_date <= day,
            or_(primary.end_date.is_(None), primary.end_date >= day),
        ))
        .outerjoin(home, home.id == primary.org_unit_id)
        .where(Actor.tenant_id == tenant_id, Actor.scenario_id == scenario_id)
    )
    if kind:
        try:
            statement = statement.where(Actor.kind == ActorKind(kind))
        except ValueError:
            raise ValidationFailed(
                f"Unknown actor kind '{kind}'. Valid: {', '.join(k.value for k in ActorKind)}."
            ) from None
    term = search_term(search)
    if term:
        statement = statement.where(matches_search(term, Actor.name, Actor.email))
    return statement, home


def list_people(
    *, session: Session, tenant_id: int, scenario_id: int | None, search: str | None = None,
    kind: ActorKind | str | None = None, on: dt.date | None = None,
) -> list[PersonRow]:
    """Actors of a scope by name; `search` matches name or e-mail (case-insensitive), `kind` filters.

    Each row carries the actor's primary unit on `on` (default: today in the tenant's time zone).
    """
    statement, _home = _people_statement(session, tenant_id, scenario_id, search, kind, on)
    rows = session.execute(statement.order_by(func.lower(Actor.name), Actor.id))
    return [PersonRow(actor=actor, primary_unit=unit) for actor, unit in rows]


def people_page(
    *, session: Session, tenant_id: int, scenario_id: int | None, request: PageRequest, search: str | None = None,
    kind: ActorKind | str | None = None, sort: Sort = PEOPLE_DEFAULT_SORT, on: dt.date | None = None,
) -> Page[PersonRow]:
    """One page of `list_people`, sorted by one of `PEOPLE_SORTS` (another key: by name), with the count of
    everyone who matches. People without a home unit sort as an empty name."""
    statement, home = _people_statement(session, tenant_id, scenario_id, search, kind, on)
    column = {
        "name": func.lower(Actor.name), "email": Actor.email, "kind": Actor.kind, "fte": Actor.fte,
        "home_unit": func.lower(func.coalesce(home.name, "")), "status": Actor.status,
    }.get(sort.key, func.lower(Actor.name))
    ordered = statement.order_by(column.desc() if sort.descending else column.asc(), func.lower(Actor.name), Actor.id)
    return fetch(session, ordered, request).map(lambda row: PersonRow(actor=row[0], primary_unit=row[1]))


def subtree_unit_ids(*, session: Session, unit_ids: list[int]) -> set[int]:
    """The given units and every unit below any of them."""
    if not unit_ids:
        return set()
    closure = _closure_cte(unit_ids)
    return set(session.execute(select(closure.c.unit_id)).scalars())


def actor_ids_placed_in(*, session: Session, unit_ids: set[int], on: dt.date) -> set[int]:
    """Actors with a placement in force on `on` in any of the units."""
    if not unit_ids:
        return set()
    return set(session.execute(
        select(Placement.actor_id).where(Placement.org_unit_id.in_(list(unit_ids)), effective_on(on)).distinct()
    ).scalars())


def unit_ids_of_actors(*, session: Session, actor_ids: set[int], on: dt.date) -> set[int]:
    """Units in which any of the actors holds a placement in force on `on` (primary or not)."""
    if not actor_ids:
        return set()
    return set(session.execute(
        select(Placement.org_unit_id).where(Placement.actor_id.in_(list(actor_ids)), effective_on(on)).distinct()
    ).scalars())
