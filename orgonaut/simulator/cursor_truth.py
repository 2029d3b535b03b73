"""`GET /_sim/truth?date=` of the Cursor simulator: a UTC day as a fault-free reading sees it now
(after revisions and growth), summed per person for oracles to compare stored rows with.

  {"date", "available", "revisions": [ids], "grown": [indexes in `events` of grown events],
   "people": {e-mail (lower case): {"active", "activity": the day's row | null, "events",
              "total_cost_cents": "<decimal>", "total_input_tokens", "total_output_tokens",
              "total_cache_creation_tokens" (cacheWriteTokens), "total_cache_read_tokens",
              "models": {model: {"events", "cost_cents": "<decimal>"}}}},
   "service_accounts": {name: {"id", "email", and the same sums without "active"/"activity"}},
   "activity": [every row of the day, inactive members' too], "events": [every event, newest first]}

A person's cost is the exact sum over their events of the UTC day of `chargedCents`, or where that is
absent `tokenUsage.totalCents + cursorTokenFee`; service-account events count for their account,
never for a person. `people` has everyone with a row that day (active or not) and every e-mail with
events (a revision can move events to an e-mail without a row). Money is a decimal string.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from orgonaut.simulator.cursor_data import event_cost

if TYPE_CHECKING:
    from orgonaut.simulator.cursor import CursorSimulator

TOKENS = (("inputTokens", "total_input_tokens"), ("outputTokens", "total_output_tokens"),
          ("cacheWriteTokens", "total_cache_creation_tokens"), ("cacheReadTokens", "total_cache_read_tokens"))


def _sums() -> dict[str, Any]:
    return {"events": 0, "total_cost_cents": Decimal(0), **{name: 0 for _, name in TOKENS}, "models": {}}


def _add(sums: dict[str, Any], event: dict[str, Any]) -> None:
    cost = event_cost(event)
    sums["events"] += 1
    sums["total_cost_cents"] += cost
    for field, name in TOKENS:
        sums[name] += event.get("tokenUsage", {}).get(field, 0)
    model = sums["models"].setdefault(event["model"], {"events": 0, "cost_cents": Decimal(0)})
    model["events"] += 1
    model["cost_cents"] += cost


def _text(sums: dict[str, Any]) -> dict[str, Any]:
    """Money as decimal strings, exact."""
    return {**sums, "total_cost_cents": f"{sums['total_cost_cents']:f}",
            "models": {model: {**m, "cost_cents": f"{m['cost_cents']:f}"} for model, m in sums["models"].items()}}


def day_truth(simulator: CursorSimulator, day: dt.date) -> dict[str, Any]:
    available = simulator.events.is_available(day)
    rows = simulator.activity.truth(day) if available else []
    events = simulator.events.truth(day) if available else []
    people: dict[str, dict[str, Any]] = {}
    for row in rows:
        people[row["email"].lower()] = {"active": row["isActive"], "activity": row, **_sums()}
    accounts = {account.name: {"id": account.id, "email": account.email, **_sums()}
                for account in simulator.service_accounts}
    for event in events:
        if "serviceAccountId" in event:
            _add(accounts[event["serviceAccountName"]], event)
            continue
        person = people.setdefault(event["userEmail"].lower(), {"active": True, "activity": None, **_sums()})
        _add(person, event)
    return {
        "date": day.isoformat(), "available": available,
        "revisions": [revision.id for revision in simulator.revisions if revision.date == day],
        "grown": simulator.events.grown(day) if available else [],
        "people": {email: _text(sums) for email, sums in people.items()},
        "service_accounts": {name: _text(sums) for name, sums in accounts.items() if sums["events"]},
        "activity": rows, "events": events,
    }
