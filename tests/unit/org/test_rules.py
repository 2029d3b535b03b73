"""The org model's pure rules: FTE, allocation, e-mail normalisation, parent kinds."""

from decimal import Decimal

import pytest

from orgonaut.emails import normalise_email
from orgonaut.errors import ValidationFailed
from orgonaut.org.actors import parse_fte
from orgonaut.org.models import OrgUnitKind
from orgonaut.org.placements import parse_allocation
from orgonaut.org.units import VALID_PARENT_KINDS


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.01", Decimal("0.01")), (3, Decimal("3.00")), (0.5, Decimal("0.50")), (" 1.255 ", Decimal("1.26")),
     (Decimal("2.999"), Decimal("3.00"))],
)
def test_fte_is_two_places_between_0_01_and_3(value, expected):
    assert parse_fte(value) == expected


@pytest.mark.parametrize("value", ["0", "0.004", "3.01", "-1", "abc", "", "Infinity", "NaN", True])
def test_fte_out_of_range_or_not_a_number_is_refused(value):
    with pytest.raises(ValidationFailed, match="FTE must be"):
        parse_fte(value)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (300, 300), ("150", 150), (100, 100)])
def test_allocation_is_a_whole_percent_from_0_to_300(value, expected):
    assert parse_allocation(value) == expected


@pytest.mark.parametrize("value", [301, -1, "1.5", "x", False])
def test_allocation_out_of_range_or_not_whole_is_refused(value):
    with pytest.raises(ValidationFailed, match="Allocation must be"):
        parse_allocation(value)


def test_email_is_trimmed_and_lower_cased():
    assert normalise_email("  Ada.Lovelace@Example.COM\t") == "ada.lovelace@example.com"
    assert normalise_email(None) == ""


def test_parent_kinds_follow_the_org_model():
    assert VALID_PARENT_KINDS[OrgUnitKind.company] == ()
    assert set(VALID_PARENT_KINDS[OrgUnitKind.department]) == {OrgUnitKind.company, OrgUnitKind.department}
    assert OrgUnitKind.team in VALID_PARENT_KINDS[OrgUnitKind.team]
    assert OrgUnitKind.system not in {k for kinds in VALID_PARENT_KINDS.values() for k in kinds}
