"""Backfill: the date range form (in its own dialog, and as the connect wizard's last step) and its state.

The rules are the service's (`ai_tooling.check_backfill`): an empty field, an end before the start, a
future or not yet complete day, or a start before the earliest day is refused inline and nothing
changes. A range over a year is asked about first ("This backfill covers N days and takes at least N
requests to the Anthropic API. Continue?"); Continue queues exactly the range the question was about,
and changed dates are checked (and, if still long, asked about) again.
"""

from __future__ import annotations

import datetime as dt

import reflex as rx
from sqlmodel import Session

from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.errors import ValidationFailed
from orgonaut.tenancy.models import User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button, error_callout, field
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState

DEFAULT_DAYS = 30
# A backfill form is open in the backfill dialog, or as the wizard's last step (after the save).
FORM_DIALOGS = ("backfill", "wizard")
_WINDOW_DEPS = ["open_dialog", "_dialog_integration_id", "providers"]


def parse_day(value: object, what: str) -> dt.date:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed(f"Enter the {what}.")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"The {what} '{text[:20]}' is not a date (YYYY-MM-DD).") from None


class BackfillState(AiToolingSettingsState):
    backfill_error: str = ""
    # The question for a long range, while it is asked; `_confirm_range` is the range it is about.
    confirm_text: str = ""
    _confirm_range: str = ""
    _asked_range: str = ""

    def _reset_dialog(self) -> None:
        self.backfill_error = self.confirm_text = ""
        self._confirm_range = self._asked_range = ""

    def _provider(self) -> str:
        cards = [p.key for p in self.providers if p.integration_id and p.integration_id == self._dialog_integration_id]
        return cards[0] if cards else "claude_code"

    def _refuse(self, error: Exception, error_var: str, *, toast: bool):
        if isinstance(error, ai_tooling.BackfillNeedsConfirmation):
            self.confirm_text, self._confirm_range = str(error), self._asked_range
            return None
        return super()._refuse(error, error_var, toast=toast)

    @rx.event
    def open_backfill(self, integration_id: int):
        integration, refusal = self._own_integration(integration_id)
        if integration is None:
            return rx.toast.error(refusal)
        self._close_dialog()
        self._open("backfill", integration.id)
        return None

    @rx.event
    def set_backfill_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()

    @rx.event
    def change_dates(self):
        """Back from the question to the dates; nothing is queued."""
        self.confirm_text = self._confirm_range = ""

    @rx.event
    def run_backfill(self, form_data: dict):
        """Run backfill (or Continue, for the range the question was about)."""
        integration_id = self._dialog_integration_id if self.open_dialog in FORM_DIALOGS else 0
        # A question answers one submit only: the next one is asked again unless it is this range.
        confirmed_range, self._confirm_range, self._asked_range, self.confirm_text = self._confirm_range, "", "", ""

        def start_run(session: Session, user: User) -> int:
            if not integration_id:
                raise ValidationFailed("Choose the integration to backfill again.")
            start = parse_day(form_data.get("start"), "start date")
            end = parse_day(form_data.get("end"), "end date")
            self._asked_range = f"{start}..{end}"
            log = ai_tooling.start_backfill(
                session=session, tenant_id=user.tenant_id, integration_id=integration_id, start=start, end=end,
                user_id=user.id, confirmed=self._asked_range == confirmed_range,
            )
            return log.days_total

        return self._act(start_run, done=lambda days: f"Backfill queued: {days} {'day' if days == 1 else 'days'}.",
                         error_var="backfill_error", close=True, watch=True)

    # The form's starting dates and its note: computed again whenever a dialog opens or closes, or the
    # wizard hands over its new integration (not on every event: that would load this state for all).
    @rx.var(deps=_WINDOW_DEPS, auto_deps=False)
    def backfill_end_default(self) -> str:
        return ai_tooling.last_complete_day().isoformat()

    @rx.var(deps=_WINDOW_DEPS, auto_deps=False)
    def backfill_start_default(self) -> str:
        end = ai_tooling.last_complete_day()
        earliest = ai_tooling.earliest_backfill_date(self._provider())
        return max(earliest, end - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()

    @rx.var(deps=_WINDOW_DEPS, auto_deps=False)
    def backfill_note(self) -> str:
        earliest = ai_tooling.earliest_backfill_date(self._provider())
        return (f"Days are UTC days, as the provider reports them: from {earliest} to "
                f"{ai_tooling.last_complete_day()} (today's usage is not complete yet). Ranges over "
                f"{ai_tooling.CONFIRM_OVER_DAYS} days ask before they start.")


# --- components -------------------------------------------------------------------------------


def _date(label: str, field_id: str, name: str, default: rx.Var[str]) -> rx.Component:
    # Uncontrolled; keyed by its default, so a new default (tomorrow, another provider) shows.
    return field(label, field_id, rx.input(id=field_id, name=name, type="date", default_value=default,
                                           key=default))


def _confirmation() -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text(BackfillState.confirm_text),
            rx.hstack(
                rx.button("Change dates", type="button", variant="soft", color_scheme="gray",
                          on_click=BackfillState.change_dates),
                rx.button("Continue", type="submit"),
                spacing="2",
            ),
            spacing="2",
        ),
        icon="circle-help", color_scheme="amber", role="status", aria_label="Confirm backfill", width="100%",
    )


def backfill_form(cancel: rx.Component, prefix: str) -> rx.Component:
    """Start and end date; the service's refusal shows under them, a long range's question instead of Run."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                _date("Start date", f"{prefix}-start", "start", BackfillState.backfill_start_default),
                _date("End date", f"{prefix}-end", "end", BackfillState.backfill_end_default),
                spacing="3",
                width="100%",
            ),
            error_callout(BackfillState.backfill_error),
            rx.text(BackfillState.backfill_note, size="1", color_scheme="gray"),
            rx.cond(
                BackfillState.confirm_text != "",
                _confirmation(),
                rx.hstack(cancel, rx.button("Run backfill", type="submit"), justify="end", width="100%"),
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=BackfillState.run_backfill,
        reset_on_submit=False,
        no_validate=True,
    )


def backfill_dialog() -> rx.Component:
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Backfill"),
            rx.dialog.description("Import usage for a historical date range. Re-running a range is safe: "
                                  "records are updated, never duplicated.", size="2", color_scheme="gray"),
            rx.box(backfill_form(cancel_button(), "backfill"), padding_top="12px"),
            max_width="520px",
        ),
        open=AiToolingSettingsState.open_dialog == "backfill",
        on_open_change=BackfillState.set_backfill_open,
    )
