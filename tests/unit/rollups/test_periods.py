"""Range -> dates, and money as text (pure functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut.errors import ValidationFailed
from orgonaut.rollups.periods import RANGE_LABELS, Period, Range, minus_months, period_for
from orgonaut.rollups.queries import parse_breadth
from orgonaut.ui.format import format_usd

TODAY = dt.date(2025, 5, 31)


@pytest.mark.parametrize(
    ("range_", "expected"),
    [
        ("mtd", Period(dt.date(2025, 5, 1), TODAY)),
        ("last_month", Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30))),
        # 31 May minus 3 months is 28 Feb (clamped); the day after starts the range.
        ("3m", Period(dt.date(2025, 3, 1), TODAY)),
        ("6m", Period(dt.date(2024, 12, 1), TODAY)),
        ("all", Period(dt.date(2023, 7, 4), TODAY)),
    ],
)
def test_each_range_covers_the_documented_days(range_, expected):
    assert period_for(range_, today=TODAY, first_usage=dt.date(2023, 7, 4)) == expected


def test_ranges_across_a_year_start_and_in_a_leap_year():
    jan = dt.date(2024, 1, 15)
    assert period_for(Range.last_month, today=jan) == Period(dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    assert period_for(Range.mtd, today=jan) == Period(dt.date(2024, 1, 1), jan)
    assert period_for(Range.three_months, today=jan) == Period(dt.date(2023, 10, 16), jan)
    assert period_for(Range.six_months, today=dt.date(2024, 8, 29)).start == dt.date(2024, 3, 1)
    assert minus_months(dt.date(2024, 5, 31), 3) == dt.date(2024, 2, 29)
    assert minus_months(dt.date(2024, 3, 1), 14) == dt.date(2023, 1, 1)
    # On the first of a month, month-to-date is that one day.
    assert period_for("mtd", today=dt.date(2025, 3, 1)).days == [dt.date(2025, 3, 1)]


def test_all_without_usage_is_today_alone():
    assert period_for("all", today=TODAY) == Period(TODAY, TODAY)


def test_explicit_dates_win_and_bad_ones_are_refused_with_a_message():
    assert period_for("all", today=TODAY, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 3)).days == [
        dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3)]
    with pytest.raises(ValidationFailed, match="before the start"):
        period_for(today=TODAY, start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1))
    with pytest.raises(ValidationFailed, match="after today"):
        period_for(today=TODAY, start=dt.date(2025, 5, 1), end=dt.date(2025, 6, 1))
    with pytest.raises(ValidationFailed, match="both a start and an end"):
        period_for(today=TODAY, start=dt.date(2025, 5, 1))
    with pytest.raises(ValidationFailed, match="at most"):
        period_for(today=TODAY, start=dt.date(2000, 1, 1), end=TODAY)
    with pytest.raises(ValidationFailed, match="Unknown range 'week'. Valid ranges: mtd, last_month, 3m, 6m, all"):
        period_for("week", today=TODAY)
    with pytest.raises(ValidationFailed, match="Unknown scope 'deep'"):
        parse_breadth("deep")


def test_range_labels_are_the_selector_names_in_order():
    assert list(RANGE_LABELS.values()) == ["MTD", "Last Month", "3M", "6M", "All"]


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (Decimal("123456"), "$1,234.56"),
        (Decimal("0"), "$0.00"),
        (Decimal("0.5"), "$0.01"),  # half a cent rounds up
        (Decimal("0.499999"), "$0.00"),
        (Decimal("99999999.999"), "$1,000,000.00"),
        (Decimal("-250"), "-$2.50"),
        (Decimal("7"), "$0.07"),
    ],
)
def test_format_usd(cents, text):
    assert format_usd(cents) == text
