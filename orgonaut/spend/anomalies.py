"""Spend anomalies: a person's day on one provider that cost far more than their own recent days and
than their team's members that day.

The rule (`is_anomaly`), per (person, day, provider), Live usage matched to a person:

- the person's *baseline* is the median of their daily cost on that provider over the `BASELINE_DAYS`
  days before (days without usage count as $0), and the *spread* 1.4826 x the median absolute deviation
  around it (a robust standard deviation: one earlier spike does not raise it);
- the day is anomalous when it cost at least `MIN_COST_CENTS` (tiny amounts never alert), and at least
  baseline + `SPREAD_FACTOR` x max(spread, a quarter of the baseline, `MIN_SPREAD_CENTS`), and, where the
  person's team had at least `MIN_TEAM_PEERS` other members with usage of that provider that day, at
  least `TEAM_FACTOR` x their median (the highest median of the person's teams, when in several).
- The *ratio* shown is the day's cost over the baseline (over `MIN_SPREAD_CENTS` when the baseline is
  less), and the *model* the one with the largest cost in the day's model breakdown.

`detect` looks at the last `RECHECK_DAYS` complete days (the vendors revise recent days) and stores what
it finds in `spend_anomalies`, replacing the rows of those days, so a revised day that is no longer
unusual drops out. A new anomaly notifies owners, admins and the managers who see the person
(`org.visibility`), per their "Spend anomalies" preference, unless one of the person's anomalies was
notified within `COOLDOWN_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.ai_tooling.providers import registry
from orgonaut.clock import utcnow
from orgonaut.db import table_of
from orgonaut.notify.models import Category
from orgonaut.org.models import Actor, Placement
from orgonaut.org.visibility import UsageViewer
from orgonaut.paths import person_path
from orgonaut.rollups.models import AiUsageMemberRollup
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend import alerting
from orgonaut.spend.alerting import usd
from orgonaut.spend.models import SpendAnomaly
from orgonaut.tenancy.models import Tenant, User

BASELINE_DAYS = 28
MIN_COST_CENTS = Decimal(2000)  # $20
MIN_SPREAD_CENTS = Decimal(200)  # $2
SPREAD_FACTOR = 6
TEAM_FACTOR = 3
MIN_TEAM_PEERS = 2
RECHECK_DAYS = 3
COOLDOWN_DAYS = 7
MAD_TO_SD = Decimal("1.4826")
_SCALE = Decimal("0.000001")
RECORDS = table_of(AiToolUsageRecord)
MEMBERS = table_of(AiUsageMemberRollup)


@dataclass(frozen=True)
class Verdict:
    anomalous: bool
    baseline_cents: Decimal
    spread_cents: Decimal
    ratio: Decimal


def _median(values: list[Decimal]) -> Decimal:
    return Decimal(statistics.median(values)) if values else Decimal(0)


def is_anomaly(cost_cents: Decimal, history_cents: list[Decimal], team_median_cents: Decimal | None) -> Verdict:
    """The rule for one day: `history_cents` is the person's `BASELINE_DAYS` days before it (zeros included),
    `team_median_cents` their team's median that day (None: too few peers to say)."""
    baseline = _median(history_cents)
    spread = (MAD_TO_SD * _median([abs(c - baseline) for c in history_cents])).quantize(_SCALE)
    ratio = (cost_cents / max(baseline, MIN_SPREAD_CENTS)).quantize(Decimal("0.1"))
    margin = max(spread, baseline / 4, MIN_SPREAD_CENTS)
    anomalous = (cost_cents >= MIN_COST_CENTS and cost_cents >= baseline + SPREAD_FACTOR * margin
                 and (team_median_cents is None or cost_cents >= TEAM_FACTOR * team_median_cents))
    return Verdict(anomalous=anomalous, baseline_cents=baseline.quantize(_SCALE), spread_cents=spread, ratio=ratio)


def top_model(breakdowns: Iterable[list[dict[str, Any]]]) -> str:
    """The model with the largest cost over the day's records ("" when none says)."""
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for breakdown in breakdowns:
        for entry in breakdown or []:
            if not isinstance(entry, dict) or not entry.get("model"):
                continue
            cost = entry.get("estimated_cost")
            amount = cost.get("amount") if isinstance(cost, dict) else entry.get("cost_cents")
            try:
                costs[str(entry["model"])] += Decimal(str(amount if amount is not None else 0))
            except ArithmeticError:
                continue
    return max(costs, key=lambda model: (costs[model], model)) if costs else ""


@dataclass(frozen=True)
class Found:
    actor_id: int
    day: dt.date
    provider: str
    cost_cents: Decimal
    verdict: Verdict
    team_median_cents: Decimal | None
    model: str


def find(*, session: Session, tenant_id: int, first: dt.date, last: dt.date) -> list[Found]:
    """Every anomalous (person, day, provider) of Live usage with a day in first..last."""
    r = RECORDS.c
    rows = session.execute(
        sa_select(r.actor_id, r.usage_date, r.provider, func.sum(r.total_cost_cents))
        .where(r.tenant_id == tenant_id, r.scope_key == 0, r.actor_id.is_not(None),
               r.usage_date >= first - dt.timedelta(days=BASELINE_DAYS), r.usage_date <= last)
        .group_by(r.actor_id, r.usage_date, r.provider)
    ).all()
    daily: dict[tuple[int, str], dict[dt.date, Decimal]] = defaultdict(dict)
    for actor_id, day, provider, cost in rows:
        daily[(actor_id, provider)][day] = Decimal(cost or 0)
    candidates = []
    for (actor_id, provider), days in daily.items():
        for day, cost in days.items():
            if first <= day <= last and cost >= MIN_COST_CENTS:
                history = [days.get(day - dt.timedelta(days=n), Decimal(0)) for n in range(1, BASELINE_DAYS + 1)]
                if is_anomaly(cost, history, None).anomalous:  # the team check only where it can matter
                    candidates.append((actor_id, day, provider, cost, history))
    found = []
    for actor_id, day, provider, cost, history in candidates:
        team_median = _team_median(session, tenant_id, actor_id, day, provider)
        verdict = is_anomaly(cost, history, team_median)
        if verdict.anomalous:
            model = _model(session, tenant_id, actor_id, day, provider)
            found.append(Found(actor_id=actor_id, day=day, provider=provider, cost_cents=cost, verdict=verdict,
                               team_median_cents=team_median, model=model))
    return sorted(found, key=lambda f: (f.day, f.actor_id, f.provider))


def _team_median(session: Session, tenant_id: int, actor_id: int, day: dt.date, provider: str) -> Decimal | None:
    units = session.exec(select(Placement.org_unit_id).where(
        Placement.tenant_id == tenant_id, col(Placement.scenario_id).is_(None), Placement.actor_id == actor_id,
        Placement.start_date <= day, (col(Placement.end_date).is_(None)) | (col(Placement.end_date) >= day))).all()
    if not units:
        return None
    m = MEMBERS.c
    peers = session.execute(
        sa_select(m.org_unit_id, m.cost_cents).where(
            m.tenant_id == tenant_id, m.scope_key == 0, m.org_unit_id.in_(list(units)), m.usage_date == day,
            m.provider == provider, m.actor_id != actor_id)
    ).all()
    by_unit: dict[int, list[Decimal]] = defaultdict(list)
    for unit_id, cost in peers:
        by_unit[unit_id].append(Decimal(cost or 0))
    medians = [_median(costs) for costs in by_unit.values() if len(costs) >= MIN_TEAM_PEERS]
    return max(medians).quantize(_SCALE) if medians else None


def _model(session: Session, tenant_id: int, actor_id: int, day: dt.date, provider: str) -> str:
    rows = session.execute(sa_select(RECORDS.c.model_breakdown).where(
        RECORDS.c.tenant_id == tenant_id, RECORDS.c.scope_key == 0, RECORDS.c.actor_id == actor_id,
        RECORDS.c.usage_date == day, RECORDS.c.provider == provider)).scalars()
    return top_model(rows)


# --- stored, notified -----------------------------------------------------------------------------


def detect(*, session: Session, tenant_id: int, today: dt.date | None = None) -> list[SpendAnomaly]:
    """The last `RECHECK_DAYS` complete days checked again and stored; the new anomalies notified (flushed)."""
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    first, last = today - dt.timedelta(days=RECHECK_DAYS), today - dt.timedelta(days=1)
    found = find(session=session, tenant_id=tenant_id, first=first, last=last)
    recent = session.exec(select(SpendAnomaly).where(
        SpendAnomaly.tenant_id == tenant_id, SpendAnomaly.usage_date >= first, SpendAnomaly.usage_date <= last))
    stored = {(a.actor_id, a.usage_date, a.provider): a for a in recent}
    keep = {(f.actor_id, f.day, f.provider) for f in found}
    gone = [key for key in stored if key not in keep]
    for actor_id, day, provider in gone:
        session.execute(delete(SpendAnomaly).where(
            col(SpendAnomaly.tenant_id) == tenant_id, col(SpendAnomaly.actor_id) == actor_id,
            col(SpendAnomaly.usage_date) == day, col(SpendAnomaly.provider) == provider))
    new = []
    for f in found:
        row = stored.get((f.actor_id, f.day, f.provider))
        if row is None:
            row = SpendAnomaly(tenant_id=tenant_id, actor_id=f.actor_id, usage_date=f.day, provider=f.provider)
            new.append(row)
        row.cost_cents, row.baseline_cents = f.cost_cents, f.verdict.baseline_cents
        row.spread_cents, row.team_median_cents = f.verdict.spread_cents, f.team_median_cents
        row.ratio, row.model = f.verdict.ratio, f.model
        session.add(row)
    session.flush()
    for row in new:
        _notify(session, tenant_id, row)
    return new


def _notify(session: Session, tenant_id: int, row: SpendAnomaly) -> None:
    since = utcnow() - dt.timedelta(days=COOLDOWN_DAYS)
    recent = session.exec(select(SpendAnomaly.actor_id).where(
        SpendAnomaly.tenant_id == tenant_id, SpendAnomaly.actor_id == row.actor_id,
        col(SpendAnomaly.notified_at).is_not(None), col(SpendAnomaly.notified_at) >= since).limit(1)).first()
    if recent is not None:
        return  # the person's earlier anomaly was said within the cooldown: stored, listed, not sent again
    actor = session.get_one(Actor, row.actor_id)
    tenant = session.get_one(Tenant, tenant_id)
    provider = registry.display_name(row.provider)
    title = f"Unusual AI spend: {actor.name} on {row.usage_date:%-d %b}"
    body = (f"{actor.name} spent {usd(row.cost_cents)} on {provider} on {row.usage_date:%-d %b %Y}, "
            f"{row.ratio}x their usual {usd(row.baseline_cents)} a day"
            + (f", mostly {row.model}." if row.model else "."))
    link = person_path(row.actor_id)
    facts = [("Person", actor.name), ("Day", f"{row.usage_date:%-d %b %Y}"), ("Provider", provider),
             ("Cost", usd(row.cost_cents)), ("Usual day (median of 28)", usd(row.baseline_cents)),
             ("Ratio", f"{row.ratio}x")]
    if row.team_median_cents is not None:
        facts.append(("Team median that day", usd(row.team_median_cents)))
    if row.model:
        facts.append(("Model with the most cost", row.model))
    footer = (f"You receive this because you see this person's AI usage in {tenant.name}. "
              "Choose which alerts reach you by e-mail in your notification settings:")
    alert = alerting.Alert(category=Category.anomalies, title=title, body=body, link=link, facts=facts,
                           action="Open their page", footer=footer)
    alerting.deliver(session=session, users=recipients(session=session, tenant_id=tenant_id, actor_id=row.actor_id),
                     alert=alert)
    row.notified_at = utcnow()
    session.add(row)
    session.flush()


def recipients(*, session: Session, tenant_id: int, actor_id: int) -> list[User]:
    """Owners and admins, and the managers who see this person's usage (their scope, and the tenant's
    setting that managers see people), the person themselves aside."""
    return alerting.recipients(session=session, tenant_id=tenant_id, manager_hears=lambda viewer: (
        viewer.may_see_actor(actor_id) and actor_id not in viewer.own_actor_ids))


# --- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnomalyView:
    actor_id: int
    name: str
    day: dt.date
    provider: str
    cost_cents: Decimal
    baseline_cents: Decimal
    team_median_cents: Decimal | None
    ratio: Decimal
    model: str


def list_recent(*, session: Session, tenant_id: int, viewer: UsageViewer, days: int = 30,
                actor_id: int | None = None, today: dt.date | None = None) -> list[AnomalyView]:
    """The anomalies of the last `days` days whose person `viewer` may see, newest first (one person's
    with `actor_id`)."""
    today = today or tenant_today(session=session, tenant_id=tenant_id)
    statement = (select(SpendAnomaly, Actor.name).join(Actor, col(Actor.id) == col(SpendAnomaly.actor_id))
                 .where(SpendAnomaly.tenant_id == tenant_id,
                        SpendAnomaly.usage_date >= today - dt.timedelta(days=days)))
    if actor_id is not None:
        statement = statement.where(SpendAnomaly.actor_id == actor_id)
    rows = session.execute(statement.order_by(col(SpendAnomaly.usage_date).desc(),
                                              col(SpendAnomaly.cost_cents).desc())).all()
    return [AnomalyView(actor_id=a.actor_id, name=name, day=a.usage_date, provider=a.provider,
                        cost_cents=Decimal(a.cost_cents), baseline_cents=Decimal(a.baseline_cents),
                        team_median_cents=None if a.team_median_cents is None else Decimal(a.team_median_cents),
                        ratio=Decimal(a.ratio), model=a.model)
            for a, name in rows if viewer.may_see_actor(a.actor_id)]
