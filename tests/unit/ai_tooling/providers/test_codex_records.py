"""Decoding the Codex Enterprise Analytics API's usage pages: who a row is for (e-mail or user id), exact
credits and cost, both paging styles, repeated rows, and what is refused."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from orgonaut.ai_tooling.providers.base import SourceHint, vendor_id_of
from orgonaut.ai_tooling.providers.codex.records import CodexCounters, parse_usage_page, per_day
from orgonaut.ai_tooling.providers.money import credits_to_cents

DAY = dt.date(2026, 11, 2)
START = int(dt.datetime(2026, 11, 2, tzinfo=dt.UTC).timestamp())
PRICE = Decimal("0.04")


def row(user_id: str | None = "user-abc", email: str | None = None, *, credits: str = "1.5", actor: bool = False,
        clients: list[dict[str, Any]] | None = None, start: int = START, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "analytics.codex.usage", "start_time": start, "end_time": start + 86_400,
                            "totals": {"threads": 2, "turns": 9, "credits": f"@{credits}@"},
                            "clients": clients if clients is not None else [
                                {"client_id": "cli", "threads": 2, "turns": 9, "credits": f"@{credits}@",
                                 "uncached_text_input_tokens": 1000, "cached_text_input_tokens": 4000,
                                 "text_output_tokens": 300, "text_total_tokens": 5300}],
                            **extra}
    if actor:
        body["actor"] = {"type": "user", "user_id": user_id, **({"email": email} if email else {})}
    else:
        if user_id is not None:
            body["user_id"] = user_id
        if email is not None:
            body["email"] = email
    return body


def page(*rows: dict[str, Any], has_more: bool = False, **token: str) -> bytes:
    """The page as JSON text with every credit amount written as a bare number (`"@1.5@"` -> `1.5`)."""
    text = json.dumps({"object": "page", "data": list(rows), "has_more": has_more, **token})
    return text.replace('"@', "").replace('@"', "").encode()


def day_of(*rows: dict[str, Any]):
    return per_day(parse_usage_page(page(*rows)).data, [DAY], PRICE)[DAY]


def test_a_row_with_an_email_is_that_persons_and_the_email_is_normalised():
    [usage] = day_of(row("user-1", "  Ada.Lovelace@Demo.TEST "))
    assert usage.source_email == "ada.lovelace@demo.test"
    assert (usage.sessions_count, usage.total_input_tokens, usage.total_cache_read_tokens,
            usage.total_output_tokens) == (2, 1000, 4000, 300)
    assert usage.total_cost_cents == Decimal("6.00")  # 1.5 credits × $0.04 = 6 cents


def test_a_row_without_an_email_is_its_codex_user_id_with_the_id_as_its_name():
    usages = day_of(row("user-hidden"))
    [usage] = usages
    assert usage.source_email == "codex-user:user-hidden"
    assert vendor_id_of(usage.source_email) == ("codex_user_id", "user-hidden")
    assert usages.hints == {"codex-user:user-hidden": SourceHint(display_name="user-hidden")}


def test_the_actor_object_names_the_user_and_its_email_too():
    both = day_of(row("user-a", "a@corp.example", actor=True), row("user-b", actor=True))
    assert [usage.source_email for usage in both] == ["a@corp.example", "codex-user:user-b"]
    assert set(both.hints) == {"codex-user:user-b"}  # an e-mail source needs no hint


def test_an_email_another_row_gave_the_same_user_id_is_a_hint():
    other_day = START - 86_400  # not asked for, still read for what it says of the user
    usages = per_day(parse_usage_page(page(row("user-x", "x@corp.example", start=other_day), row("user-x"))).data,
                     [DAY], PRICE)[DAY]
    assert [usage.source_email for usage in usages] == ["codex-user:user-x"]
    assert usages.hints["codex-user:user-x"] == SourceHint(display_name="user-x",
                                                           identities=(("email", "x@corp.example"),))


def test_credits_are_exact_decimals_and_cost_is_exact_cents():
    tenth, fifth = row("user-1", "a@x.test", credits="0.1"), row("user-2", "a@x.test", credits="0.2")
    [usage] = day_of(tenth, fifth)  # the same person: two different rows add up
    assert 0.1 + 0.2 != 0.3
    assert usage.total_cost_cents == Decimal("1.2")  # 0.3 credits × $0.04 × 100, not 1.2000000000000002
    assert usage.provider_metrics.credits == Decimal("0.3")
    many = day_of(row("user-1", credits="12345678.123456789012345678"))
    assert many[0].provider_metrics.credits == Decimal("12345678.123456789012345678")
    # 49382712.493827156... cents: to a millionth of a cent, what the database keeps (both databases alike)
    assert str(many[0].total_cost_cents) == "49382712.493827"
    assert str(credits_to_cents(Decimal("77.1470125"), Decimal("0.04"))) == "308.588050"
    assert str(credits_to_cents(Decimal("0.0000125"), Decimal("0.035"))) == "0.000044"  # 0.00004375
    assert str(credits_to_cents(Decimal("0.000000125"), PRICE)) == "0.000000"  # 0.0000005: half to even
    assert str(credits_to_cents(Decimal("0.000000375"), PRICE)) == "0.000002"  # 0.0000015: half to even
    with pytest.raises(TypeError):
        credits_to_cents(1.5, PRICE)  # type: ignore[arg-type]


def test_counters_keep_threads_turns_and_credits_per_client_and_store_losslessly():
    clients = [{"client_id": "cli", "threads": 1, "turns": 4, "credits": "@0.333333@"},
               {"client_id": "ide", "threads": 2, "turns": 5, "credits": "@1.000001@"}]
    [usage] = day_of(row("user-1", "a@x.test", credits="1.333334", clients=clients,
                         models=[{"model": "gpt-5.5", "credits": "@1@", "speed": "fast"},
                                 {"model": "gpt-5.4", "credits": "@0.333334@"}],
                         code_attribution={"lines_added": 40, "lines_removed": 7}))
    counters = usage.provider_metrics
    assert isinstance(counters, CodexCounters)
    assert (counters.threads, counters.turns, counters.credits) == (2, 9, Decimal("1.333334"))
    assert {name: (c.threads, c.turns, c.credits) for name, c in counters.clients.items()} == {
        "cli": (1, 4, Decimal("0.333333")), "ide": (2, 5, Decimal("1.000001"))}
    assert (usage.lines_added, usage.lines_removed) == (40, 7)
    assert usage.model_breakdown == [
        {"model": "gpt-5.4", "credits": "0.333334", "estimated_cost": {"currency": "USD", "amount": "1.333336"}},
        {"model": "gpt-5.5 (fast)", "credits": "1", "estimated_cost": {"currency": "USD", "amount": "4.000000"}},
    ]
    stored = json.loads(json.dumps(msgspec.to_builtins(counters)))  # as the record's JSON column holds it
    assert stored["credits"] == "1.333334"
    assert msgspec.convert(stored, CodexCounters) == counters


def test_missing_parts_are_not_reported_as_anything_else():
    [usage] = day_of(row("user-1", clients=[]))  # no clients, models or code attribution
    assert (usage.lines_added, usage.total_input_tokens, usage.model_breakdown) == (0, 0, [])
    assert usage.total_cost_cents == Decimal("6.00")  # the totals' credits still cost


def test_a_row_met_twice_is_counted_once_with_a_warning():
    usages = day_of(row("user-1", "a@x.test"), row("user-1", "a@x.test"))
    assert [usage.sessions_count for usage in usages] == [2]
    assert usages.warnings == [f"{DAY}: the Codex Enterprise Analytics API sent the same usage row of a@x.test on "
                               "two pages; it was counted once."]


def test_rows_of_days_not_asked_for_are_dropped_and_asked_days_without_rows_are_empty():
    other = dt.date(2026, 11, 3)
    by_day = per_day(parse_usage_page(page(row(start=START + 86_400))).data, [DAY, other], PRICE)
    assert list(by_day[DAY]) == [] and [u.usage_date for u in by_day[other]] == [other]
    assert per_day(parse_usage_page(page(row(start=START + 86_400))).data, [DAY], PRICE)[DAY] == []


@pytest.mark.parametrize(("token", "expected"), [
    ({"next_page": "p2"}, ("page", "p2")),
    ({"next_cursor": "c2"}, ("cursor", "c2")),
    ({"next_page": "p2", "next_cursor": "c2"}, ("page", "p2")),  # the documented one first
])
def test_both_paging_styles_name_the_next_page(token, expected):
    assert parse_usage_page(page(row(), has_more=True, **token)).next_token() == expected
    assert parse_usage_page(page(row(), has_more=False, **token)).next_token() is None


def test_has_more_without_a_token_is_malformed():
    with pytest.raises(ValueError, match="has_more is true but the page names no next_page"):
        parse_usage_page(page(row(), has_more=True)).next_token()


@pytest.mark.parametrize(("body", "problem"), [
    (b'{"object": "page", "data": [', "not JSON"),
    (b'{"object": "page", "data": {"x": 1}}', "Expected `array`"),
    (page({**row(), "totals": None}), "Expected `object`"),
    (page({k: v for k, v in row().items() if k != "totals"}), "missing required field `totals`"),
    (page(row(credits="-1")), None),
    (page(row(credits="1e999")), None),
    (page(row(user_id=None)), "names neither an e-mail nor a user_id"),
    (page({**row(), "clients": [{"client_id": "cli", "threads": -1}]}), "Expected `int` >= 0"),
])
def test_a_malformed_page_is_refused_with_what_is_wrong(body, problem):
    with pytest.raises(ValueError) as caught:
        per_day(parse_usage_page(body).data, [DAY], PRICE)
    if problem is not None:
        assert problem in str(caught.value)
