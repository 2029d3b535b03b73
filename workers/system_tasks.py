"""Small tasks: proof that the worker is alive and talking to the database, and housekeeping."""

from __future__ import annotations

from sqlmodel import func, select

from orgonaut.db import session_scope
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Tenant
from workers.celery_app import app


@app.task(name="orgonaut.system.count_tenants")
def count_tenants() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Tenant)).one()


@app.task(name="orgonaut.system.purge_login_sessions")
def purge_login_sessions() -> int:
    """Ended login sessions go (daily, from beat)."""
    with session_scope() as session:
        return tenancy.purge_login_sessions(session=session)
