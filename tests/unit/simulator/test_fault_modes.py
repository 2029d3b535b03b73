"""The failover fault modes over real HTTP: rate storms, reset, drip, endless, dup, grow, and the
revise and truth controls."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import httpx
import pytest

from orgonaut.simulator.app import ORGANIZATION_PATH, USAGE_REPORT_PATH, SimulatorConfig
from orgonaut.simulator.faults import Fault
from tests.support.simulator import SimulatorServer

KEY = "sk-ant-admin01-sim-unit-modes"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
DAY = "2025-03-04"  # a Tuesday, long over


@pytest.fixture
def sim(clean_simulator):
    with httpx.Client(base_url=clean_simulator.base_url, timeout=10) as http:
        yield http


def page(sim: httpx.Client, **params) -> dict:
    response = sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY, **params}, headers=HEADERS)
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def pages(sim: httpx.Client, limit: int, max_pages: int = 100) -> list[list[dict]]:
    """Every page of the day, following next_page."""
    out, params = [], {"limit": limit}
    for _ in range(max_pages):
        body = page(sim, **params)
        out.append(body["data"])
        if not body["has_more"]:
            return out
        params["page"] = body["next_page"]
    raise AssertionError("more pages than expected")


def truth(sim: httpx.Client, day: str = DAY) -> dict:
    response = sim.get("/_sim/truth", params={"date": day})
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def set_fault(sim: httpx.Client, **fault) -> None:
    response = sim.post("/_sim/faults", json=fault)
    assert response.status_code == 200, response.text


def email(record: dict) -> str | None:
    return record["actor"].get("email_address")


# -- rate -----------------------------------------------------------------------------------------

def test_a_429_storm_hits_the_seeded_fraction_of_requests(sim):
    set_fault(sim, status=429, rate=0.7, seed=3, retry_after=0.5)
    statuses = [sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY}, headers=HEADERS) for _ in range(40)]
    model = Fault(mode="status", status=429, rate=0.7, seed=3)
    assert [r.status_code for r in statuses] == [429 if model.picks() else 200 for _ in range(40)]
    assert [r.status_code for r in statuses][:10] == [200, 429, 429, 200, 200, 200, 429, 429, 429, 200]
    assert sum(r.status_code == 429 for r in statuses) == 28
    storm = [r for r in statuses if r.status_code == 429]
    assert {r.headers["retry-after"] for r in storm} == {"0.5"}
    assert storm[0].json()["error"]["type"] == "rate_limit_error"
    # The same seed on a reset simulator: the same sequence.
    sim.post("/_sim/reset")
    set_fault(sim, status=429, rate=0.7, seed=3)
    again = [sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY}, headers=HEADERS).status_code for _ in range(40)]
    assert again == [r.status_code for r in statuses]


def test_count_counts_picked_requests_and_unpicked_ones_go_to_the_next_fault(sim):
    sim.post("/_sim/faults", json={"faults": [{"status": 429, "rate": 0.5, "seed": 4, "count": 3},
                                              {"status": 503, "count": 2}]})
    model = Fault(mode="status", status=429, rate=0.5, seed=4)
    assert [model.picks() for _ in range(7)] == [False, True, False, True, False, False, True]
    statuses = [sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY}, headers=HEADERS).status_code
                for _ in range(8)]
    # Requests 1 and 3 are not picked: the two 503s take them; 5 and 6 find no other fault; the
    # three picked (2, 4, 7) are the 429s, then the storm is spent.
    assert statuses == [503, 429, 503, 429, 200, 200, 429, 200]
    assert sim.get("/_sim/faults").json() == {"faults": []}


# -- reset ----------------------------------------------------------------------------------------

def test_reset_closes_the_connection_after_the_given_body_bytes(sim):
    whole = page(sim, limit=5)
    whole_bytes = sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY, "limit": 5}, headers=HEADERS).content
    set_fault(sim, mode="reset", after_bytes=100, count=1)
    received = b""
    with pytest.raises(httpx.RemoteProtocolError, match=r"received 100 bytes, expected \d+"), sim.stream(
            "GET", USAGE_REPORT_PATH, params={"starting_at": DAY, "limit": 5}, headers=HEADERS) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(whole_bytes))
        assert response.headers["request-id"].startswith("req_sim_")
        for chunk in response.iter_raw():
            received += chunk
    assert received == whole_bytes[:100]
    assert page(sim, limit=5) == whole  # the next request is whole again
    log = sim.get("/_sim/requests").json()["requests"]
    assert [(e["fault"], e["status"]) for e in log] == [(None, 200), (None, 200), ("reset:100", 200), (None, 200)]


def test_a_reset_past_the_body_still_cuts_it_and_can_hit_the_organisation(sim):
    set_fault(sim, mode="reset", after_bytes=10**9)
    with pytest.raises(httpx.RemoteProtocolError):
        sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY, "limit": 1}, headers=HEADERS)
    set_fault(sim, mode="reset")  # after_bytes 0: the headers only
    with pytest.raises(httpx.RemoteProtocolError, match="received 0 bytes"):
        sim.get(ORGANIZATION_PATH, headers=HEADERS)
    sim.post("/_sim/faults", json={"mode": "clear"})
    assert sim.get(ORGANIZATION_PATH, headers=HEADERS).status_code == 200


# -- drip -----------------------------------------------------------------------------------------

def test_drip_sends_the_whole_body_slowly_in_chunks_each_within_a_short_read_timeout(clean_simulator):
    expected = httpx.get(f"{clean_simulator.base_url}{USAGE_REPORT_PATH}", params={"starting_at": DAY, "limit": 2},
                         headers=HEADERS).content
    clean_simulator.set_fault(mode="drip", bytes_per_second=3000, chunk_bytes=300, count=1)
    gaps, body = [], b""
    started = last = time.monotonic()
    with httpx.Client(base_url=clean_simulator.base_url, timeout=httpx.Timeout(0.4)) as http, http.stream(
            "GET", USAGE_REPORT_PATH, params={"starting_at": DAY, "limit": 2}, headers=HEADERS) as response:
        assert response.headers["content-length"] == str(len(expected))
        for chunk in response.iter_raw():
            now = time.monotonic()
            gaps.append(now - last)
            last = now
            body += chunk
    elapsed = time.monotonic() - started
    assert body == expected
    assert len(expected) > 1200  # so the whole body takes over 0.4 s
    assert elapsed >= len(expected) / 3000 - 0.05
    assert elapsed > 0.4  # longer than the read timeout, which never fired
    assert max(gaps) < 0.3
    assert [e["fault"] for e in clean_simulator.requests()] == [None, "drip:3000"]


# -- endless --------------------------------------------------------------------------------------

def test_endless_keeps_has_more_with_fresh_cursors_and_empty_pages_past_the_end(sim):
    day = truth(sim)["data"]
    set_fault(sim, mode="endless")
    served, cursors, params = [], [], {"limit": 10}
    for _ in range(30):
        body = page(sim, **params)
        served.append(body["data"])
        assert body["has_more"] is True and body["next_page"]
        cursors.append(body["next_page"])
        params["page"] = body["next_page"]
    real_pages = -(-len(day) // 10)
    assert [r for p in served[:real_pages] for r in p] == day  # the day's records, once
    assert all(p == [] for p in served[real_pages:])
    assert len(set(cursors)) == 30
    sim.post("/_sim/faults", json={"mode": "clear"})
    assert page(sim, **params) == {"data": [], "has_more": False, "next_page": None}  # the chain can end


def test_endless_spares_the_organisation_request(sim):
    set_fault(sim, mode="endless", count=1)
    assert sim.get(ORGANIZATION_PATH, headers=HEADERS).json()["type"] == "organization"
    assert sim.get("/_sim/faults").json()["faults"][0]["count"] == 1  # not spent on it


# -- dup ------------------------------------------------------------------------------------------

def test_dup_repeats_the_last_record_of_a_page_at_the_head_of_the_next(sim):
    day = truth(sim)["data"]
    set_fault(sim, mode="dup", count=1)
    served = pages(sim, limit=5)
    assert served[0] == day[:5]  # a first page is never duplicated into, and does not spend the fault
    assert served[1][0] == served[0][-1] == day[4]
    assert len(served[1]) == 5 and served[1] == day[4:9]
    flat = [r for p in served for r in p]
    assert len(flat) == len(day) + 1
    assert [r for i, r in enumerate(flat) if i != 5] == day  # the day, plus one exact duplicate
    assert truth(sim)["data"] == day  # the truth is unchanged


def test_dup_with_after_hits_a_later_page_and_with_limit_1_serves_two_records(sim):
    day = truth(sim)["data"]
    set_fault(sim, mode="dup", after=1, count=1)
    served = pages(sim, limit=5)
    assert served[1] == day[5:10] and served[2][0] == day[9]
    set_fault(sim, mode="dup", count=1)
    first = page(sim, limit=1)
    second = page(sim, limit=1, page=first["next_page"])
    assert second["data"] == [day[0], day[1]]  # two records, so the cursor still moves on


# -- grow -----------------------------------------------------------------------------------------

def test_grow_inserts_a_record_before_the_cursor_so_the_next_page_repeats_one(sim):
    before = truth(sim)
    day = before["data"]
    assert before["grown"] == []
    set_fault(sim, mode="grow", count=1)
    served = pages(sim, limit=5)
    after = truth(sim)
    grown = after["data"]
    assert after["grown"] == [4] and after["records"] == len(day) + 1
    new = grown[4]
    assert grown[:4] == day[:4] and grown[5:] == day[4:]  # inserted just before the cursor's offset
    assert new["actor"] == day[4]["actor"]  # a new row for the neighbouring person
    assert new["terminal_type"] not in {r["terminal_type"] for r in day if r["actor"] == new["actor"]}
    assert new["date"] == f"{DAY}T00:00:00Z"
    assert served[1][0] == served[0][-1] == day[4]  # served twice across pages
    flat = [r for p in served for r in p]
    assert new not in flat  # and the new record is never served to this pass
    assert len(flat) == len(day) + 1
    # A fresh pass sees the grown day exactly.
    assert [r for p in pages(sim, limit=5) for r in p] == grown
    assert [r for p in pages(sim, limit=1000) for r in p] == grown


def test_growth_is_deterministic_and_reset_forgets_it(sim):
    def grow_once() -> dict:
        set_fault(sim, mode="grow", count=1)
        first = page(sim, limit=7)
        page(sim, limit=7, page=first["next_page"])
        return truth(sim)

    grown = grow_once()
    sim.post("/_sim/reset")
    assert truth(sim)["grown"] == []
    assert grow_once() == grown
    assert grow_once()["grown"] == [6, 7]  # a second growth, before the cursor again


# -- revise and truth -----------------------------------------------------------------------------

def test_truth_is_what_a_whole_fault_free_paging_serves(sim):
    body = truth(sim)
    assert set(body) == {"date", "available", "records", "grown", "revisions", "data"}
    assert body["date"] == DAY and body["available"] is True and body["revisions"] == []
    assert body["data"] == [r for p in pages(sim, limit=7) for r in p]
    assert body["records"] == len(body["data"]) > 30


@pytest.mark.parametrize(("query", "message"), [({}, "date must be a date in YYYY-MM-DD format"),
                                                ({"date": "2025-02-30"}, "date 2025-02-30 is not a valid date"),
                                                ({"date": "yesterday"}, "date must be a date in YYYY-MM-DD format")])
def test_truth_refuses_a_bad_date(sim, query, message):
    response = sim.get("/_sim/truth", params=query)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_truth_follows_the_freshness_rule():
    with SimulatorServer(SimulatorConfig(now=lambda: dt.datetime(2025, 3, 5, 0, 30, tzinfo=dt.UTC))) as server:
        body = httpx.get(f"{server.base_url}/_sim/truth", params={"date": DAY}).json()
    assert (body["available"], body["records"], body["data"]) == (False, 0, [])


def test_revisions_drop_change_and_move_a_persons_day(sim):
    day = truth(sim)["data"]
    people = sorted({email(r) for r in day if email(r)})
    split = next(p for p in people if sum(email(r) == p for r in day) == 2)  # a person with two rows
    dropped, changed, moved = [p for p in people if sum(email(r) == p for r in day) == 1][:3]

    def post(**revision) -> dict:
        response = sim.post("/_sim/revise", json={"date": DAY, **revision})
        assert response.status_code == 200, response.text
        return response.json()["revision"]

    assert post(action="drop", email=dropped.upper()) == {
        "id": 1, "date": DAY, "action": "drop", "email": dropped.upper(), "to_email": None, "factor": None,
        "records": 1}
    assert post(action="change", email=changed, factor=2)["records"] == 1
    assert post(action="move", email=split, to_email="moved.here@new.test")["records"] == 2
    assert post(action="move", email=moved, to_email="moved.here@new.test")["id"] == 4

    after = truth(sim)
    assert after["revisions"] == [1, 2, 3, 4]
    assert after["data"] == [r for p in pages(sim, limit=6) for r in p]  # the report serves the truth
    by_person: dict[str, list[dict]] = {}
    for record in after["data"]:
        by_person.setdefault(record["actor"].get("email_address", ""), []).append(record)
    assert dropped not in by_person and split not in by_person and moved not in by_person
    assert len(by_person["moved.here@new.test"]) == 3
    [old] = [r for r in day if email(r) == changed]
    [new] = by_person[changed]
    assert new["core_metrics"]["num_sessions"] == 2 * old["core_metrics"]["num_sessions"]
    assert new["model_breakdown"][0]["estimated_cost"]["amount"] == \
        2 * old["model_breakdown"][0]["estimated_cost"]["amount"]
    assert len(after["data"]) == len(day) - 1
    # Another day is untouched; the list says what was done; reset forgets it all.
    assert truth(sim, "2025-03-05")["revisions"] == []
    assert [r["action"] for r in sim.get("/_sim/revisions").json()["revisions"]] == ["drop", "change", "move", "move"]
    sim.post("/_sim/reset")
    assert sim.get("/_sim/revisions").json() == {"revisions": []}
    assert truth(sim)["data"] == day


def test_a_revision_of_someone_without_records_touches_none(sim):
    response = sim.post("/_sim/revise", json={"date": DAY, "action": "drop", "email": "nobody@nowhere.test"})
    assert response.json()["revision"]["records"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"date": DAY, "action": "shred", "email": "a@x.test"}, "action must be one of drop, change, move"),
        ({"date": "2025-13-01", "action": "drop", "email": "a@x.test"}, "date 2025-13-01 is not a valid date"),
        ({"date": DAY, "action": "change", "email": "a@x.test", "factor": -1}, "factor must be above 0"),
        ({"date": DAY, "action": "move", "email": "a@x.test"}, "to_email must be an e-mail address"),
        ("drop", "a revision is a JSON object"),
    ],
)
def test_bad_revisions_are_refused_and_change_nothing(sim, body, message):
    response = sim.post("/_sim/revise", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)
    assert sim.get("/_sim/revisions").json() == {"revisions": []}
    assert sim.post("/_sim/revise", content=b"{").json() == {"error": "the body is not JSON"}
