"""When the settings page says the next nightly sync runs (`windows.next_nightly`, beat's 03:00 in
ORGONAUT_TIMEZONE), and what it calls each kind of run."""

from __future__ import annotations

import datetime as dt

import pytest

from orgonaut.ai_tooling.windows import NIGHTLY_AT, next_nightly
from orgonaut.integrations.models import IntegrationSyncLog, SyncKind
from orgonaut.ui.pages.ai_tooling.views import kind_label, next_sync_text
from workers.celery_app import app

UTC = dt.UTC


@pytest.mark.parametrize(("now", "zone", "expected"), [
    (dt.datetime(2026, 12, 8, 0, 44, tzinfo=UTC), "UTC", "today at 03:00 UTC"),
    (dt.datetime(2026, 12, 8, 3, 0, tzinfo=UTC), "UTC", "tomorrow at 03:00 UTC"),
    (dt.datetime(2026, 12, 8, 23, 30, tzinfo=UTC), "Europe/Berlin", "today at 03:00 CET"),  # 00:30 local
    (dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "Europe/Berlin", "tomorrow at 03:00 CEST"),
])
def test_the_next_sync_is_the_next_03_00_in_beats_zone(now, zone, expected):
    assert next_sync_text(now, zone) == expected
    assert next_nightly(now, zone) > now


def test_beat_runs_the_nightly_sync_at_that_time():
    schedule = app.conf.beat_schedule["ai-tooling-nightly-sync"]["schedule"]
    assert (schedule._orig_hour, schedule._orig_minute) == (NIGHTLY_AT.hour, NIGHTLY_AT.minute)


@pytest.mark.parametrize(("kind", "triggered_by", "label"), [
    (SyncKind.reconcile, "schedule", "Nightly sync"), (SyncKind.reconcile, "user", "Sync now"),
    (SyncKind.reconcile, "cli", "Sync now"), (SyncKind.backfill, "user", "Backfill"),
])
def test_runs_are_called_what_people_call_them(kind, triggered_by, label):
    assert kind_label(IntegrationSyncLog(kind=kind, triggered_by=triggered_by)) == label
