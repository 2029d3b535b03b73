"""Text formats that more than one page shows: moments, and money (`format_usd`: USD cents as `Decimal`
-> "$1,234.56", the one place money becomes text).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["ago", "format_usd", "updated_text"]


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago"; "" when there is no moment."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # a naive value is UTC, as every stored datetime is
        moment = moment.replace(tzinfo=dt.UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = seconds // size
            return f"{amount} {unit}{'' if amount == 1 else 's'} ago"
    return "just now"


def updated_text(computed_at: dt.datetime | None, now: dt.datetime) -> str:
    """When the stored rollups were computed, relative to now ("updated 2 minutes ago")."""
    return f"updated {ago(computed_at, now)}" if computed_at is not None else "not computed yet"


def format_usd(cents: Decimal) -> str:
    """USD cents -> "$1,234.56" (half-up to the cent; negative as "-$1.00")."""
    dollars = (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if dollars < 0 else ""
    return f"{sign}${abs(dollars):,.2f}"
