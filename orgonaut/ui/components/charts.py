"""Plotly figures for AI Tooling usage, the range selector, and a chart with its empty state.

Figures are plain dicts in Plotly's JSON shape, not `plotly.graph_objects.Figure`: building a
validated Figure costs tens of milliseconds per switch of range, a dict well under one.

Money: the plotted y values are dollars as JSON numbers (a chart needs numbers); every amount a person
reads (hover, axis ticks) is formatted from the exact cents, hover through `format_usd`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.rollups.overview import MonthCost
from orgonaut.rollups.periods import RANGE_LABELS
from orgonaut.rollups.queries import DayPoint
from orgonaut.ui import layout
from orgonaut.ui.format import format_usd

# Hover: the day, then the value ("Nov 3, 2026" / "$12.34").
DATE_HOVER = "%{x|%b %-d, %Y}"
_COST_COLOR = "#4f46e5"  # the theme's indigo
_PROVIDER_COLORS = ("#4f46e5", "#0ea5e9", "#f97316", "#10b981", "#e11d48")
_ACTIVITY = (("Sessions", "sessions", "#6366f1"), ("Commits", "commits", "#14b8a6"),
             ("Pull requests", "pull_requests", "#f59e0b"))
_LAYOUT: dict[str, Any] = {
    "height": 280,
    "margin": {"l": 64, "r": 16, "t": 8, "b": 40},
    "hovermode": "closest",
    "xaxis": {"type": "date", "tickformat": "%b %-d", "showgrid": False},
    "showlegend": False,
    "plot_bgcolor": "rgba(0,0,0,0)",
    "paper_bgcolor": "rgba(0,0,0,0)",
}
_CONFIG = {"displayModeBar": False, "responsive": True}


def dollars(cents: Decimal) -> float:
    """Cents -> dollars rounded to the cent, the number a chart plots."""
    return float((Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def cost_trend_figure(points: Sequence[DayPoint]) -> dict[str, Any]:
    """Daily cost as a filled line; hover shows the date and the amount in dollars. With usage of more
    than one provider in the range, one stacked area per provider, with a legend."""
    providers = sorted({key for p in points for key, _ in p.cost_by_provider})
    if len(providers) > 1:
        return _cost_by_provider_figure(points, providers)
    return {
        "data": [{
            "type": "scatter",
            "mode": "lines+markers" if len(points) <= 45 else "lines",
            "name": "Cost",
            "x": [p.date.isoformat() for p in points],
            "y": [dollars(p.cost_cents) for p in points],
            "customdata": [format_usd(p.cost_cents) for p in points],
            "hovertemplate": f"{DATE_HOVER}<br>%{{customdata}}<extra></extra>",
            "fill": "tozeroy",
            "line": {"color": _COST_COLOR, "width": 2},
            "marker": {"size": 5},
        }],
        "layout": {
            **_LAYOUT,
            "yaxis": {"tickprefix": "$", "tickformat": ",.2f", "rangemode": "tozero", "title": {"text": "Cost (USD)"}},
        },
    }


def activity_figure(points: Sequence[DayPoint]) -> dict[str, Any]:
    """Daily sessions, commits and pull requests stacked."""
    x = [p.date.isoformat() for p in points]
    return {
        "data": [
            {
                "type": "bar",
                "name": label,
                "x": x,
                "y": [getattr(p, field) for p in points],
                "marker": {"color": color},
                "hovertemplate": f"{DATE_HOVER}<br>{label}: %{{y:,}}<extra></extra>",
            }
            for label, field, color in _ACTIVITY
        ],
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.18},
            "margin": {**_LAYOUT["margin"], "b": 64},
            "yaxis": {"tickformat": ",d", "rangemode": "tozero", "title": {"text": "Count"}},
        },
    }


def monthly_cost_figure(months: Sequence[MonthCost]) -> dict[str, Any]:
    """Cost per calendar month as bars stacked by provider (legend below); hover shows the month, the
    provider and the amount."""
    x = [m.month.isoformat() for m in months]
    providers = sorted({key for m in months for key, _ in m.cost_by_provider})
    data = []
    for index, key in enumerate(providers):
        cents = [dict(m.cost_by_provider).get(key, Decimal(0)) for m in months]
        name = PROVIDERS[key].display_name if key in PROVIDERS else key
        data.append({
            "type": "bar", "name": name, "x": x, "y": [dollars(c) for c in cents],
            "customdata": [format_usd(c) for c in cents],
            "hovertemplate": f"%{{x|%b %Y}}<br>{name}: %{{customdata}}<extra></extra>",
            "marker": {"color": _PROVIDER_COLORS[index % len(_PROVIDER_COLORS)]},
        })
    return {
        "data": data,
        "layout": {
            **_LAYOUT,
            "barmode": "stack",
            "xaxis": {"type": "date", "tickformat": "%b %Y", "dtick": "M1", "showgrid": False},
            "yaxis": {"tickprefix": "$", "tickformat": ",.2f", "rangemode": "tozero", "title": {"text": "Cost (USD)"}},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.18},
            "margin": {**_LAYOUT["margin"], "b": 64},
        },
    }


def has_cost(points: Sequence[DayPoint]) -> bool:
    return any(p.cost_cents for p in points)


def has_activity(points: Sequence[DayPoint]) -> bool:
    return any(p.sessions or p.commits or p.pull_requests for p in points)


def range_selector(value: rx.Var[str], on_change: Any, label: str) -> rx.Component:
    """MTD / Last Month / 3M / 6M / All as a segmented control (radio items named by their text)."""
    return rx.segmented_control.root(
        *[rx.segmented_control.item(text, value=choice.value) for choice, text in RANGE_LABELS.items()],
        value=value,
        on_change=on_change,
        aria_label=label,
        size="1",
    )


def chart(
    figure: rx.Var[dict], has_data: rx.Var[bool], *, chart_id: str, label: str, empty_title: str | rx.Var[str],
    empty_body: str | rx.Component,
) -> rx.Component:
    """The Plotly chart (its div carries `chart_id`), or a friendly empty state when nothing to plot."""
    return rx.cond(
        has_data,
        rx.el.figure(
            rx.plotly.basic(data=figure.to(go.Figure), id=chart_id, config=_CONFIG, width="100%"),
            aria_label=label,
            width="100%",
            margin="0",
        ),
        layout.empty_state("chart-no-axes-column", empty_title, empty_body),
    )


def _cost_by_provider_figure(points: Sequence[DayPoint], providers: list[str]) -> dict[str, Any]:
    x = [p.date.isoformat() for p in points]
    data = []
    for index, key in enumerate(providers):
        cents = [dict(p.cost_by_provider).get(key, Decimal(0)) for p in points]
        name = PROVIDERS[key].display_name if key in PROVIDERS else key
        data.append({
            "type": "scatter", "mode": "lines", "name": name, "stackgroup": "cost", "x": x,
            "y": [dollars(c) for c in cents], "customdata": [format_usd(c) for c in cents],
            "hovertemplate": f"{DATE_HOVER}<br>{name}: %{{customdata}}<extra></extra>",
            "line": {"color": _PROVIDER_COLORS[index % len(_PROVIDER_COLORS)], "width": 2},
        })
    figure = cost_trend_figure([dataclasses.replace(p, cost_by_provider=()) for p in points])
    return {**figure, "data": data,
            "layout": {**figure["layout"], "showlegend": True, "legend": {"orientation": "h", "y": -0.18},
                       "margin": {**_LAYOUT["margin"], "b": 64}}}
