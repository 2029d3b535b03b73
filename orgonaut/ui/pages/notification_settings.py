"""/settings/notifications: per category, the signed-in user's in-app and e-mail switches.

A category the user never changed follows their role's default (both on for owners and admins); the
page says which applies. Each switch saves at once, for the signed-in user only.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.notify import service as notify
from orgonaut.notify.models import CATEGORIES, PreferencePublic
from orgonaut.tenancy.models import User
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState


@dataclasses.dataclass
class PreferenceRow:
    category: str = ""
    label: str = ""
    description: str = ""
    in_app: bool = False
    email: bool = False
    is_default: bool = True
    defaults_text: str = ""


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def preference_row(preference: PreferencePublic, role: str) -> PreferenceRow:
    default_in_app, default_email = CATEGORIES[preference.category].default_for(role)
    return PreferenceRow(
        category=preference.category.value, label=preference.label, description=preference.description,
        in_app=preference.in_app, email=preference.email, is_default=preference.is_default,
        defaults_text=f"Default for your role ({role}): in-app {_on_off(default_in_app)}, "
                      f"e-mail {_on_off(default_email)}.",
    )


class NotificationSettingsState(AuthState):
    preferences: list[PreferenceRow] = []
    saved: str = ""
    error: str = ""

    @rx.event
    def load(self):
        self.saved, self.error = "", ""
        user = self._guard()
        if user is None:  # nothing from an earlier login stays in the browser
            self.preferences = []
            return
        self._load(user)

    def _load(self, user: User) -> None:
        with session_scope() as session:
            found = notify.list_preferences(session=session, user=user)
        self.preferences = [preference_row(p, str(user.role)) for p in found]

    def _save(self, category: str, **switch: bool):
        user = self._require()
        if user is None:
            self.preferences = []
            return rx.redirect(routes.LOGIN)
        self.saved, self.error = "", ""
        try:
            with session_scope() as session:
                saved = notify.update_preference(session=session, user=user, category=category, **switch)
        except DomainError as error:
            self.error = str(error)
        else:
            self.saved = (f"Saved: {saved.label}, in-app {_on_off(saved.in_app)}, "
                          f"e-mail {_on_off(saved.email)}.")
        self._load(user)
        return None

    @rx.event
    def set_in_app(self, category: str, value: bool):
        return self._save(category, in_app=bool(value))

    @rx.event
    def set_email(self, category: str, value: bool):
        return self._save(category, email=bool(value))


def _switch(label: str, checked: rx.Var, name: rx.Var, on_change) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change, aria_label=name),
            rx.text(label, size="2"),
            spacing="2",
            align="center",
        ),
    )


def _category(p: rx.Var) -> rx.Component:
    return rx.card(
        rx.el.section(
            rx.vstack(
                rx.hstack(
                    rx.heading(p.label, size="4", as_="h2"),
                    rx.cond(
                        p.is_default,
                        rx.badge("default", color_scheme="gray", variant="soft"),
                        rx.badge("your choice", color_scheme="indigo", variant="soft"),
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text(p.description, size="2", color_scheme="gray"),
                rx.hstack(
                    _switch("In-app", p.in_app, f"In-app: {p.label}",
                            lambda value: NotificationSettingsState.set_in_app(p.category, value)),
                    _switch("E-mail", p.email, f"E-mail: {p.label}",
                            lambda value: NotificationSettingsState.set_email(p.category, value)),
                    spacing="6",
                    padding_top="4px",
                ),
                rx.text(p.defaults_text, size="1", color_scheme="gray"),
                spacing="2",
                align="start",
            ),
            aria_label=p.label,
        ),
        width="100%",
    )


def notification_settings_page() -> rx.Component:
    return layout.shell(
        "Notification settings",
        layout.guarded(
            rx.vstack(
                rx.text("Choose how each kind of notification reaches you. Changes save at once and apply "
                        "only to you.", size="2"),
                rx.cond(
                    NotificationSettingsState.error != "",
                    rx.callout(NotificationSettingsState.error, icon="triangle-alert", color_scheme="red",
                               role="alert"),
                ),
                rx.foreach(NotificationSettingsState.preferences, _category),
                rx.text(NotificationSettingsState.saved, size="2", color_scheme="green", role="status"),
                rx.link("Your notifications", href=routes.NOTIFICATIONS, size="2"),
                width="100%",
                max_width="720px",
                spacing="3",
            ),
        ),
    )
