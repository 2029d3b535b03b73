"""Fetching ahead: one vendor call per run of consecutive days, as many days per call as the provider
declares; every day yielded in order with its rows built; nothing fetched after a failed call."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from orgonaut.ai_tooling.prefetch import calls, prefetch
from orgonaut.ai_tooling.providers.base import (
    DailyUsage,
    DayUsages,
    ErrorKind,
    OneDayPerCall,
    ProviderError,
    RangePerCall,
)

D = dt.date(2025, 3, 1)


def days(n: int, start: dt.date = D) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


class RangeVendor(RangePerCall):
    """A vendor client serving ranges: records the calls; `leave_out` days are missing from its answers."""

    key, display_name = "range", "Range"

    def __init__(self, leave_out: frozenset[dt.date] = frozenset(), fail_on: dt.date | None = None):
        self.calls: list[tuple[dt.date, dt.date]] = []
        self._lock = threading.Lock()
        self.leave_out, self.fail_on = leave_out, fail_on

    def test_connection(self) -> str:
        return "Range Inc"

    def fetch_days(self, start: dt.date, end: dt.date) -> dict[dt.date, DayUsages]:
        with self._lock:
            self.calls.append((start, end))
        if self.fail_on is not None and start <= self.fail_on <= end:
            raise ProviderError(ErrorKind.unavailable, "down")
        return {day: DayUsages([DailyUsage(source_email="a@x.test", usage_date=day, sessions_count=day.day)])
                for day in days((end - start).days + 1, start) if day not in self.leave_out}


def build(*, day, usages):
    return ([("row", day, usages[0].sessions_count)], day)


def test_calls_are_runs_of_consecutive_days_of_at_most_the_declared_length():
    assert calls(days(7), 3) == [days(3), days(3, D + dt.timedelta(days=3)), [D + dt.timedelta(days=6)]]
    assert calls(days(2), 1) == [[D], [D + dt.timedelta(days=1)]]
    gap = [D, D + dt.timedelta(days=1), D + dt.timedelta(days=5)]
    assert calls(gap, 30) == [gap[:2], gap[2:]]
    assert calls([], 5) == []


def test_a_range_provider_is_called_once_per_window_and_every_day_comes_back_in_order_with_its_rows():
    vendor = RangeVendor()
    fetched = list(prefetch(vendor, days(10), 4, build, deadline=float("inf")))
    assert vendor.calls == [(D, D + dt.timedelta(days=3)), (D + dt.timedelta(days=4), D + dt.timedelta(days=7)),
                            (D + dt.timedelta(days=8), D + dt.timedelta(days=9))]
    assert [f.day for f in fetched] == days(10)
    assert [f.built[0][0][2] for f in fetched] == [day.day for day in days(10)]
    assert all(f.error is None and f.build_error is None for f in fetched)


def test_a_day_missing_from_a_range_answer_fails_that_call_by_name_and_nothing_more_is_fetched():
    vendor = RangeVendor(leave_out=frozenset({D + dt.timedelta(days=5)}))
    fetched = list(prefetch(vendor, days(12), 4, build, deadline=float("inf")))
    assert [f.day for f in fetched] == [*days(4), D + dt.timedelta(days=4)]
    failed = fetched[-1]
    assert isinstance(failed.error, ProviderError) and failed.error.kind is ErrorKind.malformed
    assert str(failed.error) == "The provider's answer for 2025-03-05 to 2025-03-08 has no data for 2025-03-06."
    assert len(vendor.calls) <= 3  # the window after the failed one may already be in flight, none later


def test_a_failed_call_is_reported_on_its_first_day():
    vendor = RangeVendor(fail_on=D + dt.timedelta(days=2))
    fetched = list(prefetch(vendor, days(6), 3, build, deadline=float("inf")))
    assert [(f.day, f.error is not None) for f in fetched] == [(D, True)]


@pytest.mark.parametrize("per_call", [1, 3])
def test_one_day_per_call_providers_and_single_days_of_range_providers_agree(per_call):
    class DayVendor(OneDayPerCall):
        def fetch_day(self, day):
            return DayUsages([DailyUsage(source_email="a@x.test", usage_date=day, sessions_count=day.day)])

    by_day = DayVendor().fetch_days(D, D + dt.timedelta(days=per_call - 1))
    assert sorted(by_day) == days(per_call)
    assert RangeVendor().fetch_day(D)[0].sessions_count == DayVendor().fetch_day(D)[0].sessions_count == 1
