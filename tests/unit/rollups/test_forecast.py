"""The month-end forecast (`rollups.forecast`): weekdays and weekends apart, against brute force."""

from __future__ import annotations

import calendar
import datetime as dt
import random
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orgonaut.rollups import forecast as fc

DAY = dt.timedelta(days=1)


def _pattern(first: dt.date, last: dt.date, weekday: Decimal, weekend: Decimal) -> dict[dt.date, Decimal]:
    days = {}
    day = first
    while day <= last:
        days[day] = weekend if day.weekday() >= 5 else weekday
        day += DAY
    return days


def _month_total(days: dict[dt.date, Decimal], month: dt.date) -> Decimal:
    return sum((c for d, c in days.items() if d.replace(day=1) == month), Decimal(0))


def test_a_pure_weekday_weekend_pattern_is_forecast_exactly_where_the_run_rate_misses():
    days = _pattern(dt.date(2026, 10, 1), dt.date(2026, 12, 31), Decimal("12345.5"), Decimal("250"))
    today = dt.date(2026, 12, 15)  # a Tuesday; the month so far holds two weekends
    known = {d: c for d, c in days.items() if d < today}  # this morning: today's usage not in yet
    result = fc.forecast_month(known, today)
    assert result.forecast_cents == _month_total(days, dt.date(2026, 12, 1))
    assert (result.weekday_rate_cents, result.weekend_rate_cents, result.basis) == (
        Decimal("12345.5"), Decimal("250"), "month so far")
    mtd = sum((c for d, c in known.items() if d >= dt.date(2026, 12, 1)), Decimal(0))
    assert result.spent_cents == mtd
    assert fc.run_rate_cents(mtd, today - DAY) != result.forecast_cents


def test_early_in_the_month_the_rates_come_from_the_last_28_days():
    days = _pattern(dt.date(2026, 11, 1), dt.date(2026, 11, 30), Decimal(100), Decimal(10))
    days[dt.date(2026, 12, 1)] = Decimal(7)  # Tuesday: far under the pace
    days[dt.date(2026, 12, 2)] = Decimal(3)  # today, so far
    today = dt.date(2026, 12, 2)
    result = fc.forecast_month(days, today)
    assert result.basis == "last 28 days"
    window = [today - i * DAY for i in range(1, 29)]  # 4 to 30 November and 1 December: 20 weekdays
    weekday = (19 * Decimal(100) + 7) / 20
    assert (result.weekday_rate_cents, result.weekend_rate_cents) == (weekday, Decimal(10))
    assert sum(1 for d in window if d.weekday() < 5) == 20
    december = _pattern(dt.date(2026, 12, 3), dt.date(2026, 12, 31), weekday, Decimal(10))
    # 1 December as stored, today at the weekday rate (more than its 3 so far), the rest at the rates.
    assert result.forecast_cents == Decimal(7) + weekday + sum(december.values())
    assert result.spent_cents == Decimal(10)


def test_today_counts_at_least_what_is_stored_of_it():
    days = _pattern(dt.date(2026, 12, 1), dt.date(2026, 12, 9), Decimal(100), Decimal(10))
    today = dt.date(2026, 12, 10)  # Thursday
    days[today] = Decimal(900)  # a heavy day, still going
    result = fc.forecast_month(days, today)
    rest = _pattern(dt.date(2026, 12, 11), dt.date(2026, 12, 31), Decimal(100), Decimal(10))
    assert result.forecast_cents == sum((days[d] for d in days if d < today), Decimal(0)) + 900 + sum(rest.values())


def test_no_history_forecasts_what_is_spent():
    result = fc.forecast_month({}, dt.date(2026, 12, 1))
    assert (result.spent_cents, result.forecast_cents) == (Decimal(0), Decimal(0))


@given(seed=st.integers(0, 10_000), year=st.integers(2024, 2028), month=st.integers(1, 12), day=st.integers(1, 31))
def test_the_burn_down_runs_from_the_spend_so_far_to_the_forecast(seed, year, month, day):
    today = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
    rnd = random.Random(seed)
    start = today.replace(day=1) - 40 * DAY
    days = {start + i * DAY: Decimal(rnd.randint(0, 10**9)) / 10**6 for i in range((today - start).days + 1)
            if rnd.random() < 0.8}
    result = fc.forecast_month(days, today)
    first = today.replace(day=1)
    expected_spent = sum((c for d, c in days.items() if first <= d <= today), Decimal(0))
    assert result.spent_cents == expected_spent
    assert [d for d, _ in result.actual] == [first + i * DAY for i in range(today.day)]
    assert result.actual[-1][1] == expected_spent
    assert result.projected[0][0] == today and result.projected[-1][0] == fc.month_end(today)
    assert result.projected[-1][1] == result.forecast_cents >= expected_spent
    assert all(a[1] <= b[1] for a, b in zip(result.projected, result.projected[1:], strict=False))


def test_the_backtest_scores_both_methods_on_complete_months_only():
    days = _pattern(dt.date(2026, 1, 1), dt.date(2026, 6, 10), Decimal(1000), Decimal(50))
    rows = fc.backtest(days, cut_days=(10, 20), before=dt.date(2026, 6, 10))
    assert [(r.day_of_month, r.months) for r in rows] == [(10, 5), (20, 5)]  # January .. May
    assert all(r.weekday_error_pct == 0 for r in rows[1:])  # February on: a full month before each
    assert all(r.run_rate_error_pct > 0 for r in rows)
