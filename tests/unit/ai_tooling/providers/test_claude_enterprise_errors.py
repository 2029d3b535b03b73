"""The `anthropic` SDK's exceptions in our words: each mapped to its `ErrorKind`, retried or not, waited
out as our retry policy says (the SDK's own retries are off), and never with the key in a message."""

from __future__ import annotations

import datetime as dt
import json

import anthropic
import httpx2
import pytest

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_enterprise.client import (
    INVALID_KEY_MESSAGE,
    MISSING_PERMISSION_MESSAGE,
    ClaudeEnterpriseProvider,
    Transient,
)

KEY = "sk-ant-api01-unit-secret-1234567890"
REQUEST = httpx2.Request("GET", "https://api.anthropic.com/v1/organizations/analytics/users")


def status_error(status: int, *, message: str = "nope", headers: dict[str, str] | None = None):
    body = {"type": "error", "error": {"type": "x_error", "message": message}}
    response = httpx2.Response(status, json=body, request=REQUEST, headers={"request-id": "req_42", **(headers or {})})
    return anthropic.Anthropic(api_key=KEY, base_url="https://api.anthropic.com")._make_status_error(
        f"{status} {message}", body=body, response=response)


@pytest.fixture
def provider():
    sleeps: list[float] = []
    made = ClaudeEnterpriseProvider(KEY, "https://api.anthropic.com", sleep=sleeps.append, jitter=lambda: 0.0)
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


@pytest.mark.parametrize(("status", "kind", "message"), [
    (401, ErrorKind.invalid_key, INVALID_KEY_MESSAGE),
    (403, ErrorKind.missing_permission, MISSING_PERMISSION_MESSAGE),
])
def test_refusals_are_final_and_worded_by_us(provider, status, kind, message):
    error = provider.error_for(status_error(status, message=f"bad key {KEY}"), "activity of 2026-11-02, page 1")
    assert type(error) is ProviderError
    assert (error.kind, error.status, error.request_id, str(error)) == (kind, status, "req_42", message)


@pytest.mark.parametrize(("status", "kind"), [(429, ErrorKind.rate_limited), (408, ErrorKind.unavailable),
                                              (500, ErrorKind.unavailable), (503, ErrorKind.unavailable),
                                              (529, ErrorKind.unavailable)])
def test_rate_limits_and_server_errors_are_transient_with_retry_after(provider, status, kind):
    error = provider.error_for(status_error(status, headers={"retry-after": "7"}), "cost of 2026-11-02")
    assert isinstance(error, Transient)
    assert (error.kind, error.status, error.retry_after, str(error)) == (kind, status, 7.0, f"HTTP {status}")


def test_another_4xx_is_a_final_bad_request_with_the_vendors_message_redacted(provider):
    error = provider.error_for(status_error(400, message=f"date is too recent for key {KEY}\n"),
                               "activity of 2026-12-06, page 1")
    assert type(error) is ProviderError and (error.kind, error.status) == (ErrorKind.bad_request, 400)
    assert str(error) == ("The Claude Enterprise Analytics API rejected the request for activity of 2026-12-06, "
                          "page 1 (HTTP 400): date is too recent for key [redacted].")


def test_network_failures_are_transient_and_a_broken_body_is_malformed(provider):
    timeout = provider.error_for(anthropic.APITimeoutError(request=REQUEST), "summaries")
    assert isinstance(timeout, Transient) and (timeout.kind, str(timeout)) == (ErrorKind.unavailable, "timed out")
    connection = anthropic.APIConnectionError(request=REQUEST)
    connection.__cause__ = httpx2.ConnectError("refused")
    failed = provider.error_for(connection, "summaries")
    assert isinstance(failed, Transient) and str(failed) == "connection failed: ConnectError"
    broken = provider.error_for(json.JSONDecodeError("Expecting value", '{"data": [', 9), "cost of 2026-11-02, page 2")
    assert type(broken) is ProviderError and broken.kind is ErrorKind.malformed
    assert "cost of 2026-11-02, page 2" in str(broken)
    deep = provider.error_for(RecursionError("maximum recursion depth exceeded"), "summaries")
    assert deep.kind is ErrorKind.malformed and "nested too deeply" in str(deep)
    assert provider.error_for(KeyError("a bug of ours"), "summaries") is None


def test_a_bug_is_raised_as_it_is_not_dressed_as_a_vendor_failure(provider):
    def broken():
        raise KeyError("a bug of ours")

    with pytest.raises(KeyError):
        provider._call("summaries", broken)


def test_retries_honour_retry_after_then_hand_the_failure_on(provider):
    calls = []

    def always_429():
        calls.append(1)
        raise status_error(429, headers={"retry-after": "2"})

    error = pytest.raises(ProviderRetriableError, provider._call, "activity of 2026-11-02, page 1", always_429).value
    assert len(calls) == 5 and provider.sleeps == [2.0] * 4  # four retries, each after the asked wait
    assert (error.kind, error.status, error.retry_after) == (ErrorKind.rate_limited, 429, 2.0)
    assert str(error) == ("The Claude Enterprise Analytics API is rate limiting requests (HTTP 429, 5 attempts): "
                          "try again later.")


def test_a_long_retry_after_is_handed_on_at_once_and_back_off_without_one(provider):
    error = pytest.raises(ProviderRetriableError, provider._call, "summaries",
                          lambda: (_ for _ in ()).throw(status_error(429, headers={"retry-after": "3600"}))).value
    assert (error.retry_after, provider.sleeps) == (3600.0, [])
    answers = iter([status_error(503), status_error(503), "done"])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert provider._call("summaries", flaky) == "done"
    assert provider.sleeps == [0.25, 0.5]  # half the exponential step (jitter 0)


def test_the_key_is_in_no_repr_and_a_key_that_cannot_be_a_header_is_refused(provider):
    assert KEY not in repr(provider)
    with pytest.raises(ValueError, match="cannot contain"):
        ClaudeEnterpriseProvider("sk-ant-with space")
    with pytest.raises(ValueError, match="http"):
        ClaudeEnterpriseProvider(KEY, "ftp://example.test")


def test_days_not_served_yet_are_empty_days_without_a_request():
    provider = ClaudeEnterpriseProvider(KEY, "http://127.0.0.1:9", today=lambda: dt.date(2026, 12, 7))
    days = provider.fetch_days(dt.date(2026, 12, 5), dt.date(2026, 12, 7))  # port 9: any request would fail
    assert list(days) == [dt.date(2026, 12, 5), dt.date(2026, 12, 6), dt.date(2026, 12, 7)]
    assert all(list(usages) == [] for usages in days.values())
    assert all(usages.warnings == [f"{day}: Claude Enterprise serves a day's activity about three days after it "
                                   "ends and has not served this one yet; a later sync reads it."]
               for day, usages in days.items())
    with pytest.raises(ValueError, match="31 days"):
        provider.fetch_days(dt.date(2026, 10, 1), dt.date(2026, 11, 1))
