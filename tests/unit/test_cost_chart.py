"""The cost trend: one line for one provider, one stacked area per provider when the range has several,
each point's areas adding up to the point's cost."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orgonaut.rollups.queries import DayPoint
from orgonaut.ui.components.charts import buckets, cost_trend_figure, dollars

D1, D2 = dt.date(2026, 5, 1), dt.date(2026, 5, 2)
TODAY = dt.date(2026, 5, 20)


def point(day, **costs: str) -> DayPoint:
    by_provider = tuple((key, Decimal(value)) for key, value in costs.items())
    return DayPoint(day, sum((c for _, c in by_provider), Decimal(0)), 1, 0, 0, cost_by_provider=by_provider)


def test_one_provider_is_one_line_named_cost():
    figure = cost_trend_figure(buckets([point(D1, claude_code="150"), point(D2)], today=TODAY))
    assert [trace["name"] for trace in figure["data"]] == ["Cost"]
    assert figure["data"][0]["y"] == [1.5, 0.0] and figure["layout"]["showlegend"] is False


def test_two_providers_stack_and_add_up_to_the_day():
    points = [point(D1, claude_code="150.4", cursor="0.6"), point(D2, cursor="1234.5")]
    figure = cost_trend_figure(buckets(points, today=TODAY))
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert list(traces) == ["Claude Code", "Cursor"] and figure["layout"]["showlegend"] is True
    assert traces["Claude Code"]["y"] == [1.5, 0.0] and traces["Cursor"]["y"] == [0.01, 12.35]
    assert traces["Cursor"]["customdata"] == [["May 1, 2026", "$0.01"], ["May 2, 2026", "$12.35"]]
    assert all(trace["stackgroup"] == "cost" for trace in figure["data"])
    for index, day in enumerate(points):
        stacked = sum(Decimal(str(trace["y"][index])) for trace in figure["data"])
        assert abs(stacked - Decimal(str(dollars(day.cost_cents)))) <= Decimal("0.01")
