"""The bell, /notifications and /settings/notifications in a real browser on the seeded demo.

The alerts come from the real path: the demo's Claude Code connection (to the browser tests' simulator)
runs real syncs that fail because the simulator answers 401 (a revoked key), and a connection test
that succeeds again, so the health state machine and the alert rules write every notification.

The database is shared by every browser test, so each fixture removes what it added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete
from sqlmodel import col, func, select, update

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling import sync
from orgonaut.db import session_scope
from orgonaut.integrations.models import Integration, IntegrationStatus, IntegrationSyncLog, SyncStatus
from orgonaut.notify import service as notify
from orgonaut.notify.models import Category, EmailOutbox, Notification, NotificationPreference
from orgonaut.tenancy.models import Tenant, User
from orgonaut.ui import routes
from tests.e2e.pages import log_in
from tests.support.simulator import SimulatorServer

FAILED = "Claude Code connection failed"
RECOVERED = "Claude Code connection recovered"


# --- helpers ----------------------------------------------------------------------------------


def _user(email: str) -> User:
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email)).one()


def _max_id(model, tenant_id: int) -> int:
    with session_scope() as session:
        return session.exec(select(func.coalesce(func.max(model.id), 0)).where(model.tenant_id == tenant_id)).one()


def _unread(email: str) -> int:
    with session_scope() as session:
        return notify.unread_count(session=session, user=_user(email))


def _failed_run(tenant_id: int, integration_id: int) -> int:
    """A real Sync now run, in this process, against the simulator (which answers 401 now)."""
    with session_scope() as session:
        log = ai_tooling.start_sync_now(session=session, tenant_id=tenant_id, integration_id=integration_id,
                                        enqueue=False)
    finished = sync.run_foreground(log_id=log.id)
    assert finished.status == SyncStatus.failed, finished.error_message
    return finished.id


def _test_connection(tenant_id: int, integration_id: int) -> None:
    """The Test connection button's path: the simulator answers again, so the connection recovers."""
    with session_scope() as session:
        result = ai_tooling.test_connection(session=session, tenant_id=tenant_id, integration_id=integration_id)
    assert result.ok, result.message


def _bell(page: Page):
    return page.get_by_role("link", name=re.compile(r"^Notifications, "))


def _items(page: Page):
    return page.get_by_role("list", name="Notifications").get_by_role("listitem")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def demo_tenant(seeded_demo) -> Tenant:
    with session_scope() as session:
        return session.exec(select(Tenant).where(Tenant.slug == seeded_demo)).one()


# What the alert flow changes on the demo's integration, put back afterwards.
_HEALTH_FIELDS = ("status", "last_error", "last_error_kind", "error_since", "last_alert_at", "last_sync_at",
                  "organization_name")


@pytest.fixture
def alerted(demo_tenant: Tenant, demo_simulator: SimulatorServer) -> Iterator[dict]:
    """The demo after a failed run, a recovery and a second failed run of its Claude Code connection.

    Everything it adds (runs, notifications, e-mails) is removed afterwards, and the integration's
    health is put back as it was.
    """
    tenant_id = demo_tenant.id
    admin = _user("admin@demo.test")
    first_notification, first_outbox = _max_id(Notification, tenant_id), _max_id(EmailOutbox, tenant_id)
    first_log = _max_id(IntegrationSyncLog, tenant_id)
    with session_scope() as session:
        unread_before = [n.id for n in notify.list_notifications(
            session=session, user=admin, limit=100, unread_only=True).data]
        [integration] = ai_tooling.list_integrations(session=session, tenant_id=tenant_id)
        assert integration.status == IntegrationStatus.active, "the demo's Claude Code connection should be healthy"
        health_before = {name: getattr(integration, name) for name in _HEALTH_FIELDS}
    try:
        demo_simulator.set_fault(status=401)  # the key was revoked
        first_run = _failed_run(tenant_id, integration.id)
        demo_simulator.clear_faults()
        _test_connection(tenant_id, integration.id)
        demo_simulator.set_fault(status=401)
        second_run = _failed_run(tenant_id, integration.id)
        demo_simulator.clear_faults()
        yield {"tenant_id": tenant_id, "integration_id": integration.id, "first_run": first_run,
               "second_run": second_run, "unread_before": len(unread_before)}
    finally:
        demo_simulator.clear_faults()
        with session_scope() as session:
            session.exec(delete(Notification).where(col(Notification.tenant_id) == tenant_id,
                                                    col(Notification.id) > first_notification))
            session.exec(delete(EmailOutbox).where(col(EmailOutbox.tenant_id) == tenant_id,
                                                   col(EmailOutbox.id) > first_outbox))
            session.exec(delete(IntegrationSyncLog).where(col(IntegrationSyncLog.tenant_id) == tenant_id,
                                                          col(IntegrationSyncLog.id) > first_log))
            if unread_before:  # what the admin had unread before is unread again
                session.exec(update(Notification).where(col(Notification.id).in_(unread_before))
                             .values(read_at=None))
            session.exec(update(Integration).where(col(Integration.id) == integration.id).values(**health_before))


@pytest.fixture
def member_preferences_restored() -> Iterator[User]:
    """The member's stored preferences as they were (none, in the seeded demo)."""
    member = _user("member@demo.test")
    with session_scope() as session:
        before = {p.category: (p.in_app, p.email) for p in session.exec(
            select(NotificationPreference).where(NotificationPreference.user_id == member.id))}
    yield member
    with session_scope() as session:
        rows = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == member.id)).all()
        for row in rows:
            if row.category in before:
                row.in_app, row.email = before[row.category]
                session.add(row)
            else:
                session.delete(row)


# --- the bell and the list --------------------------------------------------------------------


def test_admin_sees_the_alerts_in_the_bell_and_the_list_and_opens_the_failed_run(
    page: Page, base_url: str, alerted: dict,
):
    expected = alerted["unread_before"] + 3
    assert _unread("admin@demo.test") == expected
    log_in(page, base_url, "admin@demo.test")
    bell = _bell(page)
    expect(bell).to_have_accessible_name(f"Notifications, {expected} unread")
    expect(bell).to_have_text(str(expected))

    bell.click()
    expect(page).to_have_url(re.compile(rf"{routes.NOTIFICATIONS}/?$"))
    items = _items(page)
    expect(items.nth(0)).to_contain_text(FAILED)
    expect(items.nth(1)).to_contain_text(RECOVERED)
    expect(items.nth(2)).to_contain_text(FAILED)
    expect(items.nth(0)).to_contain_text("Invalid or revoked API key")
    expect(page.get_by_role("status").filter(has_text="unread")).to_have_text(f"{expected} unread")
    run_link = f"{routes.AI_TOOLING_SETTINGS}?run={alerted['second_run']}"
    expect(items.nth(0).get_by_role("link", name=FAILED)).to_have_attribute("href", run_link)
    expect(items.nth(1).get_by_role("link", name=RECOVERED)).to_have_attribute("href", routes.AI_TOOLING_SETTINGS)
    expect(items.nth(2).get_by_role("link", name=FAILED)).to_have_attribute(
        "href", f"{routes.AI_TOOLING_SETTINGS}?run={alerted['first_run']}")

    # Mark read lowers the count by one.
    items.nth(1).get_by_role("button", name=f"Mark read: {RECOVERED}").click()
    expect(bell).to_have_accessible_name(f"Notifications, {expected - 1} unread")
    expect(items.nth(1)).to_contain_text("Read")
    expect(items.nth(1).get_by_role("button")).to_have_count(0)
    assert _unread("admin@demo.test") == expected - 1

    # The newest alert's link opens the failed run on the AI Tooling page, and marks it read.
    items.nth(0).get_by_role("link", name=FAILED).click()
    expect(page).to_have_url(re.compile(re.escape(run_link) + "$"))
    # The run's dialog opens over the page (which is hidden from the accessibility tree meanwhile).
    run_dialog = page.get_by_role("dialog")
    expect(run_dialog).to_contain_text(f"Run {alerted['second_run']}")
    expect(run_dialog).to_contain_text("failed")
    page.keyboard.press("Escape")
    expect(run_dialog).to_be_hidden()
    expect(page.get_by_role("heading", name="AI Tooling")).to_be_visible()
    expect(bell).to_have_accessible_name(f"Notifications, {expected - 2} unread")
    assert _unread("admin@demo.test") == expected - 2

    # Mark all read zeroes it.
    bell.click()
    expect(page).to_have_url(re.compile(rf"{routes.NOTIFICATIONS}/?$"))
    page.get_by_role("button", name="Mark all read").click()
    expect(bell).to_have_accessible_name("Notifications, none unread")
    expect(bell).to_have_text("")
    expect(page.get_by_role("status").filter(has_text="read")).to_have_text("All read")
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()
    assert _unread("admin@demo.test") == 0

    # A new alert (the connection recovers) reaches the bell without a reload.
    _test_connection(alerted["tenant_id"], alerted["integration_id"])
    assert _unread("admin@demo.test") == 1
    expect(bell).to_have_accessible_name("Notifications, 1 unread", timeout=45_000)
    expect(bell).to_have_text("1")


def test_a_member_sees_none_of_the_alerts(page: Page, base_url: str, alerted: dict):
    with session_scope() as session:
        mine = session.exec(select(Notification).where(Notification.user_id == _user("member@demo.test").id,
                                                       col(Notification.title).contains("Claude Code"))).all()
    assert mine == []
    log_in(page, base_url, "member@demo.test")
    expect(_bell(page)).to_have_accessible_name("Notifications, none unread")
    page.goto(f"{base_url}{routes.NOTIFICATIONS}")
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()
    expect(page.get_by_text("No notifications yet")).to_be_visible()
    expect(page.get_by_text("Claude Code connection")).to_have_count(0)


# --- /settings/notifications ------------------------------------------------------------------


def test_admin_has_both_switches_on_by_default(page: Page, base_url: str):
    log_in(page, base_url, "admin@demo.test")
    page.goto(f"{base_url}{routes.NOTIFICATION_SETTINGS}")
    section = page.get_by_role("region", name="Operational alerts")
    expect(section.get_by_role("heading", name="Operational alerts")).to_be_visible()
    expect(section.get_by_role("switch", name="In-app: Operational alerts")).to_be_checked()
    expect(section.get_by_role("switch", name="E-mail: Operational alerts")).to_be_checked()
    expect(section).to_contain_text("Default for your role (admin): in-app on, e-mail on.")
    expect(section.get_by_text("default", exact=True)).to_be_visible()


def test_member_email_is_off_by_default_and_a_toggle_persists_across_reload(
    page: Page, base_url: str, member_preferences_restored: User,
):
    log_in(page, base_url, "member@demo.test")
    page.goto(f"{base_url}{routes.NOTIFICATION_SETTINGS}")
    section = page.get_by_role("region", name="Operational alerts")
    email = section.get_by_role("switch", name="E-mail: Operational alerts")
    in_app = section.get_by_role("switch", name="In-app: Operational alerts")
    expect(in_app).to_be_checked()
    expect(email).not_to_be_checked()
    expect(section).to_contain_text("Default for your role (member): in-app on, e-mail off.")

    email.click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_have_text(
        "Saved: Operational alerts, in-app on, e-mail on.")
    expect(email).to_be_checked()
    with session_scope() as session:
        stored = notify.get_preference(session=session, user=member_preferences_restored,
                                       category=Category.operational)
    assert (stored.in_app, stored.email, stored.is_default) == (True, True, False)

    page.reload()
    expect(email).to_be_checked()
    expect(in_app).to_be_checked()
    expect(section.get_by_text("your choice", exact=True)).to_be_visible()

    in_app.click()
    expect(in_app).not_to_be_checked()
    page.reload()
    expect(in_app).not_to_be_checked()
    expect(email).to_be_checked()
