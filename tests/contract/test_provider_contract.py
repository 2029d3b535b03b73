"""The provider contract: what every available provider does against its own vendor's simulator.

Each test runs once per available provider in the registry (the `info` and `harness` fixtures), with
the provider built as the product builds it (`registry.create_provider`) and the simulator, over real
HTTP, as the vendor. What is provider-specific (credentials, wording, how to break the vendor, the
day's truth) comes from the provider's harness (harnesses.py).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from orgonaut.ai_tooling.providers import registry
from orgonaut.ai_tooling.providers.base import (
    AiToolingProvider,
    DailyUsage,
    ErrorKind,
    ProviderError,
    ProviderRetriableError,
    ReportsOrganisationCost,
)
from orgonaut.ai_tooling.providers.declaration import BillPeriod, Metric, ProviderInfo
from tests.contract.harnesses import AVAILABLE, HARNESSES, ContractHarness, CredentialsKind


def connect(info: ProviderInfo, harness: ContractHarness, kind: CredentialsKind = "valid") -> AiToolingProvider:
    return registry.create_provider(info.key, credentials=harness.credentials(kind), api_base=harness.base_url)


def reported(info: ProviderInfo, usages: list[DailyUsage]) -> dict[str, dict[str, Any]]:
    """source_email -> every declared metric, as the provider reported the day."""
    assert len({usage.source_email for usage in usages}) == len(usages), "one record per person"
    return {usage.source_email: {metric.value: getattr(usage, metric.value) for metric in info.metrics}
            for usage in usages}


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def error_of(call: Callable[[], Any]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        call()
    return caught.value


# -- the suite covers every available provider ------------------------------------------------------

def test_every_available_provider_has_a_harness():
    assert AVAILABLE, "no provider is available: the contract suite would run nothing"
    # Every available provider runs the contract, and no harness outlives its provider's availability.
    assert {info.key for info in AVAILABLE} == set(HARNESSES), "see tests/contract/harnesses.py"


# -- test connection ------------------------------------------------------------------------------

def test_test_connection_names_the_organisation(info, harness):
    assert connect(info, harness).test_connection() == harness.organisation_name
    assert harness.statuses() == [200]


@pytest.mark.parametrize(("kind", "error_kind", "status", "wording"), [
    pytest.param("revoked", ErrorKind.invalid_key, 401, "invalid_key_message", id="401"),
    pytest.param("no_permission", ErrorKind.missing_permission, 403, "missing_permission_message", id="403"),
])
def test_refused_credentials_fail_at_once_in_the_providers_words(info, harness, kind, error_kind, status, wording):
    provider = connect(info, harness, kind)
    credentials = harness.credentials(kind)
    secrets = [credentials[field.name] for field in info.credentials if field.secret]
    for call in (provider.test_connection, lambda: provider.fetch_day(harness.days[0])):
        before = len(harness.statuses())
        error = error_of(call)
        assert type(error) is ProviderError  # final: retrying cannot help
        assert (error.kind, error.status) == (error_kind, status)
        assert str(error) == getattr(harness, wording)
        assert harness.statuses()[before:] == [status]  # not retried
        assert not any(secret in str(error) or secret in repr(error) for secret in secrets)
    if status == 401:  # the wording names the credential to replace, as the connect wizard labels it
        assert any(field.label.lower() in str(error).lower() for field in info.credentials if field.secret)


# -- paging and exact values ----------------------------------------------------------------------

def test_a_day_is_paged_to_the_end_through_short_pages(info, harness):
    day = harness.days[0]
    truth = harness.truth(day)
    usages = connect(info, harness).fetch_day(day)
    assert reported(info, usages) == truth.people
    assert {usage.usage_date for usage in usages} == {day}
    assert truth.pages >= 3
    assert harness.statuses() == [200] * truth.pages  # every page once, and no page past the end
    assert usages.warnings == []


def test_every_metric_and_cost_sum_is_exact_for_every_person(info, harness):
    provider = connect(info, harness)
    split = fractional = 0
    for day in harness.days:
        truth = harness.truth(day)
        usages = provider.fetch_day(day)
        declared = {metric.value for metric in info.metrics}
        assert all(set(person) == declared for person in truth.people.values())  # what the vendor reports
        assert reported(info, usages) == truth.people, day
        if Metric.cost in info.metrics:
            assert all(type(usage.total_cost_cents) is Decimal for usage in usages)
            assert sum(usage.total_cost_cents for usage in usages) == sum(
                person[Metric.cost.value] for person in truth.people.values())
            fractional += sum(1 for usage in usages if usage.total_cost_cents != int(usage.total_cost_cents))
        split += sum(1 for rows in truth.rows.values() if rows > 1)
    assert split > 0  # some person-day was summed from several vendor records
    assert fractional > 0 or Metric.cost not in info.metrics  # and some cost had fractions of a cent


def test_a_refetch_gives_the_same_day(info, harness):
    day = harness.days[0]
    provider = connect(info, harness)
    first = provider.fetch_day(day)
    again = provider.fetch_day(day)
    anew = connect(info, harness).fetch_day(day)
    assert first == again == anew  # every field, breakdowns included
    assert first.warnings == again.warnings == anew.warnings == []
    assert reported(info, again) == harness.truth(day).people


def test_a_range_of_days_in_one_call_equals_each_day_fetched_alone(info, harness):
    """What the sync engine calls: up to the declared days per call (one for a day-per-call API)."""
    days = list(harness.days)[: max(2, min(len(harness.days), info.fetch_days_per_call))]
    provider = connect(info, harness)
    by_day = provider.fetch_days(days[0], days[-1])
    assert sorted(by_day) == days
    for day in days:
        assert reported(info, by_day[day]) == harness.truth(day).people, day
        assert by_day[day] == provider.fetch_day(day)


# -- rate limits and server errors ----------------------------------------------------------------

# The shared RetryPolicy waits at least 0.25 s before a first retry and 0.5 s before a second; a fetch
# without waits takes about 0.1 s here. A `retry-after` longer than its own back-off must be honoured.
@pytest.mark.parametrize(("status", "retry_after", "count", "waited"), [
    pytest.param(429, 1, 1, 1.0, id="429-with-retry-after"),
    pytest.param(429, None, 2, 0.5, id="429-without-retry-after"),
    pytest.param(500, None, 1, 0.25, id="500"),
    pytest.param(503, None, 2, 0.5, id="503"),
])
def test_a_rate_limit_or_server_error_is_waited_out_then_the_day_completes(info, harness, status, retry_after,
                                                                           count, waited):
    day = harness.days[0]
    harness.fail(status, retry_after=retry_after, count=count, after=1)
    usages, elapsed = timed(lambda: connect(info, harness).fetch_day(day))
    truth = harness.truth(day)
    assert reported(info, usages) == truth.people  # the page asked for again is counted once
    assert harness.statuses() == [200] + [status] * count + [200] * (truth.pages - 1)
    assert elapsed >= waited  # it waited (as long as the vendor asked) rather than asking again at once


@pytest.mark.timeout(30)  # a provider that sleeps the hour fails here, not at the suite's 300 s
def test_a_long_retry_after_is_handed_on_rather_than_slept(info, harness):
    harness.fail(429, retry_after=3600, count=None)
    error, elapsed = timed(lambda: error_of(lambda: connect(info, harness).fetch_day(harness.days[0])))
    assert isinstance(error, ProviderRetriableError)
    assert (error.kind, error.status, error.retry_after) == (ErrorKind.rate_limited, 429, 3600)
    assert elapsed < 5


@pytest.mark.parametrize(("status", "kind"), [(429, ErrorKind.rate_limited), (503, ErrorKind.unavailable)])
def test_a_failure_that_outlasts_the_retries_is_handed_on_as_retriable(info, harness, status, kind):
    harness.fail(status, retry_after=0, count=None)  # retry-after 0: the retries take no time
    error = error_of(lambda: connect(info, harness).fetch_day(harness.days[0]))
    assert isinstance(error, ProviderRetriableError)  # the sync engine tries the day again later
    assert (error.kind, error.status) == (kind, status)
    statuses = harness.statuses()
    assert len(statuses) > 1 and set(statuses) == {status}  # retried first


# -- a malformed page -----------------------------------------------------------------------------

@pytest.mark.parametrize("page_number", [1, 3])
def test_a_malformed_page_fails_the_day_by_name(info, harness, page_number):
    day = harness.days[0]
    harness.malform_page(page_number)
    error = error_of(lambda: connect(info, harness).fetch_day(day))
    assert type(error) is ProviderError  # final: the same page would come back the same
    assert error.kind is ErrorKind.malformed
    assert day.isoformat() in str(error)
    assert harness.statuses() == [200] * page_number  # it stopped at that page and did not ask for it again


# -- a repeated record, a growing day, a revised day ----------------------------------------------

def test_a_record_met_twice_is_counted_once_with_a_warning(info, harness):
    day = harness.days[0]
    clean = connect(info, harness).fetch_day(day)
    person = harness.repeat_record(day)
    usages = connect(info, harness).fetch_day(day)
    assert usages == clean  # not doubled: every field as without the repeat
    assert reported(info, usages) == harness.truth(day).people
    [warning] = usages.warnings
    assert person in warning and day.isoformat() in warning


def test_a_day_growing_while_read_doubles_nothing_and_a_refetch_reads_it_whole(info, harness):
    day = harness.days[0]
    before = harness.truth(day).people
    person = harness.grow_day(day)
    usages = connect(info, harness).fetch_day(day)
    after = harness.truth(day).people
    assert after[person] != before[person] and set(after) == set(before)  # the day did grow, for `person`
    seen = reported(info, usages)
    assert seen[person] in (before[person], after[person])  # the new record read or not, the repeat once
    assert {who: seen[who] for who in after if who != person} == {who: after[who] for who in after if who != person}
    assert any(person in warning for warning in usages.warnings)
    refetched = connect(info, harness).fetch_day(day)
    assert reported(info, refetched) == after
    assert refetched.warnings == []


def test_a_revised_day_fetched_again_equals_the_revised_truth(info, harness):
    day = harness.days[0]
    provider = connect(info, harness)
    first = reported(info, provider.fetch_day(day))
    changed = harness.revise(day)
    revised = harness.truth(day).people
    second = reported(info, provider.fetch_day(day))
    assert second == revised
    assert all(second.get(who) != first.get(who) for who in changed)  # each revision shows
    untouched = set(first) - changed
    assert untouched and {who: second[who] for who in untouched} == {who: first[who] for who in untouched}


# -- the organisation's bill ----------------------------------------------------------------------

BILLED = [info for info in AVAILABLE if info.reports_organisation_cost]  # the rest read no bill (Codex)


@pytest.mark.parametrize("info", BILLED, ids=[info.key for info in BILLED], indirect=True)
def test_the_bills_part_for_the_tool_is_the_per_person_records_of_the_days_it_covers(info, harness):
    """What invoice reconciliation stands on: over the days the vendor's bill covers (the days asked, or
    its current billing cycle), its tool part is what the provider reports per person, but for the sources
    the bill says it leaves out."""
    provider = connect(info, harness)
    assert isinstance(provider, ReportsOrganisationCost)
    bill = provider.organisation_cost(harness.days[0], harness.days[-1])
    if info.bill_period is BillPeriod.any_days:
        assert (bill.start, bill.end) == (harness.days[0], harness.days[-1])
    days = [bill.start + dt.timedelta(days=n) for n in range((bill.end - bill.start).days + 1)]
    usages = [usage for first in range(0, len(days), info.fetch_days_per_call)
              for chunk in [days[first:first + info.fetch_days_per_call]]
              for found in provider.fetch_days(chunk[0], chunk[-1]).values() for usage in found]
    counted = [usage for usage in usages if not usage.source_email.startswith(bill.leaves_out)]
    ours = sum((usage.total_cost_cents for usage in counted), Decimal(0))
    assert ours > 0
    assert abs(bill.tool_cents - ours) <= harness.bill_rounding * len({usage.source_email for usage in counted})
    assert bill.total_cents == sum((amount for _, amount in bill.lines), Decimal(0)) >= bill.tool_cents
