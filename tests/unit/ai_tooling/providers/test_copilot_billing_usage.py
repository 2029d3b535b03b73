"""GitHub's billing usage report decoded strictly (both reference versions' `quantity`, dates with or without a
time) and summed into the organisation's bill: Copilot's lines the tool's, other products apart, dollars to
exact cents through their shortest text, other days left out; bodies off the shape refused saying what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from orgonaut.ai_tooling.providers.copilot.billing_usage import months, organisation_cost, parse_billing_usage

D1, D2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)


def item(day: str = "2026-06-01T00:00:00Z", product: str = "Copilot", sku: str = "copilot_ai_credit",
         net: Any = 1.25, **changes: Any) -> dict[str, Any]:
    return {"date": day, "product": product, "sku": sku, "quantity": 125, "unitType": "ai-credits",
            "pricePerUnit": 0.01, "grossAmount": net, "discountAmount": 0, "netAmount": net,
            "organizationName": "acme", "repositoryName": None, **changes}


def body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"usageItems": list(items)}).encode()


def test_copilots_lines_are_the_tools_part_and_other_products_are_apart():
    usage = parse_billing_usage(body(
        item(net=0.0132), item(sku="copilot_for_business", net=0.6129032258064516, quantity=0.03225806451612903,
                               unitType="user-months"),
        item(day="2026-06-02", product="copilot", net=10.5),  # a day without a time; the product in lower case
        item(product="Actions", sku="actions_linux", net=3.6, repositoryName="acme/app", unitType="minutes"),
        item(day="2026-06-03T00:00:00Z", net=99),  # another day of the month's report
    ))
    bill = organisation_cost(usage.usageItems, D1, D2)
    assert bill.lines == (("Actions: actions_linux", Decimal("360.0")), ("Copilot: copilot_ai_credit", Decimal("1.32")),
                          ("Copilot: copilot_for_business", Decimal("61.29032258064516")),
                          ("copilot: copilot_ai_credit", Decimal("1050.0")))
    assert bill.tool_cents == Decimal("1.32") + Decimal("61.29032258064516") + Decimal("1050.0")
    assert bill.total_cents == bill.tool_cents + Decimal(360)
    assert (bill.start, bill.end, bill.leaves_out) == (D1, D2, ())


def test_the_older_references_whole_quantity_and_a_time_with_an_offset_are_read():
    [older] = parse_billing_usage(body(item(quantity=3))).usageItems
    assert older.quantity == 3
    [late] = parse_billing_usage(body(item(day="2026-06-01T23:30:00-02:00"))).usageItems
    assert late.day() == D2  # 01:30 UTC on the 2nd


def test_an_empty_report_is_a_bill_of_nothing():
    bill = organisation_cost(parse_billing_usage(b'{"usageItems": []}').usageItems, D1, D2)
    assert (bill.total_cents, bill.tool_cents, bill.lines) == (Decimal(0), Decimal(0), ())


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"usage": []}', "usageItems"),
    (body(item(netAmount="1.25")), "netAmount"),
    (body({k: v for k, v in item().items() if k != "netAmount"}), "netAmount"),
    (body(item(product="")), "product"),
    (body(item(day="June 1st")), "date"),
    (body(item(day="2026-02-30")), "is not a date"),
    (b'{"usageItems": [', "not JSON"),
])
def test_a_report_off_the_documented_shape_is_refused_saying_what(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_billing_usage(raw)


def test_an_amount_out_of_range_is_refused():
    usage = parse_billing_usage(body(item(net=1e12)))
    with pytest.raises(ValueError, match="out of range"):
        organisation_cost(usage.usageItems, D1, D2)


def test_a_range_reads_each_month_it_touches_once():
    assert months(dt.date(2026, 11, 20), dt.date(2027, 1, 3)) == [(2026, 11), (2026, 12), (2027, 1)]
    assert months(D1, D2) == [(2026, 6)]
