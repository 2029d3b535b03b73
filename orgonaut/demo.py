"""The demo tenant: deterministic, and idempotent (seeding twice changes nothing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from orgonaut.org.demo_data import REORG_SCENARIO, seed_demo_org
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role, Tenant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
# The simulator accepts any well-formed key; this one is public and only ever meets the simulator.
DEMO_ADMIN_KEY = "sk-ant-admin01-demo-simulator"
DEMO_CURSOR_KEY = "key_demo_cursor_simulator"
# The providers the demo connects to their simulators, and the key each is given.
DEMO_KEYS = {"claude_code": DEMO_ADMIN_KEY, "cursor": DEMO_CURSOR_KEY}
DEMO_BACKFILL_DAYS = 180
DEMO_USERS = [
    ("owner@demo.test", Role.owner, "Olivia Owner"),
    ("admin@demo.test", Role.admin, "Adam Admin"),
    ("manager@demo.test", Role.manager, "Maya Manager"),
    ("member@demo.test", Role.member, "Milo Member"),
]


def seed_tenant_and_users(*, session: Session, timezone: str = "UTC") -> Tenant:
    tenant = tenancy.get_tenant_by_slug(session=session, slug=DEMO_SLUG)
    if tenant is None:
        tenant = tenancy.create_tenant(
            session=session, slug=DEMO_SLUG, name="Demo Industries", plan=Plan.business, timezone=timezone
        )
    existing = {u.email for u in tenancy.list_users(session=session, tenant=tenant)}
    for email, role, name in DEMO_USERS:
        if email not in existing:
            tenancy.create_user(
                session=session, tenant=tenant, email=email, password=DEMO_PASSWORD, role=role, name=name
            )
    return tenant


def seed_demo_usage(*, session: Session, tenant: Tenant, days: int = DEMO_BACKFILL_DAYS,
                    providers: Sequence[str] = tuple(DEMO_KEYS)) -> int | None:
    """Connects Claude Code and Cursor to their simulators (ANTHROPIC_API_BASE, CURSOR_API_BASE) and
    backfills `days` of each, once.

    Runs the backfills in this process (no worker needed), then rebuilds the rollups, so every page
    has data when the app comes up. Returns the last backfill's sync log id, or None when already done.
    """
    from orgonaut.ai_tooling import service as ai_tooling
    from orgonaut.ai_tooling import sync
    from orgonaut.org import service as org
    from orgonaut.rollups import service as rollups

    if ai_tooling.list_integrations(session=session, tenant_id=tenant.id, include_disconnected=True):
        return None
    reorg = [s.id for s in org.list_scenarios(session=session, tenant_id=tenant.id) if s.name == REORG_SCENARIO]
    end = sync.last_complete_day()
    for provider in providers:
        integration = ai_tooling.connect(
            session=session, tenant_id=tenant.id, provider=provider, credentials={"api_key": DEMO_KEYS[provider]},
            baseline=True, scenario_ids=reorg, all_future=False,
        )
        session.commit()
        log = ai_tooling.start_backfill(
            session=session, tenant_id=tenant.id, integration_id=integration.id,
            start=end - dt.timedelta(days=days - 1), end=end, triggered_by=sync.TriggeredBy.cli, enqueue=False,
        )
        session.commit()
        sync.run_foreground(log_id=log.id)
    rollups.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    return log.id


def seed_demo(*, session: Session, timezone: str = "UTC", with_usage: bool = False,
              usage_providers: Sequence[str] = tuple(DEMO_KEYS)) -> Tenant:
    """Every demo step in order. Each step is idempotent on its own.

    `with_usage` connects the demo to the Anthropic and Cursor simulators (or `usage_providers`' only)
    and backfills; it needs them answering at ANTHROPIC_API_BASE and CURSOR_API_BASE.
    """
    tenant = seed_tenant_and_users(session=session, timezone=timezone)
    seed_demo_org(session=session, tenant=tenant)
    session.commit()
    if with_usage:
        seed_demo_usage(session=session, tenant=tenant, providers=usage_providers)
    return tenant
