"""The Anthropic simulator's organisation cost report and the Claude Code client that reads it, over real
HTTP: daily buckets paged 31 at a time, the Claude Code line equal to the day's usage report summed exactly,
the documented 400s for bad parameters, and a malformed page refused with where it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from orgonaut.ai_tooling.providers.base import ProviderError
from orgonaut.ai_tooling.providers.claude_code.client import ClaudeCodeProvider
from orgonaut.simulator.app import COST_REPORT_PATH
from tests.support.simulator import VALID_KEY, clean_simulator, person_totals, simulator  # noqa: F401

HEADERS = {"x-api-key": VALID_KEY, "anthropic-version": "2023-06-01"}


def test_the_client_reads_every_bucket_and_the_claude_code_line_is_the_usage_report(clean_simulator):  # noqa: F811
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 10)  # 69 days: three pages
    cost = ClaudeCodeProvider(VALID_KEY, clean_simulator.base_url).organisation_cost(start, end)
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    usage = sum((Decimal(str(t["total_cost_cents"])) for day in days
                 for t in person_totals(clean_simulator.truth(day)["data"]).values()), Decimal(0))
    assert cost.tool_cents == usage == dict(cost.lines)["Claude Code"]
    assert cost.total_cents == cost.tool_cents + dict(cost.lines)["Messages API"]
    pages = [r for r in clean_simulator.requests(COST_REPORT_PATH)]
    assert len(pages) == 3 and all(r["query"].get("bucket_width") == "1d" for r in pages)


@pytest.mark.parametrize(("query", "message"), [
    ({}, "starting_at: required"),
    ({"starting_at": "2025-01-01"}, "starting_at: required"),
    ({"starting_at": "2025-01-01T00:00:00Z", "ending_at": "2024-12-01T00:00:00Z"}, "ending_at"),
    ({"starting_at": "2025-01-01T00:00:00Z", "bucket_width": "1h"}, "bucket_width"),
    ({"starting_at": "2025-01-01T00:00:00Z", "limit": "32"}, "limit"),
    ({"starting_at": "2025-01-01T00:00:00Z", "page": "page_2030-01-01T00:00:00Z"}, "page"),
])
def test_bad_parameters_are_400_with_the_documented_envelope(clean_simulator, query, message):  # noqa: F811
    answer = httpx.get(f"{clean_simulator.base_url}{COST_REPORT_PATH}", params=query, headers=HEADERS)
    assert answer.status_code == 400
    body = answer.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert message in body["error"]["message"]


def test_a_malformed_cost_page_is_refused_saying_where(clean_simulator):  # noqa: F811
    clean_simulator.set_fault(mode="malformed", variant="json", path=COST_REPORT_PATH)
    with pytest.raises(ProviderError, match="malformed cost report from 2025-01-01, page 1"):
        ClaudeCodeProvider(VALID_KEY, clean_simulator.base_url, max_retries=0).organisation_cost(
            dt.date(2025, 1, 1), dt.date(2025, 1, 5))
