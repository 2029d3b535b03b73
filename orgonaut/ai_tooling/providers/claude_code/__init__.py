"""Claude Code, through the Anthropic Admin API's Claude Code usage report: its declaration.

`client.py` speaks the API (one request per day and page); `records.py` decodes and sums its records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.declaration import CredentialField, ProviderInfo, ProviderState


def _create(credentials: Mapping[str, str], api_base: str | None) -> AiToolingProvider:
    from orgonaut.ai_tooling.providers.claude_code.client import ClaudeCodeProvider
    from orgonaut.settings import get_settings

    # The demo and tests point ANTHROPIC_API_BASE at the simulator; production at the real API.
    return ClaudeCodeProvider(credentials["api_key"], api_base or get_settings().anthropic_api_base)


INFO = ProviderInfo(
    key="claude_code",
    display_name="Claude Code",
    reports_organisation_cost=True,
    state=ProviderState.available,
    description="Per-person daily Claude Code usage and cost via the Anthropic Admin API.",
    credentials=(
        CredentialField(
            name="api_key", label="Admin API key", placeholder="sk-ant-admin…", prefix="sk-ant-admin",
            hint=(
                "An Anthropic Admin API key starts with sk-ant-admin…: create one in the Anthropic Console "
                "under Settings → Admin API keys."
            ),
            mistaken=(("sk-ant-api", "That is an Anthropic API key (sk-ant-api…), which calls models; the usage "
                                     "report needs an Admin API key (sk-ant-admin…). An organisation admin creates "
                                     "one in the Anthropic Console under Settings → Admin API keys."),),
        ),
    ),
    api_name="the Anthropic API",
    connection_test="GET /v1/organizations/me",
    factory=_create,
    fetch_days_per_call=1,  # `starting_at` is one UTC day; there is no `ending_at`
    # Data appears within about an hour and a day can still grow after it ends; no correction period is
    # documented, so the nightly look-back setting (default 7) is what re-reads it.
    revisable_days=1,
    # Conservative: the Claude Code analytics report began during 2025, so no real usage predates this;
    # days before it could only come back empty (or, from a simulator, invented).
    earliest_date=dt.date(2025, 1, 1),
)
