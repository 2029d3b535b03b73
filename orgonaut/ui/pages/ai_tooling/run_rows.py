"""What View run shows of one sync run: its facts, its errors and each day's result.

Presentation only, like `views`: each day's result (synced, failed, retrying, waiting, not synced) is
read from the run's checkpoint, status and the errors its diagnostics recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import diagnostics as run_diagnostics
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.diagnostics import ErrorNote
from orgonaut.ai_tooling.sync import days_between
from orgonaut.integrations import service as integrations
from orgonaut.integrations.error_kinds import error_kind_label
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.ai_tooling.views import ACTIVE_RUN, LogRow, exact, log_row, tenant_of

# A run's day-by-day table stops here; a longer backfill says how many days are not listed.
MAX_DAY_ROWS = 400


@dataclasses.dataclass
class RunView(LogRow):
    """A run's row in the log table, with what only View run shows."""

    created: str = ""
    started: str = ""
    finished: str = ""
    stored: int = 0
    checkpoint: str = ""
    error_message: str = ""
    scopes: str = ""
    rematched: str = ""
    days_not_listed: int = 0
    affected_dates_total: int = 0
    data_note: str = ""  # "Cursor returned no data before 2025-03-01."


@dataclasses.dataclass
class RunErrorRow:
    date: str = ""
    kind: str = ""
    message: str = ""
    http_status: str = ""
    request_id: str = ""
    attempt: str = ""
    at: str = ""


@dataclasses.dataclass
class DayRow:
    date: str = ""
    result: str = ""
    color: str = "gray"
    errors: int = 0
    note: str = ""
    records: str = ""  # what the connection holds for the day now (in the run's first scope); "" when nothing
    cost: str = ""


@dataclasses.dataclass
class RunDetail:
    view: RunView
    errors: list[RunErrorRow]
    days: list[DayRow]
    skipped_scopes: list[str]
    affected_emails: list[str]
    affected_dates: list[str]


# --- one run ----------------------------------------------------------------------------------


def _day_rows(log: IntegrationSyncLog, errors: list[ErrorNote],
              stored: dict[dt.date, tuple[int, Decimal]]) -> tuple[list[DayRow], int]:
    """Each day of the window: synced (up to the checkpoint), failed, not synced, or waiting; with the
    records and cost stored for it."""
    by_day: dict[str, list[ErrorNote]] = {}
    for error in errors:
        by_day.setdefault(error.date or "", []).append(error)
    status = SyncStatus(log.status)
    rows = []
    days = days_between(log.window_start, log.window_end)
    for day in days[:MAX_DAY_ROWS]:
        day_errors = by_day.get(day.isoformat(), [])
        done = log.checkpoint_date is not None and day <= log.checkpoint_date
        last = day_errors[-1] if day_errors else None
        if done:
            result, color = ("synced after retries", "green") if day_errors else ("synced", "green")
        elif status == SyncStatus.failed and last is not None:
            result, color = "failed", "red"
        elif status in ACTIVE_RUN:
            result, color = ("retrying", "amber") if day_errors else ("waiting", "gray")
        else:
            result, color = "not synced", "amber"
        note = last.message if last is not None else ""
        count, cost = stored.get(day, (0, Decimal(0)))
        rows.append(DayRow(date=day.isoformat(), result=result, color=color, errors=len(day_errors), note=note,
                           records=f"{count:,}" if count else "", cost=format_usd(cost) if count else ""))
    return rows, max(0, len(days) - MAX_DAY_ROWS)


def _error_row(entry: ErrorNote, zone: str) -> RunErrorRow:
    try:
        at_text = exact(dt.datetime.fromisoformat(entry.at), zone) if entry.at else ""
    except ValueError:
        at_text = entry.at
    return RunErrorRow(
        date=entry.date or "—", kind=error_kind_label(entry.kind), message=entry.message,
        http_status="" if entry.status is None else str(entry.status), request_id=entry.request_id or "",
        attempt="" if entry.attempt is None else str(entry.attempt + 1), at=at_text,
    )


def _data_note(log: IntegrationSyncLog, provider_name: str, first_day: str | None) -> str:
    """Where the vendor's history began, once the days before it were read and came back empty."""
    if log.days_done == 0:
        return ""
    if first_day is None:
        return f"{provider_name} returned no data for the {log.days_done} day(s) synced."
    if first_day > log.window_start.isoformat():
        return f"{provider_name} returned no data before {first_day}."
    return ""


def run_detail(session: Session, tenant_id: int, log_id: int) -> RunDetail:
    """A run's details for "View run"; NotFound for an unknown or another tenant's id."""
    log = integrations.get_sync_log_or_raise(session=session, tenant_id=tenant_id, log_id=log_id)
    integration = ai_tooling.get_integration_or_raise(
        session=session, tenant_id=tenant_id, integration_id=log.integration_id
    )
    zone = tenant_of(session, tenant_id).timezone
    now = clock.utcnow()
    diagnostics = run_diagnostics.read(log)
    errors, affected, rematched = diagnostics.errors, diagnostics.affected_records, diagnostics.rematched
    listed = days_between(log.window_start, log.window_end)[:MAX_DAY_ROWS]
    stored = ai_tooling.stored_day_totals(session=session, integration_id=integration.id,
                                          scenario_id=diagnostics.scopes[0].scenario_id if diagnostics.scopes else None,
                                          start=listed[0], end=listed[-1]) if listed else {}
    days, not_listed = _day_rows(log, errors, stored)
    row = log_row(session, log, integration.provider, zone, now)
    view = RunView(
        **dataclasses.asdict(row), created=exact(log.created_at, zone), started=exact(log.started_at, zone),
        finished=exact(log.finished_at, zone), stored=log.records_upserted,
        checkpoint=log.checkpoint_date.isoformat() if log.checkpoint_date else "",
        error_message=log.error_message or "",
        scopes=", ".join("Live Baseline" if s.scenario_id is None else s.name for s in diagnostics.scopes),
        rematched=f"{rematched.linked} linked, {rematched.unlinked} unlinked" if rematched else "",
        days_not_listed=not_listed, affected_dates_total=affected.dates_total if affected else 0,
        data_note=_data_note(log, row.provider_name, diagnostics.first_day_with_data),
    )
    return RunDetail(
        view=view, errors=[_error_row(e, zone) for e in errors], days=days,
        skipped_scopes=[f"{s.name} ({s.reason})" for s in diagnostics.skipped_scopes],
        affected_emails=affected.emails if affected else [],
        affected_dates=affected.dates if affected else [],
    )
