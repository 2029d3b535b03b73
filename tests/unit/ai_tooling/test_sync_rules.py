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


def test_retry_delay_grows_is_capped_and_honours_retry_after_up_to_the_cap():
    delays = [sync.retry_delay(n) for n in range(12)]
    for n, delay in enumerate(delays):
        step = min(sync.RETRY_CAP_SECONDS, sync.RETRY_BASE_SECONDS * 2**n)
        assert step / 2 <= delay <= step
    asked = ProviderRetriableError(ErrorKind.rate_limited, "slow down", retry_after=240)
    assert sync.retry_delay(0, asked) == 240
    # A longer wait would outlive the broker's visibility timeout while the task sleeps in it.
    asked = ProviderRetriableError(ErrorKind.rate_limited, "slow down", retry_after=7200)
    assert sync.retry_delay(0, asked) == sync.RETRY_CAP_SECONDS < 3600


def test_a_short_visibility_timeout_caps_retry_countdowns_at_a_sixth_of_it(monkeypatch):
    from orgonaut.ai_tooling.steps import retry_cap
    from orgonaut.settings import reset_settings_cache

    monkeypatch.setenv("ORGONAUT_CELERY_VISIBILITY_TIMEOUT", "60")
    reset_settings_cache()
    try:
        asked = ProviderRetriableError(ErrorKind.rate_limited, "slow down", retry_after=120)
        assert retry_cap() == 10.0
        assert sync.retry_delay(0, asked) == 10.0
        assert 5.0 <= sync.retry_delay(3) <= 10.0
    finally:
        monkeypatch.undo()
        reset_settings_cache()
    assert retry_cap() == sync.RETRY_CAP_SECONDS  # 3600 / 6: the 600 s cap itself


def test_decide_maps_outcomes_and_failures_to_one_step():
    failure = sync.RetryLater(ProviderRetriableError(ErrorKind.unavailable, "HTTP 503"), "lease")
    assert sync.decide(sync.ChunkOutcome.more, None, 0) == sync.Decision(sync.Step.next_chunk)
    assert sync.decide(sync.ChunkOutcome.busy, None, 0) == sync.Decision(sync.Step.wait, sync.WAIT_BEHIND_SECONDS)
    assert sync.decide(sync.ChunkOutcome.finished, None, 0).step == sync.Step.done
    assert sync.decide(sync.ChunkOutcome.duplicate, None, 0).step == sync.Step.done
    retry = sync.decide(None, failure, 1, jitter=lambda: 1.0)
    assert retry == sync.Decision(sync.Step.retry, sync.RETRY_BASE_SECONDS * 2)
    assert sync.decide(None, failure, sync.MAX_TRANSIENT_RETRIES).step == sync.Step.fail


def test_the_last_complete_day_is_a_utc_day_over_an_hour_ago_whatever_the_server_zone(monkeypatch):
    from orgonaut.settings import reset_settings_cache

    for zone in ("Pacific/Auckland", "Asia/Riyadh", "UTC", "America/New_York"):
        monkeypatch.setenv("ORGONAUT_TIMEZONE", zone)
        reset_settings_cache()
        try:
            # 03:00 in Riyadh is 00:00 UTC: the 3rd has just ended but is not served for an hour yet.
            with clock.frozen_at(dt.datetime(2025, 3, 4, 0, 0, tzinfo=dt.UTC)):
                assert sync.last_complete_day() == dt.date(2025, 3, 2)
            with clock.frozen_at(dt.datetime(2025, 3, 4, 1, 0, tzinfo=dt.UTC)):
                assert sync.last_complete_day() == dt.date(2025, 3, 3)
            with clock.frozen_at(dt.datetime(2025, 3, 3, 20, 0, tzinfo=dt.UTC)):  # the 4th in Auckland
                assert sync.last_complete_day() == dt.date(2025, 3, 2)
        finally:
            monkeypatch.undo()
            reset_settings_cache()


def test_the_nightly_window_catches_up_after_missed_nights_up_to_a_month():
    from orgonaut.ai_tooling.windows import MAX_CATCH_UP_DAYS, nightly_window

    end = dt.date(2025, 3, 20)
    assert nightly_window(end=end, lookback_days=7, last_reconciled=None) == (dt.date(2025, 3, 13), end)
    assert nightly_window(end=end, lookback_days=7, last_reconciled=dt.date(2025, 3, 19)) == (dt.date(2025, 3, 13), end)
    # Six nights missed: every day since the last success is fetched.
    assert nightly_window(end=end, lookback_days=1, last_reconciled=dt.date(2025, 3, 13)) == (dt.date(2025, 3, 14), end)
    start, _ = nightly_window(end=end, lookback_days=7, last_reconciled=dt.date(2024, 12, 1))
    assert (end - start).days + 1 == MAX_CATCH_UP_DAYS


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
