"""Small builders for rows tests need. Each flushes, so ids are set; the test commits."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Plan, Role, Tenant, User

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def make_tenant(session: Session, *, slug: str | None = None, plan: Plan = Plan.business,
                timezone: str = "UTC") -> Tenant:
    n = next(_counter)
    return tenancy.create_tenant(
        session=session, slug=slug or f"tenant-{n}", name=f"Tenant {n}", plan=plan, timezone=timezone
    )


def make_user(session: Session, tenant: Tenant, *, role: Role = Role.admin, email: str | None = None,
              password: str = PASSWORD) -> User:
    n = next(_counter)
    return tenancy.create_user(
        session=session, tenant=tenant, email=email or f"user{n}@{tenant.slug}.test", password=password,
        role=role,
    )
