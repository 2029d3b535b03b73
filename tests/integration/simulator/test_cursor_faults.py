"""The Cursor simulator's fault modes, revisions and truth over real HTTP: the shared fault machinery
(base.py, faults.py, records.py) on Cursor's page-numbered endpoints."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import httpx
import pytest

from orgonaut.simulator.cursor import DAILY_USAGE_PATH, EVENTS_PATH, MEMBERS_PATH
from orgonaut.simulator.data import DEFAULT_ROSTER
from orgonaut.simulator.faults import Fault
from tests.support.cursor_simulator import cursor_auth, cursor_totals, day_window

DAY = dt.date(2025, 3, 4)


def post(sim, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{sim.base_url}{path}", json=body, auth=cursor_auth(), timeout=10)


def events_page(sim, page: int, size: int = 100) -> httpx.Response:
    return post(sim, EVENTS_PATH, {**day_window(DAY), "page": page, "pageSize": size})


def exact(response: httpx.Response) -> dict:
    return json.loads(response.text, parse_float=Decimal)


@pytest.mark.parametrize(("status", "retry_after", "message"), [
    (429, 2, "Rate limit exceeded. Please try again later."),
    (500, None, "An unexpected error occurred"),
    (503, None, "Simulated HTTP 503."),
])
def test_a_status_fault_answers_the_cursor_error_body_then_passes(clean_cursor_simulator, status, retry_after,
                                                                  message):
    sim = clean_cursor_simulator
    sim.set_fault(status=status, retry_after=retry_after, count=1, after=1, path=EVENTS_PATH)
    answers = [events_page(sim, 1), post(sim, DAILY_USAGE_PATH, day_window(DAY)), events_page(sim, 2),
               events_page(sim, 2)]
    assert [answer.status_code for answer in answers] == [200, 200, status, 200]
    assert answers[2].json() == {"error": answers[2].reason_phrase, "message": message}
    assert answers[2].headers.get("retry-after") == (str(retry_after) if retry_after else None)
    assert [entry["fault"] for entry in sim.requests()] == [None, None, f"status:{status}", None]
    assert sim.faults() == []


def test_a_rate_fault_picks_the_seeded_requests(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_fault(status=429, rate=0.5, seed=7)
    statuses = [post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code for _ in range(12)]
    model = Fault(mode="status", status=429, rate=0.5, seed=7)
    assert statuses == [429 if model.picks() else 200 for _ in range(12)]
    assert 0 < statuses.count(429) < 12


def test_a_malformed_page_breaks_the_whole_body(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_faults([{"mode": "malformed", "variant": "json", "after": 1, "count": 1, "path": EVENTS_PATH},
                    {"mode": "malformed", "variant": "shape", "count": 1, "path": EVENTS_PATH}])
    first, second, third = events_page(sim, 1), events_page(sim, 2), events_page(sim, 2)
    assert exact(first)["usageEvents"] == sim.truth(DAY)["events"][:100]
    assert second.status_code == third.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(second.text)
    assert third.json() == {"usageEvents": {"unexpected": True}, "pagination": "maybe"}


def test_malformed_records_lose_the_email_or_get_text_for_money(clean_cursor_simulator):
    sim = clean_cursor_simulator
    truth = sim.truth(DAY)
    sim.set_faults([{"mode": "malformed", "variant": "record", "count": 1, "path": EVENTS_PATH},
                    {"mode": "malformed", "variant": "currency", "count": 1, "path": EVENTS_PATH},
                    {"mode": "malformed", "variant": "record", "count": 1, "path": DAILY_USAGE_PATH}])
    record, currency = exact(events_page(sim, 1))["usageEvents"], exact(events_page(sim, 1))["usageEvents"]
    row = post(sim, DAILY_USAGE_PATH, day_window(DAY)).json()["data"][0]
    first = truth["events"][0]
    assert record[0] == {k: v for k, v in first.items() if k != "userEmail"} and record[1:] == truth["events"][1:100]
    assert currency[0]["tokenUsage"]["totalCents"] == "n/a" and "chargedCents" not in first  # no chargedCents here
    assert "email" not in row and row["userId"] == truth["activity"][0]["userId"]


def test_malformed_members(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_fault(mode="malformed", variant="shape", count=1, path=MEMBERS_PATH)
    answer = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth())
    assert answer.json() == {"teamMembers": {"unexpected": True}}


def test_slow_then_normal(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_fault(mode="slow", delay=0.6, count=1)
    started = time.monotonic()
    slow = events_page(sim, 1)
    waited = time.monotonic() - started
    assert slow.status_code == 200 and waited >= 0.6
    assert exact(slow)["usageEvents"] == sim.truth(DAY)["events"][:100]


def test_reset_cuts_the_body_and_drip_paces_it(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_faults([{"mode": "reset", "after_bytes": 200, "count": 1},
                    {"mode": "drip", "bytes_per_second": 20_000, "count": 1}])
    with pytest.raises(httpx.RemoteProtocolError):
        events_page(sim, 1, size=50)
    started = time.monotonic()
    dripped = events_page(sim, 1, size=50)
    elapsed = time.monotonic() - started
    assert len(dripped.content) > 10_000 and elapsed >= len(dripped.content) / 20_000 * 0.9
    assert exact(dripped)["usageEvents"] == sim.truth(DAY)["events"][:50]
    assert [entry["fault"] for entry in sim.requests()] == ["reset:200", "drip:20000"]


def test_endless_event_pages_never_end(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_fault(mode="endless")
    pages = [exact(events_page(sim, page)) for page in range(1, 6)]
    assert all(page["pagination"]["hasNextPage"] for page in pages)
    assert [len(page["usageEvents"]) for page in pages] == [100, 100, 48, 0, 0]


def test_endless_and_dup_apply_to_paginated_daily_usage(clean_cursor_simulator):
    sim = clean_cursor_simulator

    def page(number: int) -> dict:
        return post(sim, DAILY_USAGE_PATH, {**day_window(DAY), "page": number, "pageSize": 20}).json()

    sim.set_fault(mode="dup", count=1)
    unpaginated = post(sim, DAILY_USAGE_PATH, day_window(DAY)).json()  # no paging: not for a paging fault
    first, second = page(1), page(2)
    sim.set_fault(mode="endless", count=1)
    third = page(3)
    assert "pagination" not in unpaginated
    assert second["data"][0] == first["data"][-1]  # dup: the previous page's last user again, then 20 more
    assert len(second["data"]) == 21 and second["data"][1:] == page(2)["data"]
    assert len(third["data"]) == 1 and third["pagination"]["hasNextPage"]  # endless: on past the 41 users
    assert page(3)["pagination"]["hasNextPage"] is False
    assert [entry["fault"] for entry in sim.requests()] == [None, None, "dup", "endless", None, None]


def test_dup_repeats_the_previous_pages_last_event(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_fault(mode="dup", count=1)
    first, second, third = (exact(events_page(sim, page))["usageEvents"] for page in (1, 2, 3))
    events = sim.truth(DAY)["events"]
    assert second[0] == first[-1] == events[99] and second[1:] == events[100:200]  # 101 on the page
    assert third == events[200:]  # the fault is spent: page 3 as it is
    served = [json.dumps(e, sort_keys=True, default=str) for e in first + second + third]
    assert len(served) == 249 and len(set(served)) == 248


def test_grow_adds_an_event_behind_the_page_and_the_truth_keeps_it(clean_cursor_simulator):
    sim = clean_cursor_simulator
    before = sim.truth(DAY)
    sim.set_fault(mode="grow", count=1)
    grow_on_usage = post(sim, DAILY_USAGE_PATH, {**day_window(DAY), "page": 2, "pageSize": 10})
    assert grow_on_usage.status_code == 200 and sim.faults() != []  # daily usage does not grow: still queued
    first, second = exact(events_page(sim, 1))["usageEvents"], exact(events_page(sim, 2))["usageEvents"]
    after = sim.truth(DAY)
    assert second[0] == first[-1]  # the new event went in before the offset: page 2 starts one back
    assert len(after["events"]) == 249 and after["grown"] == [99]
    grown = after["events"][99]
    person = grown["userEmail"].lower()
    assert grown["timestamp"] == first[-1]["timestamp"] and grown not in first + second
    assert after["people"][person]["events"] == before["people"][person]["events"] + 1
    assert after["people"][person]["total_cost_cents"] == (
        before["people"][person]["total_cost_cents"] + cursor_totals([grown])[person]["cost"])
    sim.reset()
    assert len(sim.truth(DAY)["events"]) == 248


def test_revisions_drop_change_and_move_rows_and_events(clean_cursor_simulator):
    sim = clean_cursor_simulator
    before = sim.truth(DAY)
    dropped, changed, moved = [who for who in DEFAULT_ROSTER if before["people"].get(who, {}).get("events")][:3]
    counts = {who: before["people"][who]["events"] for who in (dropped, changed, moved)}
    assert all(counts.values())
    made = [sim.revise(date=DAY, action="drop", email=dropped),
            sim.revise(date=DAY, action="change", email=changed, factor=3),
            sim.revise(date=DAY, action="move", email=moved, to_email="Someone.New@Acme.test")]
    assert [(r["id"], r["records"]) for r in made] == [(n + 1, counts[who] + 1) for n, who in
                                                       enumerate((dropped, changed, moved))]
    after = sim.truth(DAY)
    assert after["revisions"] == [1, 2, 3] and [r["id"] for r in sim.revisions()] == [1, 2, 3]
    assert dropped not in after["people"] and moved not in after["people"]
    new = after["people"]["someone.new@acme.test"]
    assert new["total_cost_cents"] == before["people"][moved]["total_cost_cents"]
    assert new["activity"]["email"] == "Someone.New@Acme.test"
    old_row, new_row = before["people"][changed]["activity"], after["people"][changed]["activity"]
    assert new_row["totalLinesAdded"] == old_row["totalLinesAdded"] * 3
    assert new_row["agentRequests"] == old_row["agentRequests"] * 3
    assert after["people"][changed]["total_input_tokens"] == before["people"][changed]["total_input_tokens"] * 3
    assert after["people"][changed]["total_cost_cents"] == before["people"][changed]["total_cost_cents"] * 3
    served = exact(post(sim, EVENTS_PATH, {**day_window(DAY), "pageSize": 1000}))["usageEvents"]
    assert served == after["events"]
    assert {who: t["cost"] for who, t in cursor_totals(served).items() if "@" in who and "agent-runner" not in who} == {
        who: p["total_cost_cents"] for who, p in after["people"].items() if p["events"]}
    rows = post(sim, DAILY_USAGE_PATH, day_window(DAY)).json()["data"]
    assert dropped not in {row["email"] for row in rows} and "Someone.New@Acme.test" in {r["email"] for r in rows}


def test_truth_of_a_day_not_over_yet_is_empty(clean_cursor_simulator):
    today = dt.datetime.now(dt.UTC).date()
    truth = clean_cursor_simulator.truth(today)
    assert (truth["available"], truth["people"], truth["events"]) == (False, {}, [])
    assert clean_cursor_simulator.truth(DAY)["available"] is True
