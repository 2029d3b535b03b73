"""Validation of the Claude Code report and its normalisation into one record per person-day."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgonaut.ai_tooling.providers.claude_code.records import normalise, parse_page, parse_record_date

DAY = dt.date(2025, 8, 8)
_ENCODE = msgspec.json.Encoder(decimal_format="number").encode  # Decimals as bare JSON numbers


def record(email: str | None = "dev@example.com", *, key_name: str | None = None, date: str = "2025-08-08T00:00:00Z",
           sessions: int = 1, added: int = 10, removed: int = 2, commits: int = 1, prs: int = 0,
           tools: dict[str, tuple[int, int]] | None = None,
           models: list[tuple[str, tuple[int, int, int, int], Any]] | None = None,
           terminal: str = "vscode", customer: str = "subscription") -> dict[str, Any]:
    actor = ({"type": "api_actor", "api_key_name": key_name} if key_name is not None
             else {"type": "user_actor", "email_address": email})
    tools = {"edit_tool": (3, 1)} if tools is None else tools
    models = [("claude-sonnet-4-20250514", (100, 50, 10, 5), 186)] if models is None else models
    return {
        "date": date,
        "actor": actor,
        "organization_id": "0b1d2c3e-0000-4000-8000-000000000000",
        "customer_type": customer,
        "terminal_type": terminal,
        "core_metrics": {"num_sessions": sessions, "lines_of_code": {"added": added, "removed": removed},
                         "commits_by_claude_code": commits, "pull_requests_by_claude_code": prs},
        "tool_actions": {name: {"accepted": a, "rejected": r} for name, (a, r) in tools.items()},
        "model_breakdown": [
            {"model": name, "tokens": {"input": t[0], "output": t[1], "cache_read": t[2], "cache_creation": t[3]},
             "estimated_cost": {"currency": "USD", "amount": amount}}
            for name, t, amount in models
        ],
    }


def page_body(records: list[dict[str, Any]], *, has_more: bool = False, next_page: str | None = None) -> bytes:
    return _ENCODE({"data": records, "has_more": has_more, "next_page": next_page})


def usage(records: list[dict[str, Any]]):
    return normalise(parse_page(page_body(records), day=DAY).data, day=DAY)


def problem(body: bytes) -> str:
    with pytest.raises(ValueError) as caught:
        parse_page(body, day=DAY)
    return str(caught.value)


def test_a_single_row_becomes_one_record_with_every_field():
    [row] = usage([record(sessions=15, added=342, removed=128, commits=8, prs=2,
                          tools={"edit_tool": (25, 3), "write_tool": (4, 0)},
                          models=[("claude-sonnet-4-20250514", (45230, 12450, 8790, 2340), 186)])])
    assert row.source_email == "dev@example.com"
    assert row.usage_date == DAY
    assert (row.sessions_count, row.lines_added, row.lines_removed, row.commits_count, row.pull_requests_count) == (
        15, 342, 128, 8, 2)
    assert (row.total_input_tokens, row.total_output_tokens, row.total_cache_read_tokens,
            row.total_cache_creation_tokens) == (45230, 12450, 8790, 2340)
    assert row.total_cost_cents == Decimal(186)
    assert row.tool_actions == {
        "edit_tool": {"accepted": 25, "rejected": 3}, "write_tool": {"accepted": 4, "rejected": 0},
    }
    assert row.model_breakdown == [{
        "model": "claude-sonnet-4-20250514",
        "tokens": {"input": 45230, "output": 12450, "cache_read": 8790, "cache_creation": 2340},
        "estimated_cost": {"currency": "USD", "amount": "186"},
    }]
    assert not row.is_api_key


def test_rows_of_one_person_day_are_summed_and_merged():
    rows = usage([
        record("  Dev@Example.COM ", sessions=3, added=100, removed=10, commits=2, prs=1,
               tools={"edit_tool": (10, 1), "write_tool": (2, 0)},
               models=[("claude-sonnet-4-20250514", (1000, 200, 300, 40), Decimal("12.345")),
                       ("claude-opus-4-1-20250805", (10, 20, 30, 40), 50)]),
        record("dev@example.com", sessions=2, added=5, removed=1, commits=0, prs=0, terminal="jetbrains",
               customer="api", tools={"edit_tool": (4, 2), "multi_edit_tool": (1, 1)},
               models=[("claude-sonnet-4-20250514", (1, 2, 3, 4), Decimal("0.655"))]),
        record("other@example.com"),
    ])
    assert [r.source_email for r in rows] == ["dev@example.com", "other@example.com"]
    dev = rows[0]
    assert (dev.sessions_count, dev.lines_added, dev.lines_removed, dev.commits_count, dev.pull_requests_count) == (
        5, 105, 11, 2, 1)
    assert dev.total_input_tokens == 1011
    assert dev.total_output_tokens == 222
    assert dev.total_cache_read_tokens == 333
    assert dev.total_cache_creation_tokens == 84
    assert dev.total_cost_cents == Decimal("63.000")
    assert dev.tool_actions == {
        "edit_tool": {"accepted": 14, "rejected": 3},
        "multi_edit_tool": {"accepted": 1, "rejected": 1},
        "write_tool": {"accepted": 2, "rejected": 0},
    }
    assert dev.model_breakdown == [
        {"model": "claude-opus-4-1-20250805",
         "tokens": {"input": 10, "output": 20, "cache_read": 30, "cache_creation": 40},
         "estimated_cost": {"currency": "USD", "amount": "50"}},
        {"model": "claude-sonnet-4-20250514",
         "tokens": {"input": 1001, "output": 202, "cache_read": 303, "cache_creation": 44},
         "estimated_cost": {"currency": "USD", "amount": "13.000"}},
    ]
    # JSON-safe: the merged values survive a JSON round trip unchanged, with no float in them.
    assert msgspec.json.decode(msgspec.json.encode(dev.model_breakdown)) == dev.model_breakdown


def test_api_key_actors_are_kept_under_their_key_name():
    rows = usage([record(key_name=" ci-pipeline "), record(key_name="ci-pipeline", sessions=4), record("a@b.co")])
    key_row = next(r for r in rows if r.is_api_key)
    assert key_row.source_email == "api-key:ci-pipeline"
    assert key_row.sessions_count == 5
    assert len(rows) == 2


def test_a_day_without_usage_is_an_empty_list():
    assert usage([]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-08", DAY),
        ("2025-08-08T00:00:00Z", DAY),
        ("2025-08-08T00:00:00.000Z", DAY),
        ("2025-08-08t00:00:00z", DAY),
        ("2025-08-08T02:00:00+02:00", DAY),  # the UTC day
        ("2025-08-07T23:30:00-01:00", DAY),
    ],
)
def test_record_dates_are_read_in_both_documented_forms(text, expected):
    assert parse_record_date(text) == expected
    assert usage([record(date=text)])[0].usage_date == expected


@pytest.mark.parametrize("text", ["08/08/2025", "2025-08-08T00:00:00", "20250808", "2025-13-01", ""])
def test_other_date_forms_are_malformed(text):
    assert problem(page_body([record(date=text)])).startswith("record 1: date:")


def test_a_record_for_another_day_is_malformed():
    assert problem(page_body([record(), record(date="2025-08-09")])) == (
        "record 2: date: 2025-08-09 is not the requested day")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["core_metrics"].pop("num_sessions"),
         "record 1: core_metrics: Object missing required field `num_sessions`"),
        (lambda r: r["core_metrics"].update(num_sessions="3"), "record 1: core_metrics.num_sessions: Expected `int`"),
        (lambda r: r["core_metrics"].update(num_sessions=3.5), "record 1: core_metrics.num_sessions: Expected `int`"),
        (lambda r: r["core_metrics"].update(num_sessions=True), "record 1: core_metrics.num_sessions: Expected `int`"),
        (lambda r: r["core_metrics"].update(num_sessions=-1),
         "record 1: core_metrics.num_sessions: Expected `int` >= 0"),
        (lambda r: r["core_metrics"]["lines_of_code"].update(added=10**16),
         "record 1: core_metrics.lines_of_code.added: Expected `int` <= 1000000000000000"),
        (lambda r: r.pop("model_breakdown"), "record 1: Object missing required field `model_breakdown`"),
        (lambda r: r.update(tool_actions=[]), "record 1: tool_actions: Expected `object`, got `array`"),
        (lambda r: r["actor"].update(type="robot_actor"), "record 1: actor.type: Invalid value 'robot_actor'"),
        (lambda r: r["actor"].pop("email_address"), "record 1: actor: Object missing required field `email_address`"),
        (lambda r: r["actor"].update(email_address="not an email"),
         "record 1: actor.email_address: not an e-mail address"),
        (lambda r: r["model_breakdown"][0]["estimated_cost"].update(currency="EUR"),
         "record 1: model_breakdown[0].estimated_cost.currency: 'EUR' is not USD"),
        (lambda r: r["model_breakdown"][0]["estimated_cost"].update(amount=-1),
         "record 1: model_breakdown[0].estimated_cost.amount: must be at least 0"),
        (lambda r: r["model_breakdown"][0]["estimated_cost"].update(amount=Decimal("1E+12")),
         "record 1: model_breakdown[0].estimated_cost.amount: must be a finite number of cents"),
        (lambda r: r["model_breakdown"][0]["estimated_cost"].update(amount=Decimal("1E-13")),
         "record 1: model_breakdown[0].estimated_cost.amount: has more than 12 decimal places"),
        (lambda r: r["model_breakdown"][0]["estimated_cost"].update(amount=None),
         "record 1: model_breakdown[0].estimated_cost.amount: Expected `int | decimal`, got `null`"),
        (lambda r: r["model_breakdown"][0]["tokens"].pop("cache_read"),
         "record 1: model_breakdown[0].tokens: Object missing required field `cache_read`"),
        (lambda r: r["model_breakdown"].extend([r["model_breakdown"][0]] * 100),
         "record 1: model_breakdown: Expected `array` of length <= 100"),
    ],
)
def test_a_record_with_a_missing_field_or_a_wrong_type_is_malformed(mutate, expected):
    bad = record()
    mutate(bad)
    assert problem(page_body([bad])).startswith(expected)


def test_the_problem_names_the_record_it_was_found_in():
    bad = record()
    bad["core_metrics"]["commits_by_claude_code"] = "many"
    message = problem(page_body([record(), record(), bad]))
    assert message.startswith("record 3: core_metrics.commits_by_claude_code:")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"data": [', "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b'{"data": [], "has_more": NaN}', "the body is not valid JSON"),
        (b'{"data": {}, "has_more": false}', "data: Expected `array`, got `object`"),
        (b'{"has_more": false}', "Object missing required field `data`"),
        (b'{"data": [], "has_more": "no"}', "has_more: Expected `bool`, got `str`"),
        (b'{"data": [], "has_more": true, "next_page": null}', "has_more is true but next_page is missing"),
        (b"[1, 2]", "Expected `object`, got `array`"),
    ],
)
def test_a_page_of_the_wrong_shape_is_malformed(body, expected):
    assert problem(body).startswith(expected)


def test_a_page_with_more_records_than_the_api_allows_is_malformed():
    assert problem(page_body([record()] * 1001)).startswith("data: Expected `array` of length <= 1000")


def test_unknown_extra_fields_are_ignored():
    extra = record()
    extra["subscription_type"] = "enterprise"
    extra["core_metrics"]["new_metric"] = {"nested": [1, 2, 3]}
    assert usage([extra]) == usage([record()])


def test_a_decimal_string_amount_is_read_exactly():
    as_string = copy.deepcopy(record())
    as_string["model_breakdown"][0]["estimated_cost"]["amount"] = "12.5"
    assert usage([as_string])[0].total_cost_cents == Decimal("12.5")


@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False),
                min_size=1, max_size=8))
def test_fractional_amounts_from_json_numbers_sum_exactly(amounts):
    """JSON text -> page -> record: the total equals the exact rational sum of the amounts' text."""
    rows = [record(models=[("claude-sonnet-4-20250514", (1, 1, 1, 1), amount)], terminal=f"t{i}")
            for i, amount in enumerate(amounts)]
    body = page_body(rows)
    [day] = usage(rows)
    assert isinstance(day.total_cost_cents, Decimal)
    assert Fraction(day.total_cost_cents) == sum((Fraction(a) for a in amounts), Fraction(0))
    assert Fraction(Decimal(day.model_breakdown[0]["estimated_cost"]["amount"])) == Fraction(day.total_cost_cents)
    assert b"." in body or all(a == a.to_integral_value() for a in amounts)


_model_usage = st.tuples(
    st.sampled_from(["claude-sonnet-4-20250514", "claude-opus-4-1-20250805", "claude-3-5-haiku-20241022"]),
    st.tuples(*[st.integers(0, 10**9)] * 4),
    st.one_of(st.integers(0, 10**9), st.decimals(0, 10**9, places=6, allow_nan=False, allow_infinity=False)),
)


@given(st.lists(_model_usage, max_size=4), st.dictionaries(st.sampled_from(["write_tool", "edit_tool", "a"]),
                                                           st.tuples(st.integers(0, 99), st.integers(0, 99))))
def test_a_person_with_one_row_gets_what_merging_that_row_gives(models, tools):
    """The one-row path (no merging) and the merging path agree, repeated models and all."""
    from orgonaut.ai_tooling.providers.claude_code.records import _person_day

    [single] = parse_page(page_body([record(models=models, tools=tools)]), day=DAY).data
    [fast] = usage([record(models=models, tools=tools)])
    merged = _person_day("dev@example.com", [single], DAY)
    assert fast == merged
    assert str(fast.total_cost_cents) == str(merged.total_cost_cents)  # the same exponent too
