"""Left over from the move of the read queries to `orgonaut.rollups.queries` / `rollups.periods`:
only `format_usd`, for its one caller here, `ui/pages/ai_tooling/views.py` (being edited on another
branch, so not changed in that move). The UI takes it from `orgonaut.ui.format`. Once views.py imports
`orgonaut.ui.format.format_usd`, move the function into `ui/format.py` and delete this module.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_usd(cents: Decimal) -> str:
    """USD cents -> "$1,234.56" (half-up to the cent; negative as "-$1.00")."""
    dollars = (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if dollars < 0 else ""
    return f"{sign}${abs(dollars):,.2f}"
