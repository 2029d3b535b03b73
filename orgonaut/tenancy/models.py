"""Tenants, plans and their features, users, roles and their abilities, login sessions, API tokens."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Column, String, UniqueConstraint, true
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow


class Plan(StrEnum):
    free = "free"
    team = "team"
    business = "business"
    enterprise = "enterprise"
    agency = "agency"


class Feature(StrEnum):
    ai_tooling = "integrations.ai-tooling"
    hris = "integrations.hris"
    mcp = "mcp-server"


# What a feature is called in sentences that refuse it.
FEATURE_NAMES: dict[Feature, str] = {
    Feature.ai_tooling: "AI Tooling usage sync",
    Feature.hris: "HRIS integrations",
    Feature.mcp: "The MCP server",
}

# Plans -> features, the one place that says which plan includes what.
PLAN_FEATURES: dict[Plan, frozenset[Feature]] = {
    Plan.free: frozenset(),
    Plan.team: frozenset(),
    Plan.business: frozenset({Feature.ai_tooling, Feature.hris, Feature.mcp}),
    Plan.enterprise: frozenset({Feature.ai_tooling, Feature.hris, Feature.mcp}),
    Plan.agency: frozenset({Feature.ai_tooling, Feature.hris, Feature.mcp}),
}


def plans_with(feature: Feature) -> list[Plan]:
    return [plan for plan in Plan if feature in PLAN_FEATURES[plan]]


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"
    member = "member"
    viewer = "viewer"


class Ability(StrEnum):
    integrations_manage = "integrations.manage"
    ai_tooling_manage = "ai-tooling.manage"
    api_tokens_manage = "api-tokens.manage"
    billing_manage = "billing.manage"
    imports_manage = "imports.manage"
    audit_read = "audit.read"
    org_write = "org.write"
    scenarios_read = "scenarios.read"
    org_units_read = "org-units.read"
    teams_read = "teams.read"
    placements_read = "placements.read"
    costs_read = "costs.read"
    org_metrics_read = "org-metrics.read"
    tenant_manage = "tenant.manage"


_READ = frozenset(
    {
        Ability.scenarios_read,
        Ability.org_units_read,
        Ability.teams_read,
        Ability.placements_read,
        Ability.costs_read,
        Ability.org_metrics_read,
    }
)
_MANAGER = _READ | {Ability.org_write, Ability.imports_manage, Ability.audit_read}
_ADMIN = _MANAGER | {Ability.integrations_manage, Ability.ai_tooling_manage, Ability.api_tokens_manage}

# Roles -> abilities, the one place that says who may do what.
ROLE_ABILITIES: dict[Role, frozenset[Ability]] = {
    Role.owner: _ADMIN | {Ability.billing_manage, Ability.tenant_manage},
    Role.admin: _ADMIN,
    Role.manager: _MANAGER,
    Role.member: _READ,
    Role.viewer: _READ - {Ability.costs_read},
}


class UsageReach(StrEnum):
    """Whose AI usage (cost, sessions, commits, PRs, lines, any usage metric) a role sees, on top of
    `costs.read`. The rule that applies it to a person or a unit is `orgonaut.org.visibility`."""

    everyone = "everyone"  # every person and unit of the tenant
    scope = "scope"  # their own page, and the units they are placed in, with everything below them
    own = "own"  # their own person page only (the actor with their e-mail)
    nobody = "nobody"


# Roles -> whose usage they see, beside ROLE_ABILITIES and read with it (without costs.read: nobody).
ROLE_USAGE_REACH: dict[Role, UsageReach] = {
    Role.owner: UsageReach.everyone,
    Role.admin: UsageReach.everyone,
    Role.manager: UsageReach.scope,
    Role.member: UsageReach.own,
    Role.viewer: UsageReach.nobody,
}


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: int = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(63), unique=True, nullable=False))
    name: str = Field(max_length=200)
    plan: Plan = Field(default=Plan.business, sa_column=Column(String(20), nullable=False))
    timezone: str = Field(default="UTC", max_length=64)
    currency: str = Field(default="USD", max_length=3)
    # Managers see person-level usage of the people in their scope (True), or only unit totals (False).
    # Owners choose (`tenant.manage`); see `orgonaut.org.visibility`.
    managers_see_people: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    created_at: dt.datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),)

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    email: str = Field(max_length=320, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255, repr=False)
    role: Role = Field(sa_column=Column(String(20), nullable=False))
    is_active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A server-side login session. Only the hash of the cookie's token is stored."""

    __tablename__ = "login_sessions"

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False), repr=False)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


class ApiToken(SQLModel, table=True):
    """A user's Bearer credential for the REST API, with its own list of abilities (rules in
    `orgonaut.tenancy.tokens`).

    Only the SHA-256 of the secret is stored (`tokens` says why a fast hash is right for a 256-bit
    random secret); `prefix` is a few characters of the secret, kept for display so people can tell
    their tokens apart.
    """

    __tablename__ = "api_tokens"

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    # Ability values (`orgonaut.tenancy.models.Ability`), sorted. At use they are cut down to what the
    # user's role holds then, so a role that loses an ability takes it from the user's tokens too.
    abilities: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    prefix: str = Field(max_length=16)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False), repr=False)
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
