"""The overview's cost by month: one bar trace per provider with cost in any month, stacked, every
month on the x axis (zero where a provider had none), hover text formatted from the exact cents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orgonaut.rollups.spend_series import MonthCost
from orgonaut.ui.components.charts import monthly_cost_figure

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_months_stack_by_provider():
    months = [
        MonthCost(JAN, (("claude_code", Decimal("150.4")),)),
        MonthCost(FEB, ()),
        MonthCost(MAR, (("claude_code", Decimal("1")), ("cursor", Decimal("123456.5")))),
    ]
    figure = monthly_cost_figure(months)
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert list(traces) == ["Claude Code", "Cursor"]
    assert all(trace["type"] == "bar" and trace["x"] == ["2026-01-01", "2026-02-01", "2026-03-01"]
               for trace in figure["data"])
    assert traces["Claude Code"]["y"] == [1.5, 0.0, 0.01] and traces["Cursor"]["y"] == [0.0, 0.0, 1234.57]
    assert traces["Cursor"]["customdata"] == ["$0.00", "$0.00", "$1,234.57"]
    assert figure["layout"]["barmode"] == "stack" and figure["layout"]["showlegend"] is True
    assert months[2].cost_cents == Decimal("123457.5")


def test_no_usage_has_no_trace():
    assert monthly_cost_figure([MonthCost(JAN, ())])["data"] == []
