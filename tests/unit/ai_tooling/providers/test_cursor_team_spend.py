"""Cursor's `/teams/spend` decoded strictly in both documented shapes (the newest: cycle start, fractional
`overallSpendCents` and on-demand `spendCents`; the older: the calendar month, `spendCents` alone) and summed
into the current billing cycle's bill, service accounts left out; bodies off the shape refused saying what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from orgonaut.ai_tooling.providers.base import SERVICE_ACCOUNT_PREFIX
from orgonaut.ai_tooling.providers.cursor.team_spend import (
    INCLUDED,
    MEMBERS,
    ON_DEMAND,
    organisation_cost,
    parse_spend_page,
)

TODAY = dt.date(2026, 12, 8)
CYCLE = int(dt.datetime(2026, 11, 17, tzinfo=dt.UTC).timestamp() * 1000)


def member(user: str = "user_a", email: str = "ada@demo.test", spend: Any = 120.5, overall: Any = 2450.125487,
           **changes: Any) -> dict[str, Any]:
    return {"userId": user, "name": "Ada", "email": email, "role": "member", "spendCents": spend,
            "overallSpendCents": overall, "fastPremiumRequests": 3, "hardLimitOverrideDollars": 0,
            "monthlyLimitDollars": None, "effectivePerUserLimitDollars": 500, **changes}


def page(*members: dict[str, Any], cycle: int | None = CYCLE, pages: int = 1) -> bytes:
    body: dict[str, Any] = {"teamMemberSpend": list(members), "totalMembers": len(members), "totalPages": pages}
    if cycle is not None:
        body["subscriptionCycleStart"] = cycle
    return json.dumps(body).encode()


def test_the_newest_shape_is_the_cycle_to_date_with_included_and_on_demand_apart():
    bill = organisation_cost([parse_spend_page(page(member(), member("user_b", "ben@demo.test", 0, 10)))], TODAY)
    assert (bill.start, bill.end) == (dt.date(2026, 11, 17), TODAY)
    assert bill.total_cents == bill.tool_cents == Decimal("2460.125487")  # exact, from the JSON's own digits
    assert bill.lines == ((INCLUDED, Decimal("2339.625487")), (ON_DEMAND, Decimal("120.5")))
    assert bill.leaves_out == (SERVICE_ACCOUNT_PREFIX,)  # service accounts are in no member's spend


def test_the_older_shape_is_the_calendar_month_and_spend_cents_alone():
    older = {"name": "Ada", "email": "ada@demo.test", "role": "member", "spendCents": 1999}
    bill = organisation_cost([parse_spend_page(page(older, {**older, "email": "Ben@demo.test", "spendCents": 1},
                                                    cycle=None))], TODAY)
    assert (bill.start, bill.end, bill.lines) == (dt.date(2026, 12, 1), TODAY, ((MEMBERS, Decimal(2000)),))


def test_a_member_met_on_two_pages_counts_once_the_later_kept():
    first = parse_spend_page(page(member(overall=10, spend=0), pages=2))
    second = parse_spend_page(page(member(overall=12, spend=0), member("user_b", overall=1, spend=0), pages=2))
    assert organisation_cost([first, second], TODAY).tool_cents == 13


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"members": []}', "teamMemberSpend"),
    (page(member(spend="lots")), "spendCents"),
    (page({k: v for k, v in member().items() if k != "spendCents"}), "spendCents"),
    (page(member(overall=-1)), "out of range"),
    (page(member(spend=30, overall=20)), "on-demand spend is more than the whole spend"),
    (page(member(userId=None, email=None)), "names no member"),
    (page(member(), cycle=-5), "subscriptionCycleStart"),
    (b'{"teamMemberSpend": [', "not JSON"),
])
def test_a_page_off_the_documented_shape_is_refused_saying_what(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_spend_page(raw)


def test_pages_of_two_cycles_or_a_cycle_not_begun_are_refused():
    later = int(dt.datetime(2026, 12, 17, tzinfo=dt.UTC).timestamp() * 1000)
    with pytest.raises(ValueError, match="the billing cycle changed while the spend was read"):
        organisation_cost([parse_spend_page(page(member())), parse_spend_page(page(member(), cycle=later))], TODAY)
    with pytest.raises(ValueError, match="starts on 2026-12-17, after today"):
        organisation_cost([parse_spend_page(page(member(), cycle=later))], TODAY)
