"""Scenarios and snapshots, org units, actors and placements.

Live is `scenario_id IS NULL` on every org row. Rows copied into a scenario keep `source_id`
(lineage): never compare rows across scopes by raw id.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Numeric, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow


class ScenarioKind(StrEnum):
    scenario = "scenario"
    snapshot = "snapshot"


class ScenarioStatus(StrEnum):
    active = "active"
    archived = "archived"


class OrgUnitKind(StrEnum):
    company = "company"
    department = "department"
    team = "team"
    system = "system"


class ActorKind(StrEnum):
    human = "human"
    robot = "robot"
    agent = "agent"


class ActorStatus(StrEnum):
    active = "active"
    inactive = "inactive"


class IdentityKind(StrEnum):
    """What a person is known as in a tool's data. E-mail is the default (usage records carry it)."""

    email = "email"
    github_login = "github_login"
    github_user_id = "github_user_id"
    cursor_user_id = "cursor_user_id"
    codex_user_id = "codex_user_id"
    claude_user_id = "claude_user_id"
    # Not people: an API key's or a service account's name, held by a robot or an agent actor.
    api_key = "api_key"
    service_account = "service_account"


def identity_scope_key(scenario_id: int | None) -> int:
    """0 for Live, else the scenario id: stands in for `scenario_id` in the unique key (NULLs never collide).
    The same rule as the usage records' `scope_key`."""
    return 0 if scenario_id is None else scenario_id


class Scenario(SQLModel, table=True):
    __tablename__ = "scenarios"

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    name: str = Field(max_length=200)
    kind: ScenarioKind = Field(default=ScenarioKind.scenario, sa_column=Column(String(20), nullable=False))
    status: ScenarioStatus = Field(
        default=ScenarioStatus.active, sa_column=Column(String(20), nullable=False)
    )
    # NULL = copied from Live.
    source_scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")

    @property
    def read_only(self) -> bool:
        return self.kind == ScenarioKind.snapshot or self.status == ScenarioStatus.archived


class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_units"
    __table_args__ = (Index("ix_org_units_scope", "tenant_id", "scenario_id", "kind"),)

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    kind: OrgUnitKind = Field(sa_column=Column(String(20), nullable=False))
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="org_units.id", index=True)
    team_type: str | None = Field(default=None, max_length=40)  # stream-aligned | platform | enabling
    purpose: str | None = Field(default=None, max_length=500)
    # Finance's code for the unit's spend (chargeback); a unit without one takes its nearest ancestor's.
    cost_centre: str | None = Field(default=None, max_length=40)
    source_id: int | None = Field(default=None, foreign_key="org_units.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class Actor(SQLModel, table=True):
    __tablename__ = "actors"
    __table_args__ = (
        Index("ix_actors_scope_email", "tenant_id", "scenario_id", "email"),
        Index("ix_actors_external_uid", "tenant_id", "external_uid"),
    )

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    kind: ActorKind = Field(default=ActorKind.human, sa_column=Column(String(20), nullable=False))
    name: str = Field(max_length=200)
    # Trimmed, lower case; empty for robots and agents without a mailbox.
    email: str = Field(default="", max_length=320)
    fte: Decimal = Field(default=Decimal("1.00"), sa_column=Column(Numeric(4, 2), nullable=False))
    status: ActorStatus = Field(default=ActorStatus.active, sa_column=Column(String(20), nullable=False))
    # Durable identity, the same across scopes (a scenario copy keeps it).
    external_uid: str = Field(max_length=64)
    source_id: int | None = Field(default=None, foreign_key="actors.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class ActorIdentity(SQLModel, table=True):
    """Another name a person goes by in a tool's data (a second e-mail, a GitHub login or user id, a
    Cursor user id), beside the actor's primary e-mail. Per tenant and scope like actors; a value
    belongs to one person per tenant, scope and kind (the unique key). Rules: `org/identities.py`."""

    __tablename__ = "actor_identities"
    __table_args__ = (
        UniqueConstraint("tenant_id", "scope_key", "kind", "value", name="uq_actor_identities_value"),
        Index("ix_actor_identities_actor", "actor_id"),
    )

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id")
    scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    scope_key: int = 0
    actor_id: int = Field(foreign_key="actors.id")
    kind: IdentityKind = Field(default=IdentityKind.email, sa_column=Column(String(20), nullable=False))
    # Normalised: e-mails through `normalise_email`, GitHub logins lower case, ids as digits.
    value: str = Field(max_length=320)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Placement(SQLModel, table=True):
    __tablename__ = "placements"
    __table_args__ = (Index("ix_placements_unit_dates", "org_unit_id", "start_date"),)

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    scenario_id: int | None = Field(default=None, foreign_key="scenarios.id")
    actor_id: int = Field(foreign_key="actors.id", index=True)
    org_unit_id: int = Field(foreign_key="org_units.id")
    is_primary: bool = False
    allocation_pct: int = Field(default=100)  # 0..300
    start_date: dt.date
    end_date: dt.date | None = None  # inclusive; NULL = open-ended
    source_id: int | None = Field(default=None, foreign_key="placements.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class OrgEventOutbox(SQLModel, table=True):
    """An org change event not yet delivered to every subscriber: written in the changing transaction,
    deleted once its handlers all ran (`org.events`). A crash or a failing handler leaves it for
    `redeliver` (beat), so re-matching and rollup refreshes that follow org changes are never lost."""

    __tablename__ = "org_event_outbox"

    id: int = Field(default=None, primary_key=True)
    tenant_id: int
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    # The last delivery attempt: redelivery waits a while after it (a lease against double delivery).
    attempted_at: dt.datetime | None = None
    attempts: int = 0
