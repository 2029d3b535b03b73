"""Counters only some providers report (Cursor's tabs accepted, agent requests), kept per record in
`provider_metrics`: which providers report one, and the SQL that reads it from a record.

One place for the rule, used by the person page (from records) and by the rollups (summed per day for
teams and departments). A provider reports a counter when its declared `provider_metrics` type has that
field; records of other providers count as "not reported" (NULL), never as 0.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, case, literal

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.declaration import ProviderInfo
from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.db import table_of

RECORDS = table_of(AiToolUsageRecord)

# (key, label): the counters the pages show, a column of each rollup table too.
PROVIDER_METRICS: tuple[tuple[str, str], ...] = (("tabs_accepted", "Tabs accepted"),
                                                 ("agent_requests", "Agent requests"))


def reports_provider_metric(info: ProviderInfo, key: str) -> bool:
    """Whether the provider's records carry this `provider_metrics` counter."""
    return info.provider_metrics is not None and key in info.provider_metrics.__struct_fields__


def reporting_providers(key: str) -> list[str]:
    return [p for p, info in PROVIDERS.items() if reports_provider_metric(info, key)]


def record_counter(key: str) -> Any:
    """A record's value of the counter: NULL for a provider that does not report it."""
    providers = reporting_providers(key)
    if not providers:
        return literal(None, BigInteger())
    return case((RECORDS.c.provider.in_(providers), RECORDS.c.provider_metrics[key].as_integer()))
