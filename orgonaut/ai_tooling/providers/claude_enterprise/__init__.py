"""Claude Enterprise, through the Claude Enterprise Analytics API and the official `anthropic` SDK: its
declaration.

`client.py` calls the API through the SDK (a range of up to 31 days per call: one `/users` read per
day, one cost report for the range); `records.py` validates its rows and sums them per person and day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.claude_enterprise.records import ClaudeEnterpriseCounters
from orgonaut.ai_tooling.providers.declaration import (
    CredentialField,
    FieldKind,
    IdentityKind,
    Metric,
    ProviderInfo,
    ProviderState,
)


def _create(credentials: Mapping[str, str], api_base: str | None) -> AiToolingProvider:
    from orgonaut.ai_tooling.providers.claude_enterprise.client import ClaudeEnterpriseProvider
    from orgonaut.settings import get_settings

    # The demo and tests point CLAUDE_ENTERPRISE_API_BASE at the simulator; production at the real API.
    seat_usd = credentials.get("seat_usd") or ""
    return ClaudeEnterpriseProvider(credentials["api_key"], api_base or get_settings().claude_enterprise_api_base,
                                    seat_price_cents=Decimal(seat_usd) * 100 if seat_usd else None)


INFO = ProviderInfo(
    key="claude_enterprise",
    display_name="Claude Enterprise",
    state=ProviderState.available,
    description="Per-person daily Claude usage and cost of claude.ai Enterprise seats via the Enterprise "
                "Analytics API (a day's activity arrives three days after it ends).",
    credentials=(
        CredentialField(name="api_key", label="Analytics API key", placeholder="sk-ant-…", prefix="sk-ant-",
                        hint="An Analytics API key starts with sk-ant-…: the primary owner creates it at "
                             "claude.ai/analytics/api-keys (scope read:analytics)."),
        # The API tells no seat price; without one, idle seats are listed without what they cost.
        CredentialField(name="seat_usd", label="monthly price of a Claude Enterprise seat (USD)",
                        kind=FieldKind.decimal, required=False, hint="Enter your contract's price per seat."),
    ),
    api_name="the Claude Enterprise Analytics API",
    connection_test="GET /v1/organizations/analytics/summaries",
    factory=_create,
    fetch_days_per_call=31,  # the cost report takes ranges of at most 31 days
    identity=IdentityKind.user_id,  # e-mail, or the user id of a deleted account (claude-user:<id>)
    metrics=frozenset({Metric.sessions, Metric.lines_added, Metric.lines_removed, Metric.commits,
                       Metric.pull_requests, Metric.cost}),
    # Cost is "revisable for 30 days"; engagement data arrives three days after the day (a day not yet
    # served is read as empty, and this look-back reads it again once it is).
    revisable_days=30,
    earliest_date=dt.date(2026, 1, 1),  # "not before 1 January 2026"
    retention_days=90,  # engagement data: "at most the past 90 days"
    provider_metrics=ClaudeEnterpriseCounters,
    lists_seats=True,
    reports_organisation_cost=True,  # cost_report by product, beside user_cost_report
)
