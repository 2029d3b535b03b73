"""Idle seats: people who hold a paid seat of an AI tool and used it on no day of the last `days` (default 30).

Seats are known two ways:
- GitHub Copilot's daily records carry the seat of everyone who holds one that day (`provider_metrics.plan_type`,
  with the day's share of its price in `seat_cost_cents`), active or not; a day counts as used when any Copilot
  activity was reported (`ACTIVITY`). A seat is current when held on one of the last `CURRENT_DAYS` days, and
  its cost is what its days of the last 30 cost (`seat_cost_cents` summed).
- Cursor and Claude Enterprise list who holds a seat now (`ai_tooling.seats`, read from the vendor nightly);
  any record of the person on a day is use (their records exist only for days with activity or cost). The
  cost is the seat's monthly price the admin gave the connection, unknown (None) when none was given.

A seat is idle when it is current, was used on no day of the window, and its holder is not excluded: an
inactive person (people on leave are marked inactive in the org), or one who started inside the window (their
first placement, a Copilot seat's first day, or a listed seat's start) has not had the whole window to use it.
Live usage matched to a person only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orgonaut.ai_tooling import seats as listed_seats
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers.money import sum_cost_cents
from orgonaut.db import table_of
from orgonaut.errors import ValidationFailed
from orgonaut.org.models import Actor, ActorStatus, Placement
from orgonaut.org.visibility import UsageViewer
from orgonaut.rollups.periods import tenant_today

DEFAULT_DAYS = 30
MIN_DAYS, MAX_DAYS = 7, 180
CURRENT_DAYS = 7
COST_DAYS = 30
SEAT_PROVIDERS = ("copilot",)  # seats in the daily records
LISTED_PROVIDERS = ("cursor", "claude_enterprise")  # seats in the vendor's list (`ai_tooling.seats`)
ACTIVITY = ("interactions", "code_generations", "code_acceptances", "cli_sessions", "cli_requests", "cli_prompts")
FLAGS = ("used_agent", "used_chat", "used_cli")
RECORDS = table_of(AiToolUsageRecord)
PLACEMENTS = table_of(Placement)


@dataclass(frozen=True)
class IdleSeat:
    actor_id: int
    name: str
    email: str
    provider: str
    plan: str
    last_used: dt.date | None  # the last day with activity we hold (None: none at all)
    monthly_cost_cents: Decimal | None  # the seat's cost over the last 30 days; None: its price is not set


def used(metrics: dict[str, Any]) -> bool:
    return any(int(metrics.get(name) or 0) > 0 for name in ACTIVITY) or any(bool(metrics.get(f)) for f in FLAGS)


def parse_days(value: int | str | None) -> int:
    try:
        days = DEFAULT_DAYS if value in (None, "") else int(str(value))
    except ValueError:
        raise ValidationFailed(f"'{str(value)[:20]}' is not a number of days.") from None
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(f"Idle means unused for {MIN_DAYS} to {MAX_DAYS} days, not {days}.")
    return days


def find(*, session: Session, tenant_id: int, viewer: UsageViewer, days: int | str | None = DEFAULT_DAYS,
         today: dt.date | None = None) -> list[IdleSeat]:
    """The idle seats of the people `viewer` may see, the most expensive first (unpriced ones last)."""
    days = parse_days(days)
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    window_start = today - dt.timedelta(days=days)
    found = [*_idle_seat_days(session, tenant_id, viewer, today, window_start),
             *_idle_listed(session, tenant_id, viewer, today, window_start)]
    return sorted(found, key=lambda s: (s.monthly_cost_cents is None, -(s.monthly_cost_cents or 0), s.name.lower()))


def _idle_seat_days(session: Session, tenant_id: int, viewer: UsageViewer, today: dt.date,
                    window_start: dt.date) -> list[IdleSeat]:
    """Copilot's: seats read from the daily records."""
    # A seat held in the week before the window was theirs through it; the 30 days of cost may reach further.
    read_from = min(window_start - dt.timedelta(days=CURRENT_DAYS), today - dt.timedelta(days=COST_DAYS))
    r = RECORDS.c
    rows = session.execute(
        sa_select(r.actor_id, r.provider, r.usage_date, r.provider_metrics)
        .where(r.tenant_id == tenant_id, r.scope_key == 0, r.actor_id.is_not(None), r.provider.in_(SEAT_PROVIDERS),
               r.usage_date >= read_from, r.usage_date < today)
    ).all()
    held: dict[tuple[int, str], dict[str, Any]] = defaultdict(lambda: {"days": [], "used": [], "cost": [], "plan": ""})
    for actor_id, provider, day, metrics in rows:
        metrics = metrics or {}
        seat = held[(actor_id, provider)]
        if metrics.get("plan_type"):
            seat["days"].append(day)
            seat["plan"] = str(metrics["plan_type"])
            if day >= today - dt.timedelta(days=COST_DAYS):
                seat["cost"].append(Decimal(str(metrics.get("seat_cost_cents") or "0")))
        if used(metrics):
            seat["used"].append(day)
    candidates = {key: seat for key, seat in held.items()
                  if seat["days"] and max(seat["days"]) >= today - dt.timedelta(days=CURRENT_DAYS)
                  and not any(day >= window_start for day in seat["used"])
                  and min(seat["days"]) < window_start and viewer.may_see_actor(key[0])}
    if not candidates:
        return []
    people = _people(session, tenant_id, {actor_id for actor_id, _ in candidates}, window_start)
    return [IdleSeat(actor_id=actor_id, name=people[actor_id].name, email=people[actor_id].email or "",
                     provider=provider, plan=seat["plan"],
                     last_used=_last_used(session, tenant_id, actor_id, provider, window_start),
                     monthly_cost_cents=sum_cost_cents(seat["cost"]))
            for (actor_id, provider), seat in candidates.items() if actor_id in people]


def _idle_listed(session: Session, tenant_id: int, viewer: UsageViewer, today: dt.date,
                 window_start: dt.date) -> list[IdleSeat]:
    """Cursor's and Claude Enterprise's: seats from the vendor's list, use from the records."""
    held = [h for h in listed_seats.holders(session=session, tenant_id=tenant_id, providers=LISTED_PROVIDERS)
            if h.actor_id is not None and viewer.may_see_actor(h.actor_id)
            and (h.seat.held_since is None or h.seat.held_since < window_start)]
    if not held:
        return []
    r = RECORDS.c
    used_in_window = set(session.execute(
        sa_select(r.actor_id, r.provider).where(
            r.tenant_id == tenant_id, r.scope_key == 0, r.provider.in_(LISTED_PROVIDERS),
            r.actor_id.in_(sorted({h.actor_id for h in held})), r.usage_date >= window_start,
            r.usage_date < today).distinct()).all())
    idle = [h for h in held if (h.actor_id, h.seat.provider) not in used_in_window]
    people = _people(session, tenant_id, {h.actor_id for h in idle if h.actor_id is not None}, window_start)
    seats: dict[tuple[int, str], IdleSeat] = {}
    for h in idle:
        assert h.actor_id is not None
        if h.actor_id in people and (h.actor_id, h.seat.provider) not in seats:  # one seat a tool per person
            person = people[h.actor_id]
            seats[(h.actor_id, h.seat.provider)] = IdleSeat(
                actor_id=h.actor_id, name=person.name, email=person.email or "", provider=h.seat.provider,
                plan=h.seat.plan, last_used=_last_any(session, tenant_id, h.actor_id, h.seat.provider, window_start),
                monthly_cost_cents=h.seat.monthly_price_cents)
    return list(seats.values())


def _people(session: Session, tenant_id: int, actor_ids: set[int], window_start: dt.date) -> dict[int, Actor]:
    """The actors who had the whole window to use a seat: active, and placed before it began (or never placed)."""
    ids = sorted(actor_ids)
    actors = {a.id: a for a in session.exec(select(Actor).where(col(Actor.id).in_(ids)))}
    started = dict(session.execute(
        sa_select(PLACEMENTS.c.actor_id, func.min(PLACEMENTS.c.start_date))
        .where(PLACEMENTS.c.tenant_id == tenant_id, PLACEMENTS.c.scenario_id.is_(None),
               PLACEMENTS.c.actor_id.in_(ids)).group_by(PLACEMENTS.c.actor_id)).all())
    return {actor_id: actor for actor_id, actor in actors.items()
            if actor_id is not None and actor.status != ActorStatus.inactive
            and not (started.get(actor_id) is not None and started[actor_id] >= window_start)}


def _last_any(session: Session, tenant_id: int, actor_id: int, provider: str, before: dt.date) -> dt.date | None:
    """The person's last day with a record before the window (None: none we hold)."""
    r = RECORDS.c
    return session.execute(sa_select(func.max(r.usage_date)).where(
        r.tenant_id == tenant_id, r.scope_key == 0, r.actor_id == actor_id, r.provider == provider,
        r.usage_date < before)).scalar()


def _last_used(session: Session, tenant_id: int, actor_id: int, provider: str, before: dt.date) -> dt.date | None:
    """The person's last day with activity before the window (None: none we hold)."""
    r = RECORDS.c
    for day, metrics in session.execute(
        sa_select(r.usage_date, r.provider_metrics).where(
            r.tenant_id == tenant_id, r.scope_key == 0, r.actor_id == actor_id, r.provider == provider,
            r.usage_date < before).order_by(r.usage_date.desc())):
        if used(metrics or {}):
            return day
    return None


def total_cents(seats: list[IdleSeat]) -> Decimal:
    """What the priced seats cost a month (a seat without a price adds nothing)."""
    return sum_cost_cents(s.monthly_cost_cents for s in seats if s.monthly_cost_cents is not None)


def unpriced(seats: list[IdleSeat]) -> int:
    return sum(1 for s in seats if s.monthly_cost_cents is None)
