"""The demo tenant: deterministic, and idempotent (seeding twice changes nothing)."""

from __future__ import annotations

from sqlmodel import Session

from orgonaut.org.demo_data import seed_demo_org
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role, Tenant

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
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


def seed_demo(*, session: Session, timezone: str = "UTC") -> Tenant:
    """Every demo step in order. Each step is idempotent on its own."""
    tenant = seed_tenant_and_users(session=session, timezone=timezone)
    seed_demo_org(session=session, tenant=tenant)
    return tenant
