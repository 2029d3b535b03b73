"""Cursor's answers, both documented shapes, summed per person and UTC day: exact cents, the older
docs' cost rule where `chargedCents` is missing, service accounts apart, idle seats no usage."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from orgonaut.ai_tooling.providers.cursor import records

D1, D2 = dt.date(2026, 5, 1), dt.date(2026, 5, 2)


def ms(day: dt.date, hour: int = 0, minute: int = 0) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC).timestamp() * 1000)


def usage_page(rows, has_next=False) -> bytes:
    return json.dumps({"data": rows, "period": {"startDate": ms(D1), "endDate": ms(D2, 23, 59)},
                       "pagination": {"page": 1, "pageSize": 1000, "totalUsers": len(rows), "totalPages": 1,
                                      "hasNextPage": has_next, "hasPreviousPage": False}}).encode()


def events_page(events) -> bytes:
    # Written by hand so fractional cents stay JSON numbers with their exact text.
    body = ", ".join(events)
    return (f'{{"totalUsageEventsCount": {len(events)}, "pagination": {{"numPages": 1, "currentPage": 1, '
            f'"pageSize": 1000, "hasNextPage": false, "hasPreviousPage": false}}, "usageEvents": [{body}]}}').encode()


def event(email: str, at: int, *, charged: str | None = None, total: str | None = None, fee: str | None = None,
          model: str = "claude-4-sonnet", timestamp_as_number: bool = False, service: str | None = None) -> str:
    parts = [f'"timestamp": {at}' if timestamp_as_number else f'"timestamp": "{at}"', f'"userEmail": "{email}"',
             f'"model": "{model}"', '"kind": "Usage-based"', '"requestsCosts": 1', '"isChargeable": true']
    if total is not None:
        parts.append('"isTokenBasedCall": true')
        parts.append(f'"tokenUsage": {{"inputTokens": 100, "outputTokens": 20, "cacheWriteTokens": 3, '
                     f'"cacheReadTokens": 40, "totalCents": {total}}}')
    if charged is not None:
        parts.append(f'"chargedCents": {charged}')
    if fee is not None:
        parts.append(f'"cursorTokenFee": {fee}')
    if service is not None:
        parts.append(f'"serviceAccountId": "sa_1", "serviceAccountName": "{service}"')
    return "{" + ", ".join(parts) + "}"


def row(email: str, day: dt.date, *, active=True, added=0, deleted=0, old_shape=False, **more) -> dict:
    base = {"email": email, "date": ms(day), "isActive": active, "totalLinesAdded": added, "totalLinesDeleted": deleted,
            "acceptedLinesAdded": added // 2, "totalTabsAccepted": 3, "agentRequests": 2, "mostUsedModel": "gpt-5",
            "clientVersion": "1.2.3", **more}
    if not old_shape:
        base.update({"userId": 12345, "day": day.isoformat()})
    return base


def test_a_person_day_sums_charged_cents_exactly_and_falls_back_to_total_plus_fee():
    rows = records.parse_usage_page(usage_page([row("Ada@X.test", D1, added=10, deleted=2)])).data
    events = records.parse_events_page(events_page([
        event("ada@x.test", ms(D1, 9), charged="12.345678", total="10"),
        event("ada@x.test", ms(D1, 23, 59), total="1.5", fee="0.25"),  # older docs: totalCents + cursorTokenFee
        event("ada@x.test", ms(D1, 12), model="gpt-5", timestamp_as_number=True),  # no cost at all: 0
    ])).usageEvents
    [usage] = records.per_day(rows, events, [D1])[D1]
    assert usage.source_email == "ada@x.test" and usage.usage_date == D1
    assert usage.total_cost_cents == Decimal("14.095678")
    assert (usage.lines_added, usage.lines_removed) == (10, 2)
    assert (usage.total_input_tokens, usage.total_output_tokens, usage.total_cache_read_tokens,
            usage.total_cache_creation_tokens) == (200, 40, 80, 6)
    assert usage.provider_metrics == records.CursorCounters(
        accepted_lines_added=5, tabs_accepted=3, agent_requests=2, usage_events=3, most_used_model="gpt-5",
        client_version="1.2.3")
    assert [(m["model"], m["estimated_cost"]["amount"]) for m in usage.model_breakdown] == [
        ("claude-4-sonnet", "14.095678"), ("gpt-5", "0")]


def test_days_split_at_utc_midnight_and_the_older_shape_is_read_from_its_date():
    rows = records.parse_usage_page(usage_page([row("ada@x.test", D1, added=1, old_shape=True),
                                                row("ada@x.test", D2, added=2, old_shape=True)])).data
    events = records.parse_events_page(events_page([event("ada@x.test", ms(D2) - 1, charged="1"),
                                                    event("ada@x.test", ms(D2), charged="2")])).usageEvents
    by_day = records.per_day(rows, events, [D1, D2])
    assert [(u.lines_added, u.total_cost_cents) for u in by_day[D1]] == [(1, Decimal(1))]
    assert [(u.lines_added, u.total_cost_cents) for u in by_day[D2]] == [(2, Decimal(2))]


def test_service_accounts_are_kept_apart_and_idle_seats_are_no_usage():
    rows = records.parse_usage_page(usage_page([row("idle@x.test", D1, active=False, totalTabsAccepted=0,
                                                    agentRequests=0),
                                                row("ben@x.test", D1, added=4)])).data
    events = records.parse_events_page(events_page([
        event("agent-runner@x.test", ms(D1, 3), charged="7.5", service="CI agent"),
        event("cy@x.test", ms(D1, 4), charged="0.000001"),  # events but no activity row: still a person-day
    ])).usageEvents
    by_email = {u.source_email: u for u in records.per_day(rows, events, [D1])[D1]}
    assert sorted(by_email) == ["ben@x.test", "cy@x.test", "service-account:CI agent"]
    assert by_email["service-account:CI agent"].total_cost_cents == Decimal("7.5")
    assert by_email["ben@x.test"].total_cost_cents == Decimal(0)
    assert (by_email["cy@x.test"].lines_added, by_email["cy@x.test"].total_cost_cents) == (0, Decimal("0.000001"))


def test_days_outside_the_asked_range_are_ignored_and_every_asked_day_is_present():
    events = records.parse_events_page(events_page([event("ada@x.test", ms(D2, 1), charged="1")])).usageEvents
    by_day = records.per_day([], events, [D1])
    assert list(by_day) == [D1] and by_day[D1] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "Expected `object`, got `array`"),
        (b'{"data": [{"email": "a@x.test", "totalLinesAdded": -1}]}', "Expected `int` >= 0"),
        (b"not json", "the body is not JSON"),
        (b'{"data": [{"date": 1746057600000, "isActive": true}]}', "Object missing required field `email`"),
    ],
)
def test_a_malformed_usage_page_says_what_is_wrong(body, message):
    with pytest.raises(ValueError, match=message):
        records.parse_usage_page(body)


def test_a_negative_cost_or_a_timestamp_that_is_not_milliseconds_is_refused():
    [negative] = records.parse_events_page(events_page([event("a@x.test", ms(D1), charged="-1")])).usageEvents
    with pytest.raises(ValueError, match="out of range"):
        negative.cost_cents()
    [odd] = records.parse_events_page(events_page(['{"timestamp": "yesterday", "userEmail": "a@x.test"}'])).usageEvents
    with pytest.raises(ValueError, match="userEmail"):
        records.parse_events_page(events_page(['{"timestamp": "1"}']))
    with pytest.raises(ValueError, match="not epoch milliseconds"):
        odd.moment()


def test_the_team_is_named_by_its_members_most_common_domain():
    body = json.dumps({"teamMembers": [
        {"id": "user_1", "name": "A", "email": "a@acme.test", "role": "owner", "isRemoved": False},
        {"id": "user_2", "name": "B", "email": "b@acme.test", "role": "member", "isRemoved": True},
        {"id": "user_3", "name": "C", "email": "c@corp.test", "role": "member", "isRemoved": False},
        {"id": "user_4", "name": "D", "email": "d@acme.test", "role": "member", "isRemoved": True},
        {"id": "user_5", "name": "E", "email": "e@corp.test", "role": "member", "isRemoved": False},
    ]}).encode()
    # Removed members do not count: two current members at corp.test, one at acme.test.
    assert records.organisation_name(records.parse_members(body)) == "corp.test"
    assert records.organisation_name(records.parse_members(b'{"teamMembers": []}')) == "Cursor team"


def test_a_record_met_on_two_pages_counts_once_with_a_warning():
    rows = records.parse_usage_page(usage_page([row("ada@x.test", D1, added=1), row("ada@x.test", D1, added=5)])).data
    events = records.parse_events_page(events_page([event("ada@x.test", ms(D1, 9), charged="1.5"),
                                                    event("ada@x.test", ms(D1, 9), charged="1.5"),
                                                    event("ada@x.test", ms(D1, 10), charged="1.5")])).usageEvents
    day = records.per_day(rows, events, [D1])[D1]
    [usage] = day
    assert usage.total_cost_cents == Decimal(3) and usage.lines_added == 5
    assert day.warnings == [
        "2026-05-01: the Cursor Admin API sent two versions of one usage row (the later is kept) for ada@x.test "
        "on two pages.",
        f"2026-05-01: the Cursor Admin API sent one usage event of ada@x.test at {ms(D1, 9)} on two pages; "
        "it was counted once.",
    ]
