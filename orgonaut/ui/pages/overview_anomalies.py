"""The overview's "Unusual spend, last 30 days" table (`spend.anomalies`: a person's day far above their usual day
and their team's), its rows as text and its section."""

from __future__ import annotations

import dataclasses

import reflex as rx

from orgonaut.ai_tooling.providers.registry import display_name
from orgonaut.spend import anomalies
from orgonaut.ui import routes
from orgonaut.ui.components.tables import data_table
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.overview_details import download_button


@dataclasses.dataclass
class AnomalyRowView:
    name: str = ""
    url: str = ""
    day: str = ""
    provider: str = ""
    cost: str = ""
    usual: str = ""
    ratio: str = ""
    model: str = ""


def anomaly_row(a: anomalies.AnomalyView) -> AnomalyRowView:
    return AnomalyRowView(name=a.name, url=routes.person_url(a.actor_id), day=f"{a.day:%-d %b %Y}",
                          provider=display_name(a.provider), cost=format_usd(a.cost_cents),
                          usual=format_usd(a.baseline_cents), ratio=f"{a.ratio}x", model=a.model or "—")


def _anomaly_row(a: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.link(a.name, href=a.url)),
        rx.table.cell(a.day), rx.table.cell(a.provider), rx.table.cell(a.cost), rx.table.cell(a.usual),
        rx.table.cell(a.ratio), rx.table.cell(a.model),
    )


def anomalies_section(state) -> rx.Component:
    """The unusual days of the last 30 days, with their CSV."""
    return rx.vstack(
        rx.hstack(rx.heading("Unusual spend, last 30 days", size="3", as_="h2"), rx.spacer(),
                  rx.cond(state.anomalies.length() > 0,
                          download_button(state.download_anomalies, "Download unusual spend as CSV")),
                  width="100%", align="center"),
        rx.text("A person's day far above their own usual day (the median of the 28 days before) and their team's "
                "that day.", size="1", color_scheme="gray"),
        rx.cond(
            state.anomalies.length() > 0,
            data_table("Unusual spend", ["Person", "Day", "Provider", "Cost", "Usual day", "Ratio", "Model"],
                       state.anomalies, _anomaly_row),
            rx.text("No unusual days in the last 30 days.", size="2", color_scheme="gray"),
        ),
        width="100%",
        spacing="2",
    )
