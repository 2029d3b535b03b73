"""On random small orgs with random usage over fourteen months, the overview's adoption (daily, weekly and
monthly active users, monthly cohorts), model mix and output per cost equal a brute-force computation over
the raw records written here, for the whole tenant (owners and admins) and for a manager's units, with and
without a provider filter: after a full rebuild, and after each change worked off by the owed-refresh job
(`queue.run_owed`): new days synced, a re-match, a revision (amounts and model splits changed, a record
dropped) and a day of only unmatched usage.

People may hold two placements (so a manager's units hold some person twice on a day: counted once).
Records carry random `model_breakdown`s: models with amounts, and entries the model mix must ignore (no
model, no amount, a product, not an object). The tenant's today is 12 January 2025 (UTC); some records are
dated after it. Brute force follows the rules the modules' docstrings state, written again here.

Runs on the run's database: SQLite by default, PostgreSQL with ORGONAUT_TEST_DB=postgresql.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from orgonaut import clock
from orgonaut.ai_tooling import changes
from orgonaut.ai_tooling.models import AiToolUsageRecord
from orgonaut.org import visibility
from orgonaut.org.models import OrgUnitKind
from orgonaut.rollups import adoption, model_mix, output_per_cost, queue, service
from orgonaut.rollups import overview as ov
from orgonaut.rollups.periods import Period, minus_months
from orgonaut.tenancy.models import UsageReach
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

TODAY = dt.date(2025, 1, 12)
NOW = dt.datetime(2025, 1, 12, 12, tzinfo=dt.UTC)
BASE = dt.date(2023, 11, 20)
DAYS = (TODAY - BASE).days + 8  # a week past today
PROVIDERS = ("claude_code", "cursor", "copilot")
MODELS = ("model-a", "model-b", "claude-x", "gpt-y")
EVERYONE = visibility.UsageViewer(reach=UsageReach.everyone)
# What each provider reports (their declarations): commits and pull requests only Claude Code here.
REPORTS = {"commits": {"claude_code"}, "pull_requests": {"claude_code"},
           "lines_added": {"claude_code", "cursor", "copilot"}}

# Entries a breakdown may hold: (model, amount in millionths of a cent) that count, or junk that must not.
JUNK = [{"product": "chat", "estimated_cost": {"currency": "USD", "amount": "5"}},
        {"model": "model-a", "requests": 3}, {"model": "", "estimated_cost": {"amount": "1"}}, "text", 7,
        {"model": "model-b", "estimated_cost": {"amount": None}}]


@dataclasses.dataclass
class Rec:
    actor: int | None
    email_variant: int
    provider: str
    day: int
    cost_micro: int
    commits: int
    lines: int
    models: list[tuple[str, int]]  # (model, millionths of a cent)
    junk: list[int]  # indexes into JUNK
    record_id: int = 0
    email: str = ""

    def __post_init__(self) -> None:
        self.email = self.email or f"{'old' if self.email_variant else 'new'}.{self.actor}@example.test"

    @property
    def date(self) -> dt.date:
        return BASE + dt.timedelta(days=self.day)

    @property
    def cost(self) -> Decimal:
        return Decimal(self.cost_micro) / 1_000_000

    def breakdown(self) -> list[Any]:
        entries: list[Any] = [{"model": m, "estimated_cost": {"currency": "USD",
                                                               "amount": format(Decimal(a) / 1_000_000, "f")}}
                              for m, a in self.models]
        entries += [JUNK[i] for i in self.junk]
        return entries


def records_for(n_actors: int, min_day: int = 0):
    models = st.lists(st.tuples(st.sampled_from(MODELS), st.integers(0, 3_000_000_000)), max_size=3,
                      unique_by=lambda m: m[0])
    return st.lists(
        st.builds(Rec, st.one_of(st.none(), st.integers(0, n_actors - 1)), st.integers(0, 1),
                  st.sampled_from(PROVIDERS), st.integers(min_day, DAYS - 1), st.integers(0, 5_000_000_000),
                  st.integers(0, 5), st.integers(0, 400), models, st.lists(st.integers(0, len(JUNK) - 1), max_size=2)),
        max_size=40, unique_by=lambda r: (r.actor, r.email_variant, r.provider, r.day),
    )


@st.composite
def orgs(draw):
    departments = draw(st.integers(1, 3))
    teams = draw(st.lists(st.integers(0, departments - 1), max_size=3))
    n_actors = draw(st.integers(1, 6))
    units = departments + len(teams)
    # Per actor: placements (unit index, first day, last day or None), at most two.
    places = draw(st.lists(st.lists(st.tuples(st.integers(0, units - 1), st.integers(0, DAYS - 1),
                                              st.one_of(st.none(), st.integers(0, DAYS - 1))), max_size=2),
                           min_size=n_actors, max_size=n_actors))
    manager_units = draw(st.lists(st.integers(0, units - 1), min_size=1, max_size=2, unique=True))
    return departments, teams, places, manager_units, draw(records_for(n_actors))


class World:
    def __init__(self, session, departments, teams, places, manager_units):
        self.session = session
        self.tenant = make_tenant(session)
        company = b.unit(session, self.tenant, "Acme", kind=OrgUnitKind.company)
        deps = [b.unit(session, self.tenant, f"D{i}", company, kind=OrgUnitKind.department)
                for i in range(departments)]
        self.units = deps + [b.unit(session, self.tenant, f"T{i}", deps[d]) for i, d in enumerate(teams)]
        self.actors = [b.actor(session, self.tenant, f"Actor {i}") for i in range(len(places))]
        # (actor index, unit index, first, last) of every placement, as days.
        self.spans: list[tuple[int, int, dt.date, dt.date]] = []
        for index, (actor, placements) in enumerate(zip(self.actors, places, strict=True)):
            for unit, first, last in placements:
                start = BASE + dt.timedelta(days=first)
                end = None if last is None or last < first else BASE + dt.timedelta(days=last)
                b.place(self.session, actor, self.units[unit], start, end)
                self.spans.append((index, unit, start, end or dt.date.max))
        # The manager's scope: the chosen units and every unit below them.
        parents = {u.id: u.parent_id for u in self.units}
        chosen = {self.units[i].id for i in manager_units}
        self.scope_unit_ids = frozenset(u.id for u in self.units if self._under(u.id, chosen, parents))
        self.scope_units = {i for i, u in enumerate(self.units) if u.id in self.scope_unit_ids}
        self.manager = visibility.UsageViewer(reach=UsageReach.scope, scope_unit_ids=self.scope_unit_ids)
        self.records: list[Rec] = []

    @staticmethod
    def _under(unit_id: int, chosen: set[int], parents: dict[int, int | None]) -> bool:
        current: int | None = unit_id
        while current is not None:
            if current in chosen:
                return True
            current = parents.get(current)
        return False

    def add(self, records: list[Rec]) -> None:
        taken = {(r.email, r.provider, r.day) for r in self.records}
        for rec in records:
            if (rec.email, rec.provider, rec.day) in taken:
                continue
            taken.add((rec.email, rec.provider, rec.day))
            who = self.actors[rec.actor] if rec.actor is not None else None
            row = b.usage(self.session, self.tenant, who, rec.date, email=rec.email, provider=rec.provider,
                          cost=rec.cost, commits=rec.commits, pull_requests=rec.commits // 2, lines_added=rec.lines)
            row.model_breakdown = rec.breakdown()
            self.session.add(row)
            self.session.flush()
            rec.record_id = row.id
            self.records.append(rec)

    def in_scope(self, rec: Rec) -> bool:
        """The record counts for the manager: its person was placed in one of the scope's units that day."""
        return rec.actor is not None and any(
            actor == rec.actor and unit in self.scope_units and start <= rec.date <= end
            for actor, unit, start, end in self.spans)

    def owe_and_work_off(self, days: list[int], actors: set[int | None]) -> None:
        changes.owe_refresh(self.session, tenant_id=self.tenant.id, scenario_id=None,
                            start=BASE + dt.timedelta(days=min(days)), end=BASE + dt.timedelta(days=max(days)),
                            actor_ids=[self.actors[a].id for a in actors if a is not None], records=True)
        self.session.commit()
        queue.run_owed(tenant_id=self.tenant.id, scenario_id=None)
        self.session.expire_all()


# --- brute force -----------------------------------------------------------------------------------


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _expected_models(records: list[Rec]) -> dict[tuple[dt.date, str, str], Decimal]:
    """Per (day, provider, model) the named amounts; model "" each record's cost less its named amounts."""
    found: dict[tuple[dt.date, str, str], int] = defaultdict(int)
    for r in records:
        found[(r.date, r.provider, "")] += r.cost_micro
        for model, amount in r.models:
            found[(r.date, r.provider, model)] += amount
            found[(r.date, r.provider, "")] -= amount
    return {key: Decimal(micro) / 1_000_000 for key, micro in found.items() if key[2] or micro}


def _expected_active(records: list[Rec], period: Period) -> tuple[dict, dict, dict]:
    days: dict[dt.date, set[int]] = defaultdict(set)
    weeks: dict[dt.date, set[int]] = defaultdict(set)
    months: dict[dt.date, set[int]] = defaultdict(set)
    for r in records:
        if r.actor is None:
            continue
        if period.start <= r.date <= period.end:
            days[r.date].add(r.actor)
        if _week(period.start) <= _week(r.date) <= period.end:
            weeks[_week(r.date)].add(r.actor)
        if period.start.replace(day=1) <= r.date <= TODAY:
            months[r.date.replace(day=1)].add(r.actor)
    return ({d: len(s) for d, s in days.items()}, {w: len(s) for w, s in weeks.items()},
            {m: len(s) for m, s in months.items()})


def _expected_cohorts(records: list[Rec]) -> list[tuple]:
    matched = [r for r in records if r.actor is not None and r.date <= TODAY]
    first: dict[int, dt.date] = {}
    active: dict[dt.date, set[int]] = defaultdict(set)
    for r in matched:
        month = r.date.replace(day=1)
        first[r.actor] = min(first.get(r.actor, month), month)  # type: ignore[index]
        active[month].add(r.actor)  # type: ignore[arg-type]
    rows = []
    for i in range(12):
        month = minus_months(TODAY.replace(day=1), 11 - i)
        now, before = active[month], active[minus_months(month, 1)]
        new = {p for p in now if first[p] == month}
        retained = now & before
        rows.append((month, len(now), len(new), len(retained), len(now - new - retained), len(before - now)))
    return rows


def _expected_output(records: list[Rec], period: Period) -> list[tuple]:
    inside = [r for r in records if period.start <= r.date <= period.end]
    used = {r.provider for r in inside}
    order = [p for p in ("claude_code", "cursor", "copilot") if p in used]
    rows = []
    for metric in ("commits", "pull_requests", "lines_added"):
        reporting = [p for p in order if p in REPORTS[metric]]
        mine = [r for r in inside if r.provider in reporting]
        value = {"commits": lambda r: r.commits, "pull_requests": lambda r: r.commits // 2,
                 "lines_added": lambda r: r.lines}[metric]
        rows.append((metric, sum(value(r) for r in mine), sum((r.cost for r in mine), Decimal(0)), tuple(reporting),
                     tuple(p for p in order if p not in reporting)))
    return rows


# --- the check ---------------------------------------------------------------------------------------


def check(world: World) -> None:
    session, tenant_id = world.session, world.tenant.id
    for viewer in (EVERYONE, world.manager):
        covered = world.records if viewer is EVERYONE else [r for r in world.records if world.in_scope(r)]
        for provider in (None, *PROVIDERS):
            mine = [r for r in covered if provider is None or r.provider == provider]
            upto = [r for r in mine if r.date <= TODAY]
            first = min((r.date for r in upto), default=TODAY)
            everything = Period(first, TODAY)
            label = (viewer.reach, provider)

            # Daily, weekly and monthly active users over "all", and a range cut from it.
            found = adoption.active_users_for(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=None,
                                              today=TODAY, period=everything, provider=provider)
            assert found is not None
            for period in (everything, Period(dt.date(2024, 10, 13), TODAY)):
                cut = found.within(period)
                days, weeks, months = _expected_active(mine, period)
                assert {p.start: p.users for p in cut.days if p.users} == days, label
                assert [p.start for p in cut.days] == period.days
                assert {p.start: p.users for p in cut.weeks if p.users} == weeks, label
                assert {p.start: p.users for p in cut.months if p.users} == months, label
                asked = adoption.active_users_for(session=session, viewer=viewer, tenant_id=tenant_id,
                                                  scenario_id=None, today=TODAY, period=period, provider=provider)
                assert asked == cut, label

            cohorts = adoption.cohorts_for(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=None,
                                           today=TODAY, provider=provider)
            assert cohorts is not None
            assert [dataclasses.astuple(c) for c in cohorts] == _expected_cohorts(mine), label
            for c in cohorts:
                assert c.active == c.new + c.retained + c.reactivated

            output = output_per_cost.output_days_for(session=session, viewer=viewer, tenant_id=tenant_id,
                                                     scenario_id=None, today=TODAY, provider=provider)
            assert output is not None
            for period in (everything, Period(dt.date(2024, 12, 1), dt.date(2024, 12, 31))):
                rates = output.within(period).rates
                assert [(r.metric, r.amount, r.cost_cents, r.providers, r.left_out) for r in rates] == \
                    _expected_output(mine, period), label
                asked = output_per_cost.output_days_for(session=session, viewer=viewer, tenant_id=tenant_id,
                                                        scenario_id=None, today=TODAY, period=period,
                                                        provider=provider)
                assert asked is not None and asked.within(period) == output.within(period)

            costs = model_mix.model_costs_for(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=None,
                                              today=TODAY, provider=provider)
            if viewer is not EVERYONE:
                assert costs is None  # no model rollup per person: the mix is the whole tenant's
                continue
            assert costs is not None
            assert {(d.date, d.provider, d.model): d.cost_cents for d in costs.days} == _expected_models(upto), label
            mix = costs.within(everything)
            assert mix.total_cents == sum((r.cost for r in upto), Decimal(0)), label
            assert sum((row.cost_cents for row in mix.rows), Decimal(0)) == mix.total_cents
            card = ov.overview_for(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=None,
                                   provider=provider, top=0)
            assert card is not None and mix.total_cents == card.all_time_cost_cents


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(org=orgs(), data=st.data())
def test_adoption_model_mix_and_output_equal_the_records_through_every_kind_of_change(session, org, data):
    departments, teams, places, manager_units, records = org
    with clock.frozen_at(NOW):
        world = World(session, departments, teams, places, manager_units)
        world.add(records)
        session.commit()
        service.rebuild(session=session, tenant_id=world.tenant.id)
        session.commit()
        check(world)

        # A sync stores later days.
        before = len(world.records)
        world.add(data.draw(records_for(len(places), min_day=DAYS - 60), label="synced"))
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

            # A revision: amounts and model splits change, and a record is dropped.
            revised = data.draw(st.lists(st.sampled_from(world.records), max_size=3, unique_by=id), label="revised")
            for rec in revised:
                rec.cost_micro = data.draw(st.integers(0, 5_000_000_000), label="cost")
                rec.models = data.draw(st.lists(st.tuples(st.sampled_from(MODELS), st.integers(0, 3_000_000_000)),
                                                max_size=3, unique_by=lambda m: m[0]), label="models")
                session.execute(update(AiToolUsageRecord).where(AiToolUsageRecord.id == rec.record_id).values(
                    total_cost_cents=rec.cost, model_breakdown=rec.breakdown()))
            dropped = world.records.pop(data.draw(st.integers(0, len(world.records) - 1), label="drop"))
            session.execute(delete(AiToolUsageRecord).where(AiToolUsageRecord.id == dropped.record_id))
            world.owe_and_work_off([r.day for r in [*revised, dropped]], {r.actor for r in [*revised, dropped]})
            check(world)

        # Usage matched to nobody on a day: the change names no actor at all.
        lone = Rec(None, 0, "cursor", data.draw(st.integers(0, DAYS - 1), label="lone day"), 4_321_000, 0, 10,
                   [("gpt-y", 1_000_000)], [], email="contractor@outside.test")
        world.add([lone])
        world.owe_and_work_off([lone.day], set())
        check(world)
