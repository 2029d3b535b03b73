"""The demo org: Demo Industries, its departments, teams, people, robots and agents, and scenarios.

Deterministic: the same rows every run (dates are counted in whole months back from the tenant's
today). Idempotent: units are found by name, actors by `external_uid`, placements by (actor, unit),
scenarios by name, so seeding twice changes nothing. Everything goes through the org services, so the
demo obeys the same rules as the product.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.org import service
from orgonaut.org.models import ActorKind, ActorStatus, OrgUnit, OrgUnitKind, Placement, Scenario
from orgonaut.tenancy.models import Tenant

COMPANY = "Demo Industries"
EMAIL_DOMAIN = "demo.test"
REORG_SCENARIO = "Reorg 2027"
ARCHIVED_SCENARIO = "Hiring plan 2026"
SNAPSHOT = "Snapshot before Reorg 2027"
# Usage e-mails of contractors who are not actors in Orgonaut: the sync stores them unmatched.
DEMO_UNKNOWN_USAGE_EMAILS: tuple[str, ...] = (
    "contractor.alex@agency.example",
    "contractor.robin@agency.example",
    "contractor.sam@agency.example",
    "contractor.kim@agency.example",
)

# (name, parent name) in creation order; the company is the root.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("Engineering", COMPANY),
    ("Platform Engineering", "Engineering"),
    ("Product", COMPANY),
    ("Design", COMPANY),
    ("Operations", COMPANY),
)
# (name, parent name, team type)
TEAMS: tuple[tuple[str, str, str | None], ...] = (
    ("Core Platform", "Platform Engineering", "platform"),
    ("Developer Experience", "Platform Engineering", "enabling"),
    ("Checkout", "Engineering", "stream-aligned"),
    ("Search & Discovery", "Engineering", "stream-aligned"),
    ("Mobile Apps", "Engineering", "stream-aligned"),
    ("Product Management", "Product", None),
    ("Data & Analytics", "Product", "complicated-subsystem"),
    ("Product Design", "Design", "stream-aligned"),
    ("User Research", "Design", None),
    ("Customer Support", "Operations", "stream-aligned"),
    ("Business Operations", "Operations", None),
)
# Humans placed in these units (or below them) use Claude Code, plus the few named in DemoPerson.
_CLAUDE_CODE_UNITS = frozenset(
    {"Engineering", "Platform Engineering", "Core Platform", "Developer Experience", "Checkout",
     "Search & Discovery", "Mobile Apps", "Product", "Product Management", "Data & Analytics", "Design",
     "Product Design", "User Research"}
)


@dataclass(frozen=True)
class DemoPerson:
    name: str
    unit: str  # the primary unit today
    kind: ActorKind = ActorKind.human
    email: str | None = None  # None: first.last@demo.test; "" for a robot or agent without a mailbox
    fte: str = "1.00"
    allocation: int = 100
    secondary: tuple[str, int] | None = None  # (unit, allocation %) beside the primary
    joined_months_ago: int = 12
    moved_from: tuple[str, int] | None = None  # (earlier primary unit, months ago the move happened)
    left_months_ago: int | None = None  # placements ended then; the actor is inactive
    uses_claude_code: bool | None = None  # None: decided by the unit

    @property
    def address(self) -> str:
        if self.email is not None:
            return self.email
        first, *rest = self.name.lower().split()
        return f"{_slug(first)}.{_slug(''.join(rest))}@{EMAIL_DOMAIN}"

    @property
    def external_uid(self) -> str:
        local = self.address.split("@")[0] if self.address else self.name.lower()
        return "demo-" + re.sub(r"[^a-z0-9]+", "-", local).strip("-")

    @property
    def in_claude_code(self) -> bool:
        if self.kind != ActorKind.human or self.left_months_ago is not None:
            return False
        return self.uses_claude_code if self.uses_claude_code is not None else self.unit in _CLAUDE_CODE_UNITS


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text)


def _h(name: str, unit: str, **kwargs) -> DemoPerson:
    return DemoPerson(name=name, unit=unit, **kwargs)


DEMO_PEOPLE: tuple[DemoPerson, ...] = (
    _h("Olivia Owens", COMPANY, uses_claude_code=False),
    _h("Ethan Brooks", "Engineering"),
    _h("Priya Raman", "Engineering", fte="0.80"),
    _h("Marcus Lee", "Platform Engineering"),
    _h("Ana Souza", "Core Platform"),
    _h("Ben Carter", "Core Platform"),
    _h("Chloe Nguyen", "Core Platform", allocation=60, secondary=("Developer Experience", 40)),
    _h("Daniel Kim", "Core Platform"),
    _h("Elena Petrova", "Core Platform", uses_claude_code=False),
    _h("Farah Haddad", "Developer Experience"),
    _h("George Miller", "Developer Experience"),
    _h("Hana Sato", "Developer Experience"),
    _h("Ivan Horvat", "Developer Experience", fte="0.50"),
    _h("Julia Fischer", "Checkout"),
    _h("Kevin O'Brien", "Checkout"),
    _h("Lena Schmidt", "Checkout"),
    _h("Mateo Garcia", "Checkout"),
    _h("Nina Rossi", "Checkout"),
    _h("Omar Aziz", "Search & Discovery", allocation=50, secondary=("Data & Analytics", 50)),
    _h("Paula Jensen", "Search & Discovery"),
    _h("Quentin Dubois", "Search & Discovery"),
    _h("Rosa Martinez", "Search & Discovery"),
    _h("Samir Patel", "Search & Discovery", moved_from=("Checkout", 4)),
    _h("Tara Walsh", "Mobile Apps", allocation=80, secondary=("Product Design", 20)),
    _h("Umar Farooq", "Mobile Apps"),
    _h("Vera Novak", "Mobile Apps"),
    _h("Will Turner", "Mobile Apps", joined_months_ago=3),
    _h("Xavier Dupont", "Mobile Apps"),
    _h("Xenia Ivanova", "Product"),
    _h("Yusuf Demir", "Product Management"),
    _h("Zoe Clarke", "Product Management"),
    _h("Aaron Blake", "Product Management", uses_claude_code=False),
    _h("Bianca Costa", "Product Management"),
    _h("Carlos Mendes", "Data & Analytics"),
    _h("Diana Wolf", "Data & Analytics"),
    _h("Emil Larsen", "Data & Analytics"),
    _h("Fiona Byrne", "Data & Analytics", fte="0.60"),
    _h("Gabriel Silva", "Design"),
    _h("Helen Park", "Product Design", allocation=70, secondary=("Checkout", 30)),
    _h("Isaac Cohen", "Product Design"),
    _h("Jade Thompson", "Product Design"),
    _h("Kai Mueller", "Product Design"),
    _h("Laura Bianchi", "User Research"),
    _h("Mohammed Ali", "User Research"),
    _h("Noor Hassan", "User Research", joined_months_ago=3, uses_claude_code=False),
    _h("Oscar Lindqvist", "Operations"),
    _h("Pia Andersen", "Customer Support"),
    _h("Rafael Torres", "Customer Support"),
    _h("Sara Johansson", "Customer Support"),
    _h("Tom Becker", "Customer Support"),
    _h("Uma Reddy", "Customer Support", fte="0.50"),
    _h("Quinn Foster", "Customer Support", left_months_ago=2),
    _h("Victor Huang", "Business Operations", uses_claude_code=True),
    _h("Wendy Adams", "Business Operations"),
    _h("Yara Nasser", "Business Operations", joined_months_ago=3),
    DemoPerson("Deploy Bot", "Developer Experience", kind=ActorKind.robot, email="deploy.bot@demo.test"),
    DemoPerson("Nightly Build Runner", "Core Platform", kind=ActorKind.robot, email=""),
    DemoPerson("Invoice Robot", "Business Operations", kind=ActorKind.robot, email="invoice.robot@demo.test",
               fte="0.25"),
    DemoPerson("Claude Review Agent", "Developer Experience", kind=ActorKind.agent,
               email="review.agent@demo.test", fte="2.00", allocation=150),
    DemoPerson("Support Triage Agent", "Customer Support", kind=ActorKind.agent, email="triage.agent@demo.test"),
    DemoPerson("Research Synthesis Agent", "User Research", kind=ActorKind.agent, email="research.agent@demo.test",
               fte="0.50"),
)


def demo_usage_roster() -> list[str]:
    """E-mails the demo's Claude Code usage belongs to: most Live humans, then the unknown contractors."""
    return [p.address for p in DEMO_PEOPLE if p.in_claude_code] + list(DEMO_UNKNOWN_USAGE_EMAILS)


# --- seeding ----------------------------------------------------------------------------------


def _months_ago(today: dt.date, months: int) -> dt.date:
    """The first day of the month `months` before today's month."""
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class _PlannedPlacement:
    unit: str
    is_primary: bool
    allocation: int
    start: dt.date
    end: dt.date | None


def _planned_placements(person: DemoPerson, today: dt.date) -> list[_PlannedPlacement]:
    start = _months_ago(today, person.joined_months_ago)
    end = None
    if person.left_months_ago is not None:
        end = _months_ago(today, person.left_months_ago) - dt.timedelta(days=1)
    plans = []
    if person.moved_from is not None:
        earlier_unit, months = person.moved_from
        moved_on = _months_ago(today, months)
        plans.append(_PlannedPlacement(earlier_unit, True, person.allocation, start, moved_on - dt.timedelta(days=1)))
        start = moved_on
    plans.append(_PlannedPlacement(person.unit, True, person.allocation, start, end))
    if person.secondary is not None:
        unit, allocation = person.secondary
        plans.append(_PlannedPlacement(unit, False, allocation, start, end))
    return plans


def _unit(session: Session, tenant_id: int, scenario_id: int | None, kind: OrgUnitKind, name: str) -> OrgUnit:
    unit = service.get_org_unit_by_name(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, kind=kind, name=name
    )
    if unit is None:
        raise LookupError(f"The demo org has no {kind.value} '{name}' in scope {scenario_id}.")
    return unit


def _seed_units(session: Session, tenant_id: int) -> dict[str, OrgUnit]:
    company = service.get_company(session=session, tenant_id=tenant_id, scenario_id=None)
    if company is None:
        company = service.create_org_unit(
            session=session, tenant_id=tenant_id, scenario_id=None, kind=OrgUnitKind.company, name=COMPANY
        )
    units = {company.name: company}
    specs: list[tuple[str, str, OrgUnitKind, str | None]] = [
        (name, parent, OrgUnitKind.department, None) for name, parent in DEPARTMENTS
    ]
    specs += [(name, parent, OrgUnitKind.team, team_type) for name, parent, team_type in TEAMS]
    for name, parent, kind, team_type in specs:
        unit = service.get_org_unit_by_name(
            session=session, tenant_id=tenant_id, scenario_id=None, kind=kind, name=name
        )
        if unit is None:
            unit = service.create_org_unit(
                session=session, tenant_id=tenant_id, scenario_id=None, kind=kind, name=name,
                parent_id=units[parent].id, team_type=team_type,
            )
        units[name] = unit
    return units


def _seed_people(session: Session, tenant_id: int, units: dict[str, OrgUnit], today: dt.date) -> None:
    for person in DEMO_PEOPLE:
        actor = service.get_actor_by_external_uid(
            session=session, tenant_id=tenant_id, scenario_id=None, external_uid=person.external_uid
        )
        if actor is None:
            actor = service.create_actor(
                session=session, tenant_id=tenant_id, scenario_id=None, name=person.name, email=person.address,
                kind=person.kind, fte=Decimal(person.fte), external_uid=person.external_uid,
                status=ActorStatus.inactive if person.left_months_ago is not None else ActorStatus.active,
            )
        placed_in = set(session.exec(select(Placement.org_unit_id).where(Placement.actor_id == actor.id)))
        for plan in _planned_placements(person, today):
            if units[plan.unit].id in placed_in:
                continue
            service.create_placement(
                session=session, tenant_id=tenant_id, actor_id=actor.id, org_unit_id=units[plan.unit].id,
                is_primary=plan.is_primary, allocation_pct=plan.allocation, start_date=plan.start,
                end_date=plan.end,
            )


def _scenario_named(session: Session, tenant_id: int, name: str) -> Scenario | None:
    return session.exec(select(Scenario).where(Scenario.tenant_id == tenant_id, Scenario.name == name)).first()


def _move_person(session: Session, tenant_id: int, scenario_id: int, name: str, unit: OrgUnit) -> None:
    """In a scenario: the person's current primary placement goes to `unit`."""
    person = next(p for p in DEMO_PEOPLE if p.name == name)
    actor = service.get_actor_by_external_uid(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, external_uid=person.external_uid
    )
    assert actor is not None  # copied from Live with the scenario
    placement = session.exec(
        select(Placement).where(
            Placement.actor_id == actor.id, Placement.is_primary == True,  # noqa: E712
            Placement.end_date.is_(None),  # type: ignore[union-attr]
        )
    ).one()
    service.update_placement(session=session, tenant_id=tenant_id, placement_id=placement.id, org_unit_id=unit.id)


def _seed_scenarios(session: Session, tenant_id: int) -> None:
    if _scenario_named(session, tenant_id, SNAPSHOT) is None:
        service.create_snapshot(session=session, tenant_id=tenant_id, name=SNAPSHOT)

    if _scenario_named(session, tenant_id, ARCHIVED_SCENARIO) is None:
        plan = service.create_scenario(session=session, tenant_id=tenant_id, name=ARCHIVED_SCENARIO)
        support = _unit(session, tenant_id, plan.id, OrgUnitKind.team, "Customer Support")
        _move_person(session, tenant_id, plan.id, "Oscar Lindqvist", support)
        service.archive_scenario(session=session, tenant_id=tenant_id, scenario_id=plan.id)

    if _scenario_named(session, tenant_id, REORG_SCENARIO) is None:
        reorg = service.create_scenario(session=session, tenant_id=tenant_id, name=REORG_SCENARIO)
        platform = _unit(session, tenant_id, reorg.id, OrgUnitKind.department, "Platform Engineering")
        ai_team = service.create_org_unit(
            session=session, tenant_id=tenant_id, scenario_id=reorg.id, kind=OrgUnitKind.team,
            name="AI Enablement", parent_id=platform.id, team_type="enabling",
            purpose="Help every team ship with AI coding tools.",
        )
        for name in ("Hana Sato", "Ivan Horvat"):
            _move_person(session, tenant_id, reorg.id, name, ai_team)
        _move_person(
            session, tenant_id, reorg.id, "Rosa Martinez", _unit(session, tenant_id, reorg.id, OrgUnitKind.team,
                                                                  "Checkout")
        )
        mobile = _unit(session, tenant_id, reorg.id, OrgUnitKind.team, "Mobile Apps")
        product = _unit(session, tenant_id, reorg.id, OrgUnitKind.department, "Product")
        service.move_org_unit(session=session, tenant_id=tenant_id, org_unit_id=mobile.id, parent_id=product.id)


def seed_demo_org(*, session: Session, tenant: Tenant) -> None:
    """Creates whatever of the demo org is missing (flushes; the caller commits)."""
    today = clock.today_in(tenant.timezone)
    units = _seed_units(session, tenant.id)
    _seed_people(session, tenant.id, units, today)
    _seed_scenarios(session, tenant.id)

