"""The Cursor Admin API simulator over real HTTP: auth, the documented shapes and errors, paging,
exact cents against its truth, service accounts, removed members and the per-minute limits."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from orgonaut.simulator.cursor import DAILY_USAGE_PATH, EVENTS_PATH, MEMBERS_PATH, CursorConfig
from orgonaut.simulator.data import DEFAULT_ROSTER
from tests.support.cursor_simulator import (
    NO_PERMISSION_CURSOR_KEY,
    REVOKED_CURSOR_KEY,
    CursorSimulatorServer,
    cursor_auth,
    cursor_totals,
    day_window,
)

DAY = dt.date(2025, 3, 4)  # a Tuesday: 41 members on the team, 32 active, 248 events
REMOVED = DEFAULT_ROSTER[5]  # removed on 6 March 2025
JOINED = DEFAULT_ROSTER[9]  # joined on 5 March 2025
ROW_FIELDS = [
    "userId", "day", "date", "email", "isActive", "totalLinesAdded", "totalLinesDeleted", "acceptedLinesAdded",
    "acceptedLinesDeleted", "totalApplies", "totalAccepts", "totalRejects", "totalTabsShown", "totalTabsAccepted",
    "composerRequests", "chatRequests", "agentRequests", "cmdkUsages", "subscriptionIncludedReqs", "apiKeyReqs",
    "usageBasedReqs", "bugbotUsages", "mostUsedModel", "applyMostUsedExtension", "tabMostUsedExtension",
    "clientVersion",
]


def post(sim, path: str, body: dict, key: str | None = None, **options) -> httpx.Response:
    auth = cursor_auth(key) if key else cursor_auth()
    return httpx.post(f"{sim.base_url}{path}", json=body, auth=auth, timeout=10, **options)


def exact(response: httpx.Response) -> dict:
    return json.loads(response.text, parse_float=Decimal)


def all_events(sim, body: dict, page_size: int) -> tuple[list[dict], list[dict]]:
    """Every event of the range, page by page to the end; and each page's pagination."""
    events, paginations, page = [], [], 1
    while True:
        answer = exact(post(sim, EVENTS_PATH, {**body, "page": page, "pageSize": page_size}))
        events += answer["usageEvents"]
        paginations.append(answer["pagination"])
        if not answer["pagination"]["hasNextPage"]:
            return events, paginations
        page += 1


# -- auth and error bodies ----------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "status", "body"), [
    pytest.param(REVOKED_CURSOR_KEY, 401, {"error": "Unauthorized", "message": "Invalid API key"}, id="revoked"),
    pytest.param("sk-not-a-cursor-key", 401, {"error": "Unauthorized", "message": "Invalid API key"}, id="malformed"),
    pytest.param(NO_PERMISSION_CURSOR_KEY, 403, {"error": "Forbidden", "message": "Enterprise access required"},
                 id="plan-without-admin-api"),
])
def test_refused_keys_answer_the_documented_bodies_on_every_endpoint(clean_cursor_simulator, key, status, body):
    sim = clean_cursor_simulator
    answers = [httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth(key)),
               post(sim, DAILY_USAGE_PATH, day_window(DAY), key),
               post(sim, EVENTS_PATH, day_window(DAY), key)]
    assert [(answer.status_code, answer.json()) for answer in answers] == [(status, body)] * 3
    assert [entry["status"] for entry in sim.requests()] == [status] * 3
    assert all(key not in json.dumps(entry) for entry in sim.requests())  # the log never holds a key


def test_basic_auth_needs_the_key_as_user_name(clean_cursor_simulator):
    sim = clean_cursor_simulator
    as_password = base64.b64encode(b":key_sim_valid_0000").decode()
    bearer = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", headers={"authorization": "Bearer key_sim_valid_0000"})
    swapped = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", headers={"authorization": f"Basic {as_password}"})
    right = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth())
    assert (bearer.status_code, swapped.status_code, right.status_code) == (401, 401, 200)
    assert [entry["auth"] for entry in sim.requests()] == ["missing", "missing", "valid"]


def test_only_accepted_keys_pass_when_the_simulator_is_given_some():
    with CursorSimulatorServer(CursorConfig(accepted_keys={"key_only_this_one"})) as sim:
        assert post(sim, DAILY_USAGE_PATH, day_window(DAY), "key_only_this_one").status_code == 200
        other = post(sim, DAILY_USAGE_PATH, day_window(DAY), "key_another_one")
        assert (other.status_code, other.json()["message"]) == (401, "Invalid API key")


@pytest.mark.parametrize(("body", "message"), [
    ({**day_window(DAY, DAY + dt.timedelta(days=30))}, "Date range cannot exceed 30 days"),
    ({"startDate": day_window(DAY)["startDate"]}, "startDate and endDate are required"),
    ({"startDate": "2025-03-04", "endDate": "2025-03-05"},
     "startDate and endDate must be timestamps in epoch milliseconds"),
    ({"startDate": day_window(DAY)["endDate"], "endDate": day_window(DAY)["startDate"]},
     "startDate must be before endDate"),
    ({**day_window(DAY), "pageSize": 1001}, "pageSize must be an integer between 1 and 1000"),
    ({**day_window(DAY), "page": 0}, "page must be a positive integer"),
])
def test_bad_bodies_answer_400_with_the_reason(clean_cursor_simulator, body, message):
    for path in (DAILY_USAGE_PATH, EVENTS_PATH):
        answer = post(clean_cursor_simulator, path, body)
        assert (answer.status_code, answer.json()) == (400, {"error": "Bad Request", "message": message})


def test_thirty_days_to_the_last_millisecond_is_the_longest_range(clean_cursor_simulator):
    sim = clean_cursor_simulator
    start = day_window(DAY)["startDate"]
    longest = post(sim, DAILY_USAGE_PATH, {"startDate": start, "endDate": start + 30 * 86_400_000})
    one_more = post(sim, DAILY_USAGE_PATH, {"startDate": start, "endDate": start + 30 * 86_400_000 + 1})
    thirty_days = post(sim, DAILY_USAGE_PATH, day_window(DAY, DAY + dt.timedelta(days=29)))
    assert (longest.status_code, one_more.status_code, thirty_days.status_code) == (200, 400, 200)
    assert {row["day"] for row in thirty_days.json()["data"]} == {
        (DAY + dt.timedelta(days=n)).isoformat() for n in range(30)}


def test_a_user_not_in_the_team_answers_the_documented_400(clean_cursor_simulator):
    answer = post(clean_cursor_simulator, EVENTS_PATH, {**day_window(DAY), "email": "stranger@elsewhere.test"})
    assert (answer.status_code, answer.json()) == (
        400, {"error": "Bad Request", "message": "Some users are not in the team"})


def test_unknown_paths_answer_404_in_the_same_shape(clean_cursor_simulator):
    answer = httpx.get(f"{clean_cursor_simulator.base_url}/teams/nothing-here", auth=cursor_auth())
    assert (answer.status_code, answer.json()) == (404, {"error": "Not Found", "message": "Resource not found"})


# -- members --------------------------------------------------------------------------------------------

def test_members_keep_removed_people_and_the_team_is_known_by_its_domain(clean_cursor_simulator):
    sim = clean_cursor_simulator
    members = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth()).json()["teamMembers"]
    assert set(members[0]) == {"id", "name", "email", "role", "isRemoved"}
    assert len(members) == 42 and all(member["id"].startswith("user_") for member in members)
    assert [m["email"] for m in members if m["isRemoved"]] == [REMOVED]
    assert members[0] == {**members[0], "email": DEFAULT_ROSTER[0], "name": "Ada Lovelace", "role": "owner"}
    assert {m["role"] for m in members} <= {"owner", "member", "free-owner"}
    assert sim.team() == {"id": "team_sim", "name": "demo.test", "domain": "demo.test"}


@pytest.mark.parametrize(("style", "fields", "listed"), [
    ("number", {"id", "name", "email", "role", "isRemoved"}, 42),
    ("oldest", {"name", "email", "role"}, 41),
])
def test_the_older_member_shapes(style, fields, listed):
    with CursorSimulatorServer(CursorConfig(member_style=style)) as sim:
        members = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth()).json()["teamMembers"]
    assert {frozenset(member) for member in members} == {frozenset(fields)} and len(members) == listed
    assert style != "number" or all(type(member["id"]) is int for member in members)
    assert (REMOVED in {member["email"] for member in members}) is (style == "number")


# -- daily usage ----------------------------------------------------------------------------------------

def test_unpaginated_daily_usage_has_only_active_users_with_every_documented_field(clean_cursor_simulator):
    sim = clean_cursor_simulator
    answer = exact(post(sim, DAILY_USAGE_PATH, day_window(DAY)))
    truth = sim.truth(DAY)
    active = [row for row in truth["activity"] if row["isActive"]]
    assert "pagination" not in answer and answer["period"] == day_window(DAY)
    assert answer["data"] == active and len(active) == 32
    assert all(list(row) == ROW_FIELDS for row in answer["data"])
    row = answer["data"][0]
    assert type(row["userId"]) is int and row["day"] == "2025-03-04" and row["date"] == day_window(DAY)["startDate"]
    for row in answer["data"]:  # the request counts are the day's events of each kind
        kinds = [e["kind"] for e in truth["events"] if e["userEmail"] == row["email"] and "serviceAccountId" not in e]
        assert (row["subscriptionIncludedReqs"], row["usageBasedReqs"], row["apiKeyReqs"]) == (
            kinds.count("Included in Business"), kinds.count("Usage-based"), kinds.count("User API Key"))
        assert row["composerRequests"] + row["chatRequests"] + row["agentRequests"] == len(kinds) > 0


def test_paginated_daily_usage_has_every_member_with_is_active_and_pagination(clean_cursor_simulator):
    sim = clean_cursor_simulator
    rows, pages = [], []
    for page in (1, 2, 3, 4, 5):
        answer = post(sim, DAILY_USAGE_PATH, {**day_window(DAY), "page": page, "pageSize": 10}).json()
        rows += answer["data"]
        pages.append(answer["pagination"])
    assert [len(p) for p in (rows,)] == [41]
    assert pages[0] == {"page": 1, "pageSize": 10, "totalUsers": 41, "totalPages": 5, "hasNextPage": True,
                        "hasPreviousPage": False}
    assert [(p["hasNextPage"], p["hasPreviousPage"]) for p in pages] == [(True, False)] + [(True, True)] * 3 + [
        (False, True)]
    inactive = [row for row in rows if not row["isActive"]]
    assert len(inactive) == 9
    assert all(row[field] == 0 for row in inactive for field in ROW_FIELDS[5:22])
    assert all(row["mostUsedModel"] is None and row["clientVersion"] is None for row in inactive)
    assert JOINED not in {row["email"] for row in rows}  # joined after the period: excluded
    assert REMOVED in {row["email"] for row in rows}  # removed later: its history stays


def test_a_paginated_range_pages_by_user_with_each_users_days(clean_cursor_simulator):
    sim = clean_cursor_simulator
    body = {**day_window(DAY, DAY + dt.timedelta(days=2)), "page": 1, "pageSize": 2}
    answer = post(sim, DAILY_USAGE_PATH, body).json()
    assert answer["pagination"]["totalUsers"] == 42  # Emil joined on the 5th, inside this period
    assert [(row["email"], row["day"]) for row in answer["data"]] == [
        (email, day) for email in sorted(DEFAULT_ROSTER)[:2] for day in ("2025-03-04", "2025-03-05", "2025-03-06")]


def test_the_older_row_shape_has_no_user_id_and_no_day():
    with CursorSimulatorServer(CursorConfig(row_style="older")) as sim:
        row = post(sim, DAILY_USAGE_PATH, day_window(DAY)).json()["data"][0]
        assert list(row) == [field for field in ROW_FIELDS if field not in ("userId", "day")]


# -- usage events -----------------------------------------------------------------------------------------

def test_events_page_to_the_end_with_string_timestamps_inside_the_inclusive_range(clean_cursor_simulator):
    sim = clean_cursor_simulator
    events, paginations = all_events(sim, day_window(DAY), 100)
    truth = sim.truth(DAY)
    assert events == truth["events"] and len(events) == 248
    assert [p["currentPage"] for p in paginations] == [1, 2, 3]
    assert {(p["numPages"], p["pageSize"]) for p in paginations} == {(3, 100)}
    assert all(type(e["timestamp"]) is str and e["timestamp"].isdigit() for e in events)
    stamps = [int(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    window = day_window(DAY)
    assert window["startDate"] <= min(stamps) and max(stamps) <= window["endDate"]
    answer = post(sim, EVENTS_PATH, {**window, "pageSize": 1000}).json()
    assert answer["totalUsageEventsCount"] == 248 and answer["period"] == window
    assert len(answer["usageEvents"]) == 248 and answer["pagination"]["hasNextPage"] is False


def test_a_day_ends_at_its_last_millisecond(clean_cursor_simulator):
    sim = clean_cursor_simulator
    both = day_window(DAY, DAY + dt.timedelta(days=1))
    split = both["startDate"] + 86_400_000
    first = post(sim, EVENTS_PATH, {"startDate": both["startDate"], "endDate": split - 1, "pageSize": 1000}).json()
    second = post(sim, EVENTS_PATH, {"startDate": split, "endDate": both["endDate"], "pageSize": 1000}).json()
    whole = post(sim, EVENTS_PATH, {**both, "pageSize": 1000}).json()
    counts = (first["totalUsageEventsCount"], second["totalUsageEventsCount"], whole["totalUsageEventsCount"])
    assert counts == (248, 284, 248 + 284)
    assert second["usageEvents"] + first["usageEvents"] == whole["usageEvents"]


def test_fractional_cents_sum_exactly_to_the_truth_with_the_fallback(clean_cursor_simulator):
    sim = clean_cursor_simulator
    events, _ = all_events(sim, day_window(DAY), 37)
    truth = sim.truth(DAY)
    totals = cursor_totals(events)
    people = {who: t for who, t in totals.items() if not who.startswith("service account: ")}
    assert {who: t["cost"] for who, t in people.items()} == {
        who: p["total_cost_cents"] for who, p in truth["people"].items() if p["events"]}
    assert {who: t["inputTokens"] for who, t in people.items()} == {
        who: p["total_input_tokens"] for who, p in truth["people"].items() if p["events"]}
    fractional = [e for e in events if "chargedCents" in e and e["chargedCents"] != int(e["chargedCents"])]
    fallback = [e for e in events if "chargedCents" not in e]
    no_tokens = [e for e in events if "tokenUsage" not in e]
    assert len(fractional) > 100 and len(fallback) == 44 and len(no_tokens) == 19
    assert all(not e["isTokenBasedCall"] and "chargedCents" in e for e in no_tokens)
    assert all(e["isTokenBasedCall"] for e in fallback)
    # chargedCents = totalCents + cursorTokenFee where both are sent; the fallback adds the same two
    with_fee = [e for e in events if "cursorTokenFee" in e and "chargedCents" in e and e["kind"] != "User API Key"]
    assert with_fee and all(e["chargedCents"] == e["tokenUsage"]["totalCents"] + e["cursorTokenFee"] for e in with_fee)
    fee_fallback = [e for e in fallback if "cursorTokenFee" in e]
    assert fee_fallback  # some fallbacks need the fee: totalCents alone would under-count
    person = fee_fallback[0]["userEmail"]
    only_total = sum((e.get("chargedCents", e.get("tokenUsage", {}).get("totalCents", 0))
                      for e in events if e["userEmail"] == person), Decimal(0))
    assert only_total < truth["people"][person]["total_cost_cents"]


def test_service_account_events_name_their_account_and_no_person(clean_cursor_simulator):
    sim = clean_cursor_simulator
    events, _ = all_events(sim, day_window(DAY), 1000)
    accounts = [e for e in events if "serviceAccountId" in e]
    truth = sim.truth(DAY)
    assert len(accounts) == 4
    assert {(e["serviceAccountName"], e["userEmail"]) for e in accounts} == {("agent-runner", "agent-runner@demo.test")}
    assert "agent-runner@demo.test" not in truth["people"]
    account = truth["service_accounts"]["agent-runner"]
    assert account["events"] == 4
    assert account["total_cost_cents"] == cursor_totals(events)["service account: agent-runner"]["cost"]
    filtered = exact(post(sim, EVENTS_PATH, {**day_window(DAY), "serviceAccountId": account["id"]}))
    assert filtered["usageEvents"] == accounts


def test_events_filter_by_email_and_user_id(clean_cursor_simulator):
    sim = clean_cursor_simulator
    truth = sim.truth(DAY)
    email = DEFAULT_ROSTER[0]
    mine = [e for e in truth["events"] if e["userEmail"] == email]
    by_email = exact(post(sim, EVENTS_PATH, {**day_window(DAY), "email": email.upper()}))
    by_id = exact(post(sim, EVENTS_PATH, {**day_window(DAY), "userId": truth["people"][email]["activity"]["userId"]}))
    assert by_email["usageEvents"] == by_id["usageEvents"] == mine and len(mine) == 2


def test_a_removed_member_keeps_their_history_and_has_none_after(clean_cursor_simulator):
    sim = clean_cursor_simulator
    before, after = sim.truth(dt.date(2025, 3, 5)), sim.truth(dt.date(2025, 3, 6))
    assert before["people"][REMOVED]["events"] > 0
    assert REMOVED not in after["people"] and all(e["userEmail"] != REMOVED for e in after["events"])


# -- rate limits ------------------------------------------------------------------------------------------

def test_per_team_per_minute_limits_answer_429_per_endpoint_group(clean_cursor_simulator):
    sim = clean_cursor_simulator
    sim.set_limits(rate_limit=3, events_rate_limit=5)
    usage = [post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code for _ in range(4)]
    members = httpx.get(f"{sim.base_url}{MEMBERS_PATH}", auth=cursor_auth())
    events = [post(sim, EVENTS_PATH, day_window(DAY)).status_code for _ in range(6)]
    assert usage == [200, 200, 200, 429]
    assert members.status_code == 429  # members share the daily usage bucket ("most endpoints")
    assert events == [200] * 5 + [429]
    refused = post(sim, EVENTS_PATH, day_window(DAY))
    assert refused.json() == {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}
    assert "retry-after" not in refused.headers
    sim.reset()  # back to no limits
    assert [post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code for _ in range(5)] == [200] * 5


def test_limits_are_per_team_and_refill_over_the_minute():
    seconds = [0.0]
    config = CursorConfig(rate_limit=2, key_teams={"key_team_b": "team_b"}, clock=lambda: seconds[0])
    with CursorSimulatorServer(config) as sim:
        first = [post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code for _ in range(3)]
        other_team = post(sim, DAILY_USAGE_PATH, day_window(DAY), "key_team_b").status_code
        seconds[0] = 29.0  # 2 a minute: under one token back
        early = post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code
        seconds[0] = 59.5  # a token back
        later = [post(sim, DAILY_USAGE_PATH, day_window(DAY)).status_code for _ in range(2)]
        assert (first, other_team, early, later) == ([200, 200, 429], 200, 429, [200, 429])
        assert [entry["team"] for entry in sim.requests()][2:4] == ["team_sim", "team_b"]


def test_limits_control_refuses_what_it_does_not_know(clean_cursor_simulator):
    base_url = clean_cursor_simulator.base_url
    assert httpx.post(f"{base_url}/_sim/limits", json={"daily": 3}).status_code == 400
    assert httpx.post(f"{base_url}/_sim/limits", json={"rate_limit": 0}).status_code == 400
    assert httpx.get(f"{base_url}/_sim/limits").json() == {"rate_limit": None, "events_rate_limit": None}


# -- deterministic data -------------------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_day_and_a_new_member_changes_nobody_else(clean_cursor_simulator):
    truth = clean_cursor_simulator.truth(DAY)
    config = CursorConfig(roster=[*DEFAULT_ROSTER, "new.person@demo.test"])
    with CursorSimulatorServer(config) as grown, CursorSimulatorServer(CursorConfig(seed=1)) as reseeded:
        bigger = grown.truth(DAY)
        other = reseeded.truth(DAY)
    assert {who: p for who, p in bigger["people"].items() if who != "new.person@demo.test"} == truth["people"]
    assert "new.person@demo.test" in bigger["people"]
    assert other["people"].keys() == truth["people"].keys() and other["people"] != truth["people"]
