"""The Cursor simulator's `POST /teams/spend` over real HTTP, and the provider reading it: the cycle starts on
its day of the month (here 17 February, the cycle running into March), a member's `overallSpendCents` is their
usage events' cost since then and `spendCents` the on-demand events' (read here from
`/teams/filtered-usage-events`), service accounts in no row, paging, sorting and search as documented, the
older shape, the documented 400s, and the provider's bill over every page; a malformed page is refused."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError
from orgonaut.ai_tooling.providers.cursor.client import CursorProvider
from orgonaut.simulator.cursor import EVENTS_PATH, SPEND_PATH, CursorConfig
from tests.support.cursor_simulator import VALID_CURSOR_KEY, CursorSimulatorServer, cursor_auth, day_window, event_cents

NOW = dt.datetime(2025, 3, 5, 12, tzinfo=dt.UTC)
CYCLE = [dt.date(2025, 2, 17) + dt.timedelta(days=n) for n in range(16)]  # to 4 March: the days served so far


@pytest.fixture(scope="module")
def cursor():
    with CursorSimulatorServer(CursorConfig(now=lambda: NOW, billing_cycle_day=17)) as server:
        yield server


@pytest.fixture
def sim(cursor):
    cursor.reset()
    yield cursor
    cursor.reset()


def post(sim, path: str, body: dict[str, Any] | None) -> httpx.Response:
    return httpx.post(f"{sim.base_url}{path}", json=body, auth=cursor_auth(), timeout=30)


def exact(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def cycle_events(sim) -> list[dict[str, Any]]:
    events, page = [], 1
    while True:
        answer = exact(post(sim, EVENTS_PATH, {**day_window(CYCLE[0], CYCLE[-1]), "page": page, "pageSize": 1000}))
        events += answer["usageEvents"]
        if not answer["pagination"]["hasNextPage"]:
            return events
        page += 1


def test_each_members_spend_is_their_usage_events_since_the_cycle_began(sim):
    answer = exact(post(sim, SPEND_PATH, {"pageSize": 1000}))
    assert answer["subscriptionCycleStart"] == int(dt.datetime(2025, 2, 17, tzinfo=dt.UTC).timestamp() * 1000)
    overall: dict[str, Decimal] = defaultdict(Decimal)
    on_demand: dict[str, Decimal] = defaultdict(Decimal)
    accounts = Decimal(0)
    for event in cycle_events(sim):
        if "serviceAccountId" in event:
            accounts += event_cents(event)
            continue
        overall[event["userEmail"].lower()] += event_cents(event)
        if event["kind"] == "Usage-based":
            on_demand[event["userEmail"].lower()] += event_cents(event)
    rows = {row["email"].lower(): row for row in answer["teamMemberSpend"]}
    assert answer["totalMembers"] == len(rows) == 42 and answer["totalPages"] == 1  # the one joining on 5 March too
    assert all(row["userId"].startswith("user_") for row in rows.values())
    assert {email: row["overallSpendCents"] for email, row in rows.items() if row["overallSpendCents"]} == overall
    assert {email: row["spendCents"] for email, row in rows.items() if row["spendCents"]} == on_demand
    assert any(row["overallSpendCents"] != int(row["overallSpendCents"]) for row in rows.values())  # fractions
    assert accounts > 0 and not any(email.startswith("agent-runner@") for email in rows)  # not members


def test_paging_sorting_and_search_are_as_documented(sim):
    everyone = exact(post(sim, SPEND_PATH, {"pageSize": 1000}))["teamMemberSpend"]
    pages = [exact(post(sim, SPEND_PATH, {"page": n, "pageSize": 15, "sortBy": "amount", "sortDirection": "asc"}))
             for n in (1, 2, 3)]
    assert [p["totalPages"] for p in pages] == [3, 3, 3] and [len(p["teamMemberSpend"]) for p in pages] == [15, 15, 12]
    amounts = [row["overallSpendCents"] for p in pages for row in p["teamMemberSpend"]]
    assert amounts == sorted(amounts) and len(amounts) == len(everyone)
    found = exact(post(sim, SPEND_PATH, {"searchTerm": everyone[0]["email"].upper()}))["teamMemberSpend"]
    assert [row["email"] for row in found] == [everyone[0]["email"]]
    assert exact(post(sim, SPEND_PATH, None))["totalMembers"] == 42  # every field is optional


@pytest.mark.parametrize(("body", "message"), [
    ({"sortBy": "cost"}, "sortBy must be amount, date or user"),
    ({"page": 0}, "page must be a positive integer"),
    ({"pageSize": 1001}, "pageSize between 1 and 1000"),
    ({"searchTerm": 7}, "searchTerm must be a string"),
])
def test_a_bad_body_is_400_in_cursors_words(sim, body, message):
    answer = post(sim, SPEND_PATH, body)
    assert answer.status_code == 400 and answer.json()["error"] == "Bad Request"
    assert message in answer.json()["message"]


def test_the_provider_reads_every_page_into_the_cycles_bill(sim, monkeypatch):
    monkeypatch.setattr("orgonaut.ai_tooling.providers.cursor.client.SPEND_PAGE_SIZE", 7)  # six pages
    bill = CursorProvider(VALID_CURSOR_KEY, sim.base_url, today=lambda: NOW.date()).organisation_cost(
        dt.date(2025, 3, 1), dt.date(2025, 3, 4))
    rows = exact(post(sim, SPEND_PATH, {"pageSize": 1000}))["teamMemberSpend"]
    assert (bill.start, bill.end) == (CYCLE[0], NOW.date())  # the cycle, whatever days were asked
    assert bill.tool_cents == bill.total_cents == sum((row["overallSpendCents"] for row in rows), Decimal(0))
    assert dict(bill.lines)["On-demand usage (beyond the plan)"] == sum((r["spendCents"] for r in rows), Decimal(0))
    assert [r["body"].get("page") for r in sim.requests(SPEND_PATH)][:7] == [1, 2, 3, 4, 5, 6, None]


def test_the_older_shape_is_the_calendar_month_and_the_provider_reads_it():
    with CursorSimulatorServer(CursorConfig(now=lambda: NOW, spend_style="older")) as older:
        answer = exact(post(older, SPEND_PATH, {}))
        assert "subscriptionCycleStart" not in answer
        assert set(answer["teamMemberSpend"][0]) == {"name", "email", "role", "spendCents"}
        bill = CursorProvider(VALID_CURSOR_KEY, older.base_url, today=lambda: NOW.date()).organisation_cost(
            dt.date(2025, 3, 1), dt.date(2025, 3, 5))
        assert (bill.start, bill.end) == (dt.date(2025, 3, 1), NOW.date())
        assert bill.tool_cents == sum((row["spendCents"] for row in answer["teamMemberSpend"]), Decimal(0)) > 0


@pytest.mark.parametrize("variant", ["json", "shape", "currency"])
def test_a_malformed_spend_page_is_refused_saying_where(sim, variant):
    sim.set_fault(mode="malformed", variant=variant, path=SPEND_PATH)
    with pytest.raises(ProviderError, match="malformed answer \\(team spend, page 1\\)") as caught:
        CursorProvider(VALID_CURSOR_KEY, sim.base_url, max_retries=0).organisation_cost(NOW.date(), NOW.date())
    assert caught.value.kind is ErrorKind.malformed
