"""The one function that asks for stored rollups to be refreshed.

Callers (sync after a day is stored, re-matching, placement changes) say which actors' usage or
which org units changed and over which dates; the Rollups work decides units, ancestors and jobs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def queue_rollup_refresh(
    *,
    tenant_id: int,
    scenario_id: int | None,
    start: dt.date,
    end: dt.date,
    actor_ids: Iterable[int] = (),
    org_unit_ids: Iterable[int] = (),
) -> None:
    """Queue one de-duplicated refresh. Call after the commit that changed the data."""
    # Implemented by the Rollups issue (#6); until then nothing is stored to refresh.
    return None
