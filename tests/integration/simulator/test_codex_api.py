"""The Codex Enterprise Analytics API simulator over real HTTP, read by the Codex client: the documented
page shape, both paging styles, the 90-day look-back, OpenAI's error bodies and how the client words them,
the rate limit's Retry-After, late rows, determinism, and the `orgonaut simulate codex` command."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.codex.client import CodexProvider
from orgonaut.ai_tooling.providers.http import RetryPolicy
from tests.support.codex_simulator import (
    CODEX_NOW,
    NO_SCOPE_CODEX_KEY,
    REVOKED_CODEX_KEY,
    VALID_CODEX_KEY,
    WORKSPACE_ID,
    CodexSimulatorServer,
    codex_credentials,
    codex_totals,
    fixed_config,
    usage_path,
)

DAY = dt.date(2025, 3, 4)  # a Tuesday: 32 rows, six without an e-mail
WEEK = (dt.date(2025, 3, 3), dt.date(2025, 3, 9))
ROW_FIELDS = {"object", "start_time", "end_time", "user_id", "actor", "totals", "clients", "models"}
CLIENT_FIELDS = {"client_id", "threads", "turns", "credits", "uncached_text_input_tokens",
                 "cached_text_input_tokens", "text_output_tokens", "text_total_tokens"}


def seconds(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def get(server: CodexSimulatorServer, key: str = VALID_CODEX_KEY, workspace: str = WORKSPACE_ID,
        **params: object) -> httpx.Response:
    return httpx.get(f"{server.base_url}{usage_path(workspace)}", params=params,
                     headers={"authorization": f"Bearer {key}"}, timeout=10)


def provider(server: CodexSimulatorServer, key: str = VALID_CODEX_KEY) -> CodexProvider:
    made = registry.create_provider("codex", credentials=codex_credentials(key), api_base=server.base_url)
    assert isinstance(made, CodexProvider)
    return made


def reported(usages) -> dict[str, dict[str, object]]:
    return {u.source_email: {"sessions_count": u.sessions_count, "lines_added": u.lines_added,
                             "lines_removed": u.lines_removed, "total_input_tokens": u.total_input_tokens,
                             "total_cache_read_tokens": u.total_cache_read_tokens,
                             "total_output_tokens": u.total_output_tokens, "total_cost_cents": u.total_cost_cents}
            for u in usages}


def expected(rows) -> dict[str, dict[str, object]]:
    return {who: {name: total.get(name, 0) for name in ("sessions_count", "lines_added", "lines_removed",
                                                          "total_input_tokens", "total_cache_read_tokens",
                                                          "total_output_tokens", "total_cost_cents")}
            for who, total in codex_totals(rows).items()}


@pytest.fixture(scope="module")
def server():
    with CodexSimulatorServer() as running:
        yield running


@pytest.fixture
def codex(server):
    server.reset()
    yield server
    server.reset()


def test_a_page_has_the_documented_shape_and_rows_with_and_without_email(codex):
    answer = get(codex, start_time=seconds(DAY), end_time=seconds(DAY) + 86_400, group_by="day", limit=1000)
    assert answer.status_code == 200 and answer.headers["x-request-id"].startswith("req_sim_")
    body = json.loads(answer.text, parse_float=Decimal)  # credits as the exact numbers they are
    assert set(body) == {"object", "data", "has_more", "next_page"}
    assert (body["object"], body["has_more"], body["next_page"]) == ("page", False, None)
    rows = body["data"]
    assert len(rows) == 32 and all(set(row) >= ROW_FIELDS for row in rows)
    assert all(set(client) == CLIENT_FIELDS for row in rows for client in row["clients"])
    assert {(row["start_time"], row["end_time"]) for row in rows} == {(seconds(DAY), seconds(DAY) + 86_400)}
    hidden = [row for row in rows if "email" not in row]
    assert len(hidden) == 6 and all("email" not in row["actor"] for row in hidden)
    assert all(row["actor"]["email"] == row["email"] for row in rows if "email" in row)
    for row in rows:  # totals are the clients' sums, and credits are numbers with their exact digits
        assert row["totals"]["credits"] == sum(c["credits"] for c in row["clients"])
        assert row["totals"]["threads"] == sum(c["threads"] for c in row["clients"])
    assert any(len(str(client["credits"]).split(".")[-1]) > 4 for row in rows for client in row["clients"])


def test_the_client_reads_every_page_in_either_paging_style_to_the_same_days():
    days = [WEEK[0] + dt.timedelta(days=n) for n in range(7)]
    by_style = {}
    for style in ("next_page", "next_cursor"):
        with CodexSimulatorServer(fixed_config(page_size=4, cursor_style=style)) as server:
            by_style[style] = provider(server).fetch_days(*WEEK)
            requests = server.requests()
            truths = {day: server.truth(day)["rows"] for day in days}
        token = "page" if style == "next_page" else "cursor"
        assert len(requests) == -(-sum(len(rows) for rows in truths.values()) // 4)  # every page once
        assert all(token in request["query"] for request in requests[1:]) and token not in requests[0]["query"]
        assert all(request["query"]["group_by"] == "day" and "group" not in request["query"] for request in requests)
        for day in days:
            assert reported(by_style[style][day]) == expected(truths[day]), (style, day)
    assert by_style["next_page"] == by_style["next_cursor"]


def test_the_look_back_is_ninety_days_and_an_earlier_start_is_refused_in_words(codex):
    too_early = (CODEX_NOW - dt.timedelta(days=90)).date() - dt.timedelta(days=1)
    answer = get(codex, start_time=seconds(too_early), end_time=seconds(too_early) + 86_400)
    assert answer.status_code == 400
    assert answer.json() == {"error": {
        "message": "start_time is too far in the past: requests can look back up to 90 days.",
        "type": "invalid_request_error", "param": "start_time", "code": "invalid_value"}}
    with pytest.raises(ProviderError) as caught:
        provider(codex).fetch_day(too_early)
    assert type(caught.value) is ProviderError and (caught.value.kind, caught.value.status) == (ErrorKind.bad_request,
                                                                                                400)
    assert str(caught.value) == ("The Codex Enterprise Analytics API rejected the request (HTTP 400): start_time is "
                                 "too far in the past: requests can look back up to 90 days.")
    assert provider(codex).fetch_day(too_early + dt.timedelta(days=2)) is not None  # inside the window: served


@pytest.mark.parametrize(("key", "status", "code", "kind"), [
    (REVOKED_CODEX_KEY, 401, "invalid_api_key", ErrorKind.invalid_key),
    (NO_SCOPE_CODEX_KEY, 403, "insufficient_permissions", ErrorKind.missing_permission),
    ("not-a-key", 401, "invalid_api_key", ErrorKind.invalid_key),
])
def test_refused_keys_get_openais_error_body_and_the_client_says_what_to_do(codex, key, status, code, kind):
    answer = get(codex, key=key, start_time=seconds(DAY))
    assert answer.status_code == status
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["code"] == code
    with pytest.raises(ProviderError) as caught:
        CodexProvider(WORKSPACE_ID, key, Decimal("0.04"), codex.base_url).fetch_day(DAY)
    assert (caught.value.kind, caught.value.status) == (kind, status)
    assert "codex.enterprise.analytics.read" in str(caught.value) and key not in str(caught.value)


def test_another_workspace_is_not_found_and_the_client_names_it(codex):
    with pytest.raises(ProviderError) as caught:
        CodexProvider("ws_other", VALID_CODEX_KEY, Decimal("0.04"), codex.base_url).test_connection()
    assert (caught.value.kind, caught.value.status) == (ErrorKind.bad_request, 404)
    assert str(caught.value) == ("The Codex Enterprise Analytics API rejected the request (HTTP 404): "
                                 "Workspace 'ws_other' not found.")


@pytest.mark.parametrize(("params", "message"), [
    ({}, "Missing required parameter: 'start_time'."),
    ({"start_time": "x"}, "Invalid 'start_time': expected a non-negative integer."),
    ({"start_time": seconds(DAY), "end_time": seconds(DAY)}, "end_time must be after start_time."),
    ({"start_time": seconds(DAY), "group_by": "week"}, "Only group_by=day is simulated (the API also has week)."),
    ({"start_time": seconds(DAY), "limit": 0}, "limit must be between 1 and 1000."),
    ({"start_time": seconds(DAY), "page": "cdx1_bogus"},
     "Invalid page token: pass the previous answer's token with the same window."),
])
def test_bad_requests_are_refused_with_a_message(codex, params, message):
    answer = get(codex, **params)
    assert answer.status_code == 400 and answer.json()["error"]["message"] == message


def test_a_rate_limited_request_gets_retry_after_which_the_client_waits_out():
    now = [0.0]
    config = fixed_config(rate_limit=2, clock=lambda: now[0])
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds  # the simulator's bucket refills as the client waits

    with CodexSimulatorServer(config) as server:
        assert [get(server, start_time=seconds(DAY)).status_code for _ in range(2)] == [200, 200]
        refused = get(server, start_time=seconds(DAY))
        assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        client = CodexProvider(WORKSPACE_ID, VALID_CODEX_KEY, Decimal("0.04"), server.base_url, sleep=sleep)
        usages = client.fetch_day(DAY)
        assert waits == [30.0] and len(usages) == 32
        assert [r["status"] for r in server.requests()][-2:] == [429, 200]
        impatient = CodexProvider(WORKSPACE_ID, VALID_CODEX_KEY, Decimal("0.04"), server.base_url, sleep=sleep,
                                  retry=RetryPolicy(max_retry_after=10))
        with pytest.raises(ProviderRetriableError) as caught:
            impatient.fetch_day(DAY)
        assert (caught.value.kind, caught.value.retry_after) == (ErrorKind.rate_limited, 30)


def test_late_rows_arrive_and_change_for_up_to_five_days_then_stay():
    day = dt.date(2025, 3, 4)
    ended = dt.datetime(2025, 3, 5, tzinfo=dt.UTC)
    clock = [ended]
    with CodexSimulatorServer(fixed_config(now=lambda: clock[0])) as server:
        client = provider(server)
        seen = {}
        for hours in (0.5, 2, 12, 30, 60, 100, 120, 200, 24 * 60):
            clock[0] = ended + dt.timedelta(hours=hours)
            rows = server.truth(day)["rows"]
            seen[hours] = reported(client.fetch_day(day))
            assert seen[hours] == expected(rows), hours  # the client reads what is there now, exactly
    counts = [len(people) for people in seen.values()]
    assert counts[0] == 0 and counts == sorted(counts) and counts[1] < counts[-1] == 32  # rows arrive late
    changed = {who for who, usage in seen[30].items() if usage != seen[24 * 60][who]}
    assert changed  # some rows showed partial numbers first
    assert all(seen[30][who]["total_cost_cents"] < seen[24 * 60][who]["total_cost_cents"] for who in changed)
    assert seen[120] == seen[200] == seen[24 * 60]  # settled five days after the day: no change after


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data():
    truths = []
    for seed in (0, 0, 1):
        with CodexSimulatorServer(fixed_config(seed=seed)) as server:
            truths.append(server.truth(DAY)["rows"])
    assert truths[0] == truths[1] and truths[0] != truths[2]


def test_orgonaut_simulate_codex_serves_the_demo_people(simulate_started):
    base = simulate_started("codex", "--demo", "--cursor-style", "next_cursor", "--page-size", "2")
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7)
    client = CodexProvider("any-workspace", VALID_CODEX_KEY, Decimal("0.04"), base)
    assert client.test_connection() == "Codex workspace any-workspace"
    usages = client.fetch_days(yesterday - dt.timedelta(days=13), yesterday)
    sources = {u.source_email for day in usages.values() for u in day}
    assert sources and all(s.endswith(("@demo.test", "@agency.example")) or s.startswith("codex-user:")
                           for s in sources)
    assert any(s.startswith("codex-user:") for s in sources)  # two demo people's e-mails are hidden


def test_the_earliest_day_a_backfill_may_ask_for_is_served_at_any_time_of_day():
    """90 days back from now: a backfill's earliest day (the declaration's) is whole and inside, even just
    before midnight; the day before it is refused."""
    today = dt.date(2025, 4, 15)
    earliest = registry.earliest_backfill_date("codex", configured=dt.date(2024, 1, 1), today=today)
    assert earliest == dt.date(2025, 1, 16)
    for moment in (dt.time(0, 0, 1), dt.time(23, 59, 59)):
        now = dt.datetime.combine(today, moment, tzinfo=dt.UTC)
        with CodexSimulatorServer(fixed_config(now=lambda now=now: now)) as server:
            assert len(provider(server).fetch_day(earliest)) > 0
            with pytest.raises(ProviderError) as caught:
                provider(server).fetch_day(earliest - dt.timedelta(days=1))
            assert caught.value.status == 400
