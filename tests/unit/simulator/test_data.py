"""The simulator's generated usage: deterministic, and with the texture the demo and tests rely on."""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections import Counter, defaultdict
from decimal import Decimal

from orgonaut.simulator.data import (
    DEFAULT_ROSTER,
    DEFAULT_UNKNOWN_EMAILS,
    UsageGenerator,
    synthetic_roster,
)

MONTH = [dt.date(2025, 3, 1) + dt.timedelta(days=n) for n in range(31)]


def rows(generator: UsageGenerator, day: dt.date) -> list[dict]:
    return [json.loads(text, parse_float=Decimal) for text in generator.records(day)]


def who(row: dict) -> str:
    actor = row["actor"]
    return actor.get("email_address") or f"api-key:{actor['api_key_name']}"


def amounts(row: dict) -> list:
    return [model["estimated_cost"]["amount"] for model in row["model_breakdown"]]


def month_rows() -> dict[dt.date, list[dict]]:
    generator = UsageGenerator(seed=0, roster=DEFAULT_ROSTER)
    return {day: rows(generator, day) for day in MONTH}


def test_the_default_roster_is_40_demo_addresses():
    assert len(DEFAULT_ROSTER) == len(set(DEFAULT_ROSTER)) == 40
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+@demo\.test", email) for email in DEFAULT_ROSTER)


def test_a_synthetic_roster_stays_distinct_at_bench_size():
    roster = synthetic_roster(2000)
    assert len(set(roster)) == 2000
    assert roster[:40] == list(DEFAULT_ROSTER)


def test_the_same_seed_gives_the_same_records_and_another_seed_others():
    day = dt.date(2025, 3, 4)
    first = UsageGenerator(seed=3, roster=DEFAULT_ROSTER).records(day)
    assert UsageGenerator(seed=3, roster=DEFAULT_ROSTER).records(day) == first
    assert UsageGenerator(seed=4, roster=DEFAULT_ROSTER).records(day) != first


def test_adding_someone_to_the_roster_changes_nobody_elses_data():
    day = dt.date(2025, 3, 4)
    small = UsageGenerator(seed=0, roster=DEFAULT_ROSTER[:10]).records(day)
    large = UsageGenerator(seed=0, roster=DEFAULT_ROSTER).records(day)
    assert set(small) <= set(large)


def test_weekends_are_much_quieter_than_weekdays():
    per_day = {day: len({who(r) for r in day_rows}) for day, day_rows in month_rows().items()}
    weekdays = [n for day, n in per_day.items() if day.weekday() < 5]
    weekends = [n for day, n in per_day.items() if day.weekday() >= 5]
    assert statistics.mean(weekends) * 3 < statistics.mean(weekdays)
    assert statistics.mean(weekdays) > 25


def test_some_person_days_come_in_two_rows_that_differ_in_terminal_or_customer_type():
    split = 0
    for day_rows in month_rows().values():
        by_person = defaultdict(list)
        for row in day_rows:
            by_person[who(row)].append(row)
        for person_rows in by_person.values():
            assert len(person_rows) <= 2
            if len(person_rows) == 2:
                split += 1
                first, second = person_rows
                assert (first["terminal_type"], first["customer_type"]) != (
                    second["terminal_type"], second["customer_type"])
    assert split >= 20


def test_costs_include_zero_cost_days_and_fractional_cents():
    all_amounts = [a for day_rows in month_rows().values() for row in day_rows for a in amounts(row)]
    assert any(a == 0 for a in all_amounts)
    fractional = [a for a in all_amounts if isinstance(a, Decimal) and a != a.to_integral_value()]
    assert len(fractional) >= 10
    assert all(-a.as_tuple().exponent <= 3 for a in fractional)
    assert all(a >= 0 for a in all_amounts)


def test_the_api_key_actor_and_unknown_emails_have_usage():
    people = Counter(who(row) for day_rows in month_rows().values() for row in day_rows)
    assert people["api-key:ci-pipeline"] >= 20
    for email in DEFAULT_UNKNOWN_EMAILS:
        assert people[email] > 0
    assert any(email != email.lower() for email in DEFAULT_UNKNOWN_EMAILS)  # exercises lower-casing


def test_a_few_heavy_users_stand_out():
    cost = Counter()
    for day_rows in month_rows().values():
        for row in day_rows:
            cost[who(row)] += sum(amounts(row))
    median = statistics.median(cost.values())
    heavy = [person for person, total in cost.items() if total > 3 * median]
    assert 1 <= len(heavy) <= 10


def test_every_day_mode_has_everyone_every_day():
    roster = synthetic_roster(100)
    generator = UsageGenerator(seed=0, roster=roster, unknown_emails=(), api_key_names=(), every_day=True)
    for day in MONTH[:7]:
        assert {who(row) for row in rows(generator, day)} == set(roster)
