"""Cancel a running backfill, after a confirmation: it stops after the current day; stored days stay.

The page only asks (`ai_tooling.cancel_run` sets the run's `cancel_requested_at`); the sync engine stops
the run before its next day. Until the run ends, its row says "Cancelling…".
"""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.errors import Conflict
from orgonaut.integrations import service as integrations
from orgonaut.tenancy.models import User
from orgonaut.ui.components.confirm import confirm_dialog
from orgonaut.ui.pages.ai_tooling import views
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState, as_id

QUESTION = "Stop this backfill after the current day? Days already synced stay."
CANCELLING = "Cancelling: the backfill stops after the current day."


class CancelRunState(AiToolingSettingsState):
    cancel_window: str = ""
    _cancel_log_id: int = 0

    def _reset_dialog(self) -> None:
        self.cancel_window, self._cancel_log_id = "", 0

    @rx.event
    def open_cancel(self, log_id: int):
        found: list[str] = []

        def find(session: Session, user: User) -> None:
            log = integrations.get_sync_log_or_raise(session=session, tenant_id=user.tenant_id, log_id=as_id(log_id))
            if log.status not in ai_tooling.ACTIVE_RUN:
                raise Conflict(f"Run {log.id} has already finished ({log.status}): there is nothing to cancel.")
            found.append(views.window(log.window_start, log.window_end))

        refusal = self._act(find, reload=False)
        if not found:
            return rx.toast.error(refusal)
        self._close_dialog()
        self.cancel_window, self._cancel_log_id = found[0], as_id(log_id)
        self._open("cancel")
        return None

    @rx.event
    def set_cancel_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def confirm_cancel(self):
        log_id = self._cancel_log_id if self.open_dialog == "cancel" else 0
        return self._act(
            lambda session, user: ai_tooling.cancel_run(session=session, tenant_id=user.tenant_id, user=user,
                                                        log_id=log_id),
            done=CANCELLING, close=True, watch=True,
        )


def cancel_dialog() -> rx.Component:
    return confirm_dialog(
        title=rx.fragment("Cancel the backfill ", CancelRunState.cancel_window, "?"), description=QUESTION,
        keep="Keep running", confirm="Stop the backfill", on_confirm=CancelRunState.confirm_cancel,
        open=AiToolingSettingsState.open_dialog == "cancel", on_open_change=CancelRunState.set_cancel_open,
    )
