"""Notifications and preferences: a user sees and marks only their own; defaults follow the role."""

import datetime as dt

import pytest

from orgonaut import clock
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.notify import service
from orgonaut.notify.models import CATEGORIES, Category, Notification
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _notify(session, user, title, minutes=0):
    with clock.frozen_at(T0 + dt.timedelta(minutes=minutes)):
        return service.create_notification(session=session, user=user, category=Category.operational, title=title,
                                           body=f"body of {title}", link="/settings/integrations/ai-tooling")


def test_list_is_newest_first_paginated_and_counts_all(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    for n in range(5):
        _notify(session, user, f"n{n}", minutes=n)

    first = service.list_notifications(session=session, user=user, limit=2)
    second = service.list_notifications(session=session, user=user, limit=2, offset=2)
    last = service.list_notifications(session=session, user=user, limit=2, offset=4)

    assert [n.title for n in first.data] == ["n4", "n3"]
    assert [n.title for n in second.data] == ["n2", "n1"]
    assert [n.title for n in last.data] == ["n0"]
    assert first.count == second.count == 5
    assert first.data[0].created_at == T0 + dt.timedelta(minutes=4)
    assert first.data[0].link == "/settings/integrations/ai-tooling"
    assert first.data[0].is_read is False


def test_unread_count_mark_read_and_mark_all_read(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    notes = [_notify(session, user, f"n{n}", minutes=n) for n in range(3)]
    assert service.unread_count(session=session, user=user) == 3

    with clock.frozen_at(T0 + dt.timedelta(hours=1)):
        marked = service.mark_read(session=session, user=user, notification_id=notes[0].id)
    assert marked.read_at == T0 + dt.timedelta(hours=1)
    # Marking again keeps the first time.
    with clock.frozen_at(T0 + dt.timedelta(hours=2)):
        again = service.mark_read(session=session, user=user, notification_id=notes[0].id)
    assert again.read_at == T0 + dt.timedelta(hours=1)
    assert service.unread_count(session=session, user=user) == 2
    unread = service.list_notifications(session=session, user=user, unread_only=True)
    assert [n.title for n in unread.data] == ["n2", "n1"] and unread.count == 2

    assert service.mark_all_read(session=session, user=user) == 2
    assert service.unread_count(session=session, user=user) == 0
    assert service.mark_all_read(session=session, user=user) == 0


def test_other_users_notifications_are_not_found_and_untouched(session):
    tenant, other_tenant = make_tenant(session), make_tenant(session)
    me = make_user(session, tenant)
    colleague = make_user(session, tenant)
    stranger = make_user(session, other_tenant)
    theirs = _notify(session, colleague, "colleague's")
    foreign = _notify(session, stranger, "stranger's")
    _notify(session, me, "mine")

    for notification in (theirs, foreign):
        with pytest.raises(NotFound):
            service.mark_read(session=session, user=me, notification_id=notification.id)
    with pytest.raises(NotFound):
        service.mark_read(session=session, user=me, notification_id=999_999)

    assert service.mark_all_read(session=session, user=me) == 1
    session.expire_all()
    assert session.get(Notification, theirs.id).read_at is None
    assert session.get(Notification, foreign.id).read_at is None
    assert [n.title for n in service.list_notifications(session=session, user=me).data] == ["mine"]
    assert service.unread_count(session=session, user=colleague) == 1


def test_bad_input_is_refused_with_a_message(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    with pytest.raises(ValidationFailed, match="1 to 100"):
        service.list_notifications(session=session, user=user, limit=0)
    with pytest.raises(ValidationFailed, match="1 to 100"):
        service.list_notifications(session=session, user=user, limit=101)
    with pytest.raises(ValidationFailed, match="negative"):
        service.list_notifications(session=session, user=user, offset=-1)
    with pytest.raises(ValidationFailed, match="Unknown notification category 'billing'"):
        service.create_notification(session=session, user=user, category="billing", title="x", body="y")
    with pytest.raises(ValidationFailed, match="title"):
        service.create_notification(session=session, user=user, category="operational", title="  ", body="y")
    with pytest.raises(ValidationFailed, match="Unknown notification category"):
        service.update_preference(session=session, user=user, category="nope", email=True)
    assert service.list_notifications(session=session, user=user).count == 0


def test_the_categories_in_display_order_with_their_labels():
    assert list(CATEGORIES) == [Category.operational, Category.budgets, Category.anomalies]
    assert [CATEGORIES[c].label for c in CATEGORIES] == ["Operational alerts", "Budget alerts", "Spend anomalies"]


@pytest.mark.parametrize(
    ("role", "in_app", "email"),
    [(Role.owner, True, True), (Role.admin, True, True), (Role.manager, True, False),
     (Role.member, True, False), (Role.viewer, True, False)],
)
def test_default_preferences_by_role(session, role, in_app, email):
    user = make_user(session, make_tenant(session), role=role)
    preference, budgets, anomalies = service.list_preferences(session=session, user=user)
    # Budget and anomaly alerts reach managers by e-mail too: they go to the managers of the unit or person.
    for spend in (budgets, anomalies):
        assert (spend.in_app, spend.email) == (True, email or role == Role.manager)
    assert (preference.category, preference.label) == (Category.operational, "Operational alerts")
    assert (preference.in_app, preference.email, preference.is_default) == (in_app, email, True)


def test_update_preference_stores_one_switch_and_keeps_the_other(session):
    tenant = make_tenant(session)
    admin = make_user(session, tenant, role=Role.admin)
    other_admin = make_user(session, tenant, role=Role.admin)

    updated = service.update_preference(session=session, user=admin, category="operational", email=False)
    assert (updated.in_app, updated.email, updated.is_default) == (True, False, False)
    updated = service.update_preference(session=session, user=admin, category=Category.operational, in_app=False)
    assert (updated.in_app, updated.email) == (False, False)
    updated = service.update_preference(session=session, user=admin, category=Category.operational, email=True)
    assert (updated.in_app, updated.email) == (False, True)

    stored = service.get_preference(session=session, user=admin, category="operational")
    assert (stored.in_app, stored.email, stored.is_default) == (False, True, False)
    # Another user keeps the defaults.
    theirs = service.get_preference(session=session, user=other_admin, category="operational")
    assert (theirs.in_app, theirs.email, theirs.is_default) == (True, True, True)
