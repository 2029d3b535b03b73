"""OpenAI Codex, through the Codex Enterprise Analytics API: its declaration.

`client.py` speaks the API (a range of up to 31 days per call, paged); `records.py` decodes its pages
and sums them per person and UTC day. Money is credits: the workspace's price per credit (a credential
field today) turns them into USD cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from orgonaut.ai_tooling.providers.base import AiToolingProvider
from orgonaut.ai_tooling.providers.codex.records import CodexCounters
from orgonaut.ai_tooling.providers.declaration import (
    CredentialField,
    FieldKind,
    IdentityKind,
    Metric,
    ProviderInfo,
    ProviderState,
)


def _create(credentials: Mapping[str, str], api_base: str | None) -> AiToolingProvider:
    from orgonaut.ai_tooling.providers.codex.client import CodexProvider
    from orgonaut.settings import get_settings

    return CodexProvider(credentials["workspace_id"], credentials["api_key"], Decimal(credentials["usd_per_credit"]),
                         api_base or get_settings().codex_api_base)


INFO = ProviderInfo(
    key="codex",
    display_name="Codex",
    state=ProviderState.available,
    description="Per-person daily OpenAI Codex usage via the Codex Enterprise Analytics API.",
    credentials=(
        CredentialField(name="workspace_id", label="workspace id", kind=FieldKind.text,
                        pattern=r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}",
                        hint="In the ChatGPT Admin console under Workspace details."),
        CredentialField(name="api_key", label="Analytics API key", prefix="sk-",
                        hint="A read-only Platform key that OpenAI support scoped to "
                             "codex.enterprise.analytics.read."),
        CredentialField(name="usd_per_credit", label="price per credit (USD)", kind=FieldKind.decimal,
                        hint="Your contract's price of one Codex credit."),
    ),
    api_name="the Codex Enterprise Analytics API",
    connection_test="GET /v1/analytics/codex/workspaces/{workspace_id}/usage",
    factory=_create,
    fetch_days_per_call=31,
    identity=IdentityKind.user_id,
    # Sessions are threads (see records.py); cost is credits × the price per credit.
    metrics=frozenset({Metric.sessions, Metric.lines_added, Metric.lines_removed, Metric.input_tokens,
                       Metric.output_tokens, Metric.cache_read_tokens, Metric.cost}),
    revisable_days=5,  # rows arrive up to 5 days late (Coralogix sees them 1-5 days after the day)
    # "Requests can look back up to 90 days", counted from now: the midnight 90 days back is already
    # out of reach, so whole days go back 89.
    retention_days=89,
    provider_metrics=CodexCounters,
    credit_price_field="usd_per_credit",
)
