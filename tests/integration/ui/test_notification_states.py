"""The bell, /notifications and /settings/notifications as page states, driven the way Reflex drives them.

Alerts come from the health state machine (`health.record`), the path every sync and connection
test takes, so the rows the pages show are the ones the alert rules write.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from orgonaut import clock
from orgonaut.integrations import health
from orgonaut.integrations.models import (
    Integration,
    IntegrationCategory,
    IntegrationStatus,
    IntegrationSyncLog,
    SyncKind,
    SyncStatus,
)
from orgonaut.notify import service as notify
from orgonaut.notify.models import Category, NotificationPreference
from orgonaut.tenancy import service as tenancy
from orgonaut.tenancy.models import Role, Tenant, User
from orgonaut.ui import routes
from orgonaut.ui.components.bell import BellState
from orgonaut.ui.pages.notification_settings import NotificationSettingsState
from orgonaut.ui.pages.notifications import PAGE_SIZE, UNREAD, NotificationsState, in_app_link
from tests.factories import make_tenant, make_user
from tests.integration.ui.conftest import Tab, login_token

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


def _user(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def _integration(session: Session, tenant: Tenant) -> Integration:
    integration = Integration(tenant_id=tenant.id, category=IntegrationCategory.ai_tooling, provider="claude_code",
                              status=IntegrationStatus.active, organization_name="Demo Org")
    session.add(integration)
    session.commit()
    return integration


def _fail_sync(session: Session, integration: Integration) -> IntegrationSyncLog:
    """What a failed sync run leaves: a failed log, then the health event."""
    log = IntegrationSyncLog(tenant_id=integration.tenant_id, integration_id=integration.id, kind=SyncKind.reconcile,
                             status=SyncStatus.failed, window_start=T0.date(), window_end=T0.date(),
                             error_message="The API key is invalid or was revoked.")
    session.add(log)
    session.flush()
    health.record(session=session, integration=integration, event=health.HealthEvent.sync_failed,
                  error_kind="invalid_key", message="The API key is invalid or was revoked.")
    session.commit()
    return log


def _recover(session: Session, integration: Integration) -> None:
    health.record(session=session, integration=integration, event=health.HealthEvent.test_succeeded)
    session.commit()


@pytest.fixture
def alerted(session: Session, demo: Tenant) -> dict:
    """The demo tenant after a failure (09:00), a recovery (10:00) and a new failure (11:00)."""
    integration = _integration(session, demo)
    with clock.frozen_at(T0):
        first = _fail_sync(session, integration)
    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        _recover(session, integration)
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        second = _fail_sync(session, integration)
    return {"integration": integration, "first_run": first, "second_run": second}


def _redirect_target(response) -> str:
    """Where an `rx.redirect(...)` a handler returned sends the browser."""
    [(_, path)] = [arg for arg in response.args if str(arg[0]) == "path"]
    return path._var_value


def _open_list(tab: Tab) -> NotificationsState:
    return tab.open(NotificationsState, routes.NOTIFICATIONS, routes.NOTIFICATIONS)


# --- the bell ---------------------------------------------------------------------------------


def test_the_bell_counts_the_signed_in_users_own_unread_alerts(session, demo, alerted):
    other = make_tenant(session)
    other_admin = make_user(session, other, role=Role.admin)
    notify.create_notification(session=session, user=other_admin, category=Category.operational, title="Elsewhere",
                               body="Another tenant's alert.")
    session.commit()

    expected = {"owner@demo.test": 3, "admin@demo.test": 3, "manager@demo.test": 0, "member@demo.test": 0}
    for email, count in expected.items():
        bell = Tab(login_token(session, email)).state(BellState)
        bell.refresh()
        assert (bell.unread, bell.unread_text) == (count, str(count)), email
        assert bell.bell_label == (f"Notifications, {count} unread" if count else "Notifications, none unread")

    bell = Tab(login_token(session, other_admin.email)).state(BellState)
    bell.refresh()
    assert bell.unread == 1


def test_the_bell_shows_99_plus_and_nothing_once_signed_out(session, demo):
    admin = _user(session, "admin@demo.test")
    for n in range(101):
        notify.create_notification(session=session, user=admin, category=Category.operational, title=f"Alert {n}",
                                   body="")
    session.commit()
    token = login_token(session, "admin@demo.test")
    bell = Tab(token).state(BellState)
    bell.refresh()
    assert (bell.unread, bell.unread_text) == (101, "99+")

    tenancy.end_session(session=session, token=token)
    session.commit()
    bell.refresh()
    assert (bell.unread, bell.bell_label) == (0, "Notifications, none unread")


# --- /notifications ---------------------------------------------------------------------------


def test_the_list_shows_the_users_alerts_newest_first_with_links_to_the_failed_runs(session, demo, alerted):
    page = _open_list(Tab(login_token(session, "admin@demo.test")))
    assert page.page_allowed
    assert [n.title for n in page.notifications] == [
        "Claude Code connection failed", "Claude Code connection recovered", "Claude Code connection failed"]
    assert [n.link for n in page.notifications] == [
        f"{routes.AI_TOOLING_SETTINGS}?run={alerted['second_run'].id}",
        routes.AI_TOOLING_SETTINGS,
        f"{routes.AI_TOOLING_SETTINGS}?run={alerted['first_run'].id}",
    ]
    assert [n.created for n in page.notifications] == [
        "2025-03-03 11:00 UTC", "2025-03-03 10:00 UTC", "2025-03-03 09:00 UTC"]
    assert {n.category for n in page.notifications} == {"Operational alerts"}
    assert [n.is_read for n in page.notifications] == [False, False, False]
    assert "Invalid or revoked API key: The API key is invalid or was revoked." in page.notifications[0].body
    assert (page.total, page.unread, page.unread_summary, page.range_text) == (3, 3, "3 unread", "1–3 of 3")
    assert not page.has_next and not page.has_previous

    member_page = _open_list(Tab(login_token(session, "member@demo.test")))
    assert member_page.page_allowed
    assert (member_page.notifications, member_page.total, member_page.unread) == ([], 0, 0)


def test_times_are_shown_in_the_tenants_time_zone(session):
    tenant = make_tenant(session, timezone="Europe/Berlin")
    admin = make_user(session, tenant, role=Role.admin)
    session.commit()
    with clock.frozen_at(T0):
        _fail_sync(session, _integration(session, tenant))
    [row] = _open_list(Tab(login_token(session, admin.email))).notifications
    assert row.created == "2025-03-03 10:00 CET"


def test_mark_read_lowers_the_bell_and_only_touches_the_users_own_notification(session, demo, alerted):
    tab = Tab(login_token(session, "admin@demo.test"))
    page = _open_list(tab)
    newest = page.notifications[0]
    page.mark_read(newest.id)
    assert [n.is_read for n in page.notifications] == [True, False, False]
    assert (page.unread, tab.state(BellState).unread, page.unread_summary) == (2, 2, "2 unread")
    assert notify.unread_count(session=session, user=_user(session, "admin@demo.test")) == 2
    # The owner got the same alert as a separate notification: still unread.
    assert notify.unread_count(session=session, user=_user(session, "owner@demo.test")) == 3

    # Someone else's id (the owner's) is "not found", and nothing changes.
    owner_ids = [n.id for n in notify.list_notifications(session=session, user=_user(session, "owner@demo.test")).data]
    page.mark_read(owner_ids[0])
    assert page.error == "That notification does not exist."
    assert notify.unread_count(session=session, user=_user(session, "owner@demo.test")) == 3
    assert page.unread == 2


def test_mark_all_read_zeroes_only_the_users_own_count(session, demo, alerted):
    tab = Tab(login_token(session, "admin@demo.test"))
    page = _open_list(tab)
    page.mark_all_read()
    assert (page.unread, tab.state(BellState).unread, page.unread_summary) == (0, 0, "All read")
    assert [n.is_read for n in page.notifications] == [True, True, True]
    assert notify.unread_count(session=session, user=_user(session, "owner@demo.test")) == 3


def test_handlers_recheck_the_session_and_change_nothing_once_signed_out(session, demo, alerted):
    token = login_token(session, "admin@demo.test")
    page = _open_list(Tab(token))
    ids = [n.id for n in page.notifications]
    tenancy.end_session(session=session, token=token)
    session.commit()

    for call in (lambda: page.mark_read(ids[0]), page.mark_all_read, page.next_page):
        response = call()
        assert _redirect_target(response) == routes.LOGIN
    assert (page.notifications, page.unread) == ([], 0)
    assert notify.unread_count(session=session, user=_user(session, "admin@demo.test")) == 3


def test_pages_of_twenty_and_the_unread_filter(session, demo):
    admin = _user(session, "admin@demo.test")
    for n in range(PAGE_SIZE + 5):
        with clock.frozen_at(T0 + dt.timedelta(minutes=n)):
            notify.create_notification(session=session, user=admin, category=Category.operational,
                                       title=f"Alert {n:02d}", body="", link=routes.AI_TOOLING_SETTINGS)
    session.commit()
    page = _open_list(Tab(login_token(session, "admin@demo.test")))
    assert [n.title for n in page.notifications] == [f"Alert {n:02d}" for n in range(24, 4, -1)]
    assert (page.range_text, page.has_previous, page.has_next) == ("1–20 of 25", False, True)
    page.next_page()
    assert [n.title for n in page.notifications] == [f"Alert {n:02d}" for n in range(4, -1, -1)]
    assert (page.range_text, page.has_previous, page.has_next) == ("21–25 of 25", True, False)

    # Under "Unread", marking the last page's items read moves back to the page that still has some.
    page.choose_show(UNREAD)
    page.mark_read(page.notifications[0].id)
    page.next_page()
    assert page.range_text == "21–24 of 24"
    for row in list(page.notifications):
        page.mark_read(row.id)
    assert (page.offset, page.range_text, page.total) == (0, "1–20 of 20", 20)
    assert all(not n.is_read for n in page.notifications)


def test_only_in_app_paths_become_links():
    assert in_app_link("/settings/integrations/ai-tooling?run=7") == "/settings/integrations/ai-tooling?run=7"
    for link in (None, "", "https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        assert in_app_link(link) == ""


# --- /settings/notifications -----------------------------------------------------------------


def _open_settings(tab: Tab) -> NotificationSettingsState:
    return tab.open(NotificationSettingsState, routes.NOTIFICATION_SETTINGS, routes.NOTIFICATION_SETTINGS)


def test_settings_show_the_role_defaults(session, demo):
    for email, role, email_default in (("admin@demo.test", "admin", True), ("owner@demo.test", "owner", True),
                                       ("member@demo.test", "member", False)):
        page = _open_settings(Tab(login_token(session, email)))
        assert page.page_allowed
        row, *spend = page.preferences
        assert (row.category, row.label, row.in_app, row.email, row.is_default) == (
            "operational", "Operational alerts", True, email_default, True)
        assert [(p.category, p.label, p.email) for p in spend] == [
            ("budgets", "Budget alerts", email_default), ("anomalies", "Spend anomalies", email_default)]
        assert row.defaults_text == (
            f"Default for your role ({role}): in-app on, e-mail {'on' if email_default else 'off'}.")


def test_a_switch_saves_for_the_signed_in_user_only(session, demo):
    tab = Tab(login_token(session, "member@demo.test"))
    page = _open_settings(tab)
    page.set_email("operational", True)
    assert page.saved == "Saved: Operational alerts, in-app on, e-mail on."
    row, *_ = page.preferences
    assert (row.in_app, row.email, row.is_default) == (True, True, False)
    page.set_in_app("operational", False)
    member = _user(session, "member@demo.test")
    stored = notify.get_preference(session=session, user=member, category=Category.operational)
    assert (stored.in_app, stored.email) == (False, True)

    # A fresh load (a reload) shows what was stored; the admin's defaults are untouched.
    row, *others = _open_settings(tab).preferences
    assert (row.in_app, row.email, row.is_default) == (False, True, False)
    assert all(other.is_default for other in others)
    admin = _user(session, "admin@demo.test")
    assert session.exec(select(NotificationPreference).where(NotificationPreference.user_id == admin.id)).all() == []


def test_an_unknown_category_is_refused_and_stores_nothing(session, demo):
    page = _open_settings(Tab(login_token(session, "admin@demo.test")))
    page.set_email("marketing", False)
    assert page.error == "Unknown notification category 'marketing'. Valid categories: operational, budgets, anomalies."
    assert page.saved == ""
    assert session.exec(select(NotificationPreference)).all() == []


def test_switches_recheck_the_session(session, demo):
    token = login_token(session, "admin@demo.test")
    page = _open_settings(Tab(token))
    tenancy.end_session(session=session, token=token)
    session.commit()
    response = page.set_email("operational", False)
    assert _redirect_target(response) == routes.LOGIN
    assert page.preferences == []
    assert session.exec(select(NotificationPreference)).all() == []
