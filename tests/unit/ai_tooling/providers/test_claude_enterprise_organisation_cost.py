"""The Claude Enterprise bill as the `anthropic` SDK hands it over (built without validation): `/cost_report`
buckets checked against the documented shape and summed per product exactly, the users' `/user_cost_report`
rows as the tool's part, and bodies that break the shape refused saying what is wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from anthropic._models import construct_type  # what the SDK itself does with a response's JSON
from anthropic.types.beta.organization.beta_analytics_cost_report_time_bucket import (
    BetaAnalyticsCostReportTimeBucket,
)

from orgonaut.ai_tooling.providers.claude_enterprise import organisation_cost as bill
from orgonaut.ai_tooling.providers.claude_enterprise import records
from tests.unit.ai_tooling.providers.test_claude_enterprise_records import ADA, BEN, D1, D2, cost


def result(amount: str, product: str | None = "chat", **changes: Any) -> dict[str, Any]:
    return {"amount": amount, "list_amount": amount, "currency": "USD", "product": product, "requests": 3,
            "cost_type": None, "model": None, **changes}


def bucket(day: dt.date, *results: dict[str, Any], **changes: Any) -> Any:
    body = {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day + dt.timedelta(days=1)}T00:00:00Z",
            "results": list(results), **changes}
    return bill.bucket(construct_type(value=body, type_=BetaAnalyticsCostReportTimeBucket))


def test_the_bill_is_summed_per_product_exactly_and_the_users_rows_are_the_tools_part():
    buckets = [bucket(D1, result("100.125000"), result("2500.000001", "claude_code"), result("40.5", "claude-tag")),
               bucket(D2, result("0.875", "chat"), result("7", None))]
    users = [records.cost_row(cost(ADA, "100.125", product="chat")),
             records.cost_row(cost(BEN, "2500.000001", product="claude_code")),
             records.cost_row(cost(ADA, "0.875", product="chat", day=D2))]
    found = bill.organisation_cost(buckets, users, D1, D2)
    assert found.lines == (("Not attributed to a product", Decimal(7)), ("chat", Decimal("101")),
                           ("claude-tag", Decimal("40.5")), ("claude_code", Decimal("2500.000001")))
    assert found.total_cents == Decimal("2648.500001")
    assert found.tool_cents == Decimal("2601.000001")
    assert (found.start, found.end, found.outside) == (D1, D2, bill.NO_USER_ACCOUNT)
    assert found.leaves_out == ()


def test_a_bucket_or_a_users_row_met_twice_counts_once_the_later_kept():
    buckets = [bucket(D1, result("10")), bucket(D1, result("12"))]
    users = [records.cost_row(cost(ADA, "10")), records.cost_row(cost(ADA, "12"))]
    found = bill.organisation_cost(buckets, users, D1, D1)
    assert (found.total_cents, found.tool_cents) == (Decimal(12), Decimal(12))


def test_an_empty_bucket_is_a_day_without_cost():
    found = bill.organisation_cost([bucket(D1)], [], D1, D1)
    assert (found.total_cents, found.tool_cents, found.lines) == (Decimal(0), Decimal(0), ())


@pytest.mark.parametrize(("body", "message"), [
    ({"results": [result("12,50")]}, "amount"),
    ({"results": [result("1e3")]}, "amount"),
    ({"results": [result("5", currency="EUR")]}, "currency"),
    ({"results": [{"amount": "5", "currency": "USD"}]}, "list_amount"),
    ({"results": None}, "results"),
    ({"starting_at": "yesterday"}, "starting_at"),
])
def test_a_bucket_off_the_documented_shape_is_refused_saying_what(body, message):
    with pytest.raises(ValueError, match=message):
        bucket(D1, **body)


@pytest.mark.parametrize(("changes", "message"), [
    ({"starting_at": f"{D1}T06:00:00Z", "ending_at": f"{D2}T06:00:00Z"}, "not a UTC day's start"),
    ({"ending_at": f"{D2}T01:00:00Z"}, "does not end a day later"),
])
def test_a_bucket_that_is_not_a_utc_day_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        bill.organisation_cost([bucket(D1, result("1"), **changes)], [], D1, D2)


def test_a_day_outside_the_range_or_a_negative_amount_is_refused():
    with pytest.raises(ValueError, match=f"a cost bucket is for {D2}, outside the range"):
        bill.organisation_cost([bucket(D2, result("1"))], [], D1, D1)
    with pytest.raises(ValueError, match=f"a user's cost row is for {D2}, outside the range"):
        bill.organisation_cost([], [records.cost_row(cost(ADA, "1", day=D2))], D1, D1)
    with pytest.raises(ValueError, match="out of range"):
        bill.organisation_cost([bucket(D1, result("-4"))], [], D1, D1)
