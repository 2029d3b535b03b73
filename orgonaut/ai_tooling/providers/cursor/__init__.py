"""Cursor, through the Cursor Admin API (Enterprise teams): its declaration.

`client.py` speaks the API (a range of up to 30 days per call, paced by shared Redis buckets);
`records.py` decodes its answers and sums them per person and UTC day.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.cursor.records import CursorCounters
from orgonaut.ai_tooling.providers.declaration import (
    BillPeriod,
    CredentialField,
    FieldKind,
    Metric,
    ProviderInfo,
    ProviderState,
    RateLimit,
)

DAILY_USAGE_LIMIT = RateLimit(20, 60)  # per team: daily usage and "most endpoints" (as documented)


def _create(credentials: Mapping[str, str], api_base: str | None) -> AiToolingProvider:
    from orgonaut import ratelimit
    from orgonaut.ai_tooling.providers.cursor.client import CursorProvider
    from orgonaut.settings import get_settings

    key, settings = credentials["api_key"], get_settings()

    def pacer(endpoint: str, per_minute: int) -> ratelimit.TokenBucket:
        return ratelimit.account_bucket("cursor", key, endpoint, per_minute, 60)

    seat_usd = credentials.get("seat_usd") or ""
    return CursorProvider(key, api_base or settings.cursor_api_base,
                          usage_pacer=pacer("daily", settings.cursor_requests_per_minute),
                          events_pacer=pacer("events", settings.cursor_events_requests_per_minute),
                          seat_price_cents=Decimal(seat_usd) * 100 if seat_usd else None)


INFO = ProviderInfo(
    key="cursor",
    display_name="Cursor",
    state=ProviderState.available,
    description="Per-person daily Cursor usage and exact cost via the Cursor Admin API (Enterprise teams).",
    credentials=(
        # The key's format is in flux across Cursor's docs (key_…, crsr_…): the connection test decides.
        CredentialField(name="api_key", label="Admin API key",
                        hint="Create an Admin API key in the Cursor dashboard under Settings → API Keys "
                             "(Enterprise teams)."),
        # The API tells no seat price; without one, idle seats are listed without what they cost.
        CredentialField(name="seat_usd", label="monthly price of a Cursor seat (USD)", kind=FieldKind.decimal,
                        required=False, hint="Cursor's Teams list price is 40; enter your contract's."),
    ),
    api_name="the Cursor Admin API",
    connection_test="GET /teams/members",
    factory=_create,
    fetch_days_per_call=30,  # POST /teams/daily-usage-data takes a range of at most 30 days
    metrics=frozenset({Metric.lines_added, Metric.lines_removed, Metric.input_tokens, Metric.output_tokens,
                       Metric.cache_read_tokens, Metric.cache_creation_tokens, Metric.cost}),
    revisable_days=2,  # aggregated hourly; usage events can land after the day ends
    rate_limit=DAILY_USAGE_LIMIT,
    provider_metrics=CursorCounters,
    lists_seats=True,
    # POST /teams/spend: the current billing cycle's spend to date, the only team-wide figure.
    reports_organisation_cost=True,
    bill_period=BillPeriod.current_cycle,
)
