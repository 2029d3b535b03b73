"""The notification bell in the top bar: the signed-in user's unread count, on every page of the shell.

The count loads when the bell mounts (every page load and navigation) and again every
`REFRESH_SECONDS` while the tab is visible, and at once when the tab comes back into view, so a new
alert shows without a reload. Each refresh is one count query for the user the session cookie names,
checked again on the server.
"""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex_base.components.component import field
from reflex_base.components.memoize_helpers import get_memoized_event_triggers
from reflex_base.event import no_args_event_spec
from reflex_base.vars.base import Var

from orgonaut.db import session_scope
from orgonaut.notify import service as notify
from orgonaut.tenancy.models import User
from orgonaut.ui import layout, routes
from orgonaut.ui.auth import AuthState

REFRESH_SECONDS = 30
# More than this shows as "99+": the badge stays small; the list page has the exact number.
BADGE_MAX = 99


class BellState(AuthState):
    unread: int = 0

    def _count_unread(self, user: User | None) -> None:
        if user is None:  # nothing of an earlier login's count stays in the browser
            self.unread = 0
            return
        with session_scope() as session:
            self.unread = notify.unread_count(session=session, user=user)

    @rx.event
    def refresh(self):
        self._count_unread(self._current_user())

    @rx.var
    def unread_text(self) -> str:
        return f"{BADGE_MAX}+" if self.unread > BADGE_MAX else str(self.unread)

    @rx.var
    def bell_label(self) -> str:
        return f"Notifications, {self.unread} unread" if self.unread else "Notifications, none unread"


class Every(rx.Fragment):
    """Fires `on_tick` every `seconds` while the tab is visible, and when it becomes visible again."""

    on_tick: rx.EventHandler[no_args_event_spec]  # type: ignore[type-arg, valid-type]  # Reflex's event-spec syntax
    seconds: int = field(default=REFRESH_SECONDS, is_javascript_property=False)

    @classmethod
    def create(cls, **props: Any) -> Every:
        component = cast("Every", super().create(**props))
        # The handler is memoised like any event trigger, so the hook below calls a stable function.
        memoized = get_memoized_event_triggers(component)
        if memoized:
            component.event_triggers = {**component.event_triggers, **memoized}
        return component

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), *self.event_triggers.keys()]

    def add_hooks(self) -> list[str | Var[Any]]:
        on_tick = self.event_triggers.get("on_tick")
        if on_tick is None:
            return []
        return [
            Var(
                f"""
useEffect(() => {{
    if (typeof window === 'undefined') return;
    const fn = {Var.create(on_tick)};
    const tick = () => {{ if (!document.hidden) fn(); }};
    const timer = setInterval(tick, {int(self.seconds) * 1000});
    document.addEventListener('visibilitychange', tick);
    return () => {{ clearInterval(timer); document.removeEventListener('visibilitychange', tick); }};
}}, []);
"""
            )
        ]


def bell() -> rx.Component:
    return rx.fragment(
        rx.link(
            rx.box(
                rx.icon("bell", size=18),
                rx.cond(
                    BellState.unread > 0,
                    rx.badge(
                        BellState.unread_text, color_scheme="red", variant="solid", radius="full", size="1",
                        position="absolute", top="-8px", right="-10px",
                    ),
                ),
                position="relative",
                display="flex",
                align_items="center",
            ),
            href=routes.NOTIFICATIONS,
            aria_label=BellState.bell_label,
            title=BellState.bell_label,
            color_scheme="gray",
            high_contrast=True,
            padding="6px 10px",
            on_mount=BellState.refresh,
        ),
        Every.create(on_tick=BellState.refresh, seconds=REFRESH_SECONDS),
    )


layout.TOP_BAR_EXTRAS.append(bell)
