"""Rollups at 2,000 actors x 365 days on PostgreSQL: page reads, full rebuild, nightly refresh.

    .venv/bin/python -m tests.bench.bench_rollups            # a throw-away database, dropped after
    .venv/bin/python -m tests.bench.bench_rollups --database-url postgresql+psycopg://...  # an empty one

Prints, in one run: the department page's data read from the stored rollups vs the same numbers
aggregated live from the raw records (checked equal; target: rollups at least 20x faster), the full
rebuild of the tenant (target under 30 s) and the incremental refresh after one nightly sync
(target under 2 s). Exit status 1 when the two ways disagree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal

ACTORS = 2000
DAYS = 365
TEAM_SIZE = 20
DEPARTMENTS, GROUPS_PER_DEPARTMENT, TEAMS_PER_GROUP = 5, 4, 5  # 100 teams of 20
TARGETS = {"speedup": 20.0, "rebuild_s": 30.0, "refresh_s": 2.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use (default: a throw-away one)")
    parser.add_argument("--repeat", type=int, default=20, help="timed repeats of the rollup page read")
    args = parser.parse_args()

    from tests.support import databases

    throwaway = args.database_url is None
    url = databases.create_postgres_database("bench") if throwaway else args.database_url
    os.environ.update({"ORGONAUT_DATABASE_URL": url, "ORGONAUT_ENV": "test"})
    from orgonaut.settings import reset_settings_cache

    reset_settings_cache()
    try:
        return run(url, args.repeat)
    finally:
        from orgonaut.db import engine_for

        engine_for(url).dispose()
        if throwaway:
            databases.drop_postgres_database(url)


def run(url: str, repeat: int) -> int:
    from sqlmodel import Session

    from orgonaut import clock
    from orgonaut.db import engine_for
    from orgonaut.migrate import upgrade
    from orgonaut.rollups import periods, queries, service

    upgrade(url)
    engine = engine_for(url)
    if engine.dialect.name != "postgresql":
        print("this benchmark needs PostgreSQL", file=sys.stderr)
        return 2
    today = clock.today_in("UTC")
    # Other work on the machine skews every figure: say how busy it was.
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with Session(engine, expire_on_commit=False) as session:
        t0 = time.perf_counter()
        tenant, department, actor_ids = seed(session, today)
        seeded = time.perf_counter() - t0
        print(f"seeded {ACTORS} actors x {DAYS} days ({ACTORS * DAYS:,} usage records) in {seeded:.1f}s")

        rebuilds = []
        for label in ("into empty tables", "replacing every row"):
            t0 = time.perf_counter()
            result = service.rebuild(session=session, tenant_id=tenant.id)
            session.commit()
            rebuilds.append(time.perf_counter() - t0)
            print(f"full rebuild {label}: {rebuilds[-1]:.2f}s ({result.unit_rows:,} unit rows, "
                  f"{result.member_rows:,} member rows)")
            analyze(session)
        rebuild_s = max(rebuilds)

        size = subtree_size(session, department.id, today)
        print(f"department '{department.name}': {size} actors in its subtree today")

        def from_rollups():
            return (
                queries.unit_summary(session=session, org_unit=department, breadth="direct"),
                queries.unit_summary(session=session, org_unit=department, breadth="subtree"),
                {r: queries.unit_series(session=session, org_unit=department, breadth="subtree", range=r)
                 for r in periods.Range},
            )

        def live():
            return (
                live_summary(session, department, "direct", today),
                live_summary(session, department, "subtree", today),
                {r: live_series(session, department, r, today) for r in periods.Range},
            )

        rolled = from_rollups()
        fresh = live()
        ok = same_numbers(rolled, fresh)
        rollup_s = timed(from_rollups, repeat)
        live_s = timed(live, 3)
        print("department page data (direct + subtree cards, subtree series for all five ranges):")
        print(f"  from rollups: {rollup_s * 1000:8.1f} ms (median of {repeat})")
        print(f"  live from raw records: {live_s * 1000:8.1f} ms (median of 3)")
        speedup = live_s / rollup_s
        print(f"  rollups are {speedup:.0f}x faster; numbers equal: {ok}")

        per_range = {r: timed(lambda r=r: queries.unit_series(session=session, org_unit=department,
                                                               breadth="subtree", range=r), repeat)
                     for r in periods.Range}
        print("  one range switch (subtree series): " + ", ".join(
            f"{periods.RANGE_LABELS[r]} {s * 1000:.1f} ms" for r, s in per_range.items()))

        # The nightly sync stores today's usage for everyone; its refresh covers those actors' units.
        insert_usage(session, tenant.id, actor_ids, [today], seed_value=7)
        session.commit()
        t0 = time.perf_counter()
        units = service.units_to_refresh(session=session, tenant_id=tenant.id, scenario_id=None, start=today,
                                         end=today, actor_ids=actor_ids)
        service.refresh(session=session, tenant_id=tenant.id, scenario_id=None, org_unit_ids=units, start=today,
                        end=today)
        session.commit()
        refresh_s = time.perf_counter() - t0
        print(f"incremental refresh after one nightly sync (1 day, {len(units)} units): {refresh_s:.2f}s")
        lookback = today - dt.timedelta(days=3)
        t0 = time.perf_counter()
        service.refresh(session=session, tenant_id=tenant.id, scenario_id=None, org_unit_ids=units, start=lookback,
                        end=today)
        session.commit()
        print(f"refresh of the sync's look-back window (4 days): {time.perf_counter() - t0:.2f}s")
        ok = ok and same_numbers(from_rollups(), live())

    verdict = {
        "speedup": speedup >= TARGETS["speedup"],
        "rebuild_s": rebuild_s < TARGETS["rebuild_s"],
        "refresh_s": refresh_s < TARGETS["refresh_s"],
    }
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in verdict.items()))
    if not ok:
        print("ERROR: rollup numbers differ from the live aggregation", file=sys.stderr)
        return 1
    return 0


def seed(session, today):
    """Company > 5 departments > 4 groups > 5 teams of 20. Department leads sit in the department
    itself; every 20th actor is also in a second team; every 10th moved team half-way through."""
    from orgonaut.ai_tooling.models import AiToolUsageRecord  # noqa: F401 - tables known
    from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Placement
    from orgonaut.tenancy.models import Tenant

    tenant = Tenant(slug="bench", name="Bench", timezone="UTC")
    session.add(tenant)
    session.flush()
    company = OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.company, name="Bench Co")
    session.add(company)
    session.flush()
    departments, teams = [], []
    for d in range(DEPARTMENTS):
        dept = OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.department, name=f"Department {d + 1}",
                       parent_id=company.id)
        session.add(dept)
        session.flush()
        departments.append(dept)
        for g in range(GROUPS_PER_DEPARTMENT):
            group = OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.department, name=f"Group {d + 1}.{g + 1}",
                            parent_id=dept.id)
            session.add(group)
            session.flush()
            for t in range(TEAMS_PER_GROUP):
                team = OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.team, name=f"Team {d + 1}.{g + 1}.{t + 1}",
                               parent_id=group.id)
                session.add(team)
                teams.append((dept, team))
    session.flush()
    actors = [Actor(tenant_id=tenant.id, name=f"Person {i:04d}", email=f"person{i:04d}@bench.test",
                    external_uid=f"bench-{i}") for i in range(ACTORS)]
    session.add_all(actors)
    session.flush()
    first_day = today - dt.timedelta(days=DAYS)
    half_way = today - dt.timedelta(days=DAYS // 2)
    placements = []
    for i, actor in enumerate(actors):
        dept, team = teams[i // TEAM_SIZE]
        home = dept if i % TEAM_SIZE == 0 else team  # the lead of each 20 sits in the department
        if i % 10 == 5:
            _, before = teams[(i // TEAM_SIZE + 37) % len(teams)]
            placements.append(Placement(tenant_id=tenant.id, actor_id=actor.id, org_unit_id=before.id,
                                        start_date=first_day, end_date=half_way - dt.timedelta(days=1),
                                        is_primary=True))
            placements.append(Placement(tenant_id=tenant.id, actor_id=actor.id, org_unit_id=home.id,
                                        start_date=half_way, is_primary=True))
        else:
            placements.append(Placement(tenant_id=tenant.id, actor_id=actor.id, org_unit_id=home.id,
                                        start_date=first_day, is_primary=True))
        if i % 20 == 7:
            _, other = teams[(i // TEAM_SIZE + 1) % len(teams)]
            placements.append(Placement(tenant_id=tenant.id, actor_id=actor.id, org_unit_id=other.id,
                                        start_date=first_day, allocation_pct=30))
    session.add_all(placements)
    session.commit()
    actor_ids = [a.id for a in actors]
    days = [today - dt.timedelta(days=n) for n in range(DAYS, 0, -1)]
    insert_usage(session, tenant.id, actor_ids, days, seed_value=1)
    session.commit()
    return tenant, departments[0], actor_ids


def insert_usage(session, tenant_id, actor_ids, days, *, seed_value):
    """COPY one record per actor and day (the fast path; the ORM would take minutes)."""
    rng = random.Random(seed_value)
    now = dt.datetime.now(dt.UTC)
    columns = ("tenant_id", "provider", "scope_key", "source_email", "usage_date", "actor_id", "sessions_count",
               "lines_added", "lines_removed", "commits_count", "pull_requests_count", "total_input_tokens",
               "total_output_tokens", "total_cache_read_tokens", "total_cache_creation_tokens", "total_cost_cents",
               "tool_actions", "model_breakdown", "fetched_at", "updated_at")
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY ai_tool_usage_records ({', '.join(columns)}) FROM STDIN") as copy:
        for day in days:
            for n, actor_id in enumerate(actor_ids):
                sessions = rng.randint(0, 12)
                copy.write_row((
                    tenant_id, "claude_code", 0, f"person{n:04d}@bench.test", day, actor_id, sessions,
                    rng.randint(0, 900), rng.randint(0, 300), rng.randint(0, 6), rng.randint(0, 2),
                    rng.randint(0, 2_000_000), rng.randint(0, 200_000), rng.randint(0, 5_000_000),
                    rng.randint(0, 400_000), Decimal(rng.randint(0, 2_500_000)) / 1000, "{}", "[]", now, now,
                ))
    analyze(session)


def analyze(session):
    """VACUUM ANALYZE, as autovacuum would have done by the time a page reads settled data."""
    from sqlalchemy import text

    session.commit()
    with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def subtree_size(session, unit_id, today):
    from orgonaut.org import queries as org_queries

    return org_queries.subtree_member_count(session=session, org_unit_id=unit_id, on=today)


def timed(fn, repeat):
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


# --- the same numbers, aggregated live from the raw records (what a page would cost without rollups)


def _live_records(unit, breadth):
    """SQL: ids of the records that count for the unit, each once."""
    from sqlalchemy import and_, or_, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.org.models import OrgUnit, Placement

    r, p, u = AiToolUsageRecord.__table__, Placement.__table__, OrgUnit.__table__
    if breadth == "direct":
        units = select(u.c.id).where(u.c.id == unit.id)
    else:
        tree = select(u.c.id.label("id")).where(u.c.id == unit.id).cte("tree", recursive=True)
        child = u.alias("child")
        tree = tree.union(select(child.c.id).where(child.c.parent_id == tree.c.id))
        units = select(tree.c.id)
    return (
        select(r.c.id)
        .join(p, and_(p.c.actor_id == r.c.actor_id, p.c.start_date <= r.c.usage_date,
                      or_(p.c.end_date.is_(None), p.c.end_date >= r.c.usage_date)))
        .where(r.c.tenant_id == unit.tenant_id, r.c.scope_key == 0, p.c.org_unit_id.in_(units))
        .distinct()
    )


def live_summary(session, unit, breadth, today):
    from sqlalchemy import case, distinct, func, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.rollups import periods

    r = AiToolUsageRecord.__table__.c
    mtd, last = periods.month_to_date(today), periods.previous_month(today)
    zero = Decimal(0)
    row = session.execute(
        select(
            func.sum(case((r.usage_date.between(last.start, last.end), r.total_cost_cents), else_=zero)),
            func.sum(case((r.usage_date.between(mtd.start, mtd.end), r.total_cost_cents), else_=zero)),
            func.count(distinct(case((r.usage_date.between(last.start, last.end), r.actor_id)))),
            func.count(distinct(case((r.usage_date.between(mtd.start, mtd.end), r.actor_id)))),
            func.sum(r.total_cost_cents), func.sum(r.sessions_count), func.sum(r.commits_count),
            func.sum(r.pull_requests_count), func.sum(r.lines_added), func.sum(r.lines_removed),
        ).where(r.id.in_(_live_records(unit, breadth)), r.usage_date <= today)
    ).one()
    return tuple(Decimal(v or 0) for v in row)


def live_series(session, unit, range_, today):
    from sqlalchemy import func, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.rollups import periods

    r = AiToolUsageRecord.__table__.c
    rows = session.execute(
        select(r.usage_date, func.sum(r.total_cost_cents), func.sum(r.sessions_count), func.sum(r.commits_count),
               func.sum(r.pull_requests_count))
        .where(r.id.in_(_live_records(unit, "subtree")), r.usage_date <= today)
        .group_by(r.usage_date)
    ).all()
    by_day = {row[0]: row for row in rows}
    period = periods.period_for(range_, today=today, first_usage=min(by_day) if by_day else None)
    return [
        (day, Decimal(by_day[day][1]), *by_day[day][2:]) if day in by_day else (day, Decimal(0), 0, 0, 0)
        for day in period.days
    ]


def same_numbers(rolled, fresh):
    direct, subtree, series = rolled
    live_direct, live_subtree, live_series_ = fresh

    def card(s):
        return tuple(Decimal(v) for v in (
            s.last_month_cost_cents, s.mtd_cost_cents, s.last_month_active_users, s.mtd_active_users, s.cost_cents,
            s.sessions, s.commits, s.pull_requests, s.lines_added, s.lines_removed))

    ok = card(direct) == live_direct and card(subtree) == live_subtree
    for range_, points in series.items():
        ok = ok and [(p.date, p.cost_cents, p.sessions, p.commits, p.pull_requests) for p in points] == [
            tuple(x) for x in live_series_[range_]]
    return ok


if __name__ == "__main__":
    sys.exit(main())
