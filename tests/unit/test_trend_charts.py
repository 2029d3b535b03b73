"""The trend charts of the person, team and department pages (issue 21, "Charts that read right"):
buckets that fit the range, ticks that fit the range, today never drawn as a drop to $0, activity as
separate series, hover on every trace, and a table with the same numbers.

Bucket sums are checked against a brute-force sum of random days; ticks against every range on days
that stress them (the first of a month, a year's turn, ten years of "All")."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from orgonaut.rollups import periods
from orgonaut.rollups.periods import Range
from orgonaut.rollups.queries import DayPoint
from orgonaut.ui.components.charts import (
    Size,
    activity_figure,
    activity_table,
    axis_ticks,
    bucket_note,
    bucket_size,
    buckets,
    cost_table,
    cost_trend_figure,
)
from orgonaut.ui.format import format_usd

PROVIDERS = ("claude_code", "cursor")


def _day(day: dt.date, rng: random.Random, *, used: bool | None = None) -> DayPoint:
    if used is None:
        used = rng.random() < 0.7
    if not used:
        return DayPoint(day, Decimal(0), 0, 0, 0)
    costs = tuple((p, Decimal(rng.randint(0, 9_000_000)) / Decimal(1_000_000)) for p in PROVIDERS
                  if rng.random() < 0.6) or (("cursor", Decimal("0.000001")),)
    cursor_only = [p for p, _ in costs] == ["cursor"]
    return DayPoint(
        day, sum((c for _, c in costs), Decimal(0)),
        None if cursor_only else rng.randint(0, 9), None if cursor_only else rng.randint(0, 4),
        None if cursor_only else rng.randint(0, 2), cost_by_provider=costs,
    )


def _series(start: dt.date, end: dt.date, rng: random.Random, *, today_used: bool | None = None) -> list[DayPoint]:
    days = periods.Period(start, end).days
    return [_day(d, rng, used=today_used if d == days[-1] else None) for d in days]


@pytest.mark.parametrize("seed", range(40))
def test_buckets_partition_the_days_and_sum_them_exactly(seed):
    rng = random.Random(seed)
    today = dt.date(2026, 12, 7) + dt.timedelta(days=rng.randint(0, 400))
    length = rng.choice([1, 2, 7, 31, 92, 184, 190, 191, 400, 740, 741, 2000, 3650])
    ends_today = rng.random() < 0.7
    end = today if ends_today else today - dt.timedelta(days=rng.randint(1, 60))
    points = _series(end - dt.timedelta(days=length - 1), end, rng)
    chart = buckets(points, today=today)

    plotted = [p for p in points if not (p.date == today and not p.used)]  # an empty today is left out
    if not plotted:
        assert chart == []
        return
    size = bucket_size((plotted[-1].date - plotted[0].date).days + 1)
    assert size == (Size.day if length <= 190 else Size.week if length <= 740 else Size.month) or (
        points[-1].date == today and not points[-1].used)
    # Contiguous, in order, covering every plotted day once.
    assert chart[0].start == plotted[0].date and chart[-1].end == plotted[-1].date
    for before, after in zip(chart, chart[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    for b in chart:
        days = [p for p in plotted if b.start <= p.date <= b.end]
        assert b.cost_cents == sum((p.cost_cents for p in days), Decimal(0))
        for provider in PROVIDERS:
            expected = [c for p in days for k, c in p.cost_by_provider if k == provider]
            assert dict(b.cost_by_provider).get(provider) == (sum(expected, Decimal(0)) if expected else None)
        used = [p for p in days if p.used]
        for field in ("sessions", "commits", "pull_requests"):
            values = [getattr(p, field) for p in used if getattr(p, field) is not None]
            assert getattr(b, field) == (sum(values) if values or not used else None)
        if b.size == Size.week:
            assert b.start.weekday() == 0 or b is chart[0]
            assert b.end.weekday() == 6 or b is chart[-1]
        if b.size == Size.month:
            assert (b.start.day == 1 or b is chart[0]) and b.start.month == b.end.month
        # Partial: today falls in the bucket's whole day, week or month (the week or month is not over).
        first = (b.start - dt.timedelta(days=b.start.weekday()) if b.size == Size.week
                 else b.start.replace(day=1) if b.size == Size.month else b.start)
        last = (first + dt.timedelta(days=6) if b.size == Size.week
                else (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1) if b.size == Size.month
                else first)
        assert b.partial == (first <= today <= last)
    assert sum((b.cost_cents for b in chart), Decimal(0)) == sum((p.cost_cents for p in points), Decimal(0))
    # The table has one row per point and the range's total last, formatted as the cards are.
    rows = cost_table(chart)
    assert [r.cost for r in rows[:-1]] == [format_usd(b.cost_cents) for b in chart]
    assert (rows[-1].period, rows[-1].cost) == ("Total", format_usd(sum((p.cost_cents for p in points), Decimal(0))))


def test_today_without_usage_is_left_out_and_with_usage_is_marked_partial():
    rng = random.Random(1)
    today = dt.date(2026, 12, 7)
    empty_today = _series(dt.date(2026, 12, 1), today, rng, today_used=False)
    chart = buckets(empty_today, today=today)
    assert chart[-1].end == dt.date(2026, 12, 6) and not any(b.partial for b in chart)
    figure = cost_trend_figure(chart)
    assert figure["data"][0]["x"][-1] == "2026-12-06" and "shapes" not in figure["layout"]
    assert bucket_note(chart) == ""

    with_today = _series(dt.date(2026, 12, 1), today, rng, today_used=True)
    chart = buckets(with_today, today=today)
    assert chart[-1].partial and chart[-1].label == "Dec 7, 2026 (today, so far)"
    figure = cost_trend_figure(chart)
    for trace in figure["data"]:  # one line, or one stacked area per provider
        assert trace["marker"]["symbol"][-1] == "circle-open" and set(trace["marker"]["symbol"][:-1]) == {"circle"}
    assert figure["layout"]["annotations"][0]["text"] == "so far" and figure["layout"]["shapes"]
    assert bucket_note(chart) == "Today is not complete yet: its point is so far."
    assert cost_table(chart)[-2].period == "Dec 7, 2026 (today, so far)"

    # Weeks: the week of today is partial even before today has usage. Monday 7 December: its week is
    # only today, left out while empty, so the last point is the whole week before.
    chart = buckets(_series(today - dt.timedelta(days=399), today, rng, today_used=False), today=today)
    assert not chart[-1].partial and (chart[-1].start, chart[-1].end) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    wednesday = dt.date(2026, 12, 9)
    chart = buckets(_series(wednesday - dt.timedelta(days=399), wednesday, rng, today_used=False), today=wednesday)
    assert chart[-1].partial and (chart[-1].start, chart[-1].end) == (dt.date(2026, 12, 7), dt.date(2026, 12, 8))
    assert chart[-1].label == "Dec 7 – 8, 2026 (so far)"
    assert bucket_note(chart) == "Each point is a week (Monday to Sunday). The last point is so far."


def _range_chart(choice: Range, today: dt.date, first: dt.date | None = None):
    period = periods.period_for(choice, today=today, first_usage=first)
    points = [DayPoint(d, Decimal(100), 1, 1, 1, cost_by_provider=(("claude_code", Decimal(100)),))
              for d in period.days]
    return period, buckets(points, today=today)


@pytest.mark.parametrize("today", [dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 7),
                                   dt.date(2027, 1, 3), dt.date(2026, 3, 31), dt.date(2024, 2, 29)])
@pytest.mark.parametrize("choice", list(Range))
@pytest.mark.parametrize("years", [0, 1, 10])
def test_ticks_fit_the_range_and_never_repeat(today, choice, years):
    first = today - dt.timedelta(days=365 * years + 17)
    period, chart = _range_chart(choice, today, first)
    values, labels = axis_ticks(chart)
    assert values and len(values) == len(labels) <= 12
    assert len(set(labels)) == len(labels) and len(set(values)) == len(values)  # never "Dec 1, Dec 1, …"
    dates = [dt.date.fromisoformat(v) for v in values]
    assert dates == sorted(dates) and chart[0].start <= dates[0] and dates[-1] <= chart[-1].end
    span = (period.end - period.start).days + 1
    if span <= 31:  # days: each tick is a day of the range
        assert all(d in {b.start for b in chart} for d in dates)
    if span > 190:  # months with their year: "Jan 2020", never a bare "Jan 1"
        assert all(label[:3].isalpha() and label[-4:].isdigit() and label[-4:] == str(d.year)
                   for label, d in zip(labels, dates, strict=True))
    else:  # days or weeks: the year on the first tick and where it changes
        assert labels[0].endswith(f"<br>{dates[0].year}")
        for before, (label, d) in zip(dates, list(zip(labels, dates, strict=True))[1:], strict=False):
            assert label.endswith(f"<br>{d.year}") == (d.year != before.year)
    figure = cost_trend_figure(chart)
    assert figure["layout"]["xaxis"]["tickvals"] == values and figure["layout"]["xaxis"]["ticktext"] == labels


def test_long_ranges_are_weeks_then_months_not_a_haze_of_days():
    today = dt.date(2026, 12, 7)
    _, six = _range_chart(Range.six_months, today)
    assert {b.size for b in six} == {Size.day} and len(six) == 183
    _, year = _range_chart(Range.all, today, today - dt.timedelta(days=364))
    assert {b.size for b in year} == {Size.week} and len(year) <= 54
    _, decade = _range_chart(Range.all, today, dt.date(2016, 12, 1))
    assert {b.size for b in decade} == {Size.month} and len(decade) == 121
    assert decade[0].label == "Dec 1 – 31, 2016" and decade[-1].label == "Dec 1 – 7, 2026 (so far)"


def test_activity_is_three_separate_series_with_hover_everywhere():
    rng = random.Random(3)
    today = dt.date(2026, 12, 7)
    chart = buckets(_series(dt.date(2026, 9, 8), today, rng), today=today)
    figure = activity_figure(chart)
    assert [t["name"] for t in figure["data"]] == ["Sessions", "Commits", "Pull requests"]
    assert all(t["type"] == "scatter" and "stackgroup" not in t for t in figure["data"])
    assert "barmode" not in figure["layout"]  # not stacked as parts of one whole
    assert figure["layout"]["hovermode"] == "x unified"
    for t, field in zip(figure["data"], ("sessions", "commits", "pull_requests"), strict=True):
        assert t["y"] == [getattr(b, field) for b in chart]
    for fig in (figure, cost_trend_figure(chart)):
        assert all(t.get("hovertemplate") and "hoverinfo" not in t for t in fig["data"])
        assert fig["layout"]["hovermode"] in ("x", "x unified")  # anywhere above a point, not only on it
    rows = activity_table(chart)
    assert [(r.period, r.sessions) for r in rows] == [
        (b.label, "—" if b.sessions is None else f"{b.sessions:,}") for b in chart]


def test_a_range_with_nothing_to_plot():
    today = dt.date(2026, 12, 1)
    chart = buckets([DayPoint(today, Decimal(0), 0, 0, 0)], today=today)
    assert chart == [] and cost_table(chart) == [] and bucket_note(chart) == ""
    assert cost_trend_figure(chart)["data"][0]["x"] == [] and axis_ticks(chart) == ([], [])
    assert activity_figure(chart)["data"][0]["x"] == []
