"""The org-wide spend overview (`rollups.overview`) against brute force over the raw records.

Random usage (seeded) of several people in a small org, two providers, fourteen months, unmatched rows,
people under two e-mails, a person in two teams, one who moved, one never placed, one inactive and a
record dated after the tenant's today; every card number, the monthly trend and each top-unit row are
summed here straight from the generated records and compared exactly. The tenant is in New York, where
"today" is still the day before UTC's.

Runs on the run's database: SQLite by default, PostgreSQL with ORGONAUT_TEST_DB=postgresql.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlmodel import Session

from orgonaut import clock
from orgonaut.org import visibility
from orgonaut.org.models import ActorStatus, OrgUnitKind
from orgonaut.rollups import overview as ov
from orgonaut.rollups import service, spend_series, unit_costs
from orgonaut.rollups.periods import same_days_last_month
from orgonaut.tenancy.models import UsageReach
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

NOW = dt.datetime(2026, 3, 31, 2, 0, tzinfo=dt.UTC)  # 30 March, 22:00 in New York
TODAY = dt.date(2026, 3, 30)
MTD = (dt.date(2026, 3, 1), TODAY)
LAST = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
SAME_DAYS = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))  # 1 .. 30 clamped to February's 28 days
BEFORE = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
FIRST_DAY = dt.date(2025, 1, 10)
PROVIDERS = ("claude_code", "cursor")
TREND = [dt.date(2025 + (3 + i) // 12, (3 + i) % 12 + 1, 1) for i in range(12)]  # Apr 2025 .. Mar 2026

# The org: Acme > Engineering > {Web, API}; Acme > Sales > {Deals}; Acme > Ops (a team under the company).
UNITS = {"Acme": (None, OrgUnitKind.company), "Engineering": ("Acme", OrgUnitKind.department),
         "Web": ("Engineering", OrgUnitKind.team), "API": ("Engineering", OrgUnitKind.team),
         "Sales": ("Acme", OrgUnitKind.department), "Deals": ("Sales", OrgUnitKind.team),
         "Ops": ("Acme", OrgUnitKind.team)}
# (person, unit, start, end inclusive or None)
PLACES = [
    ("Alice", "Web", dt.date(2024, 6, 1), None), ("Alice", "API", dt.date(2025, 9, 1), None),  # two teams
    ("Bob", "Web", dt.date(2024, 6, 1), dt.date(2025, 12, 31)), ("Bob", "Deals", dt.date(2026, 1, 1), None),
    ("Cara", "API", dt.date(2024, 6, 1), None), ("Dan", "Engineering", dt.date(2024, 6, 1), None),
    ("Eve", "Deals", dt.date(2025, 3, 1), None), ("Fay", "Ops", dt.date(2025, 1, 1), dt.date(2026, 2, 14)),
    ("Gus", "Sales", dt.date(2024, 6, 1), None),
    # Hal is never placed; Ivy is inactive (left), placed in Web until last autumn.
    ("Ivy", "Web", dt.date(2024, 6, 1), dt.date(2025, 10, 31)),
]
PEOPLE = ("Alice", "Bob", "Cara", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy")


@dataclasses.dataclass(frozen=True)
class Rec:
    person: str | None  # None: unmatched
    email: str
    provider: str
    day: dt.date
    cost: Decimal


def _records(seed: int) -> list[Rec]:
    rnd = random.Random(seed)
    span = (NOW.date() - FIRST_DAY).days  # up to UTC's today: one day past the tenant's
    seen, records = set(), []
    while len(records) < 260:
        person = rnd.choice([*PEOPLE, None, None])
        if person is None:
            email = f"contractor{rnd.randint(1, 3)}@outside.test"
        else:  # some people also appear under an old address
            email = f"{person.lower()}{'.old' if rnd.random() < 0.2 else ''}@example.test"
        provider = rnd.choice(PROVIDERS)
        # Half the records in the last three months, so every period has plenty.
        day = NOW.date() - dt.timedelta(days=rnd.randint(0, 90) if rnd.random() < 0.5 else rnd.randint(0, span))
        if (email, provider, day) in seen:
            continue
        seen.add((email, provider, day))
        cost = Decimal(rnd.randint(0, 5_000_000_000)) / 1_000_000 if rnd.random() > 0.05 else Decimal(0)
        records.append(Rec(person, email, provider, day, cost))
    return records


@pytest.fixture
def world(session: Session, request):
    tenant = make_tenant(session, timezone="America/New_York")
    units = {}
    for name, (parent, kind) in UNITS.items():
        units[name] = b.unit(session, tenant, name, units[parent] if parent else None, kind=kind)
    actors = {name: b.actor(session, tenant, name) for name in PEOPLE}
    actors["Ivy"].status = ActorStatus.inactive
    session.add(actors["Ivy"])
    for person, unit, start, end in PLACES:
        b.place(session, actors[person], units[unit], start, end)
    records = _records(request.param)
    for rec in records:
        b.usage(session, tenant, actors[rec.person] if rec.person else None, rec.day, email=rec.email,
                provider=rec.provider, cost=rec.cost)
    session.commit()
    with clock.frozen_at(NOW):
        service.rebuild(session=session, tenant_id=tenant.id)
        session.commit()
        yield tenant, units, actors, records


def _parents(unit: str) -> list[str]:
    chain: list[str] = []
    current: str | None = unit
    while current is not None:
        chain.append(current)
        current = UNITS[current][0]
    return chain


def _units_of(person: str | None, day: dt.date) -> set[str]:
    """Every unit (with the ones above) where the person had a placement that day."""
    if person is None:
        return set()
    direct = {u for p, u, start, end in PLACES if p == person and start <= day and (end is None or day <= end)}
    return {a for u in direct for a in _parents(u)}


def _in(day: dt.date, period: tuple[dt.date, dt.date]) -> bool:
    return period[0] <= day <= period[1]


def _expected_figures(records: list[Rec]) -> dict:
    mtd = [r for r in records if _in(r.day, MTD)]
    active = {r.person for r in mtd if r.person}
    matched_mtd = sum((r.cost for r in mtd if r.person), Decimal(0))
    mtd_cost = sum((r.cost for r in mtd), Decimal(0))
    return dict(
        mtd_cost_cents=mtd_cost,
        last_month_cost_cents=sum((r.cost for r in records if _in(r.day, LAST)), Decimal(0)),
        month_before_cost_cents=sum((r.cost for r in records if _in(r.day, BEFORE)), Decimal(0)),
        forecast_cents=(mtd_cost * 31 / 30).quantize(Decimal("0.000001")),
        active_users=len(active),
        ever_users=len({r.person for r in records if r.person}),
        matched_mtd_cost_cents=matched_mtd,
        per_user=(matched_mtd / len(active)).quantize(Decimal("0.000001")) if active else None,
    )


def _check_figures(got: ov.SpendFigures, expected: dict) -> None:
    actual = {f: getattr(got, f) for f in expected if f != "per_user"}
    actual["per_user"] = got.cost_per_active_user_cents
    assert actual == expected
    assert got.change_cents == expected["last_month_cost_cents"] - expected["month_before_cost_cents"]


def _expected_units(records: list[Rec], allowed: set[str] | None = None) -> tuple[list, list]:
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for r in records:
        for unit in _units_of(r.person, r.day):
            for i, period in enumerate((MTD, SAME_DAYS, LAST)):
                if _in(r.day, period):
                    sums[unit][i] += r.cost
    rows = [(unit, *values) for unit, values in sums.items()
            if UNITS[unit][1] in (OrgUnitKind.department, OrgUnitKind.team) and (allowed is None or unit in allowed)]
    rows.sort(key=lambda row: (-row[1], -row[3], row[0].lower()))
    return ([row for row in rows if UNITS[row[0]][1] == OrgUnitKind.department],
            [row for row in rows if UNITS[row[0]][1] == OrgUnitKind.team])


def _rows(spends: tuple[ov.UnitSpend, ...]) -> list:
    return [(s.name, s.mtd_cost_cents, s.last_month_same_days_cost_cents, s.last_month_cost_cents) for s in spends]


def _check(result: ov.Overview, records: list[Rec], headcount: int, allowed: set[str] | None) -> None:
    records = [r for r in records if r.day <= TODAY]  # the tenant's today: the last UTC day is not in
    assert (result.today, result.mtd.start, result.last_month.start, result.month_before.start) == (
        TODAY, MTD[0], LAST[0], BEFORE[0])
    _check_figures(result.total, _expected_figures(records))
    assert [key for key, _ in result.by_provider] == sorted({r.provider for r in records})
    for key, figures in result.by_provider:
        _check_figures(figures, _expected_figures([r for r in records if r.provider == key]))
    unmatched = [r for r in records if r.person is None]
    assert dataclasses.astuple(result.unmatched) == (
        sum((r.cost for r in unmatched if _in(r.day, MTD)), Decimal(0)),
        sum((r.cost for r in unmatched if _in(r.day, LAST)), Decimal(0)),
        sum((r.cost for r in unmatched if _in(r.day, BEFORE)), Decimal(0)),
        sum((r.cost for r in unmatched), Decimal(0)),
    )
    assert result.all_time_cost_cents == sum((r.cost for r in records), Decimal(0))
    assert result.headcount == headcount
    expected_months = []
    for start in TREND:
        per = defaultdict(lambda: Decimal(0))
        for r in records:
            if r.day.replace(day=1) == start:
                per[r.provider] += r.cost
        expected_months.append((start, tuple((k, v) for k, v in sorted(per.items()) if v)))
    assert [(m.month, m.cost_by_provider) for m in result.months] == expected_months
    departments, teams = _expected_units(records, allowed)
    assert _rows(result.top_departments) == departments[:10]
    assert _rows(result.top_teams) == teams[:10]


@pytest.mark.parametrize("world", [1, 2, 3], indirect=True)
def test_everything_equals_the_raw_records(session, world):
    tenant, units, actors, records = world
    result = ov.overview_for(session=session, viewer=visibility.UsageViewer(reach=UsageReach.everyone),
                             tenant_id=tenant.id, scenario_id=None)
    assert result is not None and result.everything and result.has_usage
    _check(result, records, headcount=len(PEOPLE) - 1, allowed=None)  # Ivy is inactive
    assert result.unmatched.all_time_cost_cents > 0  # the generator made unmatched usage


@pytest.mark.parametrize("world", [4, 5], indirect=True)
def test_a_managers_units_count_each_persons_usage_once(session, world):
    """Engineering's subtree: usage of the people placed there on the day, each record once (Alice is
    in two of its teams), nothing unmatched, nobody else's."""
    tenant, units, actors, records = world
    scope = {"Engineering", "Web", "API"}
    viewer = visibility.UsageViewer(reach=UsageReach.scope, scope_unit_ids=frozenset(units[u].id for u in scope),
                                    scope_actor_ids=frozenset(actors[p].id for p in ("Alice", "Cara", "Dan")))
    result = ov.overview_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=None)
    assert result is not None and not result.everything
    in_scope = [dataclasses.replace(r) for r in records if _units_of(r.person, r.day) & scope]
    _check(result, in_scope, headcount=3, allowed=scope)
    assert result.unmatched.all_time_cost_cents == 0


@pytest.mark.parametrize("world", [6], indirect=True)
def test_a_provider_filter_and_who_gets_no_overview(session, world):
    tenant, units, actors, records = world
    everyone = visibility.UsageViewer(reach=UsageReach.everyone)
    result = ov.overview_for(session=session, viewer=everyone, tenant_id=tenant.id, scenario_id=None,
                             provider="cursor")
    assert result is not None
    cursor = [r for r in records if r.provider == "cursor" and r.day <= TODAY]
    _check_figures(result.total, _expected_figures(cursor))
    for reach in (UsageReach.own, UsageReach.nobody):
        assert ov.overview_for(session=session, viewer=visibility.UsageViewer(reach=reach), tenant_id=tenant.id,
                               scenario_id=None) is None
    # A manager without a placement today has no scope, so no overview.
    assert ov.overview_for(session=session, viewer=visibility.UsageViewer(reach=UsageReach.scope),
                           tenant_id=tenant.id, scenario_id=None) is None


def test_a_tenant_without_usage_has_an_empty_overview(session):
    tenant = make_tenant(session)
    session.commit()
    result = ov.overview_for(session=session, viewer=visibility.UsageViewer(reach=UsageReach.everyone),
                             tenant_id=tenant.id, scenario_id=None)
    assert result is not None and not result.has_usage
    assert result.total.mtd_cost_cents == 0 and result.total.cost_per_active_user_cents is None
    assert result.top_departments == () and result.top_teams == () and len(result.months) == 12


def test_the_forecast_is_the_run_rate():
    assert ov.forecast_cents(Decimal("1000"), dt.date(2026, 4, 10)) == Decimal("3000")  # 30-day month
    assert ov.forecast_cents(Decimal("100"), dt.date(2026, 2, 28)) == Decimal("100")  # the last day
    assert ov.forecast_cents(Decimal("1"), dt.date(2026, 1, 3)) == Decimal("10.333333")
    assert same_days_last_month(dt.date(2026, 3, 30)).end == dt.date(2026, 2, 28)


def _expected_days(records: list[Rec], start: dt.date, end: dt.date) -> list:
    days = []
    day = start
    while day <= end:
        per = defaultdict(lambda: Decimal(0))
        for r in records:
            if r.day == day:
                per[r.provider] += r.cost
        days.append((day, tuple(sorted(per.items()))))
        day += dt.timedelta(days=1)
    return days


@pytest.mark.parametrize("world", [7], indirect=True)
def test_the_cost_trend_by_day_and_by_month_for_every_range(session, world):
    tenant, units, actors, records = world
    records = [r for r in records if r.day <= TODAY]
    everyone = visibility.UsageViewer(reach=UsageReach.everyone)
    first = min(r.day for r in records)
    ranges = {"mtd": MTD, "last_month": LAST, "3m": (dt.date(2025, 12, 31), TODAY),
              "6m": (dt.date(2025, 10, 1), TODAY), "all": (first, TODAY)}
    for name, (start, end) in ranges.items():
        series = spend_series.series_for(session=session, viewer=everyone, tenant_id=tenant.id, scenario_id=None,
                                         range=name)
        assert series is not None and (series.period.start, series.period.end) == (start, end), name
        assert [(p.date, p.cost_by_provider) for p in series.days] == _expected_days(records, start, end), name
        in_range = [r for r in records if start <= r.day <= end]
        by_month = defaultdict(lambda: defaultdict(lambda: Decimal(0)))
        for r in in_range:
            by_month[r.day.replace(day=1)][r.provider] += r.cost
        assert [(m.month, m.cost_by_provider) for m in series.months] == [
            (month, tuple((k, v) for k, v in sorted(by_month[month].items()) if v))
            for month in sorted({d.replace(day=1) for d in (start, end)} | set(by_month))], name
        assert sum((m.cost_cents for m in series.months), Decimal(0)) == sum((r.cost for r in in_range), Decimal(0))
        # The page loads "all" once and switches ranges from it, with the same numbers.
        everything = spend_series.series_for(session=session, viewer=everyone, tenant_id=tenant.id, scenario_id=None,
                                   range="all")
        assert everything is not None and everything.within(series.period) == series, name
    # Explicit dates and one provider.
    start, end = dt.date(2026, 1, 20), dt.date(2026, 2, 10)
    series = spend_series.series_for(session=session, viewer=everyone, tenant_id=tenant.id, scenario_id=None,
                                     start=start,
                           end=end, provider="cursor")
    assert series is not None
    assert [(p.date, p.cost_by_provider) for p in series.days] == _expected_days(
        [r for r in records if r.provider == "cursor"], start, end)
    # A manager's trend: each person-day of their units once; members and viewers get none.
    scope = {"Engineering", "Web", "API"}
    viewer = visibility.UsageViewer(reach=UsageReach.scope, scope_unit_ids=frozenset(units[u].id for u in scope))
    series = spend_series.series_for(session=session, viewer=viewer, tenant_id=tenant.id, scenario_id=None, range="3m")
    assert series is not None
    in_scope = [r for r in records if _units_of(r.person, r.day) & scope]
    assert [(p.date, p.cost_by_provider) for p in series.days] == _expected_days(in_scope, *ranges["3m"])
    for reach in (UsageReach.own, UsageReach.nobody):
        assert spend_series.series_for(session=session, viewer=visibility.UsageViewer(reach=reach), tenant_id=tenant.id,
                             scenario_id=None) is None


@pytest.mark.parametrize("world", [8], indirect=True)
@pytest.mark.parametrize("provider", [None, "cursor"])
def test_the_unit_lists_numbers_equal_each_units_page(session, world, provider):
    """`unit_costs` (the team and department lists) against `queries.unit_summary` (each unit's page)
    and, for last month's same days, the raw records."""
    from orgonaut.rollups import queries

    tenant, units, actors, records = world
    records = [r for r in records if r.day <= TODAY and (provider is None or r.provider == provider)]
    got = unit_costs.unit_costs(session=session, tenant_id=tenant.id, scenario_id=None,
                        org_unit_ids=[u.id for u in units.values()], provider=provider)
    assert set(got) == {u.id for u in units.values()}
    for name, unit in units.items():
        page = queries.unit_summary(session=session, org_unit=unit, breadth="subtree", provider=provider)
        row = got[unit.id]
        assert (row.last_month_cost_cents, row.mtd_cost_cents, row.mtd_active_users) == (
            page.last_month_cost_cents, page.mtd_cost_cents, page.mtd_active_users), name
        same = sum((r.cost for r in records if name in _units_of(r.person, r.day) and _in(r.day, SAME_DAYS)),
                   Decimal(0))
        assert row.last_month_same_days_cost_cents == same and row.change_cents == row.mtd_cost_cents - same
    assert got[units["Engineering"].id].mtd_cost_cents > 0 and got[units["Engineering"].id].mtd_active_users > 0
    assert unit_costs.unit_costs(session=session, tenant_id=tenant.id, scenario_id=None, org_unit_ids=[]) == {}
