"""What View run shows of one sync run: its facts, its errors and each day's result.

Presentation only, like `views`: each day's result (synced, failed, retrying, waiting, not synced) is
read from the run's checkpoint, status and the errors its diagnostics recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling import service as ai_tooling
from orgonaut.ai_tooling.sync import days_between
from orgonaut.integrations import health
from orgonaut.integrations import service as integrations
from orgonaut.integrations.models import IntegrationSyncLog, SyncStatus
from orgonaut.ui.pages.ai_tooling.views import (
    ACTIVE_RUN,
    RUN_STATUS_COLOR,
    duration,
    exact,
    progress_of,
    provider_name_of,
    tenant_of,
    triggered_by_text,
    window,
)

# A run's day-by-day table stops here; a longer backfill says how many days are not listed.
MAX_DAY_ROWS = 400


@dataclasses.dataclass
class RunView:
    id: int = 0
    provider_name: str = ""
    kind: str = ""
    window: str = ""
    status: str = ""
    status_color: str = "gray"
    triggered_by: str = ""
    created: str = ""
    started: str = ""
    finished: str = ""
    duration: str = ""
    fetched: int = 0
    stored: int = 0
    matched: int = 0
    unmatched: int = 0
    progress_text: str = ""
    checkpoint: str = ""
    error_message: str = ""
    scopes: str = ""
    rematched: str = ""
    days_not_listed: int = 0
    affected_dates_total: int = 0
    cancelling: bool = False


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


@dataclasses.dataclass
class RunDetail:
    view: RunView
    errors: list[RunErrorRow]
    days: list[DayRow]
    skipped_scopes: list[str]
    affected_emails: list[str]
    affected_dates: list[str]


# --- one run ----------------------------------------------------------------------------------


def _day_rows(log: IntegrationSyncLog, errors: list[dict[str, Any]]) -> tuple[list[DayRow], int]:
    """Each day of the window: synced (up to the checkpoint), failed, not synced, or waiting."""
    by_day: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        by_day.setdefault(str(error.get("date") or ""), []).append(error)
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
        note = str(last.get("message", "")) if last is not None else ""
        rows.append(DayRow(date=day.isoformat(), result=result, color=color, errors=len(day_errors), note=note))
    return rows, max(0, len(days) - MAX_DAY_ROWS)


def _error_row(entry: dict[str, Any], zone: str) -> RunErrorRow:
    at = entry.get("at")
    try:
        at_text = exact(dt.datetime.fromisoformat(at), zone) if at else ""
    except (TypeError, ValueError):
        at_text = str(at)
    return RunErrorRow(
        date=str(entry.get("date") or "—"), kind=health.error_kind_label(entry.get("kind")),
        message=str(entry.get("message", "")),
        http_status="" if entry.get("status") is None else str(entry["status"]),
        request_id=str(entry.get("request_id") or ""),
        attempt="" if entry.get("attempt") is None else str(int(entry["attempt"]) + 1),
        at=at_text,
    )


def run_detail(session: Session, tenant_id: int, log_id: int) -> RunDetail:
    """A run's details for "View run"; NotFound for an unknown or another tenant's id."""
    log = integrations.get_sync_log_or_raise(session=session, tenant_id=tenant_id, log_id=log_id)
    integration = ai_tooling.get_integration_or_raise(
        session=session, tenant_id=tenant_id, integration_id=log.integration_id
    )
    zone = tenant_of(session, tenant_id).timezone
    now = clock.utcnow()
    diagnostics = dict(log.diagnostics or {})
    errors = [e for e in diagnostics.get("errors", []) if isinstance(e, dict)]
    affected = diagnostics.get("affected_records") or {}
    rematched = diagnostics.get("rematched") or {}
    status = SyncStatus(log.status)
    _, progress_text = progress_of(log)
    days, not_listed = _day_rows(log, errors)
    view = RunView(
        id=log.id, provider_name=provider_name_of(integration.provider), kind=str(log.kind),
        window=window(log.window_start, log.window_end), status=status.value, status_color=RUN_STATUS_COLOR[status],
        triggered_by=triggered_by_text(session, log), created=exact(log.created_at, zone),
        started=exact(log.started_at, zone), finished=exact(log.finished_at, zone),
        duration=duration(log.started_at, log.finished_at or (now if status == SyncStatus.running else None)),
        fetched=log.records_fetched, stored=log.records_upserted, matched=log.records_matched,
        unmatched=log.records_unmatched, progress_text=progress_text,
        checkpoint=log.checkpoint_date.isoformat() if log.checkpoint_date else "",
        error_message=log.error_message or "",
        scopes=", ".join("Live Baseline" if s.get("scenario_id") is None else str(s.get("name"))
                         for s in diagnostics.get("scopes", [])),
        rematched=(f"{rematched.get('linked', 0)} linked, {rematched.get('unlinked', 0)} unlinked"
                   if rematched else ""),
        days_not_listed=not_listed, affected_dates_total=int(affected.get("dates_total", 0) or 0),
        cancelling=status in ACTIVE_RUN and log.cancel_requested_at is not None,
    )
    return RunDetail(
        view=view, errors=[_error_row(e, zone) for e in errors], days=days,
        skipped_scopes=[f"{s.get('name')} ({s.get('reason')})" for s in diagnostics.get("skipped_scopes", [])],
        affected_emails=[str(e) for e in affected.get("emails", [])],
        affected_dates=[str(d) for d in affected.get("dates", [])],
    )
