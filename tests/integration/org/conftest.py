"""A small org to test against, an event recorder, and a snapshot of every org row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from orgonaut.org import events, service
from orgonaut.org.models import Actor, ActorKind, OrgUnit, Placement
from orgonaut.tenancy.models import Tenant
from tests.factories import make_tenant

# The day the small org is looked at; placements are dated around it.
DAY = dt.date(2026, 6, 15)
EVENT_TYPES = (
    events.ActorCreated, events.ActorEmailChanged, events.PlacementChanged, events.OrgUnitMoved,
    events.ScenarioCreated,
)
ORG_TABLES = ("scenarios", "org_units", "actors", "placements")


@pytest.fixture(autouse=True)
def _no_subscribers():
    # Other domains' subscribers stay out of these tests and come back after them.
    with events.isolated_subscribers():
        yield


@dataclass
class Recorder:
    events: list = field(default_factory=list)

    def of(self, event_type: type) -> list:
        return [e for e in self.events if isinstance(e, event_type)]


@pytest.fixture
def recorder() -> Recorder:
    recorder = Recorder()
    for event_type in EVENT_TYPES:
        events.subscribe(event_type, recorder.events.append)
    return recorder


def org_state(session: Session) -> dict[str, list[tuple]]:
    """Every org row, column by column (autoflush puts anything a service half-did into it)."""
    return {
        name: [tuple(row) for row in session.execute(sa.text(f"SELECT * FROM {name} ORDER BY id"))]
        for name in ORG_TABLES
    }


@dataclass
class SmallOrg:
    """Acme
    ├── Engineering (department)       cy (direct)
    │   ├── Platform (department)
    │   │   └── Core (team)            ada (primary), bob (secondary 40 %), fay (from DAY+30)
    │   └── Checkout (team)            bob (primary 60 %), eve (ended DAY-30)
    └── Sales (department)
        └── Field Sales (team)         dee
    """

    tenant: Tenant
    company: OrgUnit
    engineering: OrgUnit
    platform: OrgUnit
    core: OrgUnit
    checkout: OrgUnit
    sales: OrgUnit
    field_sales: OrgUnit
    ada: Actor
    bob: Actor
    cy: Actor
    dee: Actor
    eve: Actor
    fay: Actor
    bob_primary: Placement

    @property
    def tenant_id(self) -> int:
        return self.tenant.id


def build_small_org(session: Session, tenant: Tenant | None = None, scenario_id: int | None = None) -> SmallOrg:
    tenant = tenant or make_tenant(session)
    t = tenant.id

    def unit(kind: str, name: str, parent: OrgUnit | None) -> OrgUnit:
        return service.create_org_unit(
            session=session, tenant_id=t, scenario_id=scenario_id, kind=kind, name=name,
            parent_id=parent.id if parent else None,
        )

    def actor(name: str, **kwargs) -> Actor:
        return service.create_actor(
            session=session, tenant_id=t, scenario_id=scenario_id, name=name.title(),
            email=kwargs.pop("email", f"{name}@{tenant.slug}.test"), **kwargs,
        )

    def place(who: Actor, where: OrgUnit, **kwargs) -> Placement:
        kwargs.setdefault("start_date", DAY - dt.timedelta(days=365))
        kwargs.setdefault("is_primary", True)
        return service.create_placement(session=session, tenant_id=t, actor_id=who.id, org_unit_id=where.id, **kwargs)

    company = unit("company", "Acme", None)
    engineering = unit("department", "Engineering", company)
    platform = unit("department", "Platform", engineering)
    core = unit("team", "Core", platform)
    checkout = unit("team", "Checkout", engineering)
    sales = unit("department", "Sales", company)
    field_sales = unit("team", "Field Sales", sales)
    ada, bob, cy, dee, eve, fay = (actor(n) for n in ("ada", "bob", "cy", "dee", "eve", "fay"))
    place(ada, core)
    bob_primary = place(bob, checkout, allocation_pct=60)
    place(bob, core, is_primary=False, allocation_pct=40)
    place(cy, engineering)
    place(dee, field_sales)
    place(eve, checkout, end_date=DAY - dt.timedelta(days=30))
    place(fay, core, start_date=DAY + dt.timedelta(days=30))
    return SmallOrg(
        tenant=tenant, company=company, engineering=engineering, platform=platform, core=core, checkout=checkout,
        sales=sales, field_sales=field_sales, ada=ada, bob=bob, cy=cy, dee=dee, eve=eve, fay=fay,
        bob_primary=bob_primary,
    )


@pytest.fixture
def org(session) -> SmallOrg:
    small = build_small_org(session)
    session.commit()
    return small


def robot(session: Session, org: SmallOrg, **kwargs) -> Actor:
    return service.create_actor(
        session=session, tenant_id=org.tenant_id, scenario_id=None, name="Build Bot", kind=ActorKind.robot,
        **kwargs,
    )
