"""The chargeback report (`spend.chargeback`) on the run's database, against brute force on random data: the
month's lines add up to the tenant's records to the millionth of a cent, each person's cost is split by
their placements' allocation that day, cost centres are inherited; closing freezes a month, a later vendor
revision of it shows as an adjustment in the next month, and closes go in order.

The org: Acme (company, CC-ROOT) > Engineering (CC-ENG) > {Web (CC-WEB), API (no code)}; Sales (no code).
Alice is 60 % Web and 40 % API; Bob moves from Web to Sales mid-month; Cara is in API; Dan is placed nowhere;
contractors' usage is unmatched.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.errors import Conflict, Forbidden, ValidationFailed
from orgonaut.org import service as org
from orgonaut.org.models import OrgUnitKind
from orgonaut.spend import chargeback as cb
from orgonaut.tenancy.models import Role
from tests.factories import make_tenant, make_user
from tests.integration.rollups import builders as b

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
OCTOBER, NOVEMBER, DECEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
MID = dt.date(2026, 11, 16)


@pytest.fixture(params=[3, 11])
def world(session, request):
    tenant = make_tenant(session)
    acme = b.unit(session, tenant, "Acme", kind=OrgUnitKind.company)
    eng = b.unit(session, tenant, "Engineering", acme, kind=OrgUnitKind.department)
    units = {"Acme": acme, "Engineering": eng, "Web": b.unit(session, tenant, "Web", eng),
             "API": b.unit(session, tenant, "API", eng),
             "Sales": b.unit(session, tenant, "Sales", acme, kind=OrgUnitKind.department)}
    for name, code in (("Acme", "CC-ROOT"), ("Engineering", "CC-ENG"), ("Web", "CC-WEB")):
        org.update_org_unit(session=session, tenant_id=tenant.id, org_unit_id=units[name].id, cost_centre=code)
    people = {name: b.actor(session, tenant, name) for name in ("Alice", "Bob", "Cara", "Dan")}
    start = dt.date(2026, 1, 1)
    b.place(session, people["Alice"], units["Web"], start, allocation_pct=60)
    b.place(session, people["Alice"], units["API"], start, allocation_pct=40)
    b.place(session, people["Bob"], units["Web"], start, MID - dt.timedelta(days=1))
    b.place(session, people["Bob"], units["Sales"], MID)
    b.place(session, people["Cara"], units["API"], start)
    rnd = random.Random(request.param)
    day = OCTOBER
    while day < dt.date(2026, 12, 7):
        for who in [*people, None]:
            if rnd.random() < 0.7:
                cost = Decimal(rnd.randint(1, 9_000_000_000)) / 1_000_000  # up to $90, fractions of a cent
                b.usage(session, tenant, people[who] if who else None, day, cost=cost,
                        provider=rnd.choice(["claude_code", "cursor"]),
                        email=None if who else f"contractor{rnd.randint(1, 2)}@outside.test")
        day += dt.timedelta(days=1)
    admin = make_user(session, tenant, role=Role.admin)
    manager = make_user(session, tenant, role=Role.manager)
    session.commit()
    with clock.frozen_at(NOW):
        yield tenant, units, people, admin, manager


def _records(session, tenant, month):
    r = AiToolUsageRecord
    return session.exec(select(r).where(r.tenant_id == tenant.id, r.scope_key == 0, r.usage_date >= month,
                                        r.usage_date <= cb.month_end(month))).all()


def test_the_months_lines_add_up_to_the_records_and_follow_allocation_and_cost_centres(session, world):
    tenant, units, people, _, _ = world
    records = _records(session, tenant, NOVEMBER)
    report = cb.report(session=session, tenant_id=tenant.id, month="2026-11")
    assert report.closed_at is None and report.adjustments == ()
    assert report.total_cents == report.usage_cents == sum((r.total_cost_cents for r in records), Decimal(0))

    # Brute force per (cost centre, person): Alice 60/40 over Web (CC-WEB) and API (inherits CC-ENG); Bob's
    # days before the 16th to CC-WEB, from then on to Sales (inherits CC-ROOT); Dan unplaced; contractors.
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in records:
        name = next((n for n, p in people.items() if p.id == r.actor_id), None)
        if name == "Alice":
            web = r.total_cost_cents * 60 / 100
            expected[("CC-WEB", "Alice")] += web
            expected[("CC-ENG", "Alice")] += r.total_cost_cents - web
        elif name == "Bob":
            expected[("CC-WEB" if r.usage_date < MID else "CC-ROOT", "Bob")] += r.total_cost_cents
        elif name == "Cara":
            expected[("CC-ENG", "Cara")] += r.total_cost_cents
        elif name == "Dan":
            expected[(cb.NOT_PLACED, "Dan")] += r.total_cost_cents
        else:
            expected[(cb.UNMATCHED, r.source_email)] += r.total_cost_cents
    got: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in report.lines:
        got[(line.cost_centre, line.person)] += line.amount_cents
    for key, amount in expected.items():
        # Alice's split is rounded per record to a millionth of a cent: within that many millionths.
        tolerance = Decimal(len(records)) / cb.MICRO if key[1] == "Alice" else Decimal(0)
        assert abs(got[key] - amount) <= tolerance, key
    assert set(got) == set(expected)
    departments = {dep for (_, dep) in dict(report.by_department())}
    assert departments == {"Engineering", cb.NO_DEPARTMENT} | ({"Sales"} if got[("CC-ROOT", "Bob")] else set())
    assert sum((amount for _, amount in report.by_cost_centre()), Decimal(0)) == report.total_cents


def test_split_adds_up_exactly_and_follows_the_weights():
    assert cb.split(100, [60, 40]) == [60, 40]
    assert cb.split(101, [1, 1]) == [51, 50]
    assert cb.split(7, [0, 0, 0]) == [3, 2, 2]
    assert cb.split(-101, [1, 1]) == [-51, -50]
    rnd = random.Random(5)
    for _ in range(500):
        weights = [rnd.randint(0, 300) for _ in range(rnd.randint(1, 4))]
        micro = rnd.randint(-10**12, 10**12)
        parts = cb.split(micro, weights)
        assert sum(parts) == micro
        if any(weights):
            assert all(abs(part - micro * w / sum(weights)) < 1 for part, w in zip(parts, weights, strict=True))


def test_a_closed_month_is_frozen_and_a_later_revision_is_an_adjustment_next_month(session, world):
    tenant, _, people, admin, manager = world
    with pytest.raises(Forbidden):
        cb.close_month(session=session, user=manager, month="2026-10")
    with pytest.raises(ValidationFailed, match="not over yet"):
        cb.close_month(session=session, user=admin, month="2026-12")
    october = cb.close_month(session=session, user=admin, month="2026-10")
    session.commit()
    with pytest.raises(Conflict, match="closed already"):
        cb.close_month(session=session, user=admin, month="2026-10")
    assert october.closed_at is not None
    assert october.total_cents == sum((r.total_cost_cents for r in _records(session, tenant, OCTOBER)), Decimal(0))

    # The vendor revises one of Cara's October days after the close.
    record = next(r for r in _records(session, tenant, OCTOBER) if r.actor_id == people["Cara"].id)
    record.total_cost_cents += Decimal("123.456789")
    session.add(record)
    session.commit()
    assert cb.report(session=session, tenant_id=tenant.id, month="2026-10").lines == october.lines  # frozen
    november = cb.report(session=session, tenant_id=tenant.id, month="2026-11")
    [adjustment] = november.adjustments
    assert (adjustment.for_month, adjustment.person, adjustment.cost_centre, adjustment.amount_cents) == (
        OCTOBER, "Cara", "CC-ENG", Decimal("123.456789"))
    assert november.total_cents == november.usage_cents + Decimal("123.456789")
    assert cb.report(session=session, tenant_id=tenant.id, month="2026-12").adjustments == ()  # only the next month

    # Closing November books the adjustment; December then owes nothing more for October.
    closed = cb.close_month(session=session, user=admin, month="2026-11")
    session.commit()
    assert closed.adjustments == november.adjustments and closed.total_cents == november.total_cents
    assert cb.report(session=session, tenant_id=tenant.id, month="2026-12").adjustments == ()


def test_months_close_in_order(session, world):
    _, _, _, admin, _ = world
    cb.close_month(session=session, user=admin, month="2026-10")
    session.commit()
    with pytest.raises(ValidationFailed, match="close November 2026 first"):
        cb.close_month(session=session, user=admin, month="2026-09")
