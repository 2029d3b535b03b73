"""On random small orgs, the stored rollups (and the page queries on them) equal a brute-force
aggregation of the raw records, after a full rebuild and after an incremental refresh.

Runs on the run's database: SQLite by default, PostgreSQL with ORGONAUT_TEST_DB=postgresql.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from orgonaut import clock
from orgonaut.org.models import Placement
from orgonaut.rollups import queries, service
from orgonaut.rollups.models import AiUsageMemberRollup, AiUsageRollup
from tests.factories import make_tenant
from tests.integration.rollups import builders as b

BASE = dt.date(2025, 1, 1)
DAYS = 20
NOW = dt.datetime(2025, 2, 1, 12, tzinfo=dt.UTC)  # every generated day is in the past
PROVIDERS = ("claude_code", "cursor")
FIELDS = ("cost_cents", "sessions", "commits", "pull_requests", "lines_added", "lines_removed", "input_tokens",
          "output_tokens", "cache_read_tokens", "cache_creation_tokens")


@dataclasses.dataclass
class Rec:
    actor: int | None  # index into actors; None = unmatched
    email_variant: int  # an actor may appear under two e-mails (an address changed)
    provider: str
    day: int
    cost_millicents: int
    sessions: int
    commits: int
    pull_requests: int
    lines_added: int
    lines_removed: int
    tokens: int

    @property
    def date(self) -> dt.date:
        return BASE + dt.timedelta(days=self.day)

    def metrics(self) -> tuple:
        cost = Decimal(self.cost_millicents) / 1000
        t = self.tokens
        return (cost, self.sessions, self.commits, self.pull_requests, self.lines_added, self.lines_removed, t,
                2 * t, 3 * t, 4 * t)


@dataclasses.dataclass
class Place:
    actor: int
    unit: int
    start: int
    length: int | None  # None = open-ended

    def covers(self, day: int) -> bool:
        return self.start <= day and (self.length is None or day <= self.start + self.length)


@st.composite
def orgs(draw):
    n_units = draw(st.integers(1, 6))
    parents = [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n_units)]
    n_actors = draw(st.integers(1, 5))
    places = draw(st.lists(
        st.builds(Place, st.integers(0, n_actors - 1), st.integers(0, n_units - 1), st.integers(0, DAYS - 1),
                  st.one_of(st.none(), st.integers(0, DAYS))),
        max_size=9,
    ))
    records = draw(records_for(n_actors))
    return parents, n_actors, places, records


def records_for(n_actors, min_day=0):
    return st.lists(
        st.builds(
            Rec, st.one_of(st.none(), st.integers(0, n_actors - 1)), st.integers(0, 1), st.sampled_from(PROVIDERS),
            st.integers(min_day, DAYS - 1), st.integers(0, 10_000_000), st.integers(0, 5), st.integers(0, 5),
            st.integers(0, 3), st.integers(0, 500), st.integers(0, 500), st.integers(0, 10**9),
        ),
        max_size=25,
        unique_by=lambda r: (r.actor, r.email_variant, r.provider, r.day),
    )


def ancestors_or_self(parents, unit):
    chain = []
    while unit is not None:
        chain.append(unit)
        unit = parents[unit]
    return chain


def brute_force(parents, places, records):
    """{(unit, breadth, day, provider): (metrics..., actors)} and {(unit, actor, day, provider): metrics}."""
    sums = defaultdict(lambda: [0] * len(FIELDS))
    actors = defaultdict(set)
    members = defaultdict(lambda: [0] * len(FIELDS))
    for rec in records:
        if rec.actor is None:
            continue
        direct = {p.unit for p in places if p.actor == rec.actor and p.covers(rec.day)}
        subtree = {a for u in direct for a in ancestors_or_self(parents, u)}
        for breadth, units in (("direct", direct), ("subtree", subtree)):
            for unit in units:
                key = (unit, breadth, rec.day, rec.provider)
                sums[key] = [x + y for x, y in zip(sums[key], rec.metrics(), strict=True)]
                actors[key].add(rec.actor)
        for unit in direct:
            key = (unit, rec.actor, rec.day, rec.provider)
            members[key] = [x + y for x, y in zip(members[key], rec.metrics(), strict=True)]
    rollups = {key: (*value, len(actors[key])) for key, value in sums.items()}
    return rollups, {key: tuple(value) for key, value in members.items()}


def active_set(parents, places, records, unit, breadth, start, end):
    found = set()
    for rec in records:
        if rec.actor is None or not start <= rec.day <= end:
            continue
        direct = {p.unit for p in places if p.actor == rec.actor and p.covers(rec.day)}
        units = direct if breadth == "direct" else {a for u in direct for a in ancestors_or_self(parents, u)}
        if unit in units:
            found.add(rec.actor)
    return found


class World:
    """The generated org written to the database for one fresh tenant."""

    def __init__(self, session, parents, n_actors, places):
        self.session, self.parents, self.places = session, parents, list(places)
        self.tenant = make_tenant(session)
        self.units = []
        for i, parent in enumerate(parents):
            self.units.append(b.unit(session, self.tenant, f"U{i}", self.units[parent] if parent is not None else None))
        self.actors = [b.actor(session, self.tenant, f"Actor {i}") for i in range(n_actors)]
        self.placement_rows = [self._place(p) for p in places]
        self.records = []

    def _place(self, p: Place) -> Placement:
        end = None if p.length is None else BASE + dt.timedelta(days=p.start + p.length)
        return b.place(self.session, self.actors[p.actor], self.units[p.unit], BASE + dt.timedelta(days=p.start), end)

    def add_records(self, records):
        for rec in records:
            who = self.actors[rec.actor] if rec.actor is not None else None
            email = f"{'old' if rec.email_variant else 'new'}.{rec.actor}@example.test"
            b.usage(self.session, self.tenant, who, rec.date, email=email, provider=rec.provider,
                    cost=Decimal(rec.cost_millicents) / 1000, sessions=rec.sessions, commits=rec.commits,
                    pull_requests=rec.pull_requests, lines_added=rec.lines_added, lines_removed=rec.lines_removed,
                    tokens=rec.tokens)
            self.records.append(rec)

    def stored(self):
        index = {u.id: i for i, u in enumerate(self.units)}
        actor_index = {a.id: i for i, a in enumerate(self.actors)}
        rollups = {
            (index[r.org_unit_id], r.breadth, (r.usage_date - BASE).days, r.provider):
                (*(Decimal(getattr(r, f)) if f == "cost_cents" else getattr(r, f) for f in FIELDS), r.actors_count)
            for r in self.session.exec(select(AiUsageRollup).where(AiUsageRollup.tenant_id == self.tenant.id))
        }
        members = {
            (index[m.org_unit_id], actor_index[m.actor_id], (m.usage_date - BASE).days, m.provider):
                tuple(Decimal(getattr(m, f)) if f == "cost_cents" else getattr(m, f) for f in FIELDS)
            for m in self.session.exec(
                select(AiUsageMemberRollup).where(AiUsageMemberRollup.tenant_id == self.tenant.id))
        }
        return rollups, members

    def check(self, data):
        """Stored rows and the page queries against brute force over the same records."""
        expected_rollups, expected_members = brute_force(self.parents, self.places, self.records)
        rollups, members = self.stored()
        assert rollups == expected_rollups
        assert members == expected_members
        for _ in range(3):
            unit = data.draw(st.integers(0, len(self.units) - 1), label="unit")
            breadth = data.draw(st.sampled_from(["direct", "subtree"]), label="breadth")
            start = data.draw(st.integers(0, DAYS - 1), label="start")
            end = data.draw(st.integers(start, DAYS - 1), label="end")
            first, last = BASE + dt.timedelta(days=start), BASE + dt.timedelta(days=end)
            org_unit = self.units[unit]
            active = active_set(self.parents, self.places, self.records, unit, breadth, start, end)
            assert queries.active_users(session=self.session, org_unit=org_unit, breadth=breadth, start=first,
                                        end=last) == len(active)
            series = queries.unit_series(session=self.session, org_unit=org_unit, breadth=breadth, start=first,
                                         end=last)
            assert [p.date for p in series] == [BASE + dt.timedelta(days=d) for d in range(start, end + 1)]
            for point in series:
                day = (point.date - BASE).days
                rows = [v for k, v in expected_rollups.items() if k[:3] == (unit, breadth, day)]
                assert (point.cost_cents, point.sessions, point.commits, point.pull_requests) == (
                    sum((r[0] for r in rows), Decimal(0)), sum(r[1] for r in rows), sum(r[2] for r in rows),
                    sum(r[3] for r in rows))
            breakdown = queries.team_member_breakdown(session=self.session, org_unit=org_unit, start=first, end=last)
            by_actor = {row.actor_id: row for row in breakdown}
            for i, actor in enumerate(self.actors):
                rows = [v for k, v in expected_members.items() if k[0] == unit and k[1] == i and start <= k[2] <= end]
                placed = any(p.actor == i and p.unit == unit and p.start <= end and
                             (p.length is None or p.start + p.length >= start) for p in self.places)
                if not placed:
                    assert actor.id not in by_actor
                    continue
                row = by_actor[actor.id]
                assert (row.cost_cents, row.sessions, row.commits, row.pull_requests, row.lines_added) == (
                    sum((r[0] for r in rows), Decimal(0)), sum(r[1] for r in rows), sum(r[2] for r in rows),
                    sum(r[3] for r in rows), sum(r[4] for r in rows))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(org=orgs(), data=st.data())
def test_rollups_equal_brute_force_after_rebuild_and_after_incremental_refreshes(session, org, data):
    parents, n_actors, places, records = org
    with clock.frozen_at(NOW):
        world = World(session, parents, n_actors, places)
        world.add_records(records)
        session.commit()
        service.rebuild(session=session, tenant_id=world.tenant.id)
        session.commit()
        world.check(data)

        # A sync stores another day range for some actors: refresh what the queue would refresh.
        taken = {(r.actor, r.email_variant, r.provider, r.day) for r in records}
        extra = [r for r in data.draw(records_for(n_actors, min_day=DAYS // 2), label="new records")
                 if (r.actor, r.email_variant, r.provider, r.day) not in taken]
        if extra:
            world.add_records(extra)
            session.commit()
            start = BASE + dt.timedelta(days=min(r.day for r in extra))
            end = BASE + dt.timedelta(days=max(r.day for r in extra))
            units = service.units_to_refresh(
                session=session, tenant_id=world.tenant.id, scenario_id=None, start=start, end=end,
                actor_ids=[world.actors[r.actor].id for r in extra if r.actor is not None],
            )
            service.refresh(session=session, tenant_id=world.tenant.id, scenario_id=None, org_unit_ids=units,
                            start=start, end=end)
            session.commit()
            world.check(data)

        # A placement's dates change: refresh its unit over the old and new dates together.
        if world.places:
            i = data.draw(st.integers(0, len(world.places) - 1), label="placement")
            old = world.places[i]
            new = dataclasses.replace(old, length=data.draw(st.one_of(st.none(), st.integers(0, DAYS)), label="len"))
            world.places[i] = new
            row = world.placement_rows[i]
            row.end_date = None if new.length is None else BASE + dt.timedelta(days=new.start + new.length)
            session.add(row)
            session.commit()
            ends = [p.start + p.length if p.length is not None else DAYS - 1 for p in (old, new)]
            start, end = BASE + dt.timedelta(days=old.start), BASE + dt.timedelta(days=min(max(ends), DAYS - 1))
            units = service.units_to_refresh(
                session=session, tenant_id=world.tenant.id, scenario_id=None, start=start, end=end,
                org_unit_ids=[world.units[old.unit].id],
            )
            service.refresh(session=session, tenant_id=world.tenant.id, scenario_id=None, org_unit_ids=units,
                            start=start, end=max(start, end))
            session.commit()
            world.check(data)
