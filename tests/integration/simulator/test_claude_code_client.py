"""The Claude Code client against the simulator over real HTTP: paging, exact sums, retries, errors."""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from collections import defaultdict
from decimal import Decimal

import httpx
import pytest

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_code.client import (
    INVALID_KEY_MESSAGE,
    MISSING_PERMISSION_MESSAGE,
    ClaudeCodeProvider,
)
from orgonaut.simulator.app import ORGANIZATION_PATH, USAGE_REPORT_PATH
from tests.support.processes import free_port
from tests.support.simulator import NO_PERMISSION_KEY, REVOKED_KEY, VALID_KEY

WEEK = [dt.date(2025, 3, 3) + dt.timedelta(days=n) for n in range(7)]  # Monday to Sunday, long over
DAY = WEEK[1]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(sim, key: str = VALID_KEY, **options) -> ClaudeCodeProvider:
    options.setdefault("sleep", Sleeps())
    return ClaudeCodeProvider(key, sim.base_url, **options)


def raw_rows(base_url: str, day: dt.date) -> list[dict]:
    """The day's vendor rows straight from the simulator, parsed with exact decimals."""
    response = httpx.get(f"{base_url}{USAGE_REPORT_PATH}", params={"starting_at": day.isoformat(), "limit": 1000},
                         headers={"x-api-key": VALID_KEY, "anthropic-version": "2023-06-01"}, timeout=10)
    page = json.loads(response.text, parse_float=Decimal)
    assert page["has_more"] is False
    return page["data"]


def error_of(call) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def assert_no_key(error: BaseException, *keys: str) -> None:
    text = "".join(traceback.format_exception(error)) + repr(error) + repr(error.args)
    for key in keys or (VALID_KEY,):
        assert key not in text


def test_test_connection_returns_the_organisation_name(clean_simulator):
    assert provider(clean_simulator).test_connection() == "Orgonaut Demo (simulated)"
    [seen] = clean_simulator.requests(ORGANIZATION_PATH)
    assert seen["auth"] == "valid"
    assert seen["anthropic_version"] == "2023-06-01"
    assert seen["user_agent"].startswith("Orgonaut/")


def test_small_pages_are_followed_to_the_same_day(clean_simulator):
    whole = provider(clean_simulator).fetch_day(DAY)
    clean_simulator.reset()
    paged = provider(clean_simulator, page_limit=5).fetch_day(DAY)
    assert paged == whole
    requests = clean_simulator.requests()
    rows = len(raw_rows(clean_simulator.base_url, DAY))
    assert len(requests) == -(-rows // 5)
    assert all(r["query"]["limit"] == "5" and r["query"]["starting_at"] == DAY.isoformat() for r in requests)
    assert "page" not in requests[0]["query"] and all("page" in r["query"] for r in requests[1:])


def test_multi_row_person_days_are_summed_exactly(clean_simulator):
    client = provider(clean_simulator, page_limit=7)
    split_people = fractional_days = 0
    for day in WEEK:
        expected: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
        rows_per_person: dict[str, int] = defaultdict(int)
        for row in raw_rows(clean_simulator.base_url, day):
            actor = row["actor"]
            who = (actor["email_address"].strip().lower() if actor["type"] == "user_actor"
                   else f"api-key:{actor['api_key_name']}")
            rows_per_person[who] += 1
            total = expected[who]
            total["sessions_count"] += row["core_metrics"]["num_sessions"]
            total["lines_added"] += row["core_metrics"]["lines_of_code"]["added"]
            total["commits_count"] += row["core_metrics"]["commits_by_claude_code"]
            for model in row["model_breakdown"]:
                total["total_input_tokens"] += model["tokens"]["input"]
                total["total_cache_creation_tokens"] += model["tokens"]["cache_creation"]
                total["total_cost_cents"] += model["estimated_cost"]["amount"]
        records = {r.source_email: r for r in client.fetch_day(day)}
        assert set(records) == set(expected)
        for who, total in expected.items():
            record = records[who]
            assert record.usage_date == day
            for field, value in total.items():
                assert getattr(record, field) == value, (day, who, field)
            assert isinstance(record.total_cost_cents, Decimal)
        split_people += sum(1 for n in rows_per_person.values() if n > 1)
        fractional_days += sum(1 for r in records.values() if r.total_cost_cents != r.total_cost_cents.to_integral())
    assert split_people > 0 and fractional_days > 0  # the week really exercised both


def test_the_api_key_actor_is_a_record_of_its_own(clean_simulator):
    records = provider(clean_simulator).fetch_day(DAY)
    [key_record] = [r for r in records if r.is_api_key]
    assert key_record.source_email == "api-key:ci-pipeline"
    assert key_record.sessions_count > 0
    assert "freelance.dev@contractors.example" in {r.source_email for r in records}  # lower-cased


def test_rate_limiting_with_retry_after_is_survived(clean_simulator):
    clean_simulator.set_fault(status=429, retry_after=1, count=2)
    sleeps = Sleeps()
    records = provider(clean_simulator, sleep=sleeps).fetch_day(DAY)
    assert len(records) > 20
    assert sleeps == [1.0, 1.0]
    assert [r["status"] for r in clean_simulator.requests()] == [429, 429, 200]


@pytest.mark.parametrize("status", [500, 529])
def test_server_errors_are_retried_then_succeed(clean_simulator, status):
    clean_simulator.set_fault(status=status, count=2)
    sleeps = Sleeps()
    records = provider(clean_simulator, sleep=sleeps, jitter=lambda: 0.5).fetch_day(DAY)
    assert len(records) > 20
    assert sleeps == [0.375, 0.75]
    assert [r["status"] for r in clean_simulator.requests()] == [status, status, 200]


def test_server_errors_that_last_become_a_retriable_unavailable_error(clean_simulator):
    clean_simulator.set_fault(status=529)
    error = error_of(lambda: provider(clean_simulator, max_retries=2).fetch_day(DAY))
    assert isinstance(error, ProviderRetriableError)
    assert error.kind is ErrorKind.unavailable
    assert str(error) == "Could not reach the Anthropic API (HTTP 529, 3 attempts): try again later."
    assert error.request_id and error.request_id.startswith("req_sim_")
    assert len(clean_simulator.requests()) == 3


@pytest.mark.parametrize(
    ("key", "kind", "message"),
    [
        (REVOKED_KEY, ErrorKind.invalid_key, INVALID_KEY_MESSAGE),
        (NO_PERMISSION_KEY, ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE),
    ],
)
def test_401_and_403_are_not_retried_and_use_the_spec_wording(clean_simulator, key, kind, message):
    client = provider(clean_simulator, key=key)
    for call in (client.test_connection, lambda: client.fetch_day(DAY)):
        clean_simulator.reset()
        error = error_of(call)
        assert type(error) is ProviderError
        assert error.kind is kind
        assert str(error) == message
        assert len(clean_simulator.requests(None)) == 1
        assert_no_key(error, key)


def test_spec_wording_of_the_common_issues():
    assert INVALID_KEY_MESSAGE == (
        "Invalid or revoked Admin API key: generate a new key in the Anthropic Console "
        "(Settings → Admin API keys).")
    assert MISSING_PERMISSION_MESSAGE == (
        "The key lacks organisation-level permissions: check the key's scopes in the Anthropic Console.")


def test_malformed_json_on_a_later_page_fails_the_day_naming_the_page(clean_simulator):
    clean_simulator.set_fault(mode="malformed", variant="json", after=1, count=1)
    error = error_of(lambda: provider(clean_simulator, page_limit=10).fetch_day(DAY))
    assert type(error) is ProviderError
    assert error.kind is ErrorKind.malformed
    assert str(error).startswith(
        "The Anthropic API sent a malformed Claude Code report for 2025-03-04, page 2: the body is not valid JSON")
    assert len(clean_simulator.requests()) == 2  # not retried


@pytest.mark.parametrize(
    ("variant", "problem"),
    [
        ("record", "page 1: record 1: Object missing required field `core_metrics`."),
        ("currency", "page 1: record 1: model_breakdown[0].estimated_cost.currency: 'EUR' is not USD."),
        ("shape", "page 1: data: Expected `array`, got `object`."),
    ],
)
def test_a_malformed_page_names_the_page_and_the_problem(clean_simulator, variant, problem):
    clean_simulator.set_fault(mode="malformed", variant=variant, count=1)
    error = error_of(lambda: provider(clean_simulator).fetch_day(DAY))
    assert error.kind is ErrorKind.malformed
    assert str(error) == f"The Anthropic API sent a malformed Claude Code report for 2025-03-04, {problem}"


def test_a_malformed_organisation_answer(clean_simulator):
    clean_simulator.set_fault(mode="malformed", variant="shape", count=1)
    error = error_of(lambda: provider(clean_simulator).test_connection())
    assert error.kind is ErrorKind.malformed
    assert str(error).startswith("The Anthropic API sent a malformed organisation answer: ")


def test_a_slow_answer_times_out_and_ends_unavailable(clean_simulator):
    clean_simulator.set_fault(mode="slow", delay=2)
    error = error_of(lambda: provider(clean_simulator, timeout=0.3, max_retries=1).fetch_day(DAY))
    assert isinstance(error, ProviderRetriableError)
    assert error.kind is ErrorKind.unavailable
    assert str(error) == "Could not reach the Anthropic API (timed out, 2 attempts): try again later."
    assert len(clean_simulator.requests()) == 2


def test_nothing_listening_is_unavailable():
    client = ClaudeCodeProvider(VALID_KEY, f"http://127.0.0.1:{free_port()}", max_retries=1, sleep=Sleeps())
    error = error_of(client.test_connection)
    assert isinstance(error, ProviderRetriableError)
    assert error.kind is ErrorKind.unavailable
    assert str(error) == (
        "Could not reach the Anthropic API (connection failed: ConnectError, 2 attempts): try again later.")


def test_the_key_is_in_no_error_repr_or_log_line(clean_simulator, caplog):
    """Every failure path once, with a recognisable key: none of them shows it."""
    key = "sk-ant-admin01-LEAK-CANARY-5e3c1f"
    client = provider(clean_simulator, key=key, max_retries=1, timeout=0.3)
    faults = [
        {"status": 429, "retry_after": 0}, {"status": 500}, {"status": 529}, {"status": 401}, {"status": 403},
        {"status": 400}, {"status": 404}, {"mode": "malformed", "variant": "json"},
        {"mode": "malformed", "variant": "record"}, {"mode": "slow", "delay": 1},
    ]
    errors = []
    with caplog.at_level(logging.DEBUG):
        for fault in faults:
            clean_simulator.set_fault(**fault)
            errors.append(error_of(lambda: client.fetch_day(DAY)))
            errors.append(error_of(client.test_connection))
        clean_simulator.clear_faults()
        assert client.fetch_day(DAY)
    assert len({e.kind for e in errors}) == 6  # every kind of failure was produced
    for error in errors:
        assert_no_key(error, key)
    assert key not in caplog.text
    assert key not in repr(client) and key not in str(client)
    assert key not in json.dumps(clean_simulator.requests(None))
