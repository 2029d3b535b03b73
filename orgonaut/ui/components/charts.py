"""Plotly figures for AI Tooling usage, the range selector, and a chart with its empty state and its
table alternative.

A trend chart plots buckets (`buckets`): days up to about six months, then weeks, then months, each
summed exactly; today, never complete, is left out until it has usage and then marked partial. Ticks
are chosen here (`axis_ticks`), not by Plotly, so they never repeat a day or lose the year.

Figures are plain dicts in Plotly's JSON shape, not `plotly.graph_objects.Figure`: building a
validated Figure costs tens of milliseconds per switch of range, a dict well under one.

Money: the plotted y values are dollars as JSON numbers (a chart needs numbers); every amount a person
reads (hover, axis ticks) is formatted from the exact cents, hover through `format_usd`.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.rollups.periods import RANGE_LABELS, Period
from orgonaut.rollups.queries import DayPoint
from orgonaut.rollups.spend_series import MonthCost
from orgonaut.ui import layout
from orgonaut.ui.components.segmented import segmented_item
from orgonaut.ui.components.usage_cards import period_text
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


# --- buckets: what one point of a trend chart sums ------------------------------------------------

# Up to about six months a point is a day (the 6M range is at most 184 days); up to two years a week
# (Monday to Sunday); beyond that a calendar month. Thousands of daily points were a 1-pixel haze.
DAILY_MAX_DAYS = 190
WEEKLY_MAX_DAYS = 740


class Size(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@dataclasses.dataclass(frozen=True)
class Bucket:
    """One point of a trend chart: the days `start` .. `end` of the range (inclusive) summed exactly.
    `partial`: today falls in it, so it is not complete yet (providers report a day late)."""
    start: dt.date
    end: dt.date
    size: Size
    cost_cents: Decimal
    sessions: int | None
    commits: int | None
    pull_requests: int | None
    cost_by_provider: tuple[tuple[str, Decimal], ...] = ()
    partial: bool = False

    @property
    def label(self) -> str:
        """"Dec 3, 2026", "Nov 3 – 9, 2026"; "(today, so far)" / "(so far)" when partial."""
        text = period_text(Period(self.start, self.end))
        if not self.partial:
            return text
        return f"{text} (today, so far)" if self.size == Size.day else f"{text} (so far)"


def bucket_size(days: int) -> Size:
    if days <= DAILY_MAX_DAYS:
        return Size.day
    return Size.week if days <= WEEKLY_MAX_DAYS else Size.month


def _bucket_key(day: dt.date, size: Size) -> dt.date:
    if size == Size.week:
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1) if size == Size.month else day


def _bucket_last_day(key: dt.date, size: Size) -> dt.date:
    if size == Size.week:
        return key + dt.timedelta(days=6)
    if size == Size.month:
        return key.replace(day=calendar.monthrange(key.year, key.month)[1])
    return key


def _count(points: Sequence[DayPoint], field: str) -> int | None:
    """Summed over the days with usage; None when none of them reports it; 0 without usage."""
    used = [p for p in points if p.used]
    reported = [getattr(p, field) for p in used if getattr(p, field) is not None]
    return sum(reported) if reported or not used else None


def buckets(points: Sequence[DayPoint], *, today: dt.date) -> list[Bucket]:
    """A range's days (one point each, as the series queries give them) as the chart's points. Today
    is never complete: without usage yet it is left out (no drop to $0); with usage it is drawn, marked
    partial, as is a week or month that today falls in."""
    days = list(points)
    if days and days[-1].date == today and not days[-1].used:
        days.pop()
    if not days:
        return []
    size = bucket_size((days[-1].date - days[0].date).days + 1)
    grouped: dict[dt.date, list[DayPoint]] = {}
    for p in days:
        grouped.setdefault(_bucket_key(p.date, size), []).append(p)
    result = []
    for key, group in grouped.items():
        partial = key <= today <= _bucket_last_day(key, size)
        if len(group) == 1:  # a day: its point is already the exact sum
            p = group[0]
            result.append(Bucket(start=p.date, end=p.date, size=size, cost_cents=p.cost_cents, sessions=p.sessions,
                                 commits=p.commits, pull_requests=p.pull_requests,
                                 cost_by_provider=tuple(sorted(p.cost_by_provider)), partial=partial))
            continue
        by_provider: dict[str, list[Decimal]] = {}
        for p in group:
            for provider, cents in p.cost_by_provider:
                by_provider.setdefault(provider, []).append(cents)
        result.append(Bucket(
            start=group[0].date, end=group[-1].date, size=size,
            cost_cents=sum_cost_cents(p.cost_cents for p in group),
            sessions=_count(group, "sessions"), commits=_count(group, "commits"),
            pull_requests=_count(group, "pull_requests"),
            cost_by_provider=tuple((k, sum_cost_cents(v)) for k, v in sorted(by_provider.items())),
            partial=partial,
        ))
    return result


def bucket_note(chart: Sequence[Bucket]) -> str:
    """Said under a chart: what a point is when it is not a day, and that the last one is partial."""
    if not chart:
        return ""
    said = {Size.day: "", Size.week: "Each point is a week (Monday to Sunday).",
            Size.month: "Each point is a calendar month."}[chart[0].size]
    if chart[-1].partial:
        said += (" " if said else "") + ("Today is not complete yet: its point is so far."
                                        if chart[0].size == Size.day else "The last point is so far.")
    return said


def axis_ticks(chart: Sequence[Bucket]) -> tuple[list[str], list[str]]:
    """The x axis' tick dates and labels: days for a month or less, weeks up to about six months, months
    (with their year) beyond; at most about ten, never two alike. A day or week tick names its year on
    the first tick and where the year changes."""
    if not chart:
        return [], []
    first, last = chart[0].start, chart[-1].end
    span = (last - first).days + 1
    if span <= 31:
        ticks, unit = [b.start for b in chart], "day"
        ticks = ticks[::max(1, -(-len(ticks) // 10))]
    elif chart[0].size == Size.day and span <= DAILY_MAX_DAYS:
        monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
        ticks = [monday + dt.timedelta(weeks=i) for i in range((last - monday).days // 7 + 1)]
        ticks, unit = ticks[::max(1, -(-len(ticks) // 10))], "day"
    else:
        month = first if first.day == 1 else _bucket_last_day(first.replace(day=1), Size.month) + dt.timedelta(1)
        months = []
        while month <= last:
            months.append(month)
            month = _bucket_last_day(month, Size.month) + dt.timedelta(days=1)
        step = next((k for k in (1, 2, 3, 6, 12, 24, 60) if len(months) <= 10 * k), 120)
        ticks, unit = months[::step], "month"
    labels = []
    for index, day in enumerate(ticks):
        if unit == "month":
            labels.append(f"{day:%b %Y}")
        elif index == 0 or day.year != ticks[index - 1].year:
            labels.append(f"{day:%b} {day.day}<br>{day.year}")
        else:
            labels.append(f"{day:%b} {day.day}")
    return [d.isoformat() for d in ticks], labels


def _xaxis(chart: Sequence[Bucket]) -> dict[str, Any]:
    values, labels = axis_ticks(chart)
    return {"type": "date", "tickmode": "array", "tickvals": values, "ticktext": labels, "showgrid": False}


def _partial_band(chart: Sequence[Bucket]) -> dict[str, Any]:
    """A grey band and a "so far" note over the partial point, so its lower value reads as unfinished."""
    if not chart or not chart[-1].partial:
        return {}
    point = dt.datetime.combine(chart[-1].start, dt.time())
    x0, x1 = (point - dt.timedelta(hours=12)).isoformat(" "), (point + dt.timedelta(hours=12)).isoformat(" ")
    return {
        "shapes": [{"type": "rect", "xref": "x", "yref": "paper", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                    "fillcolor": "rgba(148,163,184,0.18)", "line": {"width": 0}, "layer": "below"}],
        "annotations": [{"xref": "x", "yref": "paper", "x": x1, "y": 1, "xanchor": "right", "yanchor": "top",
                         "text": "so far", "showarrow": False, "font": {"size": 11, "color": "#64748b"}}],
    }


def _markers(chart: Sequence[Bucket]) -> dict[str, Any]:
    """Open markers for a partial point."""
    return {"size": 6, "symbol": ["circle-open" if b.partial else "circle" for b in chart]}


def cost_trend_figure(chart: Sequence[Bucket]) -> dict[str, Any]:
    """Cost per point as a filled line; hover shows the day (or the week's or month's dates) and the
    amount. With usage of more than one provider in the range, one stacked area per provider, with a
    legend (their sum is the point's cost: they are parts of one whole)."""
    providers = sorted({key for b in chart for key, _ in b.cost_by_provider})
    if len(providers) > 1:
        return _cost_by_provider_figure(chart, providers)
    return {
        "data": [{
            "type": "scatter",
            "mode": "lines+markers" if len(chart) <= 45 else "lines",
            "name": "Cost",
            "x": [b.start.isoformat() for b in chart],
            "y": [dollars(b.cost_cents) for b in chart],
            "customdata": [[b.label, format_usd(b.cost_cents)] for b in chart],
            "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            "fill": "tozeroy",
            "line": {"color": _COST_COLOR, "width": 2},
            "marker": _markers(chart),
        }],
        "layout": {
            **_LAYOUT,
            **_partial_band(chart),
            # Anywhere above a point shows its label (not only right on the line): "closest" needed aim.
            "hovermode": "x",
            "xaxis": _xaxis(chart),
            "yaxis": {"tickprefix": "$", "tickformat": ",.2f", "rangemode": "tozero", "title": {"text": "Cost (USD)"}},
        },
    }


def activity_figure(chart: Sequence[Bucket]) -> dict[str, Any]:
    """Sessions, commits and pull requests per point as three lines side by side (different things, not
    parts of one whole); hovering anywhere over a point shows all three."""
    x = [b.start.isoformat() for b in chart]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers" if len(chart) <= 45 else "lines",
                "name": label,
                "x": x,
                "y": [getattr(b, field) for b in chart],
                "customdata": [b.label for b in chart],
                "line": {"color": color, "width": 2},
                "marker": {**_markers(chart), "color": color},
                "hovertemplate": f"{label}: %{{y:,}}<extra></extra>",
            }
            for label, field, color in _ACTIVITY
        ],
        "layout": {
            **_LAYOUT,
            **_partial_band(chart),
            "hovermode": "x unified",
            "xaxis": {**_xaxis(chart), "hoverformat": _HOVER_FORMATS[chart[0].size if chart else Size.day]},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.18},
            "margin": {**_LAYOUT["margin"], "b": 64},
            "yaxis": {"tickformat": ",d", "rangemode": "tozero", "title": {"text": "Count"}},
        },
    }


# The unified hover's heading: the point's day, or the start of its week, or its month.
_HOVER_FORMATS = {Size.day: "%b %-d, %Y", Size.week: "Week of %b %-d, %Y", Size.month: "%B %Y"}


@dataclasses.dataclass
class TableRow:
    """A row of a chart's table alternative: the same numbers as the chart, as text."""
    period: str = ""
    cost: str = ""
    sessions: str = ""
    commits: str = ""
    pull_requests: str = ""


def _text(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def cost_table(chart: Sequence[Bucket]) -> list[TableRow]:
    """The cost chart as rows (one per point), then the range's total: the figure the cards show."""
    if not chart:
        return []
    return [*(TableRow(b.label, format_usd(b.cost_cents)) for b in chart),
            TableRow("Total", format_usd(sum_cost_cents(b.cost_cents for b in chart)))]


def activity_table(chart: Sequence[Bucket]) -> list[TableRow]:
    """The activity chart as rows, one per point."""
    return [TableRow(b.label, "", _text(b.sessions), _text(b.commits), _text(b.pull_requests)) for b in chart]


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
        *[segmented_item(text, choice.value) for choice, text in RANGE_LABELS.items()],
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


def table_alternative(rows: rx.Var[list[TableRow]], summary: str, table_id: str,
                      columns: Sequence[tuple[str, str]]) -> rx.Component:
    """A chart's numbers as a collapsible table (screen readers; copy and paste): `columns` are
    (header, `TableRow` field)."""
    header, *rest = columns
    return rx.el.details(
        rx.el.summary(rx.text(summary, size="1", color_scheme="gray", as_="span"), cursor="pointer"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(text, scope="col") for text, _ in columns])),
                rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                    rx.table.row_header_cell(row[header[1]]),
                    *[rx.table.cell(row[field]) for _, field in rest],
                ))),
                size="1",
                variant="surface",
            ),
            max_height="20rem",
            overflow="auto",
            margin_top="0.5rem",
        ),
        id=table_id,
        width="100%",
    )


def _cost_by_provider_figure(chart: Sequence[Bucket], providers: list[str]) -> dict[str, Any]:
    x = [b.start.isoformat() for b in chart]
    data = []
    for index, key in enumerate(providers):
        cents = [dict(b.cost_by_provider).get(key, Decimal(0)) for b in chart]
        name = PROVIDERS[key].display_name if key in PROVIDERS else key
        data.append({
            "type": "scatter", "mode": "lines+markers" if len(chart) <= 45 else "lines", "name": name,
            "stackgroup": "cost", "x": x, "marker": _markers(chart),
            "y": [dollars(c) for c in cents], "customdata": [[b.label, format_usd(c)] for b, c in zip(chart, cents,
                                                                                                      strict=True)],
            "hovertemplate": f"%{{customdata[0]}}<br>{name}: %{{customdata[1]}}<extra></extra>",
            "line": {"color": _PROVIDER_COLORS[index % len(_PROVIDER_COLORS)], "width": 2},
        })
    figure = cost_trend_figure([dataclasses.replace(b, cost_by_provider=()) for b in chart])
    return {**figure, "data": data,
            "layout": {**figure["layout"], "showlegend": True, "legend": {"orientation": "h", "y": -0.18},
                       "margin": {**_LAYOUT["margin"], "b": 64}}}
