"""This month's cost to month end, from the month so far, weekdays and weekend days apart.

People use AI coding tools on working days: a weekend costs a fraction of a weekday, so a plain run rate
(month to date / days elapsed x days in the month) runs high after a weekend-heavy start and low after a
weekday-heavy one. The method (`forecast_month`):

1. The complete days are the month's days before today (today is still being used, and the vendors report
   a day after it ends).
2. Rates: the mean daily cost of the complete weekdays (Monday to Friday) and, apart, of the complete
   weekend days. From the month's complete days once there are at least `MIN_MONTH_DAYS` of them (a week:
   both kinds are in it); before that from the last `TRAILING_DAYS` complete days (the first days of a
   month say too little on their own). A kind with no day in the window costs nothing.
3. Forecast = the complete days' cost + today's (the larger of what is stored so far and its kind's rate)
   + every later day of the month at its kind's rate.

`docs/forecast.md` holds its backtest on the demo data against the run rate (`backtest`,
`orgonaut spend backtest`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from orgonaut.ai_tooling.providers.money import sum_cost_cents

MIN_MONTH_DAYS = 7
TRAILING_DAYS = 28
_SCALE = Decimal("0.000001")
_DAY = dt.timedelta(days=1)


def is_weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Forecast:
    today: dt.date
    spent_cents: Decimal  # the month's stored cost up to and including today
    forecast_cents: Decimal  # the whole month's expected cost
    weekday_rate_cents: Decimal
    weekend_rate_cents: Decimal
    basis: str  # "month so far" or "last 28 days"
    # (day, cumulative cost) of the days so far, then (day, cumulative forecast) to month end: the burn-down.
    actual: tuple[tuple[dt.date, Decimal], ...]
    projected: tuple[tuple[dt.date, Decimal], ...]


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


def _mean(values: list[Decimal]) -> Decimal:
    return (sum_cost_cents(values) / len(values)).quantize(_SCALE) if values else Decimal(0)


def forecast_month(daily_cost_cents: Mapping[dt.date, Decimal], today: dt.date) -> Forecast:
    """The month of `today`, from the daily costs up to `today` (later days in the mapping are not read)."""
    first, last = today.replace(day=1), month_end(today)
    complete = list(_days(first, today - _DAY))
    if len(complete) >= MIN_MONTH_DAYS:
        window, basis = complete, "month so far"
    else:
        window, basis = list(_days(today - TRAILING_DAYS * _DAY, today - _DAY)), f"last {TRAILING_DAYS} days"

    def cost(day: dt.date) -> Decimal:
        return daily_cost_cents.get(day, Decimal(0))

    weekday_rate = _mean([cost(day) for day in window if not is_weekend(day)])
    weekend_rate = _mean([cost(day) for day in window if is_weekend(day)])

    def rate(day: dt.date) -> Decimal:
        return weekend_rate if is_weekend(day) else weekday_rate

    actual: list[tuple[dt.date, Decimal]] = []
    running = Decimal(0)
    for day in _days(first, today):
        running += cost(day)
        actual.append((day, running))
    projected: list[tuple[dt.date, Decimal]] = []
    expected = sum_cost_cents(cost(day) for day in complete) + max(cost(today), rate(today))
    projected.append((today, expected))
    for day in _days(today + _DAY, last):
        expected += rate(day)
        projected.append((day, expected))
    return Forecast(today=today, spent_cents=sum_cost_cents([running]), forecast_cents=expected.quantize(_SCALE),
                    weekday_rate_cents=weekday_rate, weekend_rate_cents=weekend_rate, basis=basis,
                    actual=tuple(actual), projected=tuple(projected))


def run_rate_cents(mtd_cost_cents: Decimal, today: dt.date) -> Decimal:
    """The plain run rate the backtest compares with: month to date / days elapsed x days in the month."""
    return (mtd_cost_cents * month_end(today).day / today.day).quantize(_SCALE)


@dataclass(frozen=True)
class BacktestRow:
    day_of_month: int
    months: int  # complete months with cost tested at this day
    weekday_error_pct: Decimal  # mean absolute error of `forecast_month`, % of the month's actual cost
    run_rate_error_pct: Decimal


def backtest(daily_cost_cents: Mapping[dt.date, Decimal], *, cut_days: Iterable[int] = (3, 7, 10, 15, 20, 25),
             before: dt.date, since: dt.date | None = None) -> list[BacktestRow]:
    """Both methods forecast every complete month with cost from `since` (default: the first) up to before
    `before`, on the morning of each `cut_days` day (that day's own cost not yet known), against the
    month's actual total."""
    months = sorted({day.replace(day=1) for day, cents in daily_cost_cents.items() if cents and day < before})
    months = [m for m in months if month_end(m) < before and (since is None or m >= since)]
    rows = []
    for cut in cut_days:
        weekday_errors: list[Decimal] = []
        run_rate_errors: list[Decimal] = []
        for month in months:
            actual = sum_cost_cents(daily_cost_cents.get(day, Decimal(0)) for day in _days(month, month_end(month)))
            if actual <= 0:
                continue
            today = month.replace(day=cut)
            known = {day: cents for day, cents in daily_cost_cents.items() if day < today}
            mtd = sum_cost_cents(cents for day, cents in known.items() if day >= month)
            weekday_errors.append(abs(forecast_month(known, today).forecast_cents - actual) / actual * 100)
            elapsed = today - _DAY
            run_rate = run_rate_cents(mtd, elapsed) if elapsed >= month else Decimal(0)
            run_rate_errors.append(abs(run_rate - actual) / actual * 100)
        rows.append(BacktestRow(day_of_month=cut, months=len(weekday_errors),
                                weekday_error_pct=_mean(weekday_errors).quantize(Decimal("0.1")),
                                run_rate_error_pct=_mean(run_rate_errors).quantize(Decimal("0.1"))))
    return rows
