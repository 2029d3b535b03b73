"""Monthly chargeback: each Live usage record's cost billed to the cost centres of the units its person was
placed in that day, split by placement allocation, so the report adds up to the tenant's total exactly
(unlike unit pages, where a person counts fully in each of their units).

- A record's cost is split over the person's placements in force on its day in proportion to their
  `allocation_pct` (equally when all are 0), in millionths of a cent with the largest remainders rounded
  up, so the parts add up to the record exactly. Usage matched to nobody bills to "Unmatched usage", a
  person without a placement that day to "Not placed".
- A unit's cost centre is its own code or its nearest ancestor's ("No cost centre" when none has one); its
  department the nearest department at or above it ("—" when none).
- Lines: one per (cost centre, department, unit, person, provider).
- Closing a month (`close_month`, owners and admins; a complete month, in order after the last closed one)
  freezes its report in `chargeback_lines`. A vendor revision of a closed month after that changes nothing
  in it: the difference between the month recomputed now and what every closed report booked for it shows
  as adjustment lines in the first open month after the last closed one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.db import table_of
from orgonaut.errors import Conflict, Forbidden, ValidationFailed
from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Placement
from orgonaut.rollups.periods import tenant_today
from orgonaut.spend.budgets import parse_month
from orgonaut.spend.models import ChargebackClose, ChargebackLine
from orgonaut.tenancy.models import Ability, User
from orgonaut.tenancy.service import can

UNMATCHED = "Unmatched usage"
NOT_PLACED = "Not placed"
NO_COST_CENTRE = "No cost centre"
NO_DEPARTMENT = "—"
MICRO = 1_000_000  # millionths of a cent: the records' exact unit
RECORDS = table_of(AiToolUsageRecord)
NO_ACCESS = "The chargeback report is for owners and admins."


@dataclass(frozen=True)
class Line:
    for_month: dt.date
    cost_centre: str
    department: str
    unit: str
    unit_id: int | None
    actor_id: int | None
    person: str
    provider: str
    amount_cents: Decimal

    @property
    def key(self) -> tuple:
        return (self.for_month, self.cost_centre, self.department, self.unit_id, self.unit, self.actor_id,
                self.person, self.provider)


@dataclass(frozen=True)
class Report:
    month: dt.date
    closed_at: dt.datetime | None  # None: open (recomputed at each read)
    lines: tuple[Line, ...]  # the month's own, then the adjustments, each by cost centre, department, person

    @property
    def usage_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.for_month == self.month)

    @property
    def adjustments(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.for_month != self.month)

    @property
    def usage_cents(self) -> Decimal:
        return _sum(line.amount_cents for line in self.usage_lines)

    @property
    def adjustment_cents(self) -> Decimal:
        return _sum(line.amount_cents for line in self.adjustments)

    @property
    def total_cents(self) -> Decimal:
        return _sum(line.amount_cents for line in self.lines)

    def by_cost_centre(self) -> list[tuple[str, Decimal]]:
        return _grouped(self.lines, lambda line: line.cost_centre)

    def by_department(self) -> list[tuple[tuple[str, str], Decimal]]:
        return _grouped(self.lines, lambda line: (line.cost_centre, line.department))


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def _grouped(lines: Iterable[Line], key) -> list:
    totals: dict = defaultdict(Decimal)
    for line in lines:
        totals[key(line)] += line.amount_cents
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: dt.date) -> dt.date:
    return (month_end(month) + dt.timedelta(days=1)).replace(day=1)


def split(micro: int, weights: list[int]) -> list[int]:
    """`micro` split in proportion to `weights` (equally when they are all 0): whole parts, the remainder to
    the largest fractions (the earlier part on a tie), so the parts add up to `micro` exactly."""
    if not weights:
        return []
    if not any(weights):
        weights = [1] * len(weights)
    total = sum(weights)
    sign = -1 if micro < 0 else 1
    base = [abs(micro) * w // total for w in weights]
    fractions = sorted(range(len(weights)), key=lambda i: (-(abs(micro) * weights[i] % total), i))
    for i in fractions[:abs(micro) - sum(base)]:
        base[i] += 1
    return [sign * part for part in base]


# --- the month's own lines, recomputed ------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    name: str
    cost_centre: str
    department: str


def _units(session: Session, tenant_id: int) -> dict[int, _Unit]:
    rows = {u.id: u for u in session.exec(select(OrgUnit).where(
        OrgUnit.tenant_id == tenant_id, col(OrgUnit.scenario_id).is_(None)))}

    def walk(unit_id: int | None, pick) -> str | None:
        seen: set[int] = set()
        while unit_id is not None and unit_id in rows and unit_id not in seen:
            seen.add(unit_id)
            found = pick(rows[unit_id])
            if found:
                return found
            unit_id = rows[unit_id].parent_id
        return None

    return {unit_id: _Unit(
        name=unit.name,
        cost_centre=walk(unit_id, lambda u: u.cost_centre) or NO_COST_CENTRE,
        department=walk(unit_id, lambda u: u.name if u.kind == OrgUnitKind.department else None) or NO_DEPARTMENT,
    ) for unit_id, unit in rows.items()}


def effective_cost_centres(*, session: Session, tenant_id: int) -> dict[int, str]:
    """Every Live unit's cost centre as billed: its own code or its nearest ancestor's."""
    return {unit_id: unit.cost_centre for unit_id, unit in _units(session, tenant_id).items()}


def live_lines(*, session: Session, tenant_id: int, month: dt.date) -> list[Line]:
    """The month's lines as the records and the org say now."""
    last = month_end(month)
    r = RECORDS.c
    records = session.execute(
        sa_select(r.actor_id, r.source_email, r.usage_date, r.provider, r.total_cost_cents)
        .where(r.tenant_id == tenant_id, r.scope_key == 0, r.usage_date >= month, r.usage_date <= last)
    ).all()
    placements: dict[int, list[Placement]] = defaultdict(list)
    for p in session.exec(select(Placement).where(
            Placement.tenant_id == tenant_id, col(Placement.scenario_id).is_(None), Placement.start_date <= last,
            (col(Placement.end_date).is_(None)) | (col(Placement.end_date) >= month))):
        placements[p.actor_id].append(p)
    units = _units(session, tenant_id)
    names = dict(session.exec(select(Actor.id, Actor.name).where(Actor.tenant_id == tenant_id)).all())
    sums: dict[tuple, int] = defaultdict(int)
    for actor_id, source, day, provider, cost in records:
        micro = int(Decimal(cost or 0) * MICRO)
        if actor_id is None:
            sums[(UNMATCHED, NO_DEPARTMENT, None, "—", None, source, provider)] += micro
            continue
        person = names.get(actor_id, f"#{actor_id}")
        held = sorted((p for p in placements.get(actor_id, ()) if p.start_date <= day and
                       (p.end_date is None or p.end_date >= day)), key=lambda p: p.id)
        if not held:
            sums[(NOT_PLACED, NO_DEPARTMENT, None, "—", actor_id, person, provider)] += micro
            continue
        for p, part in zip(held, split(micro, [p.allocation_pct for p in held]), strict=True):
            unit = units.get(p.org_unit_id, _Unit(f"#{p.org_unit_id}", NO_COST_CENTRE, NO_DEPARTMENT))
            sums[(unit.cost_centre, unit.department, p.org_unit_id, unit.name, actor_id, person, provider)] += part
    lines = [Line(for_month=month, cost_centre=cc, department=dep, unit_id=unit_id, unit=unit, actor_id=actor_id,
                  person=person, provider=provider, amount_cents=Decimal(micro) / MICRO)
             for (cc, dep, unit_id, unit, actor_id, person, provider), micro in sums.items()]
    return sorted(lines, key=_order)


def _order(line: Line) -> tuple:
    return (line.for_month, line.cost_centre, line.department, line.unit, line.person, line.provider)


# --- closed months, adjustments, the report ---------------------------------------------------------


def closed_months(*, session: Session, tenant_id: int) -> dict[dt.date, ChargebackClose]:
    return {c.month: c for c in session.exec(select(ChargebackClose).where(ChargebackClose.tenant_id == tenant_id))}


def _frozen(session: Session, tenant_id: int, **where) -> list[Line]:
    statement = select(ChargebackLine).where(ChargebackLine.tenant_id == tenant_id)
    for name, value in where.items():
        statement = statement.where(getattr(ChargebackLine, name) == value)
    return [Line(for_month=row.for_month, cost_centre=row.cost_centre, department=row.department, unit=row.unit,
                 unit_id=row.unit_id, actor_id=row.actor_id, person=row.person, provider=row.provider,
                 amount_cents=Decimal(row.amount_cents)) for row in session.exec(statement)]


def pending_adjustments(*, session: Session, tenant_id: int, closed: Iterable[dt.date]) -> list[Line]:
    """Per closed month: what it comes to now minus what every closed report booked for it, line by line."""
    adjustments = []
    for month in sorted(closed):
        difference: dict[tuple, Decimal] = defaultdict(Decimal)
        lines: dict[tuple, Line] = {}
        for line in live_lines(session=session, tenant_id=tenant_id, month=month):
            difference[line.key] += line.amount_cents
            lines[line.key] = line
        for line in _frozen(session, tenant_id, for_month=month):
            difference[line.key] -= line.amount_cents
            lines.setdefault(line.key, line)
        adjustments += [replace(lines[key], amount_cents=amount) for key, amount in difference.items() if amount]
    return sorted(adjustments, key=_order)


def report(*, session: Session, tenant_id: int, month: dt.date | str) -> Report:
    """The month's chargeback: frozen when closed; else recomputed, with the adjustments of the closed months
    when this is the first month after the last closed one."""
    month = parse_month(month)
    closed = closed_months(session=session, tenant_id=tenant_id)
    if month in closed:
        lines = sorted(_frozen(session, tenant_id, month=month), key=_order)
        return Report(month=month, closed_at=closed[month].closed_at, lines=tuple(lines))
    lines = live_lines(session=session, tenant_id=tenant_id, month=month)
    if closed and month == next_month(max(closed)):
        lines += pending_adjustments(session=session, tenant_id=tenant_id, closed=closed)
    return Report(month=month, closed_at=None, lines=tuple(lines))


def refusal_to_close(month: dt.date, *, this_month: dt.date, closed: Collection[dt.date]) -> str:
    """Why `month` cannot be closed now ("" when it can): it has not ended, it is closed, or an earlier month
    must close first (months close in order after the last closed one)."""
    if month >= this_month:
        return f"{month:%B %Y} is not over yet: a month is closed once it has ended."
    if month in closed:
        return f"{month:%B %Y} is closed already."
    if closed and month != next_month(max(closed)):
        return (f"Months close in order: close {next_month(max(closed)):%B %Y} first (the last closed month is "
                f"{max(closed):%B %Y}).")
    return ""


def close_month(*, session: Session, user: User, month: dt.date | str) -> Report:
    """Freezes a complete month's report (owners and admins): the next one after the last closed month, or any
    complete month when none is closed yet. Flushed; the caller commits."""
    if not can(user, Ability.ai_tooling_manage):
        raise Forbidden(NO_ACCESS)
    month = parse_month(month)
    tenant_id = user.tenant_id
    this_month = tenant_today(session=session, tenant_id=tenant_id).replace(day=1)
    closed = closed_months(session=session, tenant_id=tenant_id)
    refusal = refusal_to_close(month, this_month=this_month, closed=closed)
    if refusal:
        raise (Conflict if month in closed else ValidationFailed)(refusal)
    result = report(session=session, tenant_id=tenant_id, month=month)
    for line in result.lines:
        session.add(ChargebackLine(
            tenant_id=tenant_id, month=month, for_month=line.for_month, cost_centre=line.cost_centre[:60],
            department=line.department[:200], unit=line.unit[:200], unit_id=line.unit_id, actor_id=line.actor_id,
            person=line.person[:200], provider=line.provider, amount_cents=line.amount_cents))
    session.add(ChargebackClose(tenant_id=tenant_id, month=month, total_cents=result.total_cents,
                                closed_by_user_id=user.id))
    session.flush()
    return report(session=session, tenant_id=tenant_id, month=month)
