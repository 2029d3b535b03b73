"""Vendor cost amounts (USD cents) to exact Decimals: the one place money is summed.

Vendors send amounts as JSON numbers that may carry fractions of a cent. Floats would drift over a
month of rows, so amounts arrive here as `Decimal` (or `int`) and are added in a context that raises
instead of rounding.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

# Enough digits for any sum of validated amounts (each < 10**12 with at most 12 decimal places).
_EXACT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow])


def sum_cost_cents(amounts: Iterable[Decimal | int]) -> Decimal:
    """The exact sum of cost amounts in USD cents. Refuses floats, booleans and non-finite values."""
    whole = 0  # whole-cent amounts add up as Python ints, exact and fast
    total = Decimal(0)
    for amount in amounts:
        kind = type(amount)
        if kind is int:
            whole += amount  # type: ignore[assignment]  # `kind is int` narrows `amount` for us, not mypy
        elif kind is Decimal:
            if not amount.is_finite():  # type: ignore[union-attr]
                raise ValueError("cost amounts must be finite")
            total = _EXACT.add(total, amount)
        else:
            raise TypeError(f"cost amounts must be Decimal or int, not {kind.__name__}")
    return _EXACT.add(total, Decimal(whole))


def exact_cents(amount: Decimal | int) -> Decimal:
    """One amount as the exact Decimal `sum_cost_cents([amount])` gives, without building a list."""
    kind = type(amount)
    if kind is int:
        return Decimal(amount)
    if kind is Decimal and amount.is_finite():  # type: ignore[union-attr]
        return _EXACT.add(_ZERO, amount)  # the same exponent and sign as a sum of one
    return sum_cost_cents((amount,))  # raises the sum's own error


_ZERO = Decimal(0)


def credits_to_cents(credits: Decimal, usd_per_credit: Decimal) -> Decimal:
    """What vendor credits cost in USD cents at a price per credit (Codex): the exact product, rounded
    half-even to a millionth of a cent, what a stored amount keeps (`Numeric(18, 6)`). Rounded here, once,
    because the databases would not agree: SQLite cuts the extra digits off, PostgreSQL rounds them."""
    for amount in (credits, usd_per_credit):
        if type(amount) is not Decimal or not amount.is_finite():
            raise TypeError("credits and the price per credit must be finite Decimals")
    exact = _EXACT.multiply(_EXACT.multiply(credits, usd_per_credit), _HUNDRED)
    return exact.quantize(STORED_CENTS, rounding=decimal.ROUND_HALF_EVEN, context=_ROUNDING)


_HUNDRED = Decimal(100)
STORED_CENTS = Decimal("0.000001")  # the precision of a stored amount of cents
_ROUNDING = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Overflow])


def cents_to_json(amount: Decimal) -> str:
    """A JSON-safe, exact form of an amount (`"186"`, `"12.345"`): never a float."""
    return format(amount, "f")
