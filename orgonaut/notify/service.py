"""In-app notifications and per-user preferences.

Every function acts for one user (the `user` argument): a user reads and marks only their own
notifications; anyone else's id is reported as not found, so nothing leaks across users or tenants.
Functions flush; the caller commits.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select, update

from orgonaut.clock import utcnow
from orgonaut.errors import NotFound, ValidationFailed
from orgonaut.notify.models import (
    CATEGORIES,
    Category,
    Notification,
    NotificationPage,
    NotificationPreference,
    NotificationPublic,
    PreferencePublic,
)
from orgonaut.tenancy.models import User

MAX_PAGE_SIZE = 100


def parse_category(category: Category | str) -> Category:
    try:
        return Category(category)
    except ValueError:
        raise ValidationFailed(
            f"Unknown notification category '{category}'. Valid categories: {', '.join(c.value for c in Category)}."
        ) from None


# --- notifications ----------------------------------------------------------------------------


def create_notification(
    *, session: Session, user: User, category: Category | str, title: str, body: str, link: str | None = None
) -> Notification:
    title = title.strip()
    if not title:
        raise ValidationFailed("A notification needs a title.")
    notification = Notification(
        tenant_id=user.tenant_id, user_id=user.id, category=parse_category(category), title=title[:200],
        body=body.strip(), link=link,
    )
    session.add(notification)
    session.flush()
    return notification


def _own(user: User):
    return select(Notification).where(Notification.user_id == user.id, Notification.tenant_id == user.tenant_id)


def list_notifications(
    *, session: Session, user: User, limit: int = 20, offset: int = 0, unread_only: bool = False
) -> NotificationPage:
    """The user's notifications, newest first, one page at a time."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"A page holds 1 to {MAX_PAGE_SIZE} notifications.")
    if offset < 0:
        raise ValidationFailed("The page offset cannot be negative.")
    statement = _own(user)
    if unread_only:
        statement = statement.where(col(Notification.read_at).is_(None))
    count = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(
        statement.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return NotificationPage(data=[NotificationPublic.model_validate(row, from_attributes=True) for row in rows],
                            count=count)


def unread_count(*, session: Session, user: User) -> int:
    return session.exec(
        select(func.count()).select_from(
            _own(user).where(col(Notification.read_at).is_(None)).subquery()
        )
    ).one()


def get_notification_or_raise(*, session: Session, user: User, notification_id: int) -> Notification:
    notification = session.exec(_own(user).where(Notification.id == notification_id)).first()
    if notification is None:
        raise NotFound("That notification does not exist.")
    return notification


def mark_read(*, session: Session, user: User, notification_id: int) -> Notification:
    """Marks one of the user's notifications read (once: a second call keeps the first time)."""
    notification = get_notification_or_raise(session=session, user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.add(notification)
        session.flush()
    return notification


def mark_all_read(*, session: Session, user: User) -> int:
    """Marks every unread notification of the user read; returns how many changed."""
    result = session.exec(
        update(Notification)
        .where(
            col(Notification.user_id) == user.id,
            col(Notification.tenant_id) == user.tenant_id,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


# --- preferences ------------------------------------------------------------------------------


def _stored(session: Session, user: User) -> dict[Category, NotificationPreference]:
    rows = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user.id)).all()
    return {Category(row.category): row for row in rows}


def _public(user: User, category: Category, row: NotificationPreference | None) -> PreferencePublic:
    info = CATEGORIES[category]
    in_app, email = (row.in_app, row.email) if row is not None else info.default_for(user.role)
    return PreferencePublic(category=category, label=info.label, description=info.description, in_app=in_app,
                            email=email, is_default=row is None)


def list_preferences(*, session: Session, user: User) -> list[PreferencePublic]:
    """The user's effective choice for every category, stored or default, in display order."""
    stored = _stored(session, user)
    return [_public(user, category, stored.get(category)) for category in CATEGORIES]


def get_preference(*, session: Session, user: User, category: Category | str) -> PreferencePublic:
    category = parse_category(category)
    return _public(user, category, _stored(session, user).get(category))


def update_preference(
    *, session: Session, user: User, category: Category | str, in_app: bool | None = None,
    email: bool | None = None,
) -> PreferencePublic:
    """Stores the user's choice for one category; a switch left as None keeps its current value."""
    category = parse_category(category)
    row = _stored(session, user).get(category)
    if row is None:
        default_in_app, default_email = CATEGORIES[category].default_for(user.role)
        row = NotificationPreference(user_id=user.id, category=category, in_app=default_in_app, email=default_email)
    if in_app is not None:
        row.in_app = bool(in_app)
    if email is not None:
        row.email = bool(email)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return _public(user, category, row)
