"""Periods: which dates a range covers, in the tenant's time zone.

"Today" is today in the tenant's time zone and months are that zone's calendar months.
Ranges (both ends inclusive):
- `mtd`: the first of this month .. today
- `last_month`: the whole previous calendar month
- `3m` / `6m`: the day after today minus 3 / 6 calendar months .. today (clamped to month ends,
  so 31 May minus 3 months is 28/29 Feb and the range starts on 1 March)
- `all`: the first day with usage (of that person or unit) .. today; today alone when there is none
- or explicit `start` and `end` (both), on or before today.
A range's previous period is the same number of days just before it (`previous_period`).

The read queries (`rollups.queries`), the pages and the API all take their periods from here.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session, col

from orgonaut import clock
from orgonaut.errors import ValidationFailed
from orgonaut.tenancy.models import Tenant

# Longest explicit range a caller may ask for (a series has one point per day).
MAX_RANGE_DAYS = 3660


class Range(StrEnum):
    mtd = "mtd"
    last_month = "last_month"
    three_months = "3m"
    six_months = "6m"
    all = "all"


# What the range selector shows, in order.
RANGE_LABELS: dict[Range, str] = {
    Range.mtd: "MTD",
    Range.last_month: "Last Month",
    Range.three_months: "3M",
    Range.six_months: "6M",
    Range.all: "All",
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]



def previous_period(period: Period) -> Period:
    """The period of the same length just before `period` (a card's "vs the 30 days before")."""
    length = period.end - period.start + dt.timedelta(days=1)
    return Period(period.start - length, period.start - dt.timedelta(days=1))


def range_or_default(value: str | None, default: Range) -> Range:
    """A range named in a link (`?range=`); anything else (missing, unknown, mistyped) is `default`."""
    try:
        return Range((value or "").strip())
    except ValueError:
        return default


def parse_range(value: Range | str) -> Range:
    try:
        return Range(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown range '{value}'. Valid ranges: {', '.join(r.value for r in Range)}."
        ) from None


def minus_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_to_date(today: dt.date) -> Period:
    return Period(today.replace(day=1), today)


def previous_month(today: dt.date) -> Period:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def same_days_last_month(today: dt.date) -> Period:
    """Last month from its 1st to today's day of the month (clamped to its length)."""
    last = previous_month(today)
    return Period(last.start, last.start.replace(day=min(today.day, last.end.day)))


def period_for(
    range: Range | str | None = Range.mtd, *, today: dt.date, first_usage: dt.date | None = None,
    start: dt.date | None = None, end: dt.date | None = None,
) -> Period:
    """The dates a range covers (see the module docstring); explicit start/end win over the range."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValidationFailed("Give both a start and an end date, or a range.")
        if start > end:
            raise ValidationFailed(f"The end date ({end}) is before the start date ({start}).")
        if end > today:
            raise ValidationFailed(f"The range ends after today ({today}).")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise ValidationFailed(f"A range may cover at most {MAX_RANGE_DAYS} days.")
        return Period(start, end)
    chosen = parse_range(range or Range.mtd)
    if chosen == Range.mtd:
        return month_to_date(today)
    if chosen == Range.last_month:
        return previous_month(today)
    if chosen == Range.three_months:
        return Period(minus_months(today, 3) + dt.timedelta(days=1), today)
    if chosen == Range.six_months:
        return Period(minus_months(today, 6) + dt.timedelta(days=1), today)
    return Period(min(first_usage, today) if first_usage is not None else today, today)


def tenant_today(*, session: Session, tenant_id: int) -> dt.date:
    """Today in the tenant's time zone (one primary-key lookup: the zone is a setting that changes)."""
    zone = session.execute(select(col(Tenant.timezone)).where(col(Tenant.id) == tenant_id)).scalar_one_or_none()
    return clock.today_in(zone or "UTC")
