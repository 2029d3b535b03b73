"""View run: one run's facts, errors, affected records and its days, kept current by the run watcher.
`?run=<log id>` (the link in failed-run alerts) opens it from the page's load."""

from __future__ import annotations

import reflex as rx

from orgonaut.db import session_scope
from orgonaut.errors import DomainError
from orgonaut.tenancy.models import User
from orgonaut.ui.components.dialogs import dialog_content
from orgonaut.ui.components.forms import cancel_button
from orgonaut.ui.components.panels import fact, facts
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.pages.ai_tooling import run_rows
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState, as_id


class RunDetailState(AiToolingSettingsState):
    run: run_rows.RunView = run_rows.RunView()
    run_errors: list[run_rows.RunErrorRow] = []
    run_days: list[run_rows.DayRow] = []
    run_skipped_scopes: list[str] = []
    run_affected_emails: list[str] = []
    run_affected_dates: list[str] = []

    def _reset_dialog(self) -> None:
        self.run = run_rows.RunView()
        self.run_errors, self.run_days, self.run_skipped_scopes = [], [], []
        self.run_affected_emails, self.run_affected_dates = [], []

    def _set_run(self, detail: run_rows.RunDetail) -> None:
        self.run = detail.view
        self.run_errors, self.run_days = detail.errors, detail.days
        self.run_skipped_scopes = detail.skipped_scopes
        self.run_affected_emails, self.run_affected_dates = detail.affected_emails, detail.affected_dates

    def _show(self, user: User, log_id: int):
        try:
            with session_scope() as session:
                detail = run_rows.run_detail(session, user.tenant_id, log_id)
        except DomainError as error:
            return rx.toast.error(str(error))
        self._close_dialog()
        self._set_run(detail)
        self._open("run")
        return None

    @rx.event
    def open_run(self, log_id: int):
        user, refusal = self._check()
        if user is None:
            return rx.toast.error(refusal)
        return self._show(user, as_id(log_id))

    @rx.event
    def set_run_open(self, is_open: bool):
        if not is_open:
            self._close_dialog()


def run_status(status: rx.Var[str], color: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=color, variant="soft")


def _error_row(e: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e.date), rx.table.cell(e.kind), rx.table.cell(e.message), rx.table.cell(e.http_status),
        rx.table.cell(rx.code(e.request_id, size="1")), rx.table.cell(e.attempt), rx.table.cell(e.at),
    )


def _day_row(d: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(d.date),
        rx.table.cell(rx.badge(d.result, color_scheme=d.color, variant="soft")),
        rx.table.cell(d.records),
        rx.table.cell(d.cost),
        rx.table.cell(d.errors),
        rx.table.cell(d.note),
    )


def _chips(items: rx.Var[list[str]]) -> rx.Component:
    return rx.flex(rx.foreach(items, lambda item: rx.code(item, size="1")), wrap="wrap", gap="4px")


def _facts(run: rx.Var) -> rx.Component:
    return rx.fragment(
        facts(
            fact("Status", rx.hstack(run_status(run.status, run.status_color),
                                     rx.cond(run.cancelling, rx.text("Cancelling…", size="1", as_="span")),
                                     spacing="2", align="center")),
            fact("Days", rx.text(run.progress_text, as_="span")),
            fact("Fetched", rx.text(run.fetched, as_="span")),
            fact("Matched", rx.text(run.matched, as_="span")),
            fact("Unmatched", rx.text(run.unmatched, as_="span")),
            fact("Rows written", rx.text(run.stored, as_="span")),
            fact("Duration", rx.text(run.duration, as_="span")),
        ),
        rx.text("Each fetched record is matched (a person was found in every scope it applies to) or unmatched; "
                "it is written once per scope, so rows written = fetched × scopes.", size="1", color_scheme="gray"),
        facts(
            fact("Queued", rx.text(run.created, as_="span")),
            fact("Started", rx.text(run.started, as_="span")),
            fact("Finished", rx.text(run.finished, as_="span")),
            fact("Last synced day", rx.text(rx.cond(run.checkpoint != "", run.checkpoint, "none"), as_="span")),
        ),
    )


def _problems(run: rx.Var) -> rx.Component:
    S = RunDetailState
    return rx.fragment(
        rx.cond(run.error_message != "",
                rx.callout(run.error_message, icon="triangle-alert", color_scheme="red", role="alert", width="100%")),
        rx.cond(
            S.run_errors.length() > 0,
            rx.vstack(
                rx.heading("Errors", size="3", as_="h3"),
                data_table("Run errors", ["Day", "Kind", "Message", "HTTP", "Request id", "Attempt", "At"],
                           S.run_errors, _error_row),
                width="100%",
            ),
        ),
        rx.cond(
            (S.run_affected_dates.length() > 0) | (S.run_affected_emails.length() > 0),
            rx.vstack(
                rx.heading("Affected records", size="3", as_="h3"),
                rx.text("Days not synced (", run.affected_dates_total, "):", size="2"),
                _chips(S.run_affected_dates),
                rx.cond(S.run_affected_emails.length() > 0,
                        rx.vstack(rx.text("E-mails:", size="2"), _chips(S.run_affected_emails))),
                width="100%",
                role="region",
                aria_label="Affected records",
            ),
        ),
    )


def run_dialog() -> rx.Component:
    S = RunDetailState
    run = S.run
    return rx.dialog.root(
        dialog_content(
            rx.dialog.title("Run ", run.id.to(str), ": ", run.kind, " ", run.window),
            rx.dialog.description(run.provider_name, " · triggered by ", run.triggered_by, size="2",
                                  color_scheme="gray"),
            rx.scroll_area(
                rx.vstack(
                    _facts(run),
                    rx.cond(run.scopes != "", rx.text("Written to: ", run.scopes, size="2")),
                    rx.cond(S.run_skipped_scopes.length() > 0,
                            rx.text("Skipped targets: ", S.run_skipped_scopes.join(", "), size="2")),
                    rx.cond(run.rematched != "", rx.text("Re-matched afterwards: ", run.rematched, size="2")),
                    rx.cond(run.data_note != "", rx.text(run.data_note, size="2", color_scheme="gray")),
                    _problems(run),
                    rx.heading("Day by day", size="3", as_="h3"),
                    data_table("Day by day", ["Day", "Result", "Records", "Cost", "Errors", "Last error"], S.run_days,
                               _day_row),
                    rx.cond(run.days_not_listed > 0,
                            rx.text(run.days_not_listed, " more days are not listed.", size="1",
                                    color_scheme="gray")),
                    spacing="3",
                    width="100%",
                    padding_right="12px",
                ),
                type="auto",
                scrollbars="vertical",
                max_height="70vh",
            ),
            rx.hstack(cancel_button("Close"), justify="end", padding_top="12px"),
            max_width="960px",
        ),
        open=AiToolingSettingsState.open_dialog == "run",
        on_open_change=S.set_run_open,
    )
