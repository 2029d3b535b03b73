"""A run's diagnostics, typed: what the sync engine writes on its log and "View run" reads.

Stored as JSON on `integration_sync_logs.diagnostics` (the shape below, field for field); `read`
accepts what earlier releases wrote, since every field has a default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from orgonaut import clock
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.integrations.models import IntegrationSyncLog

# How many e-mails and dates a failed run names, and how many errors and warnings a log keeps.
MAX_AFFECTED = 200
MAX_ERRORS_KEPT = 50
MAX_WARNINGS_KEPT = 50


class ScopeNote(msgspec.Struct):
    scenario_id: int | None  # None = Live
    name: str


class SkippedScopeNote(msgspec.Struct):
    scenario_id: int
    name: str
    reason: str


class ErrorNote(msgspec.Struct):
    date: str | None  # the day it happened on, ISO; None when before any day
    kind: str  # an ErrorKind value (kept as text: a kind from an older release still reads)
    message: str
    at: str  # ISO time
    status: int | None = None  # the vendor's HTTP status
    request_id: str | None = None
    attempt: int | None = None  # 0-based retry attempt of a transient error


class AffectedRecords(msgspec.Struct):
    dates: list[str]
    dates_total: int
    emails: list[str]


class Rematched(msgspec.Struct):
    linked: int
    unlinked: int


class RunDiagnostics(msgspec.Struct, omit_defaults=True):
    scopes: list[ScopeNote] = []
    skipped_scopes: list[SkippedScopeNote] = []
    errors: list[ErrorNote] = []
    warnings: list[str] = []
    affected_records: AffectedRecords | None = None
    rematched: Rematched | None = None
    skip_reason: str | None = None
    cancelled_at: str | None = None
    # The run's first day with any usage: a vendor that keeps no history says so by returning nothing.
    first_day_with_data: str | None = None


def read(log: IntegrationSyncLog) -> RunDiagnostics:
    return msgspec.convert(log.diagnostics or {}, RunDiagnostics)


def write(log: IntegrationSyncLog, diagnostics: RunDiagnostics) -> None:
    # A fresh value: the JSON column only notices assignment, not mutation.
    log.diagnostics = msgspec.to_builtins(diagnostics)


def error_note(day: dt.date | None, error: Exception, kind: ErrorKind, attempt: int | None = None) -> ErrorNote:
    note = ErrorNote(date=day.isoformat() if day else None, kind=kind.value, message=str(error),
                     at=clock.utcnow().isoformat(), attempt=attempt)
    if isinstance(error, ProviderError):
        note.status, note.request_id = error.status, error.request_id
    return note


def affected(dates: list[dt.date], emails: set[str] | None = None) -> AffectedRecords:
    return AffectedRecords(dates=[d.isoformat() for d in dates[:MAX_AFFECTED]], dates_total=len(dates),
                           emails=sorted(emails or ())[:MAX_AFFECTED])


def add_error(log: IntegrationSyncLog, note: ErrorNote) -> None:
    diagnostics = read(log)
    diagnostics.errors = [*diagnostics.errors, note][-MAX_ERRORS_KEPT:]
    write(log, diagnostics)


def add_warnings(log: IntegrationSyncLog, warnings: list[str]) -> None:
    if warnings:
        diagnostics = read(log)
        diagnostics.warnings = [*diagnostics.warnings, *warnings][-MAX_WARNINGS_KEPT:]
        write(log, diagnostics)


def update(log: IntegrationSyncLog, **changes: Any) -> None:
    """Sets some fields (e.g. `rematched=Rematched(...)`), keeping the rest."""
    write(log, msgspec.structs.replace(read(log), **changes))
