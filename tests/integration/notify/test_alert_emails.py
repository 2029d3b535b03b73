"""Health alerts end to end: the rules run here, a real worker sends the e-mails over real SMTP.

The cooldown is decided in the process that reports the transition (this one, with its clock moved);
the worker only sends what the outbox holds.
"""

import datetime as dt

from sqlmodel import select

from orgonaut import clock
from orgonaut.integrations.models import Integration, IntegrationCategory, IntegrationStatus
from orgonaut.notify import alerts, service
from orgonaut.notify.models import EmailOutbox, EmailStatus, Notification
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.notify.conftest import wait_until

T0 = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
MESSAGE = "Invalid or revoked Admin API key: generate a new key in the Anthropic Console."


def _setup(session):
    tenant = make_tenant(session, timezone="America/New_York")
    people = {role: make_user(session, tenant, role=role) for role in Role}
    people["admin2"] = make_user(session, tenant, role=Role.admin)
    other = make_tenant(session)
    other_owner = make_user(session, other, role=Role.owner)
    integration = Integration(tenant_id=tenant.id, category=IntegrationCategory.ai_tooling, provider="claude_code",
                              organization_name="Acme Research", config_encrypted="sealed")
    other_integration = Integration(tenant_id=other.id, category=IntegrationCategory.ai_tooling,
                                    provider="claude_code")
    session.add_all([integration, other_integration])
    session.commit()
    return tenant, people, other_owner, integration


def _set_status(session, integration, current):
    """The health machine's part: fields, flush, hook, then the caller's commit."""
    previous = integration.status
    if current == IntegrationStatus.error:
        integration.error_since = integration.error_since or clock.utcnow()
        integration.last_error, integration.last_error_kind = MESSAGE, "invalid_key"
    else:
        integration.error_since = integration.last_error = integration.last_error_kind = None
    integration.status = current
    session.add(integration)
    session.flush()
    result = alerts.on_health_transition(session=session, integration=integration, previous=previous,
                                         current=current)
    session.commit()
    return result


def _still_failing(session, integration):
    result = alerts.on_still_failing(session=session, integration=integration)
    session.commit()
    return result


def _notifications(session, user):
    return service.list_notifications(session=session, user=user, limit=100).data


def _all_sent(session):
    rows = session.exec(select(EmailOutbox).execution_options(populate_existing=True)).all()
    return rows if rows and all(r.status == EmailStatus.sent for r in rows) else None


def test_failure_cooldown_and_recovery_reach_owners_and_admins_once_each(session, celery_worker_process,
                                                                         smtp_server):
    tenant, people, other_owner, integration = _setup(session)
    managers = [people[Role.owner], people[Role.admin], people["admin2"]]
    others = [people[Role.manager], people[Role.member], people[Role.viewer], other_owner]
    hours = get_settings().alert_cooldown_hours

    # First failure: one notification and one e-mail per owner and admin.
    with clock.frozen_at(T0):
        _set_status(session, integration, IntegrationStatus.error)
    received = smtp_server.wait_for(3)
    received = smtp_server.settle(1.0)
    assert sorted(r.to for r in received) == sorted(u.email for u in managers)
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(u.email for u in managers)
    rows = wait_until(lambda: _all_sent(session), message="every outbox row sent")
    assert sorted(r.message_id for r in rows) == sorted(r.message_id for r in received)
    assert all(r.attempts == 1 for r in rows)
    for message in received:
        assert message.message["Subject"] == "[Orgonaut] Claude Code connection failed"
        assert "Claude Code (Acme Research)" in message.text()
        assert "Invalid or revoked API key (invalid_key)" in message.text()
        assert "2026-03-01 22:00 EST" in message.text()  # 03:00 UTC in New York
        assert f"{get_settings().base_url}/settings/integrations/ai-tooling" in message.html()
        assert "sk-ant" not in message.raw.decode()
    for user in managers:
        [notification] = _notifications(session, user)
        assert notification.title == "Claude Code connection failed"
        assert notification.link == "/settings/integrations/ai-tooling"
        assert service.unread_count(session=session, user=user) == 1
    for user in others:
        assert _notifications(session, user) == []

    # The same failure reported again inside the cooldown: nothing.
    smtp_server.clear()
    with clock.frozen_at(T0 + dt.timedelta(hours=hours) - dt.timedelta(minutes=5)):
        assert _still_failing(session, integration) is None
    assert smtp_server.settle(1.5) == []
    assert all(len(_notifications(session, user)) == 1 for user in managers)

    # Past the cooldown: once more.
    with clock.frozen_at(T0 + dt.timedelta(hours=hours)):
        assert _still_failing(session, integration).kind == alerts.AlertKind.still_failing
    received = smtp_server.wait_for(3)
    received = smtp_server.settle(1.0)
    assert sorted(r.to for r in received) == sorted(u.email for u in managers)
    assert {r.message["Subject"] for r in received} == {"[Orgonaut] Claude Code connection still failing"}

    # Recovery: an informational notice.
    smtp_server.clear()
    with clock.frozen_at(T0 + dt.timedelta(hours=hours + 1)):
        _set_status(session, integration, IntegrationStatus.active)
    received = smtp_server.wait_for(3)
    received = smtp_server.settle(1.0)
    assert sorted(r.to for r in received) == sorted(u.email for u in managers)
    assert {r.message["Subject"] for r in received} == {"[Orgonaut] Claude Code connection recovered"}
    for user in managers:
        assert [n.title for n in _notifications(session, user)] == [
            "Claude Code connection recovered", "Claude Code connection still failing",
            "Claude Code connection failed"]

    # A new failure right after the recovery alerts at once.
    smtp_server.clear()
    with clock.frozen_at(T0 + dt.timedelta(hours=hours + 2)):
        _set_status(session, integration, IntegrationStatus.error)
    received = smtp_server.wait_for(3)
    received = smtp_server.settle(1.0)
    assert sorted(r.to for r in received) == sorted(u.email for u in managers)
    for user in others:
        assert _notifications(session, user) == []
    assert session.exec(select(Notification).where(Notification.tenant_id != tenant.id)).all() == []
    rows = wait_until(lambda: _all_sent(session), message="every outbox row sent")
    assert len(rows) == 12 and len({r.message_id for r in rows}) == 12


def test_email_preference_off_writes_no_outbox_row(session, celery_worker_process, smtp_server):
    _tenant, people, _other_owner, integration = _setup(session)
    owner, admin = people[Role.owner], people[Role.admin]
    service.update_preference(session=session, user=people[Role.admin], category="operational", email=False)
    service.update_preference(session=session, user=people["admin2"], category="operational", in_app=False,
                              email=False)
    session.commit()

    _set_status(session, integration, IntegrationStatus.error)
    received = smtp_server.wait_for(1)
    received = smtp_server.settle(1.0)
    assert [r.to for r in received] == [owner.email]
    assert [r.user_id for r in session.exec(select(EmailOutbox)).all()] == [owner.id]
    assert len(_notifications(session, owner)) == 1
    assert len(_notifications(session, admin)) == 1  # in-app still on
    assert _notifications(session, people["admin2"]) == []
