"""Alert rules on health transitions: who hears, what they read, cooldown and recovery.

Transitions are applied here the way the health machine applies them (status and error fields set,
flushed, then the hook called in the same transaction). Nothing is committed, so no task is queued.
"""

import datetime as dt

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.integrations.models import (
    Integration,
    IntegrationCategory,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncKind,
    SyncStatus,
)
from orgonaut.notify import alerts, service
from orgonaut.notify.alerts import AlertKind
from orgonaut.notify.models import EmailOutbox, Notification
from orgonaut.settings import get_settings
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user

T0 = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
KEY = "sk-ant-admin01-" + "x" * 40


def make_integration(session, tenant, *, status=IntegrationStatus.active, organization_name="Acme Research"):
    integration = Integration(tenant_id=tenant.id, category=IntegrationCategory.ai_tooling, provider="claude_code",
                              status=status, organization_name=organization_name, config_encrypted="sealed")
    session.add(integration)
    session.flush()
    return integration


def transition(session, integration, current, *, kind="invalid_key", message="Invalid or revoked Admin API key."):
    """What the health machine does: set the fields, flush, call the hook."""
    previous = integration.status
    if current == IntegrationStatus.error:
        integration.error_since = integration.error_since or clock.utcnow()
        integration.last_error, integration.last_error_kind = message, kind
    elif current == IntegrationStatus.active:
        integration.error_since = integration.last_error = integration.last_error_kind = None
    integration.status = current
    session.add(integration)
    session.flush()
    return alerts.on_health_transition(session=session, integration=integration, previous=previous, current=current)


@pytest.fixture
def org(session):
    """A tenant with one user per role (two admins) and a second tenant with its own owner."""
    tenant = make_tenant(session, timezone="Europe/Berlin")
    users = {
        "owner": make_user(session, tenant, role=Role.owner),
        "admin": make_user(session, tenant, role=Role.admin),
        "admin2": make_user(session, tenant, role=Role.admin),
        "manager": make_user(session, tenant, role=Role.manager),
        "member": make_user(session, tenant, role=Role.member),
        "viewer": make_user(session, tenant, role=Role.viewer),
    }
    other = make_tenant(session)
    users["other_owner"] = make_user(session, other, role=Role.owner)
    return tenant, other, users


def _notifications(session):
    return session.exec(select(Notification).order_by(Notification.id)).all()


def _emails(session):
    return session.exec(select(EmailOutbox).order_by(EmailOutbox.id)).all()


def test_alert_roles_are_owner_and_admin():
    assert {Role.owner, Role.admin} == alerts.ALERT_ROLES


def test_first_failure_notifies_each_owner_and_admin_once_and_nobody_else(session, org):
    tenant, _other, users = org
    integration = make_integration(session, tenant)
    with clock.frozen_at(T0):
        result = transition(session, integration, IntegrationStatus.error)

    recipients = {users[name].id for name in ("owner", "admin", "admin2")}
    notifications, emails = _notifications(session), _emails(session)
    assert result.kind == AlertKind.failed
    assert sorted(n.user_id for n in notifications) == sorted(recipients)
    assert sorted(e.user_id for e in emails) == sorted(recipients)
    assert {e.to_address for e in emails} == {users[n].email for n in ("owner", "admin", "admin2")}
    assert {n.tenant_id for n in notifications} == {e.tenant_id for e in emails} == {tenant.id}
    assert len({e.message_id for e in emails}) == 3
    assert all(n.category == "operational" and n.link == "/settings/integrations/ai-tooling" for n in notifications)
    assert integration.last_alert_at == T0
    assert session.get(Integration, integration.id).last_alert_at == T0


def test_texts_say_which_integration_what_failed_since_when_and_link_to_the_failed_run(session, org):
    tenant, _other, users = org
    integration = make_integration(session, tenant)
    integration.last_success_at = T0 - dt.timedelta(days=2)
    old_failure = IntegrationSyncLog(tenant_id=tenant.id, integration_id=integration.id, kind=SyncKind.reconcile,
                                     status=SyncStatus.failed, window_start=T0.date(), window_end=T0.date(),
                                     created_at=T0 - dt.timedelta(days=3))
    run = IntegrationSyncLog(tenant_id=tenant.id, integration_id=integration.id, kind=SyncKind.reconcile,
                             status=SyncStatus.failed, window_start=T0.date(), window_end=T0.date(),
                             created_at=T0 - dt.timedelta(minutes=1), error_message="401")
    session.add_all([old_failure, run])
    session.flush()
    with clock.frozen_at(T0):
        transition(session, integration, IntegrationStatus.error, kind="missing_permission",
                   message="The key lacks organisation-level permissions: check the key's scopes.")

    notification = _notifications(session)[0]
    email = _emails(session)[0]
    base = get_settings().base_url.rstrip("/")
    link = f"/settings/integrations/ai-tooling?run={run.id}"
    assert notification.link == link
    assert notification.title == "Claude Code connection failed"
    assert "Claude Code (Acme Research)" in notification.body
    assert "Missing permission" in notification.body
    assert "organisation-level permissions" in notification.body
    # 03:00 UTC is 04:00 in Berlin in March (CET).
    assert "2026-03-02 04:00 CET" in notification.body
    assert email.subject == "[Orgonaut] Claude Code connection failed"
    for text in (email.text_body, email.html_body):
        assert "Claude Code (Acme Research)" in text
        assert "Missing permission (missing_permission)" in text
        assert "organisation-level permissions" in text
        assert "2026-03-02 04:00 CET" in text
        assert f"{base}{link}" in text
        assert f"{base}/settings/notifications" in text
        assert tenant.name in text
    assert "Open the failed run" in email.text_body
    assert email.html_body.startswith("<!doctype html>") and "&#x27;s scopes" in email.html_body


def test_no_secret_or_key_prefix_reaches_a_notification_or_email(session, org):
    tenant, _other, _users = org
    integration = make_integration(session, tenant)
    # A message should never hold a key; if one ever did, it is still blanked out.
    with clock.frozen_at(T0):
        transition(session, integration, IntegrationStatus.error, message=f"upstream said: bad key {KEY} (401)")
    texts = [t for n in _notifications(session) for t in (n.title, n.body, n.link)]
    texts += [t for e in _emails(session) for t in (e.subject, e.text_body, e.html_body)]
    assert texts and all("sk-ant" not in t and KEY not in t and "sealed" not in t for t in texts)
    assert "[redacted]" in _notifications(session)[0].body


def test_preferences_are_respected_per_user(session, org):
    tenant, _other, users = org
    service.update_preference(session=session, user=users["admin"], category="operational", email=False)
    service.update_preference(session=session, user=users["admin2"], category="operational", in_app=False)
    # A member who switches e-mail on still gets nothing: alerts go to integration managers only.
    service.update_preference(session=session, user=users["member"], category="operational", email=True)
    integration = make_integration(session, tenant)
    transition(session, integration, IntegrationStatus.error)

    assert sorted(n.user_id for n in _notifications(session)) == sorted([users["owner"].id, users["admin"].id])
    assert sorted(e.user_id for e in _emails(session)) == sorted([users["owner"].id, users["admin2"].id])


def test_inactive_users_and_later_joiners_are_not_alerted_for_the_past(session, org):
    tenant, _other, users = org
    users["admin2"].is_active = False
    session.add(users["admin2"])
    integration = make_integration(session, tenant)
    transition(session, integration, IntegrationStatus.error)
    make_user(session, tenant, role=Role.admin)  # joins after the transition
    assert sorted(n.user_id for n in _notifications(session)) == sorted([users["owner"].id, users["admin"].id])


def test_cooldown_suppresses_repeats_of_the_same_failure_until_it_passes(session, org):
    tenant, _other, _users = org
    integration = make_integration(session, tenant)
    hours = get_settings().alert_cooldown_hours
    with clock.frozen_at(T0):
        transition(session, integration, IntegrationStatus.error)
    assert len(_notifications(session)) == 3

    with clock.frozen_at(T0 + dt.timedelta(hours=hours) - dt.timedelta(minutes=1)):
        assert alerts.on_still_failing(session=session, integration=integration) is None
    assert len(_notifications(session)) == 3 and len(_emails(session)) == 3

    with clock.frozen_at(T0 + dt.timedelta(hours=hours)):
        result = alerts.on_still_failing(session=session, integration=integration)
    assert result.kind == AlertKind.still_failing and len(result.notification_ids) == 3
    assert len(_notifications(session)) == 6 and len(_emails(session)) == 6
    assert _notifications(session)[-1].title == "Claude Code connection still failing"
    assert integration.last_alert_at == T0 + dt.timedelta(hours=hours)

    # The window restarts from the last alert.
    with clock.frozen_at(T0 + dt.timedelta(hours=hours * 1.5)):
        assert alerts.on_still_failing(session=session, integration=integration) is None
    assert len(_notifications(session)) == 6


def test_still_failing_does_nothing_unless_in_error(session, org):
    tenant, _other, _users = org
    for status in (IntegrationStatus.active, IntegrationStatus.paused, IntegrationStatus.disconnected):
        integration = make_integration(session, tenant, status=status)
        assert alerts.on_still_failing(session=session, integration=integration) is None
    assert _notifications(session) == []


def test_recovery_sends_a_notice_and_the_next_failure_alerts_at_once(session, org):
    tenant, _other, users = org
    integration = make_integration(session, tenant)
    with clock.frozen_at(T0):
        transition(session, integration, IntegrationStatus.error)
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        recovered = transition(session, integration, IntegrationStatus.active)

    assert recovered.kind == AlertKind.recovered
    notices = session.exec(select(Notification).where(Notification.id.in_(recovered.notification_ids))).all()
    assert {n.user_id for n in notices} == {users[n].id for n in ("owner", "admin", "admin2")}
    assert {n.title for n in notices} == {"Claude Code connection recovered"}
    assert all("healthy again as of 2026-03-02 05:00 CET" in n.body for n in notices)
    assert all(n.link == "/settings/integrations/ai-tooling" for n in notices)
    # Owners and admins e-mail by default, so they hear by e-mail that it works again.
    assert len(recovered.outbox_ids) == 3
    assert integration.last_alert_at is None

    # A new failure one hour later is a new episode: it alerts at once, cooldown or not.
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        again = transition(session, integration, IntegrationStatus.error)
    assert again.kind == AlertKind.failed and len(again.notification_ids) == 3


def test_other_transitions(session, org):
    tenant, _other, _users = org
    integration = make_integration(session, tenant)
    with clock.frozen_at(T0):
        assert transition(session, integration, IntegrationStatus.paused) is None
        # paused -> error (e.g. resumed into a failing state): the first alert of the episode goes out...
        assert transition(session, integration, IntegrationStatus.error).kind == AlertKind.failed
        # ...error -> paused -> error within the cooldown is the same failure: nothing new.
        assert transition(session, integration, IntegrationStatus.paused) is None
        assert transition(session, integration, IntegrationStatus.error) is None
        # error -> disconnected: no notice; the status did not recover.
        assert transition(session, integration, IntegrationStatus.disconnected) is None
    assert len(_notifications(session)) == 3
    with pytest.raises(ValueError):
        alerts.on_health_transition(session=session, integration=integration, previous="active", current="broken")


def test_other_tenants_alert_their_own_people_only(session, org):
    tenant, other, users = org
    theirs = make_integration(session, other)
    transition(session, theirs, IntegrationStatus.error)
    assert [n.user_id for n in _notifications(session)] == [users["other_owner"].id]
    assert [e.to_address for e in _emails(session)] == [users["other_owner"].email]


def test_unknown_provider_key_is_named_by_its_key(session, org):
    tenant, _other, _users = org
    integration = make_integration(session, tenant, organization_name=None)
    integration.provider = "future_tool"
    transition(session, integration, IntegrationStatus.error, kind="weird", message="Something odd.")
    notification = _notifications(session)[0]
    assert notification.title == "future_tool connection failed"
    assert "future_tool has been in error since" in notification.body and "Something odd." in notification.body


def test_the_health_machine_drives_the_alerts(session, org):
    from orgonaut.integrations import health

    tenant, _other, users = org
    integration = make_integration(session, tenant)
    with clock.frozen_at(T0):
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                      error_kind="unavailable", message="The Anthropic API is unavailable (HTTP 529) after 5 tries.")
    [first] = {n.title for n in _notifications(session)}
    assert first == "Claude Code connection failed" and len(_notifications(session)) == 3
    assert "Provider unavailable" in _notifications(session)[0].body
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                      error_kind="unavailable", message="Still unavailable.")
    assert len(_notifications(session)) == 3  # the same failure inside the cooldown
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        health.record(session=session, integration=integration, event=health.HealthEvent.sync_succeeded)
    assert _notifications(session)[-1].title == "Claude Code connection recovered"
    assert {e.user_id for e in _emails(session)} == {users[n].id for n in ("owner", "admin", "admin2")}
    assert len(_emails(session)) == 6
