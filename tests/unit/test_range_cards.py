"""The range cards of the person, team and department sections (issue 21, "Numbers that agree"):
each card is the chosen range's number, says its days, and compares with the same number of days
just before; checked against a brute-force sum of random days, for every range, on both sides of a
month's and a year's turn."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from orgonaut.rollups import periods
from orgonaut.rollups.periods import Period, Range
from orgonaut.rollups.queries import DayPoint
from orgonaut.ui.components.charts import buckets, cost_table
from orgonaut.ui.components.usage_cards import NOT_REPORTED, period_text
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.usage_views import (
    Providers,
    card_range,
    change_text,
    department_range_cards,
    person_range_cards,
    team_range_cards,
    totals_of,
)

FIELDS = ("sessions", "commits", "pull_requests", "lines_added", "lines_removed")
LABELS = {"Sessions": "sessions", "Commits": "commits", "Pull requests": "pull_requests",
          "Lines added": "lines_added", "Lines removed": "lines_removed"}


def _series(first: dt.date, today: dt.date, rng: random.Random) -> list[DayPoint]:
    """An "All" series as the queries give it: every day from the first usage to today."""
    points = []
    for day in Period(first, today).days:
        if day != first and rng.random() < 0.35:
            points.append(DayPoint(day, Decimal(0), 0, 0, 0))
            continue
        providers = [p for p in ("claude_code", "cursor") if rng.random() < 0.6] or ["claude_code"]
        costs = tuple((p, Decimal(rng.randint(0, 3_000_000)) / Decimal(1_000_000)) for p in providers)
        claude = "claude_code" in providers
        points.append(DayPoint(
            day, sum((c for _, c in costs), Decimal(0)), rng.randint(0, 9) if claude else None,
            rng.randint(0, 4) if claude else None, rng.randint(0, 2) if claude else None,
            cost_by_provider=costs, lines_added=rng.randint(0, 500), lines_removed=rng.randint(0, 200),
            provider_metrics=(("tabs_accepted", rng.randint(0, 40) if not claude or len(providers) > 1 else None),
                              ("agent_requests", None)),
        ))
    return points


def _brute(series: list[DayPoint], start: dt.date, end: dt.date) -> dict:
    days = [p for p in series if start <= p.date <= end]
    used = [p for p in days if p.cost_by_provider]
    out: dict = {"cost": sum((p.cost_cents for p in days), Decimal(0)),
                 "providers": sorted({k for p in used for k, _ in p.cost_by_provider})}
    for field in FIELDS:
        values = [getattr(p, field) for p in used if getattr(p, field) is not None]
        out[field] = sum(values) if values or not used else None
    return out


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("choice", list(Range))
def test_person_cards_are_the_ranges_sums_with_the_change_against_the_days_before(seed, choice):
    rng = random.Random(seed)
    today = rng.choice([dt.date(2026, 12, 1), dt.date(2026, 12, 7), dt.date(2027, 1, 2), dt.date(2026, 3, 31)])
    first = today - dt.timedelta(days=rng.randint(0, 500))
    series = _series(first, today, rng)
    chosen = card_range(choice, today=today, first_usage=first)
    period = periods.period_for(choice, today=today, first_usage=first)
    assert chosen.period == period
    cards = {c.label: c for c in person_range_cards(series, chosen, Providers(("claude_code", "cursor"),
                                                                              ("claude_code", "cursor")))}
    now = _brute(series, period.start, period.end)
    days = (period.end - period.start).days + 1
    if choice == Range.all:
        assert chosen.previous is None and all(c.change == "" for c in cards.values())
    else:
        # The same number of days, ending the day before the range starts.
        before_start, before_end = period.start - dt.timedelta(days=days), period.start - dt.timedelta(days=1)
        assert chosen.previous == Period(before_start, before_end)
        before = _brute(series, before_start, before_end)
        assert cards["Cost"].change == change_text(now["cost"], before["cost"], days, money=True)
        for label, field in LABELS.items():
            assert cards[label].change == change_text(now[field], before[field], days)
    assert cards["Cost"].value == format_usd(now["cost"])
    assert cards["Cost"].hint == period_text(period)
    for label, field in LABELS.items():
        assert cards[label].value == (NOT_REPORTED if now[field] is None else f"{now[field]:,}"), label
    assert cards["Active providers"].value == str(len(now["providers"]))
    # The card, the chart's points and the chart's table total: the same exact sum, shown the same.
    points = [p for p in series if period.start <= p.date <= period.end]
    chart = buckets(points, today=today)
    assert sum((b.cost_cents for b in chart), Decimal(0)) == now["cost"]
    if chart:
        assert cost_table(chart)[-1].cost == cards["Cost"].value


def test_change_text():
    assert change_text(Decimal("1234.5"), Decimal("1000"), 30, money=True) == "+$2.35 (+23%) vs the 30 days before"
    assert change_text(Decimal(0), Decimal("1000"), 7, money=True) == "−$10.00 (−100%) vs the 7 days before"
    assert change_text(5, 0, 1) == "+5 vs the day before"  # no percentage after nothing
    assert change_text(3, 3, 92) == "no change vs the 92 days before"
    assert change_text(None, 3, 92) == change_text(3, None, 92) == ""  # "—" has no change


def test_previous_period_and_the_range_in_a_link():
    assert periods.previous_period(Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))) == Period(
        dt.date(2026, 10, 2), dt.date(2026, 10, 31))
    assert periods.previous_period(Period(dt.date(2027, 1, 1), dt.date(2027, 1, 1))) == Period(
        dt.date(2026, 12, 31), dt.date(2026, 12, 31))
    assert periods.range_or_default("6m", Range.three_months) == Range.six_months
    assert periods.range_or_default(" all ", Range.three_months) == Range.all
    for bad in (None, "", "7y", "ALL", "3m<script>", "x" * 500):
        assert periods.range_or_default(bad, Range.three_months) == Range.three_months


def test_a_range_without_usage_reads_zero_or_not_reported_by_whose_usage_it_is():
    today = dt.date(2026, 12, 7)
    series = [DayPoint(dt.date(2026, 6, 1), Decimal(5), 1, 1, 1, cost_by_provider=(("claude_code", Decimal(5)),))]
    chosen = card_range(Range.mtd, today=today, first_usage=dt.date(2026, 6, 1))
    cards = {c.label: (c.value, c.hint, c.change) for c in person_range_cards(series, chosen,
                                                                               Providers(("claude_code",),
                                                                                         ("claude_code",)))}
    assert cards["Cost"] == ("$0.00", "Dec 1 – 7, 2026", "no change vs the 7 days before")
    assert cards["Sessions"] == ("0", "Dec 1 – 7, 2026", "no change vs the 7 days before")
    assert cards["Active providers"] == ("0", "none in these days", "")
    cursor = {c.label: (c.value, c.hint) for c in person_range_cards([], chosen, Providers(("cursor",),
                                                                                            ("cursor",)))}
    assert cursor["Sessions"] == (NOT_REPORTED, "not reported by Cursor")
    assert cursor["Tabs accepted"] == ("0", "Dec 1 – 7, 2026")


def test_team_and_department_cards_follow_the_range():
    rng = random.Random(5)
    today = dt.date(2026, 12, 7)
    subtree = _series(dt.date(2026, 1, 10), today, rng)
    direct = _series(dt.date(2026, 3, 1), today, rng)
    chosen = card_range(Range.last_month, today=today, first_usage=dt.date(2026, 1, 10))
    nov = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    users = {"now": 4, "before": 5}
    team = {c.label: c for c in team_range_cards(subtree, chosen, Providers(("claude_code", "cursor"),
                                                                           ("claude_code", "cursor")), users)}
    assert list(team)[:2] == ["Cost", "Active users"]
    assert team["Cost"].value == format_usd(_brute(subtree, *nov)["cost"]) and team["Cost"].hint == "Nov 1 – 30, 2026"
    assert (team["Active users"].value, team["Active users"].change) == ("4", "−1 (−20%) vs the 30 days before")
    assert team["Tabs accepted"].hint.startswith("Nov 1 – 30, 2026")
    department = {c.label: c for c in department_range_cards(subtree, direct, chosen, Providers(("claude_code",),
                                                                                               ("claude_code",)),
                                                              users)}
    assert department["Subtree cost"].value == format_usd(_brute(subtree, *nov)["cost"])
    assert department["Direct cost"].value == format_usd(_brute(direct, *nov)["cost"])
    # Cursor had usage in November too: the sessions are Claude Code's only, and so it says.
    direct_sessions = _brute(direct, *nov)["sessions"]
    assert department["Sessions"].hint == f"Nov 1 – 30, 2026 · Claude Code only · {direct_sessions:,} direct"
    assert totals_of(subtree, Period(*nov)).cost_cents == _brute(subtree, *nov)["cost"]
