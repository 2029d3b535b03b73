"""HTTP edges of the Claude Code client, with respx standing in for the network.

The simulator covers the behaviour end to end (tests/integration/simulator); these pin what only a
mocked transport can pin exactly: the waits between attempts, jitter bounds, redirects, oversized
bodies and transport errors.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_code.client import (
    INVALID_KEY_MESSAGE,
    MAX_RESPONSE_BYTES,
    MISSING_PERMISSION_MESSAGE,
    USAGE_REPORT_PATH,
    ClaudeCodeProvider,
)
from orgonaut.ai_tooling.providers.http import RetryPolicy, parse_retry_after

BASE = "https://anthropic.test"
KEY = "sk-ant-admin01-UNIT-TEST-SECRET-9f8e7d"
DAY = dt.date(2025, 8, 8)
USAGE_URL = f"{BASE}{USAGE_REPORT_PATH}"
RECORD = {
    "date": "2025-08-08T00:00:00Z", "actor": {"type": "user_actor", "email_address": "dev@example.com"},
    "core_metrics": {"num_sessions": 1, "lines_of_code": {"added": 1, "removed": 0}, "commits_by_claude_code": 0,
                     "pull_requests_by_claude_code": 0},
    "tool_actions": {}, "model_breakdown": [],
}
EMPTY_PAGE = {"data": [], "has_more": False, "next_page": None}


class Sleeps(list):
    """A fake `sleep` that remembers how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(sleeps: Sleeps | None = None, **options) -> ClaudeCodeProvider:
    return ClaudeCodeProvider(KEY, BASE, sleep=sleeps if sleeps is not None else Sleeps(), **options)


def assert_key_absent(error: BaseException) -> None:
    text = "".join(traceback.format_exception(error)) + repr(error) + repr(error.args)
    assert KEY not in text


@respx.mock
def test_requests_carry_the_key_version_and_a_descriptive_user_agent():
    route = respx.get(USAGE_URL).respond(json=EMPTY_PAGE)
    assert provider().fetch_day(DAY) == []
    request = route.calls.last.request
    assert request.headers["x-api-key"] == KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["user-agent"].startswith("Orgonaut/")
    assert request.headers["user-agent"].endswith("(+https://orgonaut.co)")
    assert dict(request.url.params) == {"starting_at": "2025-08-08", "limit": "1000"}


@respx.mock
def test_retry_after_is_honoured_exactly():
    route = respx.get(USAGE_URL)
    route.side_effect = [httpx.Response(429, headers={"retry-after": "3"}), httpx.Response(200, json=EMPTY_PAGE)]
    sleeps = Sleeps()
    provider(sleeps).fetch_day(DAY)
    assert sleeps == [3.0]
    assert route.call_count == 2


@respx.mock
def test_backoff_doubles_with_jitter_inside_its_bounds():
    route = respx.get(USAGE_URL)
    route.side_effect = [
        httpx.Response(500), httpx.Response(503), httpx.Response(529), httpx.Response(200, json=EMPTY_PAGE),
    ]
    fractions = iter([0.0, 0.999, 0.5])
    sleeps = Sleeps()
    provider(sleeps, backoff_base=0.5, backoff_cap=8.0, jitter=lambda: next(fractions)).fetch_day(DAY)
    # Steps 0.5, 1, 2: each wait is half the step plus the jitter's share of the other half.
    assert sleeps == pytest.approx([0.25, 0.9995, 1.5])
    assert route.call_count == 4


@given(retry=st.integers(min_value=0, max_value=40), fraction=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_jitter_keeps_every_wait_between_half_a_step_and_a_step(retry, fraction):
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    step = min(8.0, 0.5 * 2**retry)
    assert step / 2 <= policy.backoff(retry, fraction) <= step


@respx.mock
def test_retries_are_bounded_and_then_retriable():
    route = respx.get(USAGE_URL).respond(503)
    sleeps = Sleeps()
    with pytest.raises(ProviderRetriableError) as caught:
        provider(sleeps, max_retries=2).fetch_day(DAY)
    assert caught.value.kind is ErrorKind.unavailable
    assert str(caught.value) == "Could not reach the Anthropic API (HTTP 503, 3 attempts): try again later."
    assert route.call_count == 3
    assert len(sleeps) == 2


@respx.mock
def test_rate_limiting_that_outlasts_the_retries_is_rate_limited():
    route = respx.get(USAGE_URL).respond(429, headers={"retry-after": "1", "request-id": "req_42"})
    with pytest.raises(ProviderRetriableError) as caught:
        provider(max_retries=1).fetch_day(DAY)
    assert caught.value.kind is ErrorKind.rate_limited
    assert caught.value.status == 429
    assert caught.value.request_id == "req_42"
    assert str(caught.value) == (
        "The Anthropic API is rate limiting requests (HTTP 429, 2 attempts): try again later.")
    assert route.call_count == 2


@respx.mock
def test_a_retry_after_beyond_the_cap_ends_the_call_for_a_later_retry():
    route = respx.get(USAGE_URL).respond(429, headers={"retry-after": "3600"})
    sleeps = Sleeps()
    with pytest.raises(ProviderRetriableError) as caught:
        provider(sleeps, max_retry_after=60).fetch_day(DAY)
    assert caught.value.kind is ErrorKind.rate_limited
    assert caught.value.retry_after == 3600
    assert sleeps == []
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (401, ErrorKind.invalid_key, INVALID_KEY_MESSAGE),
        (403, ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE),
        (404, ErrorKind.bad_request, "The Anthropic API rejected the request (HTTP 404, not_found_error): Not found."),
    ],
)
@respx.mock
def test_client_errors_are_not_retried(status, kind, message):
    error_type = {401: "authentication_error", 403: "permission_error", 404: "not_found_error"}[status]
    route = respx.get(USAGE_URL).respond(
        status, json={"type": "error", "error": {"type": error_type, "message": "Not found"}})
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert not isinstance(caught.value, ProviderRetriableError)
    assert caught.value.kind is kind
    assert str(caught.value) == message
    assert route.call_count == 1


@respx.mock
def test_a_vendor_message_that_echoes_the_key_is_redacted():
    respx.get(USAGE_URL).respond(400, json={"type": "error", "error": {
        "type": "invalid_request_error", "message": f"key {KEY} is not allowed\nhere"}})
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.bad_request
    assert str(caught.value) == (
        "The Anthropic API rejected the request (HTTP 400, invalid_request_error): key [redacted] is not allowed here.")
    assert_key_absent(caught.value)


@respx.mock
def test_redirects_are_not_followed():
    elsewhere = respx.get("https://elsewhere.test/steal").respond(json=EMPTY_PAGE)
    respx.get(USAGE_URL).respond(302, headers={"location": "https://elsewhere.test/steal"})
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.unavailable
    assert "redirect (HTTP 302), which is not followed" in str(caught.value)
    assert not elsewhere.called


@respx.mock
def test_a_declared_oversized_response_is_malformed_without_reading_it():
    respx.get(USAGE_URL).respond(200, headers={"content-length": str(MAX_RESPONSE_BYTES + 1)}, content=b"{}")
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.malformed
    assert str(caught.value) == (
        "The Anthropic API sent a malformed Claude Code report for 2025-08-08, page 1: "
        "the response is larger than 16 MiB.")


@respx.mock
def test_an_oversized_streamed_response_stops_at_the_limit():
    chunk = b" " * 1024 * 1024
    served = []

    def endless():
        for _ in range(64):
            served.append(1)
            yield chunk

    respx.get(USAGE_URL).mock(return_value=httpx.Response(200, content=endless()))
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.malformed
    assert "larger than 16 MiB" in str(caught.value)
    assert len(served) <= 17


@pytest.mark.parametrize(
    ("failure", "detail"),
    [(httpx.ConnectError("refused"), "connection failed: ConnectError"), (httpx.ReadTimeout("slow"), "timed out")],
)
@respx.mock
def test_transport_failures_are_retried_then_unavailable(failure, detail):
    route = respx.get(USAGE_URL).mock(side_effect=failure)
    sleeps = Sleeps()
    with pytest.raises(ProviderRetriableError) as caught:
        provider(sleeps, max_retries=2).fetch_day(DAY)
    assert caught.value.kind is ErrorKind.unavailable
    assert str(caught.value) == f"Could not reach the Anthropic API ({detail}, 3 attempts): try again later."
    assert route.call_count == 3
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no httpx text in the chain


@respx.mock
def test_a_transport_failure_then_success_returns_the_day():
    route = respx.get(USAGE_URL)
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={**EMPTY_PAGE, "data": [RECORD]})]
    [row] = provider().fetch_day(DAY)
    assert row.source_email == "dev@example.com"


@respx.mock
def test_pages_are_followed_until_has_more_is_false():
    route = respx.get(USAGE_URL)
    route.side_effect = [
        httpx.Response(200, json={"data": [RECORD], "has_more": True, "next_page": "cursor-2"},
                       headers={"request-id": "req-1"}),
        httpx.Response(200, json={"data": [], "has_more": True, "next_page": "cursor-3"},  # a short page
                       headers={"request-id": "req-2"}),
        httpx.Response(200, json={"data": [RECORD], "has_more": False, "next_page": None},
                       headers={"request-id": "req-3"}),
    ]
    usages = provider().fetch_day(DAY)
    pages = [call.request.url.params.get("page") for call in route.calls]
    assert pages == [None, "cursor-2", "cursor-3"]
    # The same record on pages 1 and 3 is one vendor row met twice (offset cursors on a growing day):
    # counted once, and the run is told, naming both requests.
    [row] = usages
    assert row.sessions_count == 1
    [warning] = usages.warnings
    assert "same record for dev@example.com on page 1 (request req-1) and page 3 (request req-3)" in warning


def _split(terminal: str, sessions: int, **extra) -> dict:
    return {**RECORD, "terminal_type": terminal, **extra,
            "core_metrics": {**RECORD["core_metrics"], "num_sessions": sessions}}


@respx.mock
def test_a_persons_rows_that_differ_in_terminal_or_customer_type_are_summed():
    respx.get(USAGE_URL).side_effect = [
        httpx.Response(200, json={"data": [_split("vscode", 2)], "has_more": True, "next_page": "c2"}),
        httpx.Response(200, json={"data": [_split("iterm", 3), _split("vscode", 5, customer_type="api"),
                                           _split("vscode", 7, subscription_type="team")],
                                  "has_more": False, "next_page": None}),
    ]
    usages = provider().fetch_day(DAY)
    assert [u.sessions_count for u in usages] == [2 + 3 + 5 + 7]
    assert usages.warnings == []


@respx.mock
def test_a_row_that_changed_between_pages_keeps_its_later_version():
    respx.get(USAGE_URL).side_effect = [
        httpx.Response(200, json={"data": [_split("vscode", 2)], "has_more": True, "next_page": "c2"}),
        httpx.Response(200, json={"data": [_split("vscode", 4)], "has_more": False, "next_page": None}),
    ]
    usages = provider().fetch_day(DAY)
    assert [u.sessions_count for u in usages] == [4]
    assert "two versions of one record for dev@example.com" in usages.warnings[0]


@respx.mock
def test_a_cursor_that_repeats_is_malformed_naming_the_page():
    respx.get(USAGE_URL).side_effect = [
        httpx.Response(200, json={"data": [], "has_more": True, "next_page": "again"}),
        httpx.Response(200, json={"data": [], "has_more": True, "next_page": "again"}),
    ]
    with pytest.raises(ProviderError) as caught:
        provider().fetch_day(DAY)
    assert caught.value.kind is ErrorKind.malformed
    assert str(caught.value) == (
        "The Anthropic API sent a malformed Claude Code report for 2025-08-08, page 2: "
        "next_page repeats an earlier cursor.")


@respx.mock
def test_the_organisation_name_and_its_malformed_answer():
    route = respx.get(f"{BASE}/v1/organizations/me")
    route.side_effect = [
        httpx.Response(200, json={"id": "org_1", "type": "organization", "name": " Acme Corp "}),
        httpx.Response(200, json={"id": "org_1", "type": "organization"}),
    ]
    assert provider().test_connection() == "Acme Corp"
    with pytest.raises(ProviderError) as caught:
        provider().test_connection()
    assert caught.value.kind is ErrorKind.malformed
    assert str(caught.value) == (
        "The Anthropic API sent a malformed organisation answer: Object missing required field `name`.")


@pytest.mark.parametrize("bad_key", ["", "sk-ant-admin01 with spaces", "sk-ant-admin01-\nX", "sk-ant-admin01-é"])
def test_a_key_that_cannot_be_a_header_is_refused_without_quoting_it(bad_key):
    with pytest.raises(ValueError) as caught:
        ClaudeCodeProvider(bad_key, BASE)
    assert str(caught.value) == "The API key is empty or holds characters an API key cannot contain."


@pytest.mark.parametrize("base", ["ftp://x.test", "https://user:pw@x.test", "https://x.test/?q=1", "not a url"])
def test_an_api_base_must_be_a_plain_http_url(base):
    with pytest.raises(ValueError, match="http"):
        ClaudeCodeProvider(KEY, base)


def test_the_repr_shows_the_api_base_and_never_the_key():
    client = ClaudeCodeProvider(KEY, "https://api.anthropic.com/")
    assert repr(client) == "ClaudeCodeProvider(api_base='https://api.anthropic.com')"
    assert KEY not in repr(client) and KEY not in str(client)
    assert ClaudeCodeProvider(KEY).api_base == "https://api.anthropic.com"


@respx.mock
def test_retry_log_lines_never_hold_the_key(caplog):
    respx.get(USAGE_URL).respond(500)
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderRetriableError) as caught:
        provider(max_retries=2).fetch_day(DAY)
    assert "retry 1 of 2" in caplog.text
    assert KEY not in caplog.text
    assert_key_absent(caught.value)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0.5", 0.5), (" 10 ", 10.0), ("-4", 0.0), ("soon", None), (None, None), ("nan", None), ("", None),
     ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0)],
)
def test_retry_after_headers_in_seconds_or_as_a_date(header, seconds):
    now = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.UTC)
    assert parse_retry_after(header, now=now) == seconds
