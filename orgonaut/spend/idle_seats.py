"""Idle seats: people who hold a paid seat of an AI tool and used it on no day of the last `days` (default 30).

Where seats are known (`SEAT_PROVIDERS`): GitHub Copilot's daily records carry the seat of everyone who
holds one that day (`provider_metrics.plan_type`, with the day's share of its price in `seat_cost_cents`),
active or not; a day counts as used when any Copilot activity was reported (`ACTIVITY`). Cursor and Claude
Enterprise report no per-person seat days yet: their members without usage leave no record to read.

A person's seat is idle when they held it on one of the last `CURRENT_DAYS` days (it is still theirs), on no
day of the window used it, and they are not excluded: an inactive person (people on leave are marked
inactive in the org), or one who started inside the window (their first placement, or their first seat
day, is in it) has not had the whole window to use it.
The seat's cost is what its days of the last 30 cost (`seat_cost_cents` summed): what reclaiming it saves
a month. Live usage matched to a person only.
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
SEAT_PROVIDERS = ("copilot",)
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
    monthly_cost_cents: Decimal  # the seat's cost over the last 30 days


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
    """The idle seats of the people `viewer` may see, the most expensive first."""
    days = parse_days(days)
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    window_start = today - dt.timedelta(days=days)
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
    actor_ids = sorted({actor_id for actor_id, _ in candidates})
    actors = {a.id: a for a in session.exec(select(Actor).where(col(Actor.id).in_(actor_ids)))}
    started = dict(session.execute(
        sa_select(PLACEMENTS.c.actor_id, func.min(PLACEMENTS.c.start_date))
        .where(PLACEMENTS.c.tenant_id == tenant_id, PLACEMENTS.c.scenario_id.is_(None),
               PLACEMENTS.c.actor_id.in_(actor_ids)).group_by(PLACEMENTS.c.actor_id)).all())
    seats = []
    for (actor_id, provider), seat in candidates.items():
        actor = actors.get(actor_id)
        if actor is None or actor.status == ActorStatus.inactive:
            continue
        first_placement = started.get(actor_id)
        if first_placement is not None and first_placement >= window_start:
            continue
        seats.append(IdleSeat(actor_id=actor_id, name=actor.name, email=actor.email or "", provider=provider,
                              plan=seat["plan"], last_used=_last_used(session, tenant_id, actor_id, provider,
                                                                      window_start),
                              monthly_cost_cents=sum_cost_cents(seat["cost"])))
    return sorted(seats, key=lambda s: (-s.monthly_cost_cents, s.name.lower()))


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
    return sum_cost_cents(s.monthly_cost_cents for s in seats)
