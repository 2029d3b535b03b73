"""The simulator's API over real HTTP: the documented shapes, validation, auth, pagination, freshness
and faults."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import httpx
import pytest

from orgonaut.simulator.app import ORGANIZATION_PATH, USAGE_REPORT_PATH, SimulatorConfig
from tests.support.simulator import SimulatorServer

KEY = "sk-ant-admin01-sim-unit-SECRET"
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
DAY = "2025-03-04"  # a Tuesday, long over


@pytest.fixture
def sim(clean_simulator):
    """The shared simulator (default configuration), reset, as an HTTP client."""
    with httpx.Client(base_url=clean_simulator.base_url, timeout=10) as http:
        yield http


@pytest.fixture
def client():
    """Starts a simulator with its own configuration; stopped after the test."""
    servers: list[SimulatorServer] = []
    clients: list[httpx.Client] = []

    def start(**config) -> httpx.Client:
        server = SimulatorServer(SimulatorConfig(**config)).start()
        servers.append(server)
        clients.append(httpx.Client(base_url=server.base_url, timeout=10))
        return clients[-1]

    yield start
    for http in clients:
        http.close()
    for server in servers:
        server.stop()


def report(sim: httpx.Client, headers=HEADERS, **params):
    return sim.get(USAGE_REPORT_PATH, params={"starting_at": DAY, **params}, headers=headers)


def all_rows(sim: httpx.Client, day: str, limit: int = 1000) -> list[dict]:
    rows, params = [], {"starting_at": day, "limit": limit}
    while True:
        page = json.loads(sim.get(USAGE_REPORT_PATH, params=params, headers=HEADERS).text, parse_float=Decimal)
        rows.extend(page["data"])
        if not page["has_more"]:
            assert page["next_page"] is None
            return rows
        params["page"] = page["next_page"]


def assert_error(response, status: int, error_type: str, message_part: str = "") -> None:
    assert response.status_code == status
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert message_part in body["error"]["message"]
    assert response.headers["request-id"].startswith("req_sim_")


def test_the_organisation_answers_with_its_name(sim):
    response = sim.get(ORGANIZATION_PATH, headers=HEADERS)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "organization"
    assert body["name"] == "Orgonaut Demo (simulated)"
    assert len(body["id"]) == 36
    assert response.headers["request-id"].startswith("req_sim_")


def test_a_record_has_the_documented_shape(sim):
    page = report(sim, limit=1000).json()
    assert set(page) == {"data", "has_more", "next_page"}
    row = page["data"][0]
    assert {"date", "actor", "organization_id", "customer_type", "terminal_type", "core_metrics", "tool_actions",
            "model_breakdown"} <= set(row)
    assert row["date"] == f"{DAY}T00:00:00Z"
    assert row["actor"]["type"] == "user_actor" and "@" in row["actor"]["email_address"]
    assert row["customer_type"] in ("api", "subscription")
    assert set(row["core_metrics"]) == {"num_sessions", "lines_of_code", "commits_by_claude_code",
                                        "pull_requests_by_claude_code"}
    assert set(row["core_metrics"]["lines_of_code"]) == {"added", "removed"}
    assert set(row["tool_actions"]) == {"edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool"}
    assert all(set(v) == {"accepted", "rejected"} for v in row["tool_actions"].values())
    model = row["model_breakdown"][0]
    assert set(model["tokens"]) == {"input", "output", "cache_read", "cache_creation"}
    assert model["estimated_cost"]["currency"] == "USD"
    assert isinstance(model["estimated_cost"]["amount"], int | float)


def test_the_same_request_twice_gives_identical_json(sim, client):
    first = report(sim, limit=13)
    second = report(sim, limit=13)
    assert first.content == second.content
    # Another app with the same seed: the same data; another seed: other data.
    assert report(client(), limit=13).content == first.content
    assert report(client(seed=7), limit=13).content != first.content


def test_the_default_limit_is_20_and_pages_join_up_to_the_whole_day(sim):
    page = report(sim).json()
    assert len(page["data"]) == 20
    assert page["has_more"] is True and page["next_page"]
    whole = all_rows(sim, DAY, limit=1000)
    assert all_rows(sim, DAY, limit=7) == whole
    assert len(whole) > 30


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"starting_at": None}, "starting_at: field required"),
        ({"starting_at": "2025-3-4"}, "starting_at"),
        ({"starting_at": "2025-02-30"}, "starting_at: not a valid date"),
        ({"starting_at": "2025-03-04T00:00:00Z"}, "starting_at"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"page": "not-a-cursor"}, "page: invalid page cursor"),
    ],
)
def test_bad_parameters_are_invalid_requests(sim, params, message):
    query = {"starting_at": DAY, **params}
    query = {k: v for k, v in query.items() if v is not None}
    assert_error(sim.get(USAGE_REPORT_PATH, params=query, headers=HEADERS), 400, "invalid_request_error", message)


def test_a_cursor_from_another_day_is_refused(sim):
    cursor = report(sim, limit=5).json()["next_page"]
    other_day = sim.get(USAGE_REPORT_PATH, params={"starting_at": "2025-03-05", "page": cursor}, headers=HEADERS)
    assert_error(other_day, 400, "invalid_request_error", "page")


def test_limits_at_the_edges_are_accepted(sim):
    assert len(report(sim, limit=1).json()["data"]) == 1
    assert report(sim, limit=1000).json()["has_more"] is False


@pytest.mark.parametrize(
    ("headers", "status", "error_type"),
    [
        ({"anthropic-version": "2023-06-01"}, 401, "authentication_error"),
        ({"x-api-key": "sk-ant-api03-not-admin", "anthropic-version": "2023-06-01"}, 401, "authentication_error"),
        ({"x-api-key": "sk-ant-admin01-revoked-abc", "anthropic-version": "2023-06-01"}, 401, "authentication_error"),
        ({"x-api-key": "sk-ant-admin01-noperm-abc", "anthropic-version": "2023-06-01"}, 403, "permission_error"),
        ({"x-api-key": KEY}, 400, "invalid_request_error"),
    ],
)
def test_keys_and_headers_are_checked(sim, headers, status, error_type):
    assert_error(report(sim, headers=headers), status, error_type)
    assert_error(sim.get(ORGANIZATION_PATH, headers=headers), status, error_type)


def test_a_configured_key_list_refuses_other_well_formed_keys(client):
    sim = client(accepted_keys={KEY})
    assert report(sim).status_code == 200
    other = {**HEADERS, "x-api-key": "sk-ant-admin01-someone-else"}
    assert_error(report(sim, headers=other), 401, "authentication_error")


def test_unknown_paths_and_methods_answer_in_the_envelope(sim):
    assert_error(sim.get("/v1/organizations/nope", headers=HEADERS), 404, "not_found_error")
    assert_error(sim.post(USAGE_REPORT_PATH, headers=HEADERS), 405, "invalid_request_error")


@pytest.mark.parametrize(
    ("now", "day", "has_data"),
    [
        (dt.datetime(2025, 3, 5, 0, 59, tzinfo=dt.UTC), "2025-03-04", False),  # ended under an hour ago
        (dt.datetime(2025, 3, 5, 1, 0, tzinfo=dt.UTC), "2025-03-04", True),
        (dt.datetime(2025, 3, 4, 18, 0, tzinfo=dt.UTC), "2025-03-04", False),  # today
        (dt.datetime(2025, 3, 4, 18, 0, tzinfo=dt.UTC), "2025-03-09", False),  # the future
    ],
)
def test_only_data_older_than_an_hour_is_served(client, now, day, has_data):
    sim = client(now=lambda: now)
    page = sim.get(USAGE_REPORT_PATH, params={"starting_at": day, "limit": 1000}, headers=HEADERS).json()
    assert bool(page["data"]) is has_data
    assert page["has_more"] is False


def test_record_dates_can_be_plain_dates(client):
    row = report(client(date_style="date")).json()["data"][0]
    assert row["date"] == DAY


def test_a_roster_from_the_config_is_the_data(client):
    roster = ["one@roster.test", "two@roster.test"]
    sim = client(roster=roster, unknown_emails=(), api_key_names=(), every_day=True)
    emails = {row["actor"]["email_address"] for row in all_rows(sim, DAY)}
    assert emails == set(roster)


def test_a_status_fault_hits_the_next_requests_then_stops(sim):
    fault = {"mode": "status", "status": 429, "retry_after": 2, "count": 2}
    assert sim.post("/_sim/faults", json=fault).status_code == 200
    first, second, third = (report(sim) for _ in range(3))
    assert_error(first, 429, "rate_limit_error")
    assert first.headers["retry-after"] == "2"
    assert_error(second, 429, "rate_limit_error")
    assert third.status_code == 200
    assert sim.get("/_sim/faults").json() == {"faults": []}


@pytest.mark.parametrize(("status", "error_type"), [(500, "api_error"), (529, "overloaded_error"),
                                                    (401, "authentication_error"), (403, "permission_error")])
def test_status_faults_answer_in_the_envelope(sim, status, error_type):
    sim.post("/_sim/faults", json={"status": status})
    assert_error(report(sim), status, error_type)
    assert_error(report(sim), status, error_type)  # without a count: until cleared
    sim.post("/_sim/faults", json={"mode": "clear"})
    assert report(sim).status_code == 200


def test_after_lets_requests_through_and_path_narrows_the_fault(sim):
    sim.post("/_sim/faults", json={"status": 500, "after": 1, "count": 1, "path": USAGE_REPORT_PATH})
    assert sim.get(ORGANIZATION_PATH, headers=HEADERS).status_code == 200  # another path: untouched
    assert report(sim).status_code == 200  # the one let through
    assert report(sim).status_code == 500
    assert report(sim).status_code == 200


def test_faults_queue_in_order(sim):
    sim.post("/_sim/faults", json={"faults": [{"status": 429, "count": 1}, {"status": 529, "count": 1}]})
    assert [report(sim).status_code for _ in range(3)] == [429, 529, 200]


@pytest.mark.parametrize(
    ("variant", "check"),
    [
        ("json", lambda text: pytest.raises(ValueError, json.loads, text)),
        ("shape", lambda text: json.loads(text)["data"] == {"unexpected": True}),
        ("record", lambda text: "core_metrics" not in json.loads(text)["data"][0]
         and "core_metrics" in json.loads(text)["data"][1]),
        ("currency", lambda text: json.loads(text)["data"][0]["model_breakdown"][0]["estimated_cost"]["currency"]
         == "EUR"),
    ],
)
def test_malformed_faults_break_the_answer(sim, variant, check):
    sim.post("/_sim/faults", json={"mode": "malformed", "variant": variant, "count": 1})
    response = report(sim, limit=5)
    assert response.status_code == 200
    assert check(response.text)
    assert report(sim, limit=5).json()["data"][0]["core_metrics"]  # the next answer is whole again


def test_a_slow_fault_delays_the_answer(sim):
    sim.post("/_sim/faults", json={"mode": "slow", "delay": 0.3, "count": 1})
    started = time.monotonic()
    assert report(sim).status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    "body",
    [{"mode": "explode"}, {"mode": "status"}, {"status": 200}, {"status": 429, "count": 0}, {"status": "429"},
     {"mode": "slow"}, {"mode": "malformed", "variant": "nope"}, {"status": 500, "colour": "red"}, [1, 2]],
)
def test_nonsense_faults_are_refused_and_change_nothing(sim, body):
    response = sim.post("/_sim/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert sim.get("/_sim/faults").json() == {"faults": []}


def test_the_request_log_says_what_came_in_but_never_the_key(sim):
    sim.post("/_sim/faults", json={"status": 503, "count": 1})
    report(sim, limit=3)
    report(sim, headers={**HEADERS, "x-api-key": "sk-ant-admin01-revoked-zz"})
    sim.get(ORGANIZATION_PATH, headers={**HEADERS, "user-agent": "Orgonaut/test"})
    log = sim.get("/_sim/requests").json()["requests"]
    assert [(e["path"], e["auth"], e["status"], e["fault"]) for e in log] == [
        (USAGE_REPORT_PATH, "valid", 503, "status:503"),
        (USAGE_REPORT_PATH, "revoked", 401, None),
        (ORGANIZATION_PATH, "valid", 200, None),
    ]
    assert log[0]["query"] == {"starting_at": DAY, "limit": "3"}
    assert log[2]["user_agent"] == "Orgonaut/test"
    assert log[0]["anthropic_version"] == "2023-06-01"
    assert KEY not in json.dumps(log) and "revoked-zz" not in json.dumps(log)


def test_reset_clears_faults_and_the_log(sim):
    sim.post("/_sim/faults", json={"status": 500})
    report(sim)
    assert sim.post("/_sim/reset").status_code == 200
    assert sim.get("/_sim/requests").json() == {"requests": []}
    assert report(sim).status_code == 200
    assert sim.get("/_sim/health").json() == {"status": "ok"}
