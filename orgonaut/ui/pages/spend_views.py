"""Sentences about spend the usage sections and the overview share: a budget's standing, an anomaly."""

from __future__ import annotations

from decimal import Decimal

from orgonaut.ai_tooling.providers.registry import display_name as provider_name
from orgonaut.spend import anomalies, budgets
from orgonaut.ui.format import format_usd


def budget_sentence(status: budgets.BudgetStatus) -> str:
    """"Budget for December 2026: $5,000.00 · spent $3,120.50 (62.4 %) · forecast $5,480.00 (109.6 %)"."""
    return (f"Budget for {status.month:%B %Y}: {format_usd(Decimal(status.amount_cents))} · spent "
            f"{format_usd(status.spent_cents)} ({status.used_pct} %) · forecast "
            f"{format_usd(status.forecast.forecast_cents)} ({status.forecast_pct} %)")


def anomaly_note(a: anomalies.AnomalyView) -> str:
    """One sentence: "Unusual spend on 3 Dec 2026: $412.00 on Claude Code, 8.2x the usual day ($50.00), mostly
    claude-opus-4." """
    model = f", mostly {a.model}" if a.model else ""
    provider = provider_name(a.provider)
    return (f"Unusual spend on {a.day:%-d %b %Y}: {format_usd(a.cost_cents)} on {provider}, "
            f"{a.ratio}x the usual day ({format_usd(a.baseline_cents)}){model}.")


