"""Small tasks that prove the worker is alive and talking to the database."""

from __future__ import annotations

from sqlmodel import func, select

from orgonaut.db import session_scope
from orgonaut.tenancy.models import Tenant
from workers.celery_app import app


@app.task(name="orgonaut.system.count_tenants")
def count_tenants() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Tenant)).one()
