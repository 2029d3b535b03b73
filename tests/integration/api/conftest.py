"""The REST API in-process (Starlette TestClient on the app Reflex mounts), tenants with tokens, and
demo-like usage data written straight to the tables.

The clock is frozen at NOW so "month to date" and "last month" are fixed; the app runs in this process,
so it sees the same clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key
from orgonaut.db import upsert
from orgonaut.org.models import Actor
from orgonaut.tenancy import tokens
from orgonaut.tenancy.models import Ability, Plan, Role, Tenant, User
from tests.factories import make_tenant

NOW = dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
AI = Ability.ai_tooling_manage.value
_users = itertools.count(1)


def pytest_configure(config):
    # Starlette 1.x nudges towards httpx2 for its TestClient; httpx is what this project pins.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def frozen():
    with clock.frozen_at(NOW):
        yield NOW


@pytest.fixture
def client(frozen):
    from starlette.testclient import TestClient

    from orgonaut.api.app import create_app

    with TestClient(create_app(), raise_server_exceptions=True) as test_client:
        yield test_client


def bearer(secret: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **extra}


def new_token(session: Session, user: User, abilities=(AI,), *, name: str = "test", expires_in_days=None) -> str:
    _token, secret = tokens.create_token(
        session=session, user=user, name=name, abilities=list(abilities), expires_in_days=expires_in_days
    )
    return secret


@dataclass
class TenantWithTokens:
    tenant: Tenant
    admin: User
    member: User
    admin_secret: str


def api_user(session: Session, tenant: Tenant, *, role: Role = Role.admin) -> User:
    """A user who never logs in (no password), so tests skip argon2's deliberate slowness."""
    user = User(tenant_id=tenant.id, email=f"{role.value}-{next(_users)}@{tenant.slug}.test", role=role,
                password_hash="!")
    session.add(user)
    session.flush()
    return user


def tenant_with_tokens(session: Session, *, plan: Plan = Plan.business, slug: str | None = None) -> TenantWithTokens:
    tenant = make_tenant(session, plan=plan, slug=slug)
    admin = api_user(session, tenant, role=Role.admin)
    member = api_user(session, tenant, role=Role.member)
    return TenantWithTokens(tenant=tenant, admin=admin, member=member, admin_secret=new_token(session, admin))


# --- demo-like usage --------------------------------------------------------------------------------


def _numbers(*key: object) -> list[int]:
    digest = hashlib.sha256("|".join(map(str, key)).encode()).digest()
    return list(digest)


def usage_row(
    *, tenant_id: int, scenario_id: int | None, email: str, actor_id: int | None, day: dt.date,
    provider: str = "claude_code",
) -> dict:
    """One deterministic record: small counts and a cost with fractions of a cent, most of it split over one or two
    models (the model mix), some days none of it."""
    n = _numbers(tenant_id, scenario_id, email, day, provider)
    cost = Decimal(n[0] * 97 + n[1]) + Decimal(n[2] * 256 + n[3]) / Decimal(65536)
    sonnet = (cost * 3 / 4).quantize(Decimal("0.000001"))
    models: list[dict] = [{"model": "claude-sonnet", "input_tokens": n[9] * 1000}]
    if n[14] % 3:
        models[0]["estimated_cost"] = {"currency": "USD", "amount": str(sonnet)}
        models.append({"model": "claude-opus" if n[14] % 3 == 1 else "claude-haiku",
                       "estimated_cost": {"currency": "USD", "amount": str(Decimal(n[15]) / 8)}})
    return {
        "tenant_id": tenant_id, "provider": provider, "scope_key": scope_key(scenario_id), "scenario_id": scenario_id,
        "source_email": email, "usage_date": day, "actor_id": actor_id, "sessions_count": n[4] % 9,
        "lines_added": n[5] * 7, "lines_removed": n[6] * 3, "commits_count": n[7] % 6,
        "pull_requests_count": n[8] % 3, "total_input_tokens": n[9] * 1000, "total_output_tokens": n[10] * 400,
        "total_cache_read_tokens": n[11] * 900, "total_cache_creation_tokens": n[12] * 50,
        "total_cost_cents": cost.quantize(Decimal("0.000001")), "tool_actions": {"edit_tool": {"accepted": n[13] % 5}},
        "model_breakdown": models, "fetched_at": NOW,
        "updated_at": NOW,
    }


def write_usage(
    session: Session, *, tenant: Tenant, scenario_id: int | None, emails: list[str], start: dt.date, end: dt.date,
    skip_every: int = 4,
) -> int:
    """Daily records for these e-mails from start to end (some days skipped per person), matched by
    e-mail to the scope's actors like the sync does; unknown e-mails stay unmatched."""
    actors = {
        a.email: a.id
        for a in session.exec(select(Actor).where(Actor.tenant_id == tenant.id, Actor.scenario_id == scenario_id))
        if a.email
    }
    rows = []
    day = start
    while day <= end:
        for index, email in enumerate(emails):
            if (day.toordinal() + index) % skip_every == 0:
                continue
            rows.append(usage_row(tenant_id=tenant.id, scenario_id=scenario_id, email=email,
                                  actor_id=actors.get(email), day=day))
        day += dt.timedelta(days=1)
    columns = [c for c in rows[0] if c not in {"tenant_id", "provider", "scope_key", "source_email", "usage_date"}]
    upsert(session, AiToolUsageRecord, rows, conflict_columns=["tenant_id", "provider", "scope_key", "source_email",
                                                                "usage_date"], update_columns=columns)
    return len(rows)


# --- a small org ------------------------------------------------------------------------------------


@dataclass
class SmallOrg:
    """Acme: Engineering (department) > Core (team) with Alice and Bob; Dana placed in Engineering itself."""

    tenant: Tenant
    engineering: int
    core: int
    alice: int
    bob: int
    dana: int
    idle: int  # placed in Core, never used anything


def small_org(session: Session, tenant: Tenant, *, scenario_id: int | None = None) -> SmallOrg:
    from orgonaut.org.models import OrgUnit, OrgUnitKind, Placement

    def unit(name: str, kind: OrgUnitKind, parent: OrgUnit | None) -> OrgUnit:
        row = OrgUnit(tenant_id=tenant.id, scenario_id=scenario_id, kind=kind, name=name,
                      parent_id=parent.id if parent else None)
        session.add(row)
        session.flush()
        return row

    def person(name: str, where: OrgUnit) -> Actor:
        row = Actor(tenant_id=tenant.id, scenario_id=scenario_id, name=name,
                    email=f"{name.lower()}@{tenant.slug}.test", external_uid=f"{tenant.slug}-{name.lower()}")
        session.add(row)
        session.flush()
        session.add(Placement(tenant_id=tenant.id, scenario_id=scenario_id, actor_id=row.id, org_unit_id=where.id,
                              is_primary=True, start_date=dt.date(2026, 1, 1)))
        session.flush()
        return row

    company = unit("Acme", OrgUnitKind.company, None)
    engineering = unit("Engineering", OrgUnitKind.department, company)
    core = unit("Core", OrgUnitKind.team, engineering)
    alice, bob, dana, idle = (person("Alice", core), person("Bob", core), person("Dana", engineering),
                              person("Idle", core))
    write_usage(session, tenant=tenant, scenario_id=scenario_id,
                emails=[alice.email, bob.email, dana.email, f"stranger@{tenant.slug}.test"],
                start=dt.date(2026, 9, 20), end=NOW.date())
    return SmallOrg(tenant=tenant, engineering=engineering.id, core=core.id, alice=alice.id, bob=bob.id, dana=dana.id,
                    idle=idle.id)


def rebuild_rollups(session: Session, tenant: Tenant) -> None:
    from orgonaut.rollups import service

    with clock.frozen_at(NOW - dt.timedelta(minutes=5)):
        service.rebuild(session=session, tenant_id=tenant.id)
    session.commit()


def routes_for(org: SmallOrg) -> list[str]:
    """Every route of the API, with ids of this org."""
    return [
        "/api/v1/ai-tooling/usage",
        f"/api/v1/ai-tooling/actors/{org.alice}/summary",
        f"/api/v1/ai-tooling/actors/{org.alice}/series",
        f"/api/v1/ai-tooling/teams/{org.core}/summary",
        f"/api/v1/ai-tooling/departments/{org.engineering}/summary",
        "/api/v1/ai-tooling/overview",
        "/api/v1/ai-tooling/overview/series",
        "/api/v1/ai-tooling/overview/top-units",
        "/api/v1/ai-tooling/overview/active-users",
        "/api/v1/ai-tooling/overview/cohorts",
        "/api/v1/ai-tooling/overview/model-mix",
        "/api/v1/ai-tooling/overview/output-per-cost",
    ]


ROUTE_NAMES = ["usage", "actor-summary", "actor-series", "team-summary", "department-summary", "overview",
               "overview-series", "overview-top-units", "overview-active-users", "overview-cohorts",
               "overview-model-mix", "overview-output-per-cost"]


@pytest.fixture
def world(session, frozen) -> tuple[TenantWithTokens, SmallOrg]:
    """Acme (slug "acme") with an admin's token, the small org with its usage, rollups built."""
    acme = tenant_with_tokens(session, slug="acme")
    org = small_org(session, acme.tenant)
    session.commit()
    rebuild_rollups(session, acme.tenant)
    return acme, org


@pytest.fixture
def acme(world) -> tuple[TenantWithTokens, SmallOrg]:
    """The same world, under the name the parameter and usage-list tests read best with."""
    return world
