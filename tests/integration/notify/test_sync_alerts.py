"""Alerts from real sync runs: the simulator's faults fail a run on the real worker, the health machine
reports the transition, and the e-mails come back from the SMTP server."""

import datetime as dt
import time

from sqlmodel import Session, select

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.db import get_engine
from orgonaut.integrations.models import IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.notify import service
from orgonaut.notify.models import Notification
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.notify.conftest import wait_until
from tests.support.simulator import REVOKED_KEY, VALID_KEY

DAY = dt.date(2025, 3, 3)


def _run(session, integration) -> IntegrationSyncLog:
    log = ai_tooling.start_sync_now(session=session, tenant_id=integration.tenant_id, integration_id=integration.id,
                                    day=DAY)
    session.commit()

    def finished():
        with Session(get_engine()) as fresh:
            row = fresh.get(IntegrationSyncLog, log.id)
            return row if row.status in (SyncStatus.succeeded, SyncStatus.failed) else None

    return wait_until(finished, timeout=60, message=f"sync run {log.id} finished")


def _titles(session, user):
    return [n.title for n in service.list_notifications(session=session, user=user).data]


def test_failed_and_recovered_sync_runs_alert_owners_and_admins(session, celery_worker_process, smtp_server,
                                                                 clean_simulator):
    tenant = make_tenant(session)
    owner, admin = make_user(session, tenant, role=Role.owner), make_user(session, tenant, role=Role.admin)
    manager, member = make_user(session, tenant, role=Role.manager), make_user(session, tenant, role=Role.member)
    other_owner = make_user(session, make_tenant(session), role=Role.owner)
    session.commit()
    integration = ai_tooling.connect(session=session, tenant_id=tenant.id, provider="claude_code",
                                     credentials={"api_key": VALID_KEY},
                                     api_base=clean_simulator.base_url, baseline=True, scenario_ids=[],
                                     all_future=False)
    session.commit()

    # The key is revoked: the run fails, and owner and admin hear about it once each.
    clean_simulator.set_fault(status=401)
    failed = _run(session, integration)
    assert failed.status == SyncStatus.failed
    received = smtp_server.wait_for(2)
    received = smtp_server.settle(1.0)
    assert sorted(r.to for r in received) == sorted([owner.email, admin.email])
    link = f"/settings/integrations/ai-tooling?run={failed.id}"
    for message in received:
        assert message.message["Subject"] == "[Orgonaut] Claude Code connection failed"
        assert "Invalid or revoked API key (invalid_key)" in message.text()
        assert f"{get_settings().base_url}{link}" in message.text()
        for secret in (VALID_KEY, REVOKED_KEY, "sk-ant"):
            assert secret not in message.raw.decode()
    for user in (owner, admin):
        [notification] = service.list_notifications(session=session, user=user).data
        assert (notification.title, notification.link) == ("Claude Code connection failed", link)
    for user in (manager, member, other_owner):
        assert _titles(session, user) == []

    # The next run fails the same way inside the cooldown: nothing new.
    smtp_server.clear()
    assert _run(session, integration).status == SyncStatus.failed
    time.sleep(1.0)
    assert smtp_server.settle(1.0) == []
    assert _titles(session, owner) == ["Claude Code connection failed"]

    # The fault is gone: the run succeeds and a recovery notice goes out.
    clean_simulator.clear_faults()
    assert _run(session, integration).status == SyncStatus.succeeded
    received = smtp_server.wait_for(2)
    assert sorted(r.to for r in smtp_server.settle(1.0)) == sorted([owner.email, admin.email])
    assert {r.message["Subject"] for r in received} == {"[Orgonaut] Claude Code connection recovered"}
    session.expire_all()
    assert session.get(type(integration), integration.id).status == IntegrationStatus.active

    # A new failure after the recovery alerts again at once.
    smtp_server.clear()
    clean_simulator.set_fault(status=401)
    assert _run(session, integration).status == SyncStatus.failed
    smtp_server.wait_for(2)
    assert len(smtp_server.settle(1.0)) == 2
    assert _titles(session, admin) == ["Claude Code connection failed", "Claude Code connection recovered",
                                       "Claude Code connection failed"]
    assert session.exec(select(Notification).where(Notification.user_id.in_([manager.id, member.id]))).all() == []
