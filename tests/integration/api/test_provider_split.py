"""The summaries and series by provider: `provider=` narrows every number to one tool, and each series
point says the day's cost per provider; both add up to the all-provider answer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orgonaut.ai_tooling.models import AiToolUsageRecord
from tests.integration.api.conftest import bearer, rebuild_rollups, usage_row


def _add_cursor_usage(session, tenant, org_) -> None:
    from orgonaut.org import service as org

    alice = org.get_actor_or_raise(session=session, tenant_id=tenant.id, actor_id=org_.alice)
    for day in (dt.date(2026, 10, 1), dt.date(2026, 10, 2)):
        session.add(AiToolUsageRecord(**{**usage_row(tenant_id=tenant.id, scenario_id=None, email=alice.email,
                                                     actor_id=alice.id, day=day, provider="cursor"),
                                         "sessions_count": None, "commits_count": None, "pull_requests_count": None,
                                         "provider_metrics": {"tabs_accepted": 7, "agent_requests": 3}}))
    session.commit()
    rebuild_rollups(session, tenant)


def test_a_persons_numbers_by_provider_add_up_to_all_of_them(client, session, acme):
    tenant, org_ = acme
    _add_cursor_usage(session, tenant.tenant, org_)
    secret = tenant.admin_secret
    url = f"/api/v1/ai-tooling/actors/{org_.alice}"
    every = client.get(f"{url}/summary", headers=bearer(secret)).json()
    claude = client.get(f"{url}/summary?provider=claude_code", headers=bearer(secret)).json()
    cursor = client.get(f"{url}/summary?provider=cursor", headers=bearer(secret)).json()
    assert every["providers"] == ["claude_code", "cursor"] and cursor["providers"] == ["cursor"]
    assert cursor["sessions"] is None and claude["sessions"] == every["sessions"]  # Cursor reports none
    # Cursor's own counters: two days of 7 and 3; Claude Code reports none (null, not 0).
    assert [(a["tabs_accepted"], a["agent_requests"]) for a in (every, claude, cursor)] == [
        (14, 6), (None, None), (14, 6)]
    assert Decimal(claude["mtd_cost_cents_exact"]) + Decimal(cursor["mtd_cost_cents_exact"]) == Decimal(
        every["mtd_cost_cents_exact"])

    series = client.get(f"{url}/series?from=2026-10-01&to=2026-10-02", headers=bearer(secret)).json()
    for point in series["points"]:
        split = {p["provider"]: Decimal(p["cost_cents_exact"]) for p in point["by_provider"]}
        assert set(split) == {"claude_code", "cursor"} or set(split) == {"cursor"}
        assert sum(split.values()) == Decimal(point["cost_cents_exact"])
    only = client.get(f"{url}/series?from=2026-10-01&to=2026-10-02&provider=cursor", headers=bearer(secret)).json()
    assert [p["by_provider"][0]["cost_cents_exact"] for p in only["points"]] == [
        next(b["cost_cents_exact"] for b in p["by_provider"] if b["provider"] == "cursor") for p in series["points"]]


def test_a_units_numbers_by_provider_add_up_and_an_unknown_provider_is_refused(client, session, acme):
    tenant, org_ = acme
    _add_cursor_usage(session, tenant.tenant, org_)
    secret = tenant.admin_secret
    url = f"/api/v1/ai-tooling/teams/{org_.core}/summary?range=all"
    every = client.get(url, headers=bearer(secret)).json()
    parts = [client.get(f"{url}&provider={p}", headers=bearer(secret)).json() for p in ("claude_code", "cursor")]
    assert sum(Decimal(p["total_cost_cents_exact"]) for p in parts) == Decimal(every["total_cost_cents_exact"])
    assert parts[1]["sessions"] is None and parts[1]["mtd_active_users"] <= 1
    assert [(a["tabs_accepted"], a["agent_requests"]) for a in (every, *parts)] == [(14, 6), (None, None), (14, 6)]
    member_costs = {m["actor_id"]: Decimal(m["cost_cents_exact"]) for m in parts[1]["members"]}
    assert member_costs[org_.alice] > 0 and all(cost == 0 for who, cost in member_costs.items() if who != org_.alice)
    refused = client.get(f"{url}&provider=gemini", headers=bearer(secret))
    assert refused.status_code == 422
