"""On random small orgs, the whole tenant's overview (read from the whole-tenant rollups) equals a
brute-force sum of the raw records, and its cards equal the sum of the departments' cards plus what
counts in no department (unmatched usage, people not yet placed): after a full rebuild, and after each
change worked off by the owed-refresh job (`queue.run_owed`): new days synced, a re-match (records
moving to another person or to nobody), a revision (amounts changed, records dropped) and a day whose
only change is usage matched to nobody.

Each person holds at most one placement (a department or a team, from a random day on, open-ended),
so departments' subtrees are disjoint and their sums add up. Records span November .. January, the
tenant's today is 12 January (UTC), and some records are dated after it (they count nowhere yet).

Runs on the run's database: SQLite by default, PostgreSQL with ORGONAUT_TEST_DB=postgresql.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from orgonaut import clock
from orgonaut.ai_tooling import changes
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import overview as ov
from orgonaut.rollups import queries, queue, service
from orgonaut.tenancy.models import UsageReach
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

BASE = dt.date(2024, 11, 25)
DAYS = 56  # 25 Nov 2024 .. 19 Jan 2025
NOW = dt.datetime(2025, 1, 12, 12, tzinfo=dt.UTC)
TODAY = dt.date(2025, 1, 12)
MTD = (dt.date(2025, 1, 1), TODAY)
LAST = (dt.date(2024, 12, 1), dt.date(2024, 12, 31))
BEFORE = (dt.date(2024, 11, 1), dt.date(2024, 11, 30))
PROVIDERS = ("claude_code", "cursor")
EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)


@dataclasses.dataclass
class Rec:
    actor: int | None  # index into the actors; None: matched to nobody
    email_variant: int  # a person may appear under two e-mails
    provider: str
    day: int
    cost_millicents: int
    record_id: int = 0
    email: str = ""  # as stored; a re-match changes the actor, not the e-mail

    def __post_init__(self) -> None:
        self.email = self.email or f"{'old' if self.email_variant else 'new'}.{self.actor}@example.test"

    @property
    def date(self) -> dt.date:
        return BASE + dt.timedelta(days=self.day)

    @property
    def cost(self) -> Decimal:
        return Decimal(self.cost_millicents) / 1000


def records_for(n_actors: int, min_day: int = 0):
    return st.lists(
        st.builds(Rec, st.one_of(st.none(), st.integers(0, n_actors - 1)), st.integers(0, 1),
                  st.sampled_from(PROVIDERS), st.integers(min_day, DAYS - 1), st.integers(0, 10_000_000)),
        max_size=30, unique_by=lambda r: (r.actor, r.email_variant, r.provider, r.day),
    )


@st.composite
def orgs(draw):
    departments = draw(st.integers(1, 3))
    # Each team's department, by index.
    teams = draw(st.lists(st.integers(0, departments - 1), max_size=3))
    n_actors = draw(st.integers(1, 6))
    # Per actor: None (never placed) or (unit index among departments + teams, first day placed).
    places = draw(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, departments + len(teams) - 1),
                                                          st.integers(0, DAYS - 1))),
                           min_size=n_actors, max_size=n_actors))
    return departments, teams, places, draw(records_for(n_actors))


class World:
    def __init__(self, session, departments, teams, places):
        self.session, self.places = session, places
        self.tenant = make_tenant(session)
        company = b.unit(session, self.tenant, "Acme", kind=OrgUnitKind.company)
        self.departments = [b.unit(session, self.tenant, f"D{i}", company, kind=OrgUnitKind.department)
                            for i in range(departments)]
        self.teams = [b.unit(session, self.tenant, f"T{i}", self.departments[d]) for i, d in enumerate(teams)]
        self.team_department = teams
        self.actors = [b.actor(session, self.tenant, f"Actor {i}") for i in range(len(places))]
        units = self.departments + self.teams
        for actor, place in zip(self.actors, places, strict=True):
            if place is not None:
                b.place(session, actor, units[place[0]], BASE + dt.timedelta(days=place[1]))
        self.records: list[Rec] = []

    def add(self, records: list[Rec]) -> None:
        taken = {(r.email, r.provider, r.day) for r in self.records}
        for rec in records:
            if (rec.email, rec.provider, rec.day) in taken:  # the records' natural key
                continue
            taken.add((rec.email, rec.provider, rec.day))
            who = self.actors[rec.actor] if rec.actor is not None else None
            row = b.usage(self.session, self.tenant, who, rec.date, email=rec.email, provider=rec.provider,
                          cost=rec.cost)
            rec.record_id = row.id
            self.records.append(rec)

    def department_of(self, rec: Rec) -> int | None:
        """The department whose subtree the record counts in, if any."""
        if rec.actor is None or self.places[rec.actor] is None:
            return None
        unit, first_day = self.places[rec.actor]
        if rec.day < first_day:
            return None
        return unit if unit < len(self.departments) else self.team_department[unit - len(self.departments)]

    def owe_and_work_off(self, days: list[int], actors: set[int | None]) -> None:
        """What a sync or a re-match does: owe the change in its transaction, then the job runs."""
        changes.owe_refresh(self.session, tenant_id=self.tenant.id, scenario_id=None,
                            start=BASE + dt.timedelta(days=min(days)), end=BASE + dt.timedelta(days=max(days)),
                            actor_ids=[self.actors[a].id for a in actors if a is not None], records=True)
        self.session.commit()
        queue.run_owed(tenant_id=self.tenant.id, scenario_id=None)
        self.session.expire_all()


def _in(rec: Rec, period: tuple[dt.date, dt.date]) -> bool:
    return period[0] <= rec.date <= period[1]


def _sum(records) -> Decimal:
    return sum((r.cost for r in records), Decimal(0))


def check(world: World) -> None:
    records = [r for r in world.records if r.date <= TODAY]
    result = ov.overview_for(session=world.session, viewer=EVERYONE, tenant_id=world.tenant.id, scenario_id=None)
    assert result is not None and result.everything

    # Against the raw records, card by card and per provider.
    def expect(recs):
        mtd = [r for r in recs if _in(r, MTD)]
        active = {r.actor for r in mtd if r.actor is not None}
        return (_sum(mtd), _sum(r for r in recs if _in(r, LAST)), _sum(r for r in recs if _in(r, BEFORE)),
                len(active), len({r.actor for r in recs if r.actor is not None}),
                _sum(r for r in mtd if r.actor is not None))

    def got(figures: ov.SpendFigures):
        return (figures.mtd_cost_cents, figures.last_month_cost_cents, figures.month_before_cost_cents,
                figures.active_users, figures.ever_users, figures.matched_mtd_cost_cents)

    assert got(result.total) == expect(records)
    assert [key for key, _ in result.by_provider] == sorted({r.provider for r in records})
    for key, figures in result.by_provider:
        assert got(figures) == expect([r for r in records if r.provider == key])
    unmatched = [r for r in records if r.actor is None]
    assert dataclasses.astuple(result.unmatched) == (
        _sum(r for r in unmatched if _in(r, MTD)), _sum(r for r in unmatched if _in(r, LAST)),
        _sum(r for r in unmatched if _in(r, BEFORE)), _sum(unmatched))
    assert result.all_time_cost_cents == _sum(records)
    by_month = {m.month: dict(m.cost_by_provider) for m in result.months}
    for month in (BEFORE[0], LAST[0], MTD[0]):
        expected = defaultdict(Decimal)
        for r in records:
            if r.date.replace(day=1) == month:
                expected[r.provider] += r.cost
        assert by_month[month] == {k: v for k, v in expected.items() if v}

    # Against the departments' own cards: the departments plus what counts in none of them.
    summaries = [queries.unit_summary(session=world.session, org_unit=d, breadth="subtree")
                 for d in world.departments]
    outside = [r for r in records if world.department_of(r) is None]
    assert result.total.mtd_cost_cents == sum((s.mtd_cost_cents for s in summaries), Decimal(0)) + _sum(
        r for r in outside if _in(r, MTD))
    assert result.total.last_month_cost_cents == sum((s.last_month_cost_cents for s in summaries), Decimal(0)) + _sum(
        r for r in outside if _in(r, LAST))
    # A person counts in one department at most, and only from the day they were placed there.
    active_outside = {r.actor for r in outside if _in(r, MTD) and r.actor is not None} - {
        r.actor for r in records if _in(r, MTD) and world.department_of(r) is not None}
    assert result.total.active_users == sum(s.mtd_active_users for s in summaries) + len(active_outside)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(org=orgs(), data=st.data())
def test_the_overview_equals_the_records_and_the_departments_through_every_kind_of_change(session, org, data):
    departments, teams, places, records = org
    with clock.frozen_at(NOW):
        world = World(session, departments, teams, places)
        world.add(records)
        session.commit()
        service.rebuild(session=session, tenant_id=world.tenant.id)
        session.commit()
        check(world)

        # A sync stores later days.
        extra = data.draw(records_for(len(places), min_day=DAYS // 2), label="synced")
        before = len(world.records)
        world.add(extra)
        added = world.records[before:]
        if added:
            world.owe_and_work_off([r.day for r in added], {r.actor for r in added})
            check(world)

        if world.records:
            # A re-match: some records move to another person or to nobody.
            moved = data.draw(st.lists(st.sampled_from(world.records), max_size=4, unique_by=id), label="moved")
            touched: set[int | None] = set()
            for rec in moved:
                target = data.draw(st.one_of(st.none(), st.integers(0, len(places) - 1)), label="to")
                touched |= {rec.actor, target}
                rec.actor = target
                session.execute(update(AiToolUsageRecord).where(AiToolUsageRecord.id == rec.record_id).values(
                    actor_id=None if target is None else world.actors[target].id))
            if moved:
                world.owe_and_work_off([r.day for r in moved], touched)
                check(world)

            # A revision: amounts change and a record is dropped.
            revised = data.draw(st.lists(st.sampled_from(world.records), max_size=3, unique_by=id), label="revised")
            for rec in revised:
                rec.cost_millicents = data.draw(st.integers(0, 10_000_000), label="cost")
                session.execute(update(AiToolUsageRecord).where(AiToolUsageRecord.id == rec.record_id).values(
                    total_cost_cents=rec.cost))
            dropped = world.records.pop(data.draw(st.integers(0, len(world.records) - 1), label="drop"))
            session.execute(delete(AiToolUsageRecord).where(AiToolUsageRecord.id == dropped.record_id))
            world.owe_and_work_off([r.day for r in [*revised, dropped]], {r.actor for r in [*revised, dropped]})
            check(world)

        # Usage matched to nobody on a day no one else used: the change names no actor at all.
        lone = Rec(None, 0, "cursor", data.draw(st.integers(0, DAYS - 1), label="lone day"), 4_321_000,
                   email="contractor@outside.test")
        world.add([lone])
        world.owe_and_work_off([lone.day], set())
        check(world)
