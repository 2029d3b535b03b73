"""GitHub Copilot, through GitHub's Copilot usage metrics, seats and billing APIs: its declaration.

`client.py` speaks the APIs (one day per call: the day's report files, seats, SAML identities and
AI-credit usage); `records.py` decodes them and builds one record per user and day, keyed on the
immutable GitHub user id (`github:<id>`), with the login and SAML e-mail as hints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.copilot.records import CopilotCounters, Prices, reprice_seat_day
from orgonaut.ai_tooling.providers.declaration import (
    CredentialField,
    FieldKind,
    IdentityKind,
    Metric,
    ProviderInfo,
    ProviderState,
    RateLimit,
)

REST_LIMIT = RateLimit(5000, 3600)  # GitHub REST's standard limit for a token


def _create(credentials: Mapping[str, str], api_base: str | None) -> AiToolingProvider:
    from orgonaut import ratelimit
    from orgonaut.ai_tooling.providers.copilot.client import CopilotProvider
    from orgonaut.settings import get_settings

    prices = Prices(business=_price(credentials["business_seat_usd"], "Business"),
                    enterprise=_price(credentials["enterprise_seat_usd"], "Enterprise"))
    token = credentials["token"]
    # The token's limit is shared by every worker that calls GitHub with it.
    pacer = ratelimit.account_bucket("copilot", token, "rest", REST_LIMIT.requests, REST_LIMIT.per_seconds)
    return CopilotProvider(credentials["owner"], token, api_base or get_settings().github_api_base,
                           prices=prices, kind=credentials["kind"], pacer=pacer)


def _price(value: str, plan: str) -> Decimal:
    price = Decimal(value)
    if price != price.quantize(Decimal("0.0001")):
        raise ValueError(f"The {plan} seat price has at most four decimal places.")
    return price


INFO = ProviderInfo(
    key="copilot",
    display_name="GitHub Copilot",
    state=ProviderState.available,
    description="Per-person daily GitHub Copilot usage via GitHub's Copilot usage metrics, with seat and "
                "AI-credit cost.",
    credentials=(
        CredentialField(name="kind", label="account kind", kind=FieldKind.text, pattern=r"organization|enterprise",
                        placeholder="organization",
                        hint="organization, or enterprise for all of an enterprise's organisations."),
        CredentialField(name="owner", label="organisation or enterprise slug", kind=FieldKind.text,
                        pattern=r"[A-Za-z0-9][A-Za-z0-9-]{0,38}",
                        hint="The name in github.com/<slug>, or github.com/enterprises/<slug>."),
        CredentialField(name="token", label="GitHub token",
                        hint="A token of an organisation owner that may read Copilot metrics and seats "
                             "(classic: read:org and manage_billing:copilot, or read:enterprise for an enterprise; "
                             "fine-grained: \"View Organization Copilot Metrics\" and Administration read for "
                             "AI-credit usage and the billing usage report)."),
        CredentialField(name="business_seat_usd", label="monthly price of a Copilot Business seat (USD)",
                        kind=FieldKind.decimal, hint="GitHub's list price is 19; enter your contract's."),
        CredentialField(name="enterprise_seat_usd", label="monthly price of a Copilot Enterprise seat (USD)",
                        kind=FieldKind.decimal, hint="GitHub's list price is 39; enter your contract's."),
    ),
    api_name="the GitHub API",
    connection_test="GET /orgs/{owner}/copilot/metrics/reports/organization-1-day (or the enterprise's)",
    factory=_create,
    identity=IdentityKind.github_login,
    metrics=frozenset({Metric.lines_added, Metric.lines_removed, Metric.input_tokens, Metric.output_tokens,
                       Metric.cost}),
    revisable_days=3,  # "Data typically finalizes within three full UTC days"
    earliest_date=dt.date(2025, 10, 10),
    retention_days=365,
    rate_limit=REST_LIMIT,
    provider_metrics=CopilotCounters,
    lists_seats=True,
    seat_price_fields=(("business", "business_seat_usd"), ("enterprise", "enterprise_seat_usd")),
    reprice_seat_day=reprice_seat_day,
    reports_organisation_cost=True,  # the billing usage report: Copilot's seats and AI credits, other products
)
