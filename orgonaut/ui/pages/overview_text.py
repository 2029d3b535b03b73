"""The overview's adoption, model mix and output per cost as the page writes them: table rows and CSV files.
A table and its CSV are built from the same domain values here, so the download holds the table's numbers
(money in the CSV as `plain_usd`: the table's dollars without symbol or separators)."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from decimal import Decimal

from orgonaut.ai_tooling.providers.registry import display_name
from orgonaut.rollups.adoption import ActiveUsers, CohortMonth
from orgonaut.rollups.model_mix import ModelMix
from orgonaut.rollups.output_per_cost import OutputPerCost, OutputRate
from orgonaut.rollups.overview import Overview
from orgonaut.rollups.periods import Period
from orgonaut.rollups.spend_series import MonthCost
from orgonaut.spend.anomalies import AnomalyView
from orgonaut.ui.components.usage_cards import period_text
from orgonaut.ui.format import format_usd
from orgonaut.ui.pages.spend_text import plain_usd


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def providers_text(keys: Sequence[str]) -> str:
    return ", ".join(display_name(k) for k in keys)


# --- active users -------------------------------------------------------------------------------------


@dataclasses.dataclass
class ActiveRowView:
    grain: str = ""
    period: str = ""
    users: str = ""


GRAINS = (("Month", "months"), ("Week", "weeks"), ("Day", "days"))


def active_rows(active: ActiveUsers) -> list[ActiveRowView]:
    """Months, then weeks, then days (the chart's three lines), each with its people."""
    return [ActiveRowView(grain, period_text(Period(p.start, p.end)), f"{p.users:,}")
            for grain, field in GRAINS for p in getattr(active, field)]


def active_csv(active: ActiveUsers) -> str:
    return _csv(["grain", "start", "end", "active_users"],
                [(grain.lower(), p.start.isoformat(), p.end.isoformat(), p.users)
                 for grain, field in GRAINS for p in getattr(active, field)])


# --- cohorts ------------------------------------------------------------------------------------------


@dataclasses.dataclass
class CohortRowView:
    month: str = ""
    active: str = ""
    new: str = ""
    retained: str = ""
    reactivated: str = ""
    lapsed: str = ""


COHORT_COLUMNS = ["Month", "Active", "New", "Retained", "Reactivated", "Lapsed"]


def cohort_rows(cohorts: Sequence[CohortMonth]) -> list[CohortRowView]:
    return [CohortRowView(f"{c.month:%b %Y}", f"{c.active:,}", f"{c.new:,}", f"{c.retained:,}", f"{c.reactivated:,}",
                          f"{c.lapsed:,}") for c in cohorts]


def cohorts_csv(cohorts: Sequence[CohortMonth]) -> str:
    return _csv(["month", "active", "new", "retained", "reactivated", "lapsed"],
                [(c.month.isoformat(), c.active, c.new, c.retained, c.reactivated, c.lapsed) for c in cohorts])


# --- model mix ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class ModelRowView:
    model: str = ""
    providers: str = ""
    cost: str = ""
    share: str = ""


MODEL_COLUMNS = ["Model", "From", "Cost", "Share"]


def _share(pct: Decimal | None) -> str:
    return "—" if pct is None else f"{pct}%"


def model_rows(mix: ModelMix) -> list[ModelRowView]:
    rows = []
    for r in mix.rows:
        label = f"{r.label} ({r.models:,})" if r.kind == "other" else r.label
        rows.append(ModelRowView(label, providers_text(r.providers), format_usd(r.cost_cents), _share(r.share_pct)))
    if mix.rows:
        rows.append(ModelRowView("Total", "", format_usd(mix.total_cents), "100%" if mix.total_cents else "—"))
    return rows


def model_csv(mix: ModelMix) -> str:
    return _csv(["model", "kind", "models", "providers", "cost_usd", "share_pct"],
                [(r.label, r.kind, r.models, ";".join(r.providers), plain_usd(r.cost_cents),
                  "" if r.share_pct is None else str(r.share_pct)) for r in mix.rows])


# --- output per cost ----------------------------------------------------------------------------------


@dataclasses.dataclass
class OutputRowView:
    metric: str = ""
    per_dollar: str = ""
    amount: str = ""
    cost: str = ""
    source: str = ""  # "from Claude Code, Claude Enterprise"; who is left out


OUTPUT_COLUMNS = ["Output", "Per dollar", "Total", "Cost counted", "From"]


def per_dollar_text(value: Decimal | None) -> str:
    """"133.2", "2.00", "0.462": three figures or so, whatever the size; "—" without a rate."""
    if value is None:
        return "—"
    places = 1 if value >= 10 else 2 if value >= 1 else 3
    return f"{value:,.{places}f}"


def source_text(rate: OutputRate) -> str:
    if not rate.providers:
        said = f"No provider with usage here reports {rate.label.lower()}"
    else:
        said = f"from {providers_text(rate.providers)}"
    if rate.left_out:
        said += f"; {providers_text(rate.left_out)} left out (not reported)"
    return said


def output_rows(output: OutputPerCost) -> list[OutputRowView]:
    return [OutputRowView(r.label, per_dollar_text(r.per_dollar), f"{r.amount:,}", format_usd(r.cost_cents),
                          source_text(r)) for r in output.rates]


def output_csv(output: OutputPerCost) -> str:
    return _csv(["metric", "per_dollar", "amount", "cost_usd", "providers", "left_out"],
                [(r.metric, "" if r.per_dollar is None else f"{r.per_dollar:f}", r.amount, plain_usd(r.cost_cents),
                  ";".join(r.providers), ";".join(r.left_out)) for r in output.rates])


# --- the overview's other tables and its 12 months ----------------------------------------------------


def months_csv(months: Sequence[MonthCost]) -> str:
    """The 12-month chart: one column per provider with cost in those months, then the month's total."""
    providers = sorted({key for m in months for key, _ in m.cost_by_provider})
    return _csv(["month", *[f"{key}_usd" for key in providers], "total_usd"],
                [(m.month.isoformat(), *[plain_usd(dict(m.cost_by_provider).get(key, Decimal(0))) for key in providers],
                  plain_usd(m.cost_cents)) for m in months])


def providers_csv(result: Overview) -> str:
    """The by-provider table: each provider's cards."""
    rows = []
    for key, f in result.by_provider:
        pct, per_user = f.change_pct, f.cost_per_active_user_cents
        rows.append((key, plain_usd(f.mtd_cost_cents), plain_usd(f.last_month_cost_cents), plain_usd(f.change_cents),
                     "" if pct is None else str(pct.quantize(Decimal("0.1"))), plain_usd(f.forecast_cents),
                     f.active_users, f.ever_users, "" if per_user is None else plain_usd(per_user)))
    return _csv(["provider", "month_to_date_usd", "last_month_usd", "change_usd", "change_pct", "forecast_usd",
                 "active_users", "ever_users", "per_active_user_usd"], rows)


def anomalies_csv(found: Sequence[AnomalyView]) -> str:
    """The unusual days the page lists."""
    return _csv(["person", "day", "provider", "cost_usd", "usual_day_usd", "ratio", "model"],
                [(a.name, a.day.isoformat(), a.provider, plain_usd(a.cost_cents), plain_usd(a.baseline_cents),
                  str(a.ratio), a.model) for a in found])
