"""Building the upsert rows: one per person-day per target scope, matched per scope, API keys never."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from orgonaut.ai_tooling.ingest import COLUMNS, LIVE, ScopeMatcher, TargetScope, build_rows
from orgonaut.ai_tooling.models import LIVE_SCOPE_KEY
from orgonaut.ai_tooling.providers.base import DailyUsage, ProviderError
from orgonaut.integrations.models import Integration

DAY = dt.date(2025, 3, 3)


def usage(email: str, cost: str = "1.5") -> DailyUsage:
    return DailyUsage(source_email=email, usage_date=DAY, sessions_count=2, total_cost_cents=Decimal(cost),
                      tool_actions={"edit_tool": {"accepted": 1, "rejected": 0}},
                      model_breakdown=[{"model": "m", "tokens": {"input": 1}}])


def test_rows_per_scope_with_that_scopes_actors():
    integration = Integration(id=7, tenant_id=3, category="ai_tooling", provider="claude_code")
    matchers = [
        ScopeMatcher(LIVE, {"ada@x.test": 11}),
        ScopeMatcher(TargetScope(42, "Plan B"), {"ada@x.test": 21, "ben@x.test": 22}),
    ]
    usages = [usage("ada@x.test"), usage("ben@x.test", "0.000001"), usage("api-key:ci")]

    rows, result = build_rows(integration=integration, matchers=matchers, usages=usages, day=DAY)

    as_dicts = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    assert [(r["scope_key"], r["scenario_id"], r["source_email"], r["actor_id"]) for r in as_dicts] == [
        (LIVE_SCOPE_KEY, None, "ada@x.test", 11), (LIVE_SCOPE_KEY, None, "ben@x.test", None),
        (LIVE_SCOPE_KEY, None, "api-key:ci", None),
        (42, 42, "ada@x.test", 21), (42, 42, "ben@x.test", 22), (42, 42, "api-key:ci", None),
    ]
    assert all((r["tenant_id"], r["integration_id"], r["provider"]) == (3, 7, "claude_code") for r in as_dicts)
    assert as_dicts[1]["total_cost_cents"] == Decimal("0.000001")
    # Counted per fetched record: ben has a person in the scenario but none in Live, so he is unmatched.
    assert (result.fetched, result.upserted, result.matched, result.unmatched) == (3, 6, 1, 2)
    assert result.actor_ids == {None: {11}, 42: {21, 22}}


def test_an_api_key_record_matches_only_the_actor_its_identity_maps():
    # The scope's owners hold an API key only through an `api_key` identity (a robot's or an agent's).
    integration = Integration(id=1, tenant_id=1, category="ai_tooling", provider="claude_code")
    rows, result = build_rows(integration=integration, matchers=[ScopeMatcher(LIVE, {"api-key:ci": 5})],
                              usages=[usage("api-key:ci"), usage("api-key:other")], day=DAY)
    assert [dict(zip(COLUMNS, row, strict=True))["actor_id"] for row in rows] == [5, None]
    assert (result.matched, result.unmatched) == (1, 1)


def test_two_records_for_one_person_day_are_refused_as_malformed():
    integration = Integration(id=1, tenant_id=1, category="ai_tooling", provider="claude_code")
    with pytest.raises(ProviderError, match="two records for ada@x.test on 2025-03-03") as raised:
        build_rows(integration=integration, matchers=[ScopeMatcher(LIVE, {})],
                   usages=[usage("ada@x.test"), usage("ada@x.test")], day=DAY)
    assert raised.value.kind == "malformed"


def test_a_day_with_more_people_than_any_organisation_is_refused_as_malformed():
    from orgonaut.ai_tooling import ingest

    integration = Integration(id=1, tenant_id=1, category="ai_tooling", provider="claude_code")
    many = [usage(f"p{n}@x.test") for n in range(ingest.MAX_PEOPLE_PER_DAY + 1)]
    with pytest.raises(ProviderError, match="returned 200,001 people for one day") as raised:
        build_rows(integration=integration, matchers=[ScopeMatcher(LIVE, {})], usages=many, day=DAY)
    assert raised.value.kind == "malformed"
    rows, _ = build_rows(integration=integration, matchers=[ScopeMatcher(LIVE, {})], usages=many[1:], day=DAY)
    assert len(rows) == ingest.MAX_PEOPLE_PER_DAY


def test_the_counts_add_up_per_fetched_record_whatever_the_scopes():
    integration = Integration(id=1, tenant_id=1, category="ai_tooling", provider="claude_code")
    usages = [usage("ada@x.test"), usage("ben@x.test")]
    scenario = TargetScope(scenario_id=42, name="Reorg")
    for matchers, expected in (
        ([], (0, 0, 2)),  # written nowhere: no person found
        ([ScopeMatcher(LIVE, {"ada@x.test": 1, "ben@x.test": 2})], (2, 2, 0)),
        ([ScopeMatcher(LIVE, {"ada@x.test": 1}), ScopeMatcher(scenario, {"ada@x.test": 3})], (4, 1, 1)),
    ):
        _, result = build_rows(integration=integration, matchers=matchers, usages=usages, day=DAY)
        assert (result.upserted, result.matched, result.unmatched) == expected
        assert result.matched + result.unmatched == result.fetched == 2
