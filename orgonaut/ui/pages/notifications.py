"""/notifications: the signed-in user's own notifications, newest first, with mark read and mark all read.

Opening a notification's link marks it read. Links are in-app paths (the AI Tooling page, or the failed
run `/settings/integrations/ai-tooling?run=<id>`); anything else is shown without a link.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.notify import service as notify
from orgonaut.notify.models import CATEGORIES, Category, NotificationPublic
from orgonaut.tenancy.models import User
from orgonaut.ui import layout, routes
from orgonaut.ui.components.bell import BellState
from orgonaut.ui.components.segmented import segmented_item

PAGE_SIZE = 20
ALL = "all"
UNREAD = "unread"


@dataclasses.dataclass
class NotificationRow:
    id: int = 0
    title: str = ""
    body: str = ""
    link: str = ""
    category: str = ""
    created: str = ""
    is_read: bool = False


def in_app_link(link: str | None) -> str:
    """The link when it is a path inside this app, else "" (never an address elsewhere)."""
    if link and link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return ""


def when_text(moment: dt.datetime, zone: str) -> str:
    if moment.tzinfo is None:  # SQLite hands stored UTC back without a zone
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def category_label(category: str) -> str:
    try:
        return CATEGORIES[Category(category)].label
    except (ValueError, KeyError):
        return category


def notification_row(notification: NotificationPublic, zone: str) -> NotificationRow:
    return NotificationRow(
        id=notification.id, title=notification.title, body=notification.body,
        link=in_app_link(notification.link), category=category_label(notification.category),
        created=when_text(notification.created_at, zone), is_read=notification.is_read,
    )


class NotificationsState(BellState):
    notifications: list[NotificationRow] = []
    total: int = 0
    offset: int = 0
    show: str = ALL
    error: str = ""

    @rx.event
    def load(self):
        self.error, self.offset, self.show = "", 0, ALL
        user = self._guard()
        if user is None:  # state is sent to the browser: nothing from an earlier login stays there
            self.notifications, self.total = [], 0
            self._count_unread(None)
            return
        self._load(user)

    def _query(self, user: User):
        with session_scope() as session:
            return notify.list_notifications(session=session, user=user, limit=PAGE_SIZE, offset=self.offset,
                                             unread_only=self.show == UNREAD)

    def _load(self, user: User) -> None:
        page = self._query(user)
        if not page.data and self.offset > 0:  # the last page emptied (marked read under "Unread")
            self.offset = max(0, (page.count - 1) // PAGE_SIZE * PAGE_SIZE)
            page = self._query(user)
        zone = self._current_tenant(user).timezone
        self.notifications = [notification_row(n, zone) for n in page.data]
        self.total = page.count
        self._count_unread(user)

    def _signed_in(self) -> User | None:
        user = self._require()
        if user is None:
            self.notifications, self.total = [], 0
            self._count_unread(None)
        return user

    @rx.event
    def mark_read(self, notification_id: int):
        user = self._signed_in()
        if user is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        try:
            with session_scope() as session:
                notify.mark_read(session=session, user=user, notification_id=int(notification_id))
        except DomainError as error:
            self.error = str(error)
        self._load(user)
        return None

    @rx.event
    def mark_all_read(self):
        user = self._signed_in()
        if user is None:
            return rx.redirect(routes.LOGIN)
        self.error = ""
        with session_scope() as session:
            notify.mark_all_read(session=session, user=user)
        self._load(user)
        return None

    @rx.event
    def choose_show(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) else value
        user = self._signed_in()
        if user is None:
            return rx.redirect(routes.LOGIN)
        self.show = UNREAD if value == UNREAD else ALL
        self.offset = 0
        self._load(user)
        return None

    @rx.event
    def next_page(self):
        user = self._signed_in()
        if user is None:
            return rx.redirect(routes.LOGIN)
        if self.offset + PAGE_SIZE < self.total:
            self.offset += PAGE_SIZE
        self._load(user)
        return None

    @rx.event
    def previous_page(self):
        user = self._signed_in()
        if user is None:
            return rx.redirect(routes.LOGIN)
        self.offset = max(0, self.offset - PAGE_SIZE)
        self._load(user)
        return None

    @rx.var
    def range_text(self) -> str:
        if self.total == 0:
            return ""
        return f"{self.offset + 1}–{self.offset + len(self.notifications)} of {self.total}"

    @rx.var
    def has_previous(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + len(self.notifications) < self.total

    @rx.var
    def unread_summary(self) -> str:
        return f"{self.unread} unread" if self.unread else "All read"


def _item(n: rx.Var) -> rx.Component:
    title_weight = rx.cond(n.is_read, "regular", "bold")
    return rx.el.li(
        rx.hstack(
            rx.box(
                width="8px", height="8px", border_radius="50%", margin_top="8px", flex_shrink="0",
                background=rx.cond(n.is_read, "transparent", rx.color("indigo", 9)),
                aria_hidden="true",
            ),
            rx.vstack(
                rx.hstack(
                    rx.cond(
                        n.link != "",
                        # Opening it marks it read; the event is handled before the next page loads.
                        rx.link(n.title, href=n.link, weight=title_weight,
                                on_click=NotificationsState.mark_read(n.id)),
                        rx.text(n.title, weight=title_weight),
                    ),
                    rx.cond(n.is_read, rx.fragment(), rx.badge("unread", color_scheme="indigo", variant="soft")),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.text(n.body, size="2"),
                rx.text(n.category, " · ", n.created, size="1", color_scheme="gray"),
                spacing="1",
                align="start",
                width="100%",
            ),
            rx.cond(
                n.is_read,
                rx.text("Read", size="1", color_scheme="gray", white_space="nowrap"),
                rx.button("Mark read", size="1", variant="soft", aria_label=f"Mark read: {n.title}",
                          on_click=NotificationsState.mark_read(n.id)),
            ),
            width="100%",
            align="start",
            spacing="3",
        ),
        padding="12px 4px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        background=rx.cond(n.is_read, "transparent", rx.color("indigo", 2)),
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.segmented_control.root(
            segmented_item("All", ALL),
            segmented_item("Unread", UNREAD),
            value=NotificationsState.show,
            on_change=NotificationsState.choose_show,
            aria_label="Show",
        ),
        rx.text(NotificationsState.unread_summary, size="2", color_scheme="gray", role="status"),
        rx.spacer(),
        rx.button(
            rx.icon("check-check", size=14), "Mark all read",
            variant="soft",
            disabled=NotificationsState.unread == 0,
            on_click=NotificationsState.mark_all_read,
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def _pager() -> rx.Component:
    return rx.cond(
        NotificationsState.has_previous | NotificationsState.has_next,
        rx.hstack(
            rx.button("Previous", variant="soft", size="1", disabled=~NotificationsState.has_previous,
                      on_click=NotificationsState.previous_page),
            rx.text(NotificationsState.range_text, size="2", color_scheme="gray"),
            rx.button("Next", variant="soft", size="1", disabled=~NotificationsState.has_next,
                      on_click=NotificationsState.next_page),
            align="center",
            justify="end",
            width="100%",
        ),
    )


def _list() -> rx.Component:
    return rx.cond(
        NotificationsState.notifications.length() > 0,
        rx.vstack(
            rx.el.ul(
                rx.foreach(NotificationsState.notifications, _item),
                aria_label="Notifications",
                list_style="none",
                margin="0",
                padding="0",
                width="100%",
            ),
            _pager(),
            width="100%",
            spacing="3",
        ),
        rx.cond(
            NotificationsState.show == UNREAD,
            layout.empty_state("check-check", "Nothing unread", "You have read all your notifications."),
            layout.empty_state(
                "bell", "No notifications yet",
                "Alerts meant for you, such as an integration that stops syncing, will appear here.",
            ),
        ),
    )


def notifications_page() -> rx.Component:
    return layout.shell(
        "Notifications",
        layout.guarded(
            rx.vstack(
                _toolbar(),
                rx.cond(
                    NotificationsState.error != "",
                    rx.callout(NotificationsState.error, icon="triangle-alert", color_scheme="red", role="alert"),
                ),
                _list(),
                rx.link("Notification settings", href=routes.NOTIFICATION_SETTINGS, size="2"),
                width="100%",
                spacing="3",
            ),
        ),
    )
