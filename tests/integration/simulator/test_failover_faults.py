"""What the real Claude Code client sees under the failover fault modes, over real HTTP.

These tests pin today's client behaviour: where it survives a fault they assert the exact result,
and where it is fooled (dup, grow) they assert the exact wrong value it returns, against the
simulator's truth for the day.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from decimal import Decimal

import pytest

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.claude_code.client import ClaudeCodeProvider
from orgonaut.simulator.faults import Fault
from tests.support.simulator import VALID_KEY

DAY = dt.date(2025, 3, 4)
STORM = [429, 429, 200, 429, 200, 429, 200, 429, 429, 200, 200, 429, 429, 429, 200, 429, 429, 429, 200]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(sim, **options) -> ClaudeCodeProvider:
    options.setdefault("sleep", Sleeps())
    return ClaudeCodeProvider(VALID_KEY, sim.base_url, **options)


def who(record: dict) -> str:
    actor = record["actor"]
    return actor["email_address"].lower() if actor["type"] == "user_actor" else f"api-key:{actor['api_key_name']}"


def sums(rows: list[dict]) -> dict[str, tuple[int, Decimal]]:
    """Per person: (sessions, cost in cents), summed over the rows as the client should."""
    total: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in rows:
        entry = total[who(row)]
        entry[0] += row["core_metrics"]["num_sessions"]
        entry[1] += sum((Decimal(m["estimated_cost"]["amount"]) for m in row["model_breakdown"]), Decimal(0))
    return {email: (sessions, cost) for email, (sessions, cost) in total.items()}


def seen(records) -> dict[str, tuple[int, Decimal]]:
    return {r.source_email: (r.sessions_count, r.total_cost_cents) for r in records}


def error_of(call) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


def test_the_client_matches_the_truth_without_faults(clean_simulator):
    truth = clean_simulator.truth(DAY)
    assert seen(provider(clean_simulator, page_limit=5).fetch_day(DAY)) == sums(truth["data"])


# -- rate: a 429 storm ----------------------------------------------------------------------------

def test_a_429_storm_at_rate_0_7_is_ridden_out_with_retry_after(clean_simulator):
    """Seed 24 never gives 5 picks in a row over this run, so the default 4 retries suffice."""
    clean_simulator.set_fault(status=429, rate=0.7, seed=24, retry_after=0.2)
    sleeps = Sleeps()
    records = provider(clean_simulator, page_limit=5, sleep=sleeps).fetch_day(DAY)
    assert seen(records) == sums(clean_simulator.truth(DAY)["data"])
    statuses = [r["status"] for r in clean_simulator.requests()]
    model = Fault(mode="status", status=429, rate=0.7, seed=24)
    assert statuses == [429 if model.picks() else 200 for _ in statuses]  # seed 24's draws, exactly
    assert statuses == STORM
    assert statuses.count(200) == 7  # the day's 7 pages, each fetched once
    assert sleeps == [0.2] * statuses.count(429)


def test_a_429_storm_outlasting_the_retries_fails_the_day_as_rate_limited(clean_simulator):
    clean_simulator.set_fault(status=429, rate=0.7, seed=3, retry_after=0.2)
    error = error_of(lambda: provider(clean_simulator, page_limit=10, max_retries=1).fetch_day(DAY))
    assert isinstance(error, ProviderRetriableError)
    assert error.kind is ErrorKind.rate_limited
    assert str(error) == "The Anthropic API is rate limiting requests (HTTP 429, 2 attempts): try again later."
    assert [r["status"] for r in clean_simulator.requests()] == [200, 429, 429]


# -- reset ----------------------------------------------------------------------------------------

def test_a_connection_reset_mid_body_is_retried(clean_simulator):
    clean_simulator.set_fault(mode="reset", after_bytes=500, count=1)
    sleeps = Sleeps()
    records = provider(clean_simulator, sleep=sleeps, jitter=lambda: 0.5).fetch_day(DAY)
    assert seen(records) == sums(clean_simulator.truth(DAY)["data"])
    assert sleeps == [0.375]  # one back-off: the client saw a transport error, not a bad page
    assert [r["fault"] for r in clean_simulator.requests()] == ["reset:500", None]


def test_resets_that_last_become_a_retriable_unavailable_error(clean_simulator):
    clean_simulator.set_fault(mode="reset", after_bytes=500)
    error = error_of(lambda: provider(clean_simulator, max_retries=2).fetch_day(DAY))
    assert isinstance(error, ProviderRetriableError)
    assert error.kind is ErrorKind.unavailable
    assert str(error) == (
        "Could not reach the Anthropic API (connection failed: RemoteProtocolError, 3 attempts): try again later.")
    assert len(clean_simulator.requests()) == 3


# -- drip -----------------------------------------------------------------------------------------

def test_a_dripped_page_is_waited_for_far_past_the_read_timeout(clean_simulator):
    """Each chunk comes within the 0.3 s timeout, so the client never times out: it waits as long
    as the drip takes (today it has no deadline for a whole response)."""
    clean_simulator.set_fault(mode="drip", bytes_per_second=2500, chunk_bytes=250, count=1)
    sleeps = Sleeps()
    started = time.monotonic()
    records = provider(clean_simulator, page_limit=2, timeout=0.3, sleep=sleeps).fetch_day(DAY)
    elapsed = time.monotonic() - started
    assert seen(records) == sums(clean_simulator.truth(DAY)["data"])
    assert elapsed > 0.5  # the first page alone (about 1.5 kB at 2.5 kB/s)
    assert sleeps == []  # no timeout, no retry
    assert clean_simulator.requests()[0]["fault"] == "drip:2500"


# -- endless --------------------------------------------------------------------------------------

def test_endless_cursors_fail_the_day_at_the_page_cap_naming_it(clean_simulator):
    clean_simulator.set_fault(mode="endless")
    error = error_of(lambda: provider(clean_simulator).fetch_day(DAY))
    assert type(error) is ProviderError
    assert error.kind is ErrorKind.malformed
    assert str(error) == ("The Anthropic API sent a malformed Claude Code report for 2025-03-04, page 1000: "
                          "the report runs past 1000 pages for one day.")
    requests = clean_simulator.requests()
    assert len(requests) == 1000
    assert len({r["query"]["page"] for r in requests[1:]}) == 999  # every cursor fresh


# -- dup ------------------------------------------------------------------------------------------

def test_a_record_repeated_across_pages_is_counted_once_and_reported(clean_simulator):
    day = clean_simulator.truth(DAY)["data"]
    clean_simulator.set_fault(mode="dup", count=1)
    usages = provider(clean_simulator, page_limit=5).fetch_day(DAY)
    assert seen(usages) == sums(day)  # page 1's last record, served again at the head of page 2, counted once
    [warning] = usages.warnings
    assert f"the same record for {who(day[4])} on page 1" in warning and "and page 2" in warning


# -- grow -----------------------------------------------------------------------------------------

def test_a_day_growing_between_pages_is_read_with_its_repeat_counted_once_and_the_new_one_missed(clean_simulator):
    before = clean_simulator.truth(DAY)["data"]
    clean_simulator.set_fault(mode="grow", count=1)
    result = seen(provider(clean_simulator, page_limit=5).fetch_day(DAY))
    after = clean_simulator.truth(DAY)
    grown = after["data"]
    assert after["grown"] == [4] and len(grown) == len(before) + 1
    new, repeated = grown[4], grown[5]
    assert repeated == before[4]
    # What the client read: page 1 = before[0:5], page 2 onwards = grown[5:] (offset 5 of the grown day);
    # grown[5] is before[4] again, an exact repeat the client counts once. The new record slipped in
    # before the cursor is missed by this read (offset paging cannot see it); the next one finds it.
    assert result == sums(before[:5] + grown[6:])
    person = who(new)
    assert who(repeated) == person
    sessions, cost = sums(grown)[person]
    assert result[person][0] == sessions - new["core_metrics"]["num_sessions"]
    assert result[person] != sums(grown)[person]
    # A second fetch, with the growth over, reads the grown day exactly.
    assert seen(provider(clean_simulator, page_limit=5).fetch_day(DAY)) == sums(grown)


# -- revise ---------------------------------------------------------------------------------------

def test_revisions_change_what_a_later_fetch_returns(clean_simulator):
    first = seen(provider(clean_simulator).fetch_day(DAY))
    day = clean_simulator.truth(DAY)["data"]
    singles = sorted(p for p in first if not p.startswith("api-key:") and sum(who(r) == p for r in day) == 1)
    dropped, changed, moved = singles[:3]
    assert clean_simulator.revise(date=DAY, action="drop", email=dropped)["records"] == 1
    clean_simulator.revise(date=DAY, action="change", email=changed, factor=3)
    clean_simulator.revise(date=DAY, action="move", email=moved, to_email="Someone.New@Acme.test")
    assert [r["id"] for r in clean_simulator.revisions()] == [1, 2, 3]

    second = seen(provider(clean_simulator, page_limit=7).fetch_day(DAY))
    assert second == sums(clean_simulator.truth(DAY)["data"])
    assert dropped not in second and moved not in second
    assert second["someone.new@acme.test"] == first[moved]
    [changed_row] = [r for r in day if who(r) == changed]
    assert second[changed][0] == 3 * changed_row["core_metrics"]["num_sessions"]
    assert second[changed][1] == sum(
        (Decimal(m["estimated_cost"]["amount"]) * 3).quantize(Decimal("0.001")) for m in changed_row["model_breakdown"])
    untouched = set(first) - {dropped, changed, moved}
    assert {p: second[p] for p in untouched} == {p: first[p] for p in untouched}
