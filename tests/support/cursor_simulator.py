"""The Cursor Admin API simulator for tests: the Anthropic one's in-thread server (simulator.py) with
the Cursor app, and its fixtures.

    from tests.support.cursor_simulator import clean_cursor_simulator, cursor_simulator  # noqa: F401

`cursor_simulator` is one server for the whole run (no rate limits); `clean_cursor_simulator` is the
same server reset before and after the test (no faults, revisions or growth, limits back to none).
Steer it as the Anthropic one (`set_fault(...)`, `set_faults([...])`, `revise(...)`, `requests()`),
plus `set_limits(rate_limit=..., events_rate_limit=...)` and `team()`. `truth(day)` is the
simulator's own account of a UTC day (cursor_truth.py) with every cent amount a Decimal;
`cursor_totals(events)` sums events per person independently of it. Call the API with
`auth=cursor_auth(key)` (HTTP Basic, the key as user name, an empty password).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import httpx

from orgonaut.simulator.cursor import CursorConfig, create_cursor_app
from tests.support.simulator import SimulatorServer, server_fixtures

VALID_CURSOR_KEY = "key_sim_valid_00000000000000000000"
REVOKED_CURSOR_KEY = "key_sim_revoked_0000000000000000000"
NO_PERMISSION_CURSOR_KEY = "key_sim_noperm_00000000000000000000"
DAY_MS = 86_400_000


def cursor_auth(key: str = VALID_CURSOR_KEY) -> httpx.BasicAuth:
    return httpx.BasicAuth(key, "")


def day_window(first: dt.date, last: dt.date | None = None) -> dict[str, int]:
    """`startDate` and `endDate` for whole UTC days: the first's first and the last's last millisecond."""
    start = (first - dt.date(1970, 1, 1)).days * DAY_MS
    end = ((last or first) - dt.date(1970, 1, 1)).days * DAY_MS + DAY_MS - 1
    return {"startDate": start, "endDate": end}


class CursorSimulatorServer(SimulatorServer):
    name = "cursor-simulator"

    @staticmethod
    def default_config() -> CursorConfig:
        return CursorConfig()

    def app(self) -> Any:
        return create_cursor_app(self.config)

    def truth(self, day: dt.date | str) -> dict[str, Any]:
        """The day's truth, cent amounts (`total_cost_cents`, models' `cost_cents`) as Decimals."""
        truth = super().truth(day)
        for sums in [*truth["people"].values(), *truth["service_accounts"].values()]:
            sums["total_cost_cents"] = Decimal(sums["total_cost_cents"])
            for model in sums["models"].values():
                model["cost_cents"] = Decimal(model["cost_cents"])
        return truth

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        return super().requests(path)

    def set_limits(self, **limits: int | None) -> dict[str, Any]:
        """Per-minute limits until the next reset, e.g. `set_limits(rate_limit=3)` (None: no limit)."""
        return self._post("/_sim/limits", limits)

    def team(self) -> dict[str, Any]:
        return self._get("/_sim/team").json()


def event_cents(event: dict[str, Any]) -> Decimal:
    """`chargedCents`, or without it `tokenUsage.totalCents + cursorTokenFee`, as a client should."""
    if "chargedCents" in event:
        return Decimal(str(event["chargedCents"]))
    usage = event.get("tokenUsage") or {}
    return Decimal(str(usage.get("totalCents", 0))) + Decimal(str(event.get("cursorTokenFee", 0)))


def cursor_totals(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per person (e-mail, lower case) or `service account: <name>`: events, cost in cents (Decimal)
    and tokens, summed here independently of the simulator."""
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int, cost=Decimal(0)))
    for event in events:
        who = (f"service account: {event['serviceAccountName']}" if "serviceAccountId" in event
               else event["userEmail"].lower())
        total = totals[who]
        total["events"] += 1
        total["cost"] += event_cents(event)
        for field, value in (event.get("tokenUsage") or {}).items():
            if field != "totalCents":
                total[field] += value
    return {who: dict(total) for who, total in totals.items()}


cursor_simulator, clean_cursor_simulator = server_fixtures(CursorSimulatorServer, "cursor_simulator")


def cursor_reported(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """source_email -> the record a client should store for the truth's day: people with activity or
    events (an idle seat is no usage), service accounts as `service-account:<name>`; every record
    metric, None for those Cursor does not report (sessions, commits, pull requests)."""
    sources = [*((who, p) for who, p in truth["people"].items() if p["active"] or p["events"]),
               *(("service-account:" + name, {**p, "activity": None}) for name, p in truth["service_accounts"].items())]
    return {who: {
        "sessions_count": None, "commits_count": None, "pull_requests_count": None,
        "lines_added": (p["activity"] or {}).get("totalLinesAdded", 0),
        "lines_removed": (p["activity"] or {}).get("totalLinesDeleted", 0),
        "total_cost_cents": Decimal(p["total_cost_cents"]), "total_input_tokens": p["total_input_tokens"],
        "total_output_tokens": p["total_output_tokens"], "total_cache_read_tokens": p["total_cache_read_tokens"],
        "total_cache_creation_tokens": p["total_cache_creation_tokens"],
    } for who, p in sources}

