"""F5: bursts of 5xx/529, a connection reset mid-body and a dripping body across a backfill on the worker.

The faults are one queue on the simulator's usage report path, placed on chosen days with `after`
(a fault counts requests only while it is first in the queue, so each `after` counts from the
previous fault's day). Bursts up to four are absorbed by the client's own retries
(five attempts); the six-burst outlasts them, so the chunk fails transiently and the Celery task
retries with a countdown, from the checkpoint. The run must end exact, each day asked for exactly
once plus its burst, and a dripping body is bounded by the client's per-request deadline.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from orgonaut.ai_tooling.providers.base import ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_code.client import REQUEST_DEADLINE_SECONDS, ClaudeCodeProvider
from tests.failover.test_sync_faults import USAGE, assert_exact, backfill, days, placed  # noqa: F401
from tests.integration.ai_tooling.conftest import connect
from tests.integration.ai_tooling.test_jobs import wait_finished
from tests.support.simulator import VALID_KEY

pytestmark = pytest.mark.timeout(150)

# day index -> (fault, requests that fail): 500/502/503/529 bursts, a reset mid-body, a slow drip.
PLAN: dict[int, tuple[dict, int]] = {
    0: ({"mode": "status", "status": 500, "count": 2}, 2),  # the client's own back-off (< 1.5 s)
    2: ({"mode": "status", "status": 502, "count": 3, "retry_after": 0.05}, 3),
    3: ({"mode": "status", "status": 529, "count": 1}, 1),
    5: ({"mode": "status", "status": 503, "count": 4, "retry_after": 0.05}, 4),  # the client's last attempt
    7: ({"mode": "reset", "after_bytes": 200, "count": 1}, 1),
    8: ({"mode": "drip", "bytes_per_second": 20_000, "count": 1}, 0),  # about 1.5 s of a weekday's body
    10: ({"mode": "status", "status": 529, "count": 6, "retry_after": 0.05}, 6),  # outlasts the client
    15: ({"mode": "status", "status": 503, "count": 1}, 1),  # the second chunk's last day
}


def fault_queue(plan: dict[int, tuple[dict, int]]) -> list[dict]:
    """A fault sees requests once the one before it is spent: from the successful retry of that
    one's day (or the next day's first request, when its fault failed nothing)."""
    queue, seen_from = [], 0
    for day in sorted(plan):
        fault, failures = plan[day]
        queue.append({**fault, "path": USAGE, "after": day - seen_from})
        seen_from = day if failures else day + 1
    return queue


def test_5xx_bursts_a_reset_and_a_drip_across_a_backfill_on_the_worker_end_exact(
    session, placed, clean_simulator, celery_worker_process  # noqa: F811
):
    integration = connect(session, placed, clean_simulator.base_url)
    window = days(16)
    clean_simulator.set_faults(fault_queue(PLAN))

    log = backfill(session, integration, window[0], window[-1])
    final = wait_finished(log.id, timeout=120)

    asked = Counter(r["query"]["starting_at"] for r in clean_simulator.requests())
    assert clean_simulator.faults() == []  # every fault was met
    for n, day in enumerate(window):
        assert asked[day.isoformat()] == 1 + PLAN.get(n, ({}, 0))[1], (day, asked)
    retried = [e for e in (final.diagnostics or {}).get("errors", []) if e["date"] == window[10].isoformat()]
    assert [e["status"] for e in retried] == [529]  # the six-burst went through the task's retry
    assert_exact(log.id, placed.id, clean_simulator.base_url, window)


def test_a_dripping_body_ends_at_the_clients_request_deadline(clean_simulator):
    """The worker's provider has a 120 s deadline per request (httpx's 30 s is per read, which a drip
    never trips); the same provider class with a 1 s deadline shows the bound in a second."""
    assert REQUEST_DEADLINE_SECONDS == 120.0
    day = dt.date(2025, 1, 11)  # a Saturday: about 2.5 kB, 5 s at 500 B/s (the leftover drips end soon)
    clean_simulator.set_fault(mode="drip", bytes_per_second=500, path=USAGE, count=2)
    provider = ClaudeCodeProvider(VALID_KEY, api_base=clean_simulator.base_url, request_deadline=1.0,
                                  max_retries=1, backoff_base=0.0)
    began = time.monotonic()
    with pytest.raises(ProviderRetriableError, match="timed out"):
        provider.fetch_day(day)
    elapsed = time.monotonic() - began
    assert 2.0 <= elapsed < 4.0  # two attempts of about one second each, not 2 x 5 s
    assert len(clean_simulator.requests()) == 2
