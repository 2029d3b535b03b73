"""Recent sync logs: one row per run, its live progress while it runs, View run, and Cancel on a running
backfill (its confirmation dialog is part of this section)."""

from __future__ import annotations

import reflex as rx

from orgonaut.integrations.models import SyncStatus
from orgonaut.ui import layout
from orgonaut.ui.components.pager import pager
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.pages.ai_tooling.cancel_run import CancelRunState, cancel_dialog
from orgonaut.ui.pages.ai_tooling.lists import ALL
from orgonaut.ui.pages.ai_tooling.run_detail import RunDetailState, run_status
from orgonaut.ui.pages.ai_tooling.state import AiToolingSettingsState

COLUMNS = ["Kind", "Window", "Status", "Fetched", "Matched", "Unmatched", "Duration", "Triggered by", "When", ""]


def relative_time(ago: rx.Var[str], exact: rx.Var[str], iso: rx.Var[str]) -> rx.Component:
    """ "3 hours ago", with the exact time in the tenant's zone on hover."""
    return rx.el.time(ago, date_time=iso, title=exact, cursor="help",
                      border_bottom=f"1px dotted {rx.color('gray', 8)}")


def _progress(log: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.progress(value=log.progress, max=100, width="120px", aria_label="Progress of run " + log.id.to(str)),
        rx.text(log.progress_text, size="1"),
        rx.cond(log.cancelling, rx.text("Cancelling…", size="1", color_scheme="amber")),
        spacing="1",
    )


def _actions(log: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.button("View run", size="1", variant="soft", on_click=RunDetailState.open_run(log.id),
                  aria_label="View run " + log.id.to(str)),
        rx.cond(log.cancellable,
                rx.button("Cancel", size="1", variant="soft", color_scheme="red",
                          on_click=CancelRunState.open_cancel(log.id), aria_label="Cancel run " + log.id.to(str))),
        spacing="2",
    )


def _log_row(log: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(log.kind, rx.text(log.provider_name, size="1", color_scheme="gray")),
        rx.table.cell(log.window),
        rx.table.cell(rx.vstack(run_status(log.status, log.status_color), rx.cond(log.active, _progress(log)),
                                spacing="1")),
        rx.table.cell(log.fetched),
        rx.table.cell(log.matched),
        rx.table.cell(log.unmatched),
        rx.table.cell(log.duration),
        rx.table.cell(log.triggered_by),
        rx.table.cell(relative_time(log.when_ago, log.when_exact, log.when_iso)),
        rx.table.cell(_actions(log)),
        data_run=log.id,
    )


def _filters() -> rx.Component:
    """Which integration's runs and in which status (`?logs_integration=`, `?logs_status=`)."""
    S = AiToolingSettingsState
    integration = rx.select.root(
        rx.select.trigger(aria_label="Integration of the runs", width="200px"),
        rx.select.content(rx.select.item("All integrations", value=ALL),
                          rx.foreach(S.log_integrations, lambda o: rx.select.item(o.label, value=o.value))),
        value=S.logs_integration,
        on_change=S.filter_logs_integration,
    )
    status = rx.select.root(
        rx.select.trigger(aria_label="Status of the runs", width="160px"),
        rx.select.content(rx.select.item("All statuses", value=ALL),
                          *[rx.select.item(s.value.capitalize(), value=s.value) for s in SyncStatus]),
        value=S.logs_status,
        on_change=S.filter_logs_status,
    )
    return rx.hstack(integration, status, rx.spacer(),
                     rx.text(S.logs_total.to(str) + " runs", size="2", color_scheme="gray", role="status"),
                     width="100%", align="center", wrap="wrap")


def sync_logs() -> rx.Component:
    S = AiToolingSettingsState
    filtered = (S.logs_integration != ALL) | (S.logs_status != ALL)
    return rx.vstack(
        rx.heading("Recent sync logs", size="4", as_="h2"),
        rx.cond(S.log_integrations.length() > 0, _filters()),
        rx.cond(
            S.logs.length() > 0,
            rx.vstack(data_table("Recent sync logs", COLUMNS, S.logs, _log_row), pager(S.logs_pager, "Sync logs"),
                      spacing="2", width="100%"),
            rx.cond(
                filtered,
                layout.empty_state("search-x", "No runs match", "No run of this integration is in this status."),
                layout.empty_state("history", "No sync runs yet",
                                   "Runs appear here after the first nightly sync, a Sync now or a backfill."),
            ),
        ),
        cancel_dialog(),
        spacing="2",
        width="100%",
    )
