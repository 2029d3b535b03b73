"""Query parameters shared by several routes, and their checks that go beyond a type: the scenario
and a date range given as `range` or `from`/`to`. Every failure names its parameter (422).

Ids that must be in the tenant and the scope are resolved by the org service
(`get_actor_in_scope_or_raise`, `get_org_unit_in_scope_or_raise`): a plain 404 that reads the same for
an id of another tenant, of another scope, or of nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Path, Query
from sqlmodel import Session

from orgonaut.ai_tooling.providers.registry import PROVIDERS
from orgonaut.api.errors import bad_param
from orgonaut.org import service as org
from orgonaut.rollups import periods
from orgonaut.rollups.periods import Range
from orgonaut.tenancy.models import Tenant

# Ids are 32-bit on every table the API takes ids for; a larger number is simply not found.
MAX_ID = 2_147_483_647

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The id (as in the page's URL).")]
ScenarioQuery = Annotated[
    str | None,
    Query(
        pattern=r"^(live|[0-9]{1,10})$",
        description="`live` (the default) or the id of one of the tenant's scenarios or snapshots "
        "(active or archived).",
    ),
]
RangeQuery = Annotated[
    Range | None, Query(description="mtd (the default), last_month, 3m, 6m or all; or give `from` and `to`.")
]
# The registry's providers, as the OpenAPI document's enum.
ProviderName = StrEnum("ProviderName", {key: key for key in PROVIDERS})  # type: ignore[misc]
ProviderQuery = Annotated[
    ProviderName | None, Query(description="Only this provider's usage (default: every provider).")
]
FromQuery = Annotated[dt.date | None, Query(alias="from", description="First day, inclusive (YYYY-MM-DD).")]
ToQuery = Annotated[dt.date | None, Query(alias="to", description="Last day, inclusive (YYYY-MM-DD).")]


def resolve_scenario(*, session: Session, tenant: Tenant, scenario: str | None) -> int | None:
    """None for Live, else the id of a scenario or snapshot of the tenant; 422 `scenario` otherwise."""
    if scenario is None or scenario == "live":
        return None
    scenario_id = int(scenario)
    found = org.get_scenario(session=session, tenant_id=tenant.id, scenario_id=scenario_id) if (
        0 < scenario_id <= MAX_ID) else None
    if found is None:
        raise bad_param(
            "scenario", f"scenario: there is no scenario or snapshot {scenario} in this tenant; use 'live' or the "
                        "id of one of its scenarios or snapshots.",
        )
    return found.id


@dataclass(frozen=True)
class PeriodChoice:
    range: Range | None
    start: dt.date | None
    end: dt.date | None


def choose_period(
    *, session: Session, tenant: Tenant, range: Range | None, start: dt.date | None, end: dt.date | None
) -> PeriodChoice:
    """`range`, or `from` and `to` together (on or before today, at most MAX_RANGE_DAYS), never both."""
    if start is None and end is None:
        return PeriodChoice(range=range or Range.mtd, start=None, end=None)
    if range is not None:
        raise bad_param("range", "range: give either range or from/to, not both.")
    if start is None:
        raise bad_param("from", "from: give from together with to.")
    if end is None:
        raise bad_param("to", "to: give to together with from.")
    if start > end:
        raise bad_param("from", f"from: {start} is after to ({end}).")
    today = periods.tenant_today(session=session, tenant_id=tenant.id)
    if end > today:
        raise bad_param("to", f"to: {end} is after today ({today}).")
    if (end - start).days + 1 > periods.MAX_RANGE_DAYS:
        raise bad_param("from", f"from: a range covers at most {periods.MAX_RANGE_DAYS} days.")
    return PeriodChoice(range=None, start=start, end=end)
