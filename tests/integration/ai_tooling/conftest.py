"""Shared pieces for the sync engine's integration tests: a tenant, actors, a connected integration,
and the simulator's raw report for a day (read over HTTP, summed here independently of the provider)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orgonaut.ai_tooling import service
from orgonaut.integrations.models import Integration
from orgonaut.org import service as org
from tests.factories import make_tenant
from tests.support.claude_enterprise_simulator import (  # noqa: F401
    claude_enterprise_simulator,
    clean_claude_enterprise_simulator,
)
from tests.support.cursor_simulator import clean_cursor_simulator, cursor_simulator  # noqa: F401
from tests.support.github_simulator import clean_github_simulator, github_simulator  # noqa: F401
from tests.support.simulator import VALID_KEY, clean_simulator, person_totals, simulator  # noqa: F401

# Days whose data the simulator serves (long over); a Monday to Sunday week.
WEEK = [dt.date(2025, 3, 3) + dt.timedelta(days=n) for n in range(7)]


@pytest.fixture
def tenant(session):
    row = make_tenant(session)
    session.commit()
    return row


def add_actor(session, tenant_id: int, email: str, scenario_id: int | None = None, name: str | None = None):
    actor = org.create_actor(
        session=session, tenant_id=tenant_id, scenario_id=scenario_id, name=name or email.split("@")[0], email=email
    )
    session.commit()
    return actor


def connect(session, tenant, simulator_url: str, *, key: str = VALID_KEY, baseline: bool = True,
            scenario_ids=(), all_future: bool = False) -> Integration:
    integration = service.connect(
        session=session, tenant_id=tenant.id, provider="claude_code", credentials={"api_key": key},
        api_base=simulator_url,
        baseline=baseline, scenario_ids=scenario_ids, all_future=all_future,
    )
    session.commit()
    return integration


def raw_records(base_url: str, day: dt.date, key: str = VALID_KEY, limit: int = 7) -> list[dict[str, Any]]:
    """Every vendor row of `day`, straight from the simulator (small pages, so paging is exercised;
    a roster of a thousand takes `limit=1000`)."""
    rows: list[dict[str, Any]] = []
    params = {"starting_at": day.isoformat(), "limit": str(limit)}
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    while True:
        response = httpx.get(f"{base_url}/v1/organizations/usage_report/claude_code", params=params,
                             headers=headers, timeout=10)
        response.raise_for_status()
        page = json.loads(response.text, parse_float=Decimal)
        rows.extend(page["data"])
        if not page["has_more"]:
            return rows
        params["page"] = page["next_page"]


def expected_totals(base_url: str, day: dt.date, limit: int = 7) -> dict[str, dict[str, Any]]:
    """source_email -> summed metrics for `day`, computed from the raw rows."""
    return person_totals(raw_records(base_url, day, limit=limit))
