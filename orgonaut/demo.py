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
# The simulators accept any well-formed key; these are public and only ever meet the simulators.
DEMO_ADMIN_KEY = "sk-ant-admin01-demo-simulator"
DEMO_CURSOR_KEY = "key_demo_cursor_simulator"
# The providers the demo connects to their simulators, and the credentials each is given.
DEMO_CREDENTIALS: dict[str, dict[str, str]] = {
    "claude_code": {"api_key": DEMO_ADMIN_KEY},
    "cursor": {"api_key": DEMO_CURSOR_KEY, "seat_usd": "40"},
    "copilot": {"kind": "organization", "owner": "orgonaut-sim", "token": "ghp_demo_simulator",
                "business_seat_usd": "19", "enterprise_seat_usd": "39"},
    "codex": {"workspace_id": "ws_demo", "api_key": "sk-demo-codex-simulator", "usd_per_credit": "0.04"},
    "claude_enterprise": {"api_key": "sk-ant-api01-demo-enterprise-simulator", "seat_usd": "60"},
}
DEMO_BACKFILL_DAYS = 180
# The newer providers' history: within the vendors' retention (Codex and Claude Enterprise keep 90 days),
# and short enough that `make run` comes up in about the same time.
DEMO_RECENT_PROVIDER_DAYS = {"copilot": 60, "codex": 60, "claude_enterprise": 60}
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
                    providers: Sequence[str] = tuple(DEMO_CREDENTIALS)) -> int | None:
    """Connects each provider to its simulator (ANTHROPIC_API_BASE, CURSOR_API_BASE, GITHUB_API_BASE,
    CODEX_API_BASE, CLAUDE_ENTERPRISE_API_BASE) and backfills `days` of each (fewer for the providers
    in DEMO_RECENT_PROVIDER_DAYS, and never before the vendor serves), once.

    Runs the backfills in this process (no worker needed), then rebuilds the rollups, so every page
    has data when the app comes up. Returns the last backfill's sync log id, or None when already done.
    """
    from orgonaut.ai_tooling import seats, sync
    from orgonaut.ai_tooling import service as ai_tooling
    from orgonaut.ai_tooling.providers import registry
    from orgonaut.org import service as org
    from orgonaut.rollups import service as rollups

    if ai_tooling.list_integrations(session=session, tenant_id=tenant.id, include_disconnected=True):
        return None
    reorg = [s.id for s in org.list_scenarios(session=session, tenant_id=tenant.id) if s.name == REORG_SCENARIO]
    end = sync.last_complete_day()
    for provider in providers:
        integration = ai_tooling.connect(
            session=session, tenant_id=tenant.id, provider=provider, credentials=DEMO_CREDENTIALS[provider],
            baseline=True, scenario_ids=reorg, all_future=False,
        )
        session.commit()
        start = end - dt.timedelta(days=min(days, DEMO_RECENT_PROVIDER_DAYS.get(provider, days)) - 1)
        start = max(start, registry.earliest_backfill_date(provider, configured=start, today=end))
        log = ai_tooling.start_backfill(
            session=session, tenant_id=tenant.id, integration_id=integration.id,
            start=start, end=end, triggered_by=sync.TriggeredBy.cli, enqueue=False,
        )
        session.commit()
        sync.run_foreground(log_id=log.id)
    if "copilot" in providers:
        _link_github_logins_by_hand(session=session, tenant_id=tenant.id)
    rollups.rebuild(session=session, tenant_id=tenant.id)
    session.commit()
    seats.refresh_all(tenant_id=tenant.id)  # who holds a seat now, for the idle-seats page
    return log.id


HAND_LINKED_GITHUB_LOGINS = 2


def _link_github_logins_by_hand(*, session: Session, tenant_id: int) -> None:
    """As an admin would from the Unmatched list ("Use for an existing person"): the first Copilot logins that
    plainly name a demo person (the login is their e-mail's name, hyphenated) are linked to them, so the demo's
    logins map partly through SAML, partly by hand, and the rest (a renamed one among them) wait on the list."""
    from sqlmodel import col, select

    from orgonaut.ai_tooling import service as ai_tooling
    from orgonaut.org.models import Actor

    people = {_login_like(a.email): a for a in session.exec(select(Actor).where(
        Actor.tenant_id == tenant_id, col(Actor.scenario_id).is_(None))) if a.email}
    linked = 0
    for entry in ai_tooling.list_unmatched(session=session, tenant_id=tenant_id, provider="copilot"):
        person = people.get(entry.label.removeprefix("@").split(" ")[0])
        if person is None or linked == HAND_LINKED_GITHUB_LOGINS:
            continue
        ai_tooling.link_source(session=session, tenant_id=tenant_id, actor_id=person.id, source=entry.source_email)
        session.commit()
        linked += 1


def _login_like(email: str) -> str:
    """`ada.lovelace@demo.test` -> `ada-lovelace`, the login a person would likely pick."""
    local = email.split("@")[0].lower()
    return "-".join(part for part in "".join(c if c.isalnum() else "-" for c in local).split("-") if part)


def seed_demo(*, session: Session, timezone: str = "UTC", with_usage: bool = False,
              usage_providers: Sequence[str] = tuple(DEMO_CREDENTIALS)) -> Tenant:
    """Every demo step in order. Each step is idempotent on its own.

    `with_usage` connects the demo to every provider's simulator (or `usage_providers`' only) and
    backfills; it needs them answering (see `seed_demo_usage`).
    """
    tenant = seed_tenant_and_users(session=session, timezone=timezone)
    seed_demo_org(session=session, tenant=tenant)
    session.commit()
    if with_usage:
        seed_demo_usage(session=session, tenant=tenant, providers=usage_providers)
    return tenant
