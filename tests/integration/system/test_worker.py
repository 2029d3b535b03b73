"""A real Celery worker on real Redis runs a task against the run's database."""

from orgonaut.tenancy.models import Tenant
from workers.system_tasks import count_tenants


def test_worker_runs_a_task_and_returns_a_real_result(session, celery_worker_process):
    session.add(Tenant(slug="a", name="A"))
    session.add(Tenant(slug="b", name="B"))
    session.commit()
    assert count_tenants.delay().get(timeout=30) == 2
