"""Pure parts of the sync flow: the days left after a checkpoint, back-off, date-range validation."""

from __future__ import annotations

import datetime as dt

import pytest

from orgonaut import clock
from orgonaut.ai_tooling import service, sync
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderRetriableError
from orgonaut.errors import ValidationFailed
from orgonaut.integrations.models import IntegrationSyncLog


def test_remaining_days_start_after_the_checkpoint():
    log = IntegrationSyncLog(tenant_id=1, integration_id=1, kind="backfill", window_start=dt.date(2025, 1, 30),
                             window_end=dt.date(2025, 2, 2))
    assert sync.remaining_days(log) == [dt.date(2025, 1, 30), dt.date(2025, 1, 31), dt.date(2025, 2, 1),
                                        dt.date(2025, 2, 2)]
    log.checkpoint_date = dt.date(2025, 1, 31)
    assert sync.remaining_days(log) == [dt.date(2025, 2, 1), dt.date(2025, 2, 2)]
    log.checkpoint_date = dt.date(2025, 2, 2)
    assert sync.remaining_days(log) == []


def test_retry_delay_grows_is_capped_and_honours_retry_after():
    delays = [sync.retry_delay(n) for n in range(12)]
    for n, delay in enumerate(delays):
        step = min(sync.RETRY_CAP_SECONDS, sync.RETRY_BASE_SECONDS * 2**n)
        assert step / 2 <= delay <= step
    asked = ProviderRetriableError(ErrorKind.rate_limited, "slow down", retry_after=900)
    assert sync.retry_delay(0, asked) == 900


def test_yesterday_is_taken_in_the_server_time_zone(monkeypatch):
    from orgonaut.settings import reset_settings_cache

    monkeypatch.setenv("ORGONAUT_TIMEZONE", "Pacific/Auckland")
    reset_settings_cache()
    try:
        with clock.frozen_at(dt.datetime(2025, 3, 3, 20, 0, tzinfo=dt.UTC)):  # already the 4th in Auckland
            assert sync.server_yesterday() == dt.date(2025, 3, 3)
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    with clock.frozen_at(dt.datetime(2025, 3, 3, 20, 0, tzinfo=dt.UTC)):
        assert sync.server_yesterday() == dt.date(2025, 3, 2)  # the run's zone is UTC


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2025, 3, 2), dt.date(2025, 3, 1), "The end date (2025-03-01) is before the start date"),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 11), "2025-03-11 is in the future"),
        (dt.date(2014, 3, 1), dt.date(2025, 3, 1), "at most 3660 days"),
    ],
)
def test_backfill_ranges_are_checked(start, end, message):
    with clock.frozen_at(dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)):
        with pytest.raises(ValidationFailed) as raised:
            service.validate_backfill_range(start=start, end=end)
        assert message in str(raised.value)
        service.validate_backfill_range(start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 10))  # today is fine
