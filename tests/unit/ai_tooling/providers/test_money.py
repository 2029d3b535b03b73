"""The one place money is summed: exact Decimal sums of USD-cent amounts, never float."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgonaut.ai_tooling.providers.money import cents_to_json, exact_cents, sum_cost_cents

# Amounts as the vendor may send them: whole cents or cents with up to 6 decimal places.
amounts = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
)


def test_fractional_cents_add_up_exactly_where_floats_drift():
    tenths = [Decimal("0.1")] * 10
    assert sum(0.1 for _ in range(10)) != 1.0  # what a float sum would store
    assert sum_cost_cents(tenths) == Decimal(1)
    assert sum_cost_cents([Decimal("186"), 12, Decimal("0.345"), Decimal("0.005")]) == Decimal("198.35")


def test_an_empty_day_costs_zero():
    assert sum_cost_cents([]) == Decimal(0)


@given(st.lists(amounts, max_size=60))
def test_the_sum_is_the_exact_rational_sum(values):
    total = sum_cost_cents(values)
    assert isinstance(total, Decimal)
    assert Fraction(total) == sum((Fraction(v) for v in values), Fraction(0))


@given(st.lists(amounts, max_size=30))
def test_the_order_of_rows_does_not_change_the_total(values):
    assert sum_cost_cents(values) == sum_cost_cents(list(reversed(values)))


@pytest.mark.parametrize("bad", [1.5, True, "12", None])
def test_anything_but_decimal_or_int_is_refused(bad):
    with pytest.raises(TypeError, match="Decimal or int"):
        sum_cost_cents([Decimal(1), bad])


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_amounts_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        sum_cost_cents([bad])


def test_amounts_become_exact_json_strings():
    assert cents_to_json(Decimal("186")) == "186"
    assert cents_to_json(Decimal("12.345")) == "12.345"
    assert cents_to_json(Decimal("1E+2")) == "100"
    assert cents_to_json(sum_cost_cents([Decimal("0.1"), Decimal("0.2")])) == "0.3"


@given(amounts)
def test_one_amount_is_exactly_its_sum_of_one(value):
    one = exact_cents(value)
    assert isinstance(one, Decimal)
    assert str(one) == str(sum_cost_cents([value]))  # the same value and the same exponent


def test_exact_cents_refuses_what_the_sum_refuses():
    with pytest.raises(TypeError, match="Decimal or int"):
        exact_cents(1.5)
    with pytest.raises(ValueError, match="finite"):
        exact_cents(Decimal("NaN"))
