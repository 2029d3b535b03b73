"""The spend pieces the overview, the unit lists and the department breakdown share: signed amounts and
percentages as the pages write them, and the overview's CSV files (the numbers of its tables).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups.overview import UnitSpend
from orgonaut.rollups.spend_series import SpendSeries
from orgonaut.ui.format import format_usd

CSV_HEADER = ["kind", "unit", "month_to_date_usd", "last_month_same_days_usd", "change_usd", "change_pct",
              "last_month_usd"]


def signed_usd(cents: Decimal) -> str:
    """"+$1.00", "-$1.00", "$0.00"."""
    return f"+{format_usd(cents)}" if cents > 0 else format_usd(cents)


def pct_text(pct: Decimal | None) -> str:
    """"+12.3%", "-4.0%", or "—" where the base was zero."""
    if pct is None:
        return "—"
    rounded = pct.quantize(Decimal("0.1"))
    return f"+{rounded}%" if rounded > 0 else f"{rounded}%"


def plain_usd(cents: Decimal) -> str:
    """Dollars with two decimals and no symbol or separators: the CSV's form of `format_usd`."""
    return format_usd(cents).replace("$", "").replace(",", "")


def units_csv(units: list[UnitSpend]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for s in units:
        pct = s.change_pct
        writer.writerow([
            "department" if s.kind == OrgUnitKind.department else "team", s.name, plain_usd(s.mtd_cost_cents),
            plain_usd(s.last_month_same_days_cost_cents), plain_usd(s.change_cents),
            "" if pct is None else str(pct.quantize(Decimal("0.1"))), plain_usd(s.last_month_cost_cents),
        ])
    return out.getvalue()


def trend_csv(series: SpendSeries) -> str:
    """The cost trend's days as CSV: one column per provider with usage in the range, then the day's total
    (exact to the cent as the page rounds it; a day's providers add up to its total before rounding)."""
    providers = sorted({key for d in series.days for key, _ in d.cost_by_provider})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", *[f"{key}_usd" for key in providers], "total_usd"])
    for day in series.days:
        costs = dict(day.cost_by_provider)
        writer.writerow([day.date.isoformat(), *[plain_usd(costs.get(key, Decimal(0))) for key in providers],
                         plain_usd(day.cost_cents)])
    return out.getvalue()
