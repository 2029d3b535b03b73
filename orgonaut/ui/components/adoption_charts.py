"""Plotly figures of the overview's adoption and model mix (plain dicts in Plotly's JSON shape, as
`charts.py` builds them): active users per day, week and month; monthly cohorts as stacked bars with the
lapsed below zero; cost by model as horizontal bars. Every number a person reads is formatted here from the
domain's exact values (`format_usd` for money)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orgonaut.rollups.adoption import ActiveUsers, CohortMonth
from orgonaut.rollups.model_mix import ModelMix
from orgonaut.rollups.periods import Period
from orgonaut.ui.components.charts import dollars
from orgonaut.ui.components.usage_cards import period_text
from orgonaut.ui.format import format_usd

_BASE: dict[str, Any] = {
    "height": 280,
    "margin": {"l": 64, "r": 16, "t": 8, "b": 64},
    "showlegend": True,
    "legend": {"orientation": "h", "y": -0.18},
    "plot_bgcolor": "rgba(0,0,0,0)",
    "paper_bgcolor": "rgba(0,0,0,0)",
}
# (label, ActiveUsers field, colour, Plotly line shape): a week's or month's count holds for all its days.
ACTIVE_SERIES = (("Daily active", "days", "#4f46e5", "linear"), ("Weekly active", "weeks", "#0ea5e9", "hv"),
                 ("Monthly active", "months", "#f97316", "hv"))
# (label, CohortMonth field, colour, sign)
COHORT_SERIES = (("New", "new", "#10b981", 1), ("Retained", "retained", "#4f46e5", 1),
                 ("Reactivated", "reactivated", "#0ea5e9", 1), ("Lapsed", "lapsed", "#e11d48", -1))


def active_users_figure(active: ActiveUsers) -> dict[str, Any]:
    """Daily, weekly and monthly active users as three lines over the range (a week's and a month's count
    drawn across its days, from its first one)."""
    data = []
    for label, field, color, shape in ACTIVE_SERIES:
        points = getattr(active, field)
        data.append({
            "type": "scatter", "mode": "lines", "name": label, "line": {"color": color, "width": 2, "shape": shape},
            "x": [max(p.start, active.period.start).isoformat() for p in points],
            "y": [p.users for p in points],
            "customdata": [period_text(Period(p.start, p.end)) for p in points],
            "hovertemplate": f"%{{customdata}}<br>{label}: %{{y:,}}<extra></extra>",
        })
    return {"data": data, "layout": {
        **_BASE, "hovermode": "closest",
        "xaxis": {"type": "date", "showgrid": False, "range": [active.period.start.isoformat(),
                                                               active.period.end.isoformat()]},
        "yaxis": {"tickformat": ",d", "rangemode": "tozero", "title": {"text": "People"}},
    }}


def cohorts_figure(cohorts: Sequence[CohortMonth]) -> dict[str, Any]:
    """Each month's active people as stacked bars (new, retained, reactivated) and the lapsed below zero."""
    x = [c.month.isoformat() for c in cohorts]
    data = [{
        "type": "bar", "name": label, "x": x, "y": [sign * getattr(c, field) for c in cohorts],
        "customdata": [getattr(c, field) for c in cohorts], "marker": {"color": color},
        "hovertemplate": f"%{{x|%b %Y}}<br>{label}: %{{customdata:,}}<extra></extra>",
    } for label, field, color, sign in COHORT_SERIES]
    return {"data": data, "layout": {
        **_BASE, "barmode": "relative", "hovermode": "closest",
        "xaxis": {"type": "date", "tickformat": "%b %Y", "dtick": "M1", "showgrid": False},
        "yaxis": {"tickformat": ",d", "title": {"text": "People (lapsed below 0)"}, "zeroline": True},
    }}


def model_mix_figure(mix: ModelMix) -> dict[str, Any]:
    """The mix's rows as horizontal bars, the costliest on top."""
    rows = list(reversed(mix.rows))
    return {"data": [{
        "type": "bar", "orientation": "h", "name": "Cost", "y": [r.label for r in rows],
        "x": [dollars(r.cost_cents) for r in rows],
        "customdata": [[format_usd(r.cost_cents), "—" if r.share_pct is None else f"{r.share_pct}%"] for r in rows],
        "hovertemplate": "%{y}<br>%{customdata[0]} (%{customdata[1]})<extra></extra>",
        "marker": {"color": ["#94a3b8" if r.kind != "model" else "#4f46e5" for r in rows]},
    }], "layout": {
        **_BASE, "showlegend": False, "height": max(160, 36 * len(rows) + 60),
        "margin": {"l": 180, "r": 16, "t": 8, "b": 40}, "hovermode": "closest",
        "xaxis": {"tickprefix": "$", "tickformat": ",.2f", "rangemode": "tozero", "title": {"text": "Cost (USD)"}},
        "yaxis": {"automargin": True},
    }}
