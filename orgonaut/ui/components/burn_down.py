"""A budget's burn-down: cumulative spend so far, the forecast from today to month end, and the budget.

Plotted in dollars (a chart needs numbers); every amount a person reads (hover) is formatted from the
exact cents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orgonaut.spend.budgets import BudgetStatus
from orgonaut.ui.components.charts import dollars
from orgonaut.ui.format import format_usd

_ACTUAL, _FORECAST, _BUDGET = "#4f46e5", "#0ea5e9", "#e11d48"


def burn_down_figure(status: BudgetStatus) -> dict[str, Any]:
    actual, projected = status.forecast.actual, status.forecast.projected
    first, last = actual[0][0], projected[-1][0]
    amount = Decimal(status.amount_cents)

    def line(name: str, points, color: str, dash: str = "solid") -> dict[str, Any]:
        return {
            "type": "scatter", "mode": "lines", "name": name,
            "x": [day.isoformat() for day, _ in points], "y": [dollars(cents) for _, cents in points],
            "customdata": [[f"{day:%b %-d}", format_usd(cents)] for day, cents in points],
            "hovertemplate": f"{name}, %{{customdata[0]}}<br>%{{customdata[1]}}<extra></extra>",
            "line": {"color": color, "width": 2, "dash": dash},
        }

    budget = line("Budget", [(first, amount), (last, amount)], _BUDGET, "dot")
    return {
        "data": [line("Spent", actual, _ACTUAL), line("Forecast", projected, _FORECAST, "dash"), budget],
        "layout": {
            "height": 280, "margin": {"l": 64, "r": 16, "t": 8, "b": 40}, "hovermode": "closest",
            "showlegend": True, "legend": {"orientation": "h", "y": -0.2},
            "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)",
            "xaxis": {"type": "date", "tickformat": "%b %-d", "showgrid": False},
            "yaxis": {"tickprefix": "$", "tickformat": ",.0f", "rangemode": "tozero", "title": {"text": "USD"}},
        },
    }
