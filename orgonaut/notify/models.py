"""In-app notifications, per-user notification preferences, and the e-mail outbox.

Categories are defined here only (`CATEGORIES`); the preferences page, the service and the alert
rules all read them from this table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from orgonaut.clock import utcnow
from orgonaut.tenancy.models import Role


class Category(StrEnum):
    operational = "operational"
    budgets = "budgets"
    anomalies = "anomalies"


@dataclasses.dataclass(frozen=True)
class CategoryInfo:
    key: Category
    label: str
    description: str
    # Defaults when a user has no stored preference: (in_app, email) by role.
    defaults: dict[Role, tuple[bool, bool]]

    def default_for(self, role: Role | str) -> tuple[bool, bool]:
        return self.defaults[Role(role)]


_ADMINS_BOTH_OTHERS_IN_APP = {
    Role.owner: (True, True),
    Role.admin: (True, True),
    Role.manager: (True, False),
    Role.member: (True, False),
    Role.viewer: (True, False),
}

# The one list of notification categories, in the order the preferences page shows them.
CATEGORIES: dict[Category, CategoryInfo] = {
    Category.operational: CategoryInfo(
        key=Category.operational,
        label="Operational alerts",
        description="Integration failures and recoveries, such as an AI Tooling connection that stops syncing.",
        defaults=_ADMINS_BOTH_OTHERS_IN_APP,
    ),
    Category.budgets: CategoryInfo(
        key=Category.budgets,
        label="Budget alerts",
        description="A budget reaching 50 %, 80 % or 100 % of its month, or forecast to go over it.",
        defaults={**_ADMINS_BOTH_OTHERS_IN_APP, Role.manager: (True, True)},
    ),
    Category.anomalies: CategoryInfo(
        key=Category.anomalies,
        label="Spend anomalies",
        description="A person's day that cost far more than their usual days and their team's that day.",
        defaults={**_ADMINS_BOTH_OTHERS_IN_APP, Role.manager: (True, True)},
    ),
}


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    user_id: int = Field(foreign_key="users.id")
    category: Category = Field(sa_column=Column(String(40), nullable=False))
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # An in-app path (e.g. /settings/integrations/ai-tooling?run=12); e-mails prefix the base URL.
    link: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)
    read_at: dt.datetime | None = None


class NotificationPublic(SQLModel):
    id: int
    category: Category
    title: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPage(SQLModel):
    data: list[NotificationPublic]
    count: int  # all of the user's notifications matching the filter, not just this page


class NotificationPreference(SQLModel, table=True):
    """A user's stored choice for one category. No row means the category's default for the role."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "category", name="uq_notification_preferences_user_category"),)

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")  # the unique (user_id, category) key indexes it
    category: Category = Field(sa_column=Column(String(40), nullable=False))
    in_app: bool = True
    email: bool = False
    updated_at: dt.datetime = Field(default_factory=utcnow)


class PreferencePublic(SQLModel):
    category: Category
    label: str
    description: str
    in_app: bool
    email: bool
    is_default: bool  # no stored row: the role's default applies


class EmailStatus(StrEnum):
    pending = "pending"  # waiting for a worker (first try or a retry after a transient error)
    sending = "sending"  # a worker holds it; `handed_over_at` says whether the final '.' may have gone
    sent = "sent"  # the SMTP server accepted it (250 after the data)
    failed = "failed"  # the server refused it for good, or retries ran out
    # The final '.' went to the server but its reply never arrived (the worker died or the line
    # dropped). The server most likely has it; it is not sent again, so it can never be duplicated.
    unconfirmed = "unconfirmed"


class EmailOutbox(SQLModel, table=True):
    __tablename__ = "email_outbox"

    id: int = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str = Field(sa_column=Column(Text, nullable=False))
    # The Message-ID header we generate; every attempt sends the same one.
    message_id: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    status: EmailStatus = Field(
        default=EmailStatus.pending, sa_column=Column(String(20), nullable=False, index=True)
    )
    # Incremented by each claim; it fences a slow attempt out once another has taken over.
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)
    sending_started_at: dt.datetime | None = None
    # Set, in its own commit, just before the final '.' of the data goes to the server.
    handed_over_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    # When the reaper last queued the row again; it waits a lease before queueing it once more.
    requeued_at: dt.datetime | None = None
