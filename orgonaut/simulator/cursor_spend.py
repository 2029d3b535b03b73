"""`POST /teams/spend` of the Cursor simulator: each member's spend in the current billing cycle so far.

  body (all optional): {"searchTerm", "sortBy": "amount"|"date"|"user" (date), "sortDirection": "asc"|"desc"
  (desc), "page" (from 1), "pageSize" (1-1000, 100)}
  -> {"teamMemberSpend": [{"userId": "user_…", "name", "email", "role", "spendCents", "overallSpendCents",
      "fastPremiumRequests", "hardLimitOverrideDollars", "monthlyLimitDollars", "effectivePerUserLimitDollars"}],
      "subscriptionCycleStart": epoch ms, "totalMembers", "totalPages"}

The cycle starts at 00:00 UTC on `billing_cycle_day` of the month (a shorter month's last day), and the
spend is what the usage events served so far in it say (`/teams/filtered-usage-events`: a day's events
appear an hour after it ends), summed exactly: `overallSpendCents` every event's `chargedCents` (or, where an
event has none, `tokenUsage.totalCents + cursorTokenFee`, what the docs say to reconcile with), `spendCents`
the on-demand ("Usage-based") ones; fractions of a cent as the docs' newest precision. Service accounts are
not members: their events are in no row. `spend_style="older"` answers as the older docs: the calendar month,
no `subscriptionCycleStart`, and `spendCents` alone (every event's cost). Sorting by "date" is by join date
(the docs do not say which date).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from orgonaut.simulator.cursor_data import KINDS, Member, epoch_ms, event_cost
from orgonaut.simulator.cursor_pages import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, BadRequest

if TYPE_CHECKING:
    from orgonaut.simulator.cursor import CursorSimulator

SORTS = ("amount", "date", "user")
SPEND_STYLES = ("newest", "older")


def cycle_start(today: dt.date, cycle_day: int) -> dt.date:
    """The first day of the billing cycle `today` is in: the latest `cycle_day` (a shorter month's last day)."""
    def in_month(year: int, month: int) -> dt.date:
        return dt.date(year, month, min(cycle_day, calendar.monthrange(year, month)[1]))

    start = in_month(today.year, today.month)
    if start <= today:
        return start
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return in_month(previous.year, previous.month)


def spend_answer(sim: CursorSimulator, body: Any) -> dict[str, Any]:
    """The answer to a `/teams/spend` body; BadRequest with the API's message for a bad one."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    term, sort, direction = body.get("searchTerm"), body.get("sortBy", "date"), body.get("sortDirection", "desc")
    page, size = body.get("page", 1), body.get("pageSize", DEFAULT_PAGE_SIZE)
    if term is not None and not isinstance(term, str):
        raise BadRequest("searchTerm must be a string")
    if sort not in SORTS or direction not in ("asc", "desc"):
        raise BadRequest("sortBy must be amount, date or user; sortDirection asc or desc")
    if not _whole(page) or page < 1 or not _whole(size) or not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequest(f"page must be a positive integer, pageSize between 1 and {MAX_PAGE_SIZE}")
    now = sim.config.now()
    older = sim.config.spend_style == "older"
    first = now.date().replace(day=1) if older else cycle_start(now.date(), sim.config.billing_cycle_day)
    rows = [_row(member, spent, older) for member, spent in _spent(sim, first, now.date()).items()
            if term is None or term.lower() in f"{member.name} {member.email}".lower()]
    key = {"amount": lambda row: row.get("overallSpendCents", row["spendCents"]),
           "date": lambda row: row["_joined"], "user": lambda row: row["email"].lower()}[sort]
    rows.sort(key=lambda row: row["email"].lower())
    rows.sort(key=key, reverse=direction == "desc")
    chunk = [{k: v for k, v in row.items() if k != "_joined"} for row in rows[(page - 1) * size: page * size]]
    answer: dict[str, Any] = {"teamMemberSpend": chunk, "totalMembers": len(rows),
                              "totalPages": math.ceil(len(rows) / size)}
    if not older:
        answer["subscriptionCycleStart"] = epoch_ms(first)
    return answer


def _spent(sim: CursorSimulator, first: dt.date, today: dt.date) -> dict[Member, tuple[Decimal, Decimal, int]]:
    """Per member listed today: (every event's cost, the on-demand events' cost, on-demand events) since `first`."""
    members = {m.email.lower(): m for m in sim.members if m.joined is None or m.joined <= today}
    spent = {member: (Decimal(0), Decimal(0), 0) for member in members.values()}
    for day in (first + dt.timedelta(days=n) for n in range((today - first).days + 1)):
        for event in sim.events.available(day):
            member = members.get(event["userEmail"].lower())
            if member is None or "serviceAccountId" in event:
                continue
            overall, on_demand, count = spent[member]
            extra = event["kind"] == KINDS[1]  # "Usage-based": beyond what the plan includes
            cost = event_cost(event)
            spent[member] = (overall + cost, on_demand + cost * extra, count + extra)
    return spent


def _row(member: Member, spent: tuple[Decimal, Decimal, int], older: bool) -> dict[str, Any]:
    overall, on_demand, count = spent
    if older:
        return {"name": member.name, "email": member.email, "role": member.role, "spendCents": overall,
                "_joined": member.joined or dt.date.min}
    return {"userId": member.id, "name": member.name, "email": member.email, "role": member.role,
            "spendCents": on_demand, "overallSpendCents": overall, "fastPremiumRequests": count,
            "hardLimitOverrideDollars": 0, "monthlyLimitDollars": None, "effectivePerUserLimitDollars": None,
            "_joined": member.joined or dt.date.min}


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
