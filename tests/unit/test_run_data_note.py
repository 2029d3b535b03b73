"""View run says where a vendor's history began: the run's first day with any usage, when later than
the window's start (a vendor that keeps no older history answers those days empty)."""

from __future__ import annotations

import datetime as dt

from orgonaut.integrations.models import IntegrationSyncLog
from orgonaut.ui.pages.ai_tooling.run_rows import _data_note

START = dt.date(2025, 1, 1)


def log(days_done: int) -> IntegrationSyncLog:
    return IntegrationSyncLog(tenant_id=1, integration_id=1, kind="backfill", window_start=START,
                              window_end=START + dt.timedelta(days=89), days_done=days_done)


def test_the_first_day_with_data_is_named_when_the_days_before_it_came_back_empty():
    assert _data_note(log(90), "Cursor", "2025-03-01") == "Cursor returned no data before 2025-03-01."
    assert _data_note(log(90), "Cursor", "2025-01-01") == ""  # data from the first day on
    assert _data_note(log(12), "Cursor", None) == "Cursor returned no data for the 12 day(s) synced."
    assert _data_note(log(0), "Cursor", None) == ""  # nothing read yet: nothing to say
