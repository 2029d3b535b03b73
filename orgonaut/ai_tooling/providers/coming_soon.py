"""Declarations of the providers shown as "coming soon": what each will ask for and can report, from
the vendors' documented APIs (`../shared/provider-apis.md`). Building one is a folder under
`providers/` whose `INFO` replaces its entry here, with a factory and state `available`.
"""

from __future__ import annotations

import datetime as dt

from orgonaut.ai_tooling.providers.declaration import (
    CredentialField,
    IdentityKind,
    ProviderInfo,
    ProviderState,
)

CLAUDE_ENTERPRISE = ProviderInfo(
    key="claude_enterprise",
    display_name="Claude Enterprise",
    state=ProviderState.coming_soon,
    description="Per-person daily Claude usage and cost of claude.ai Enterprise seats via the Enterprise "
                "Analytics API.",
    credentials=(
        CredentialField(name="api_key", label="Analytics API key", prefix="sk-ant-",
                        hint="The primary owner creates it at claude.ai/analytics/api-keys (scope read:analytics)."),
    ),
    api_name="the Claude Enterprise Analytics API",
    connection_test="GET /v1/organizations/analytics/summaries",
    fetch_days_per_call=31,  # the cost report takes ranges of at most 31 days
    identity=IdentityKind.user_id,
    revisable_days=30,  # cost is "revisable for 30 days"
    earliest_date=dt.date(2026, 1, 1),
    retention_days=90,
)

COMING_SOON = (CLAUDE_ENTERPRISE,)
