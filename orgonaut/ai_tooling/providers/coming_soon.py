"""Declarations of the providers shown as "coming soon": what each will ask for and can report, from
the vendors' documented APIs (`../shared/provider-apis.md`). Building one is a folder under
`providers/` whose `INFO` replaces its entry here, with a factory and state `available`.
"""

from __future__ import annotations

import datetime as dt

from orgonaut.ai_tooling.providers.declaration import (
    CredentialField,
    FieldKind,
    IdentityKind,
    Metric,
    ProviderInfo,
    ProviderState,
    RateLimit,
)

COPILOT = ProviderInfo(
    key="copilot",
    display_name="GitHub Copilot",
    state=ProviderState.coming_soon,
    description="Per-person daily GitHub Copilot usage via GitHub's Copilot usage metrics.",
    credentials=(
        CredentialField(name="owner", label="organisation or enterprise slug", kind=FieldKind.text,
                        pattern=r"[A-Za-z0-9][A-Za-z0-9-]{0,38}",
                        hint="The name in github.com/<slug>: an organisation, or an enterprise."),
        CredentialField(name="token", label="GitHub token",
                        hint="A token that may read Copilot metrics (read:org, or read:enterprise)."),
    ),
    api_name="the GitHub API",
    connection_test="GET /orgs/{owner}/copilot/metrics/reports/organization-1-day",
    identity=IdentityKind.github_login,
    metrics=frozenset({Metric.lines_added, Metric.lines_removed, Metric.input_tokens, Metric.output_tokens}),
    revisable_days=3,  # "Data typically finalizes within three full UTC days"
    earliest_date=dt.date(2025, 10, 10),
    retention_days=365,
    rate_limit=RateLimit(5000, 3600),  # GitHub REST's standard limit for a token
)

CODEX = ProviderInfo(
    key="codex",
    display_name="Codex",
    state=ProviderState.coming_soon,
    description="Per-person daily OpenAI Codex usage via the Codex Enterprise Analytics API.",
    credentials=(
        CredentialField(name="workspace_id", label="workspace id", kind=FieldKind.text,
                        hint="In the ChatGPT Admin console under Workspace details."),
        CredentialField(name="api_key", label="Analytics API key", prefix="sk-",
                        hint="A read-only Platform key that OpenAI support scoped to "
                             "codex.enterprise.analytics.read."),
        CredentialField(name="usd_per_credit", label="price per credit (USD)", kind=FieldKind.decimal,
                        hint="Your contract's price of one Codex credit."),
    ),
    api_name="the Codex Enterprise Analytics API",
    connection_test="GET /v1/analytics/codex/workspaces/{workspace_id}/usage",
    fetch_days_per_call=31,
    identity=IdentityKind.user_id,
    metrics=frozenset({Metric.sessions, Metric.lines_added, Metric.lines_removed, Metric.input_tokens,
                       Metric.output_tokens, Metric.cache_read_tokens, Metric.cost}),
    revisable_days=5,  # rows arrive up to 5 days late
    retention_days=90,
)

COMING_SOON = (COPILOT, CODEX)
