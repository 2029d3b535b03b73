"""The org-wide spend overview at 2,000 actors x 365 days: read from the rollups vs from the raw records.

    .venv/bin/python -m tests.bench.bench_overview                      # SQLite and PostgreSQL
    .venv/bin/python -m tests.bench.bench_overview --backend sqlite     # one of them

Seeds one tenant (2,000 people in 100 teams, Claude Code on about 70 % of their days, Cursor for
every fifth person, 20 contractors' unmatched usage a day), rebuilds its rollups, then times the
overview an owner sees (`overview_for`: every card, per provider, the 12-month trend and the top
departments and teams) and its daily trend per range (`series_for`), against the same overview with
its usage rows summed from `ai_tool_usage_records` at load (the way the page worked before the
whole-tenant rollups; checked equal). Targets: the rollups at least 20x faster and under 50 ms.
It also times the overview's adoption (daily, weekly and monthly active users over "all", the 12 months'
cohorts), model mix and output per cost as the page loads them (every day up to today, once), each checked
against the same numbers summed from the raw records. Exit status 1 when any of them disagree.

`--actors` and `--days` make a smaller world for a quick run (`--actors 200 --days 60`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ACTORS = 2000
DAYS = 365
TEAM_SIZE = 20
CONTRACTORS = 20
TARGETS = {"speedup": 20.0, "overview_ms": 50.0}


def main() -> int:
    global ACTORS, DAYS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=20, help="timed repeats of the rollup read")
    parser.add_argument("--sqlite-file", help="seed this SQLite file and keep it (to profile); reused when it exists")
    parser.add_argument("--actors", type=int, default=ACTORS, help="people (a multiple of 20 teams' size)")
    parser.add_argument("--days", type=int, default=DAYS, help="days of usage up to today")
    args = parser.parse_args()
    ACTORS, DAYS = max(TEAM_SIZE * 5, args.actors // TEAM_SIZE * TEAM_SIZE), max(2, args.days)
    os.environ["ORGONAUT_ENV"] = "test"
    from tests.support import databases

    failures = 0
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        with tempfile.TemporaryDirectory(prefix="bench-overview-") as directory:
            if backend == "sqlite" and args.sqlite_file:
                url = f"sqlite:///{Path(args.sqlite_file).resolve()}"
            elif backend == "sqlite":
                url = databases.sqlite_url(Path(directory), "overview")
            else:
                url = databases.create_postgres_database("bench_overview")
            os.environ["ORGONAUT_DATABASE_URL"] = url
            from orgonaut.settings import reset_settings_cache

            reset_settings_cache()
            try:
                print(f"\n--- {backend} ---", flush=True)
                failures += run(url, args.repeat)
            finally:
                from orgonaut.db import engine_for

                engine_for(url).dispose()
                if backend == "postgresql":
                    databases.drop_postgres_database(url)
    return 1 if failures else 0


def run(url: str, repeat: int) -> int:
    from sqlmodel import Session, select

    from orgonaut import clock
    from orgonaut.db import engine_for
    from orgonaut.migrate import upgrade
    from orgonaut.org import visibility
    from orgonaut.rollups import overview as ov
    from orgonaut.rollups import periods, service, spend_series
    from orgonaut.tenancy.models import UsageReach

    upgrade(url)
    engine = engine_for(url)
    today = clock.today_in("UTC")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with Session(engine, expire_on_commit=False) as session:
        from orgonaut.tenancy.models import Tenant

        tenant = session.exec(select(Tenant).where(Tenant.slug == "bench")).first()
        if tenant is None:  # a kept SQLite file is seeded once
            t0 = time.perf_counter()
            tenant, records = seed(session, today)
            print(f"seeded {ACTORS} actors x {DAYS} days ({records:,} usage records) in "
                  f"{time.perf_counter() - t0:.1f}s")
            analyze(engine)  # as autovacuum would have by then: the rebuild's plans need statistics
            t0 = time.perf_counter()
            service.rebuild(session=session, tenant_id=tenant.id)
            session.commit()
            print(f"full rebuild (unit, member and whole-tenant rollups): {time.perf_counter() - t0:.1f}s")
        analyze(engine)

        everyone = visibility.UsageViewer(reach=UsageReach.everyone)

        def from_rollups():
            return ov.overview_for(session=session, viewer=everyone, tenant_id=tenant.id, scenario_id=None)

        rolled = from_rollups()
        fresh = live_overview(session, tenant.id)
        ok = rolled == fresh
        rollup_s = timed(from_rollups, repeat)
        cpu_s = timed(from_rollups, repeat, clock=time.process_time)
        live_s = timed(lambda: live_overview(session, tenant.id), 3)
        speedup = live_s / rollup_s
        print("overview (all cards, per provider, 12-month trend, top departments and teams):")
        print(f"  from rollups: {rollup_s * 1000:8.1f} ms (median of {repeat}); this process's CPU "
              f"{cpu_s * 1000:.1f} ms (with SQLite all of it; a busy machine stretches the wall time)")
        print(f"  from raw records: {live_s * 1000:8.1f} ms (median of 3)")
        print(f"  rollups are {speedup:.0f}x faster; numbers equal: {ok}")
        per_range = {r: timed(lambda r=r: spend_series.series_for(session=session, viewer=everyone, tenant_id=tenant.id,
                                                         scenario_id=None, range=r), repeat)
                     for r in periods.Range}
        print("  daily trend per range: " + ", ".join(
            f"{periods.RANGE_LABELS[r]} {s * 1000:.1f} ms" for r, s in per_range.items()))
        details_ok = details(session, tenant.id, everyone, today, repeat)
        ok = ok and details_ok

    verdict = {"speedup": speedup >= TARGETS["speedup"], "overview_ms": rollup_s * 1000 < TARGETS["overview_ms"]}
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in verdict.items()))
    if not ok:
        print("ERROR: the overview from rollups differs from the raw records", file=sys.stderr)
        return 1
    return 0


def details(session, tenant_id, viewer, today, repeat) -> bool:
    """The adoption, model mix and output per cost as the page loads them, timed, and checked against the raw
    records (distinct people per month, cost, lines added per provider and all time)."""
    from sqlalchemy import distinct, func, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.db import micro_cents, table_of
    from orgonaut.rollups import adoption, model_mix, output_per_cost
    from orgonaut.rollups.coverage import cents
    from orgonaut.rollups.periods import Period

    r = table_of(AiToolUsageRecord).c
    first = session.execute(select(func.min(r.usage_date)).where(r.tenant_id == tenant_id)).scalar_one()
    everything = Period(first, today)
    common = dict(session=session, viewer=viewer, tenant_id=tenant_id, scenario_id=None, today=today)
    reads = {
        "active users (day, week, month; all)": lambda: adoption.active_users_for(period=everything, **common),
        "cohorts (12 months)": lambda: adoption.cohorts_for(**common),
        "model mix (all)": lambda: model_mix.model_costs_for(**common).within(everything),
        "output per cost (all)": lambda: output_per_cost.output_days_for(**common).within(everything),
    }
    times = {name: timed(read, repeat) for name, read in reads.items()}
    print("  as the page loads them: " + ", ".join(f"{name} {s * 1000:.1f} ms" for name, s in times.items()))
    mine = [r.tenant_id == tenant_id, r.scope_key == 0, r.usage_date <= today]
    active = reads["active users (day, week, month; all)"]()
    raw_months = {}
    for point in active.months:
        raw_months[point.start] = session.execute(select(func.count(distinct(r.actor_id))).where(
            *mine, r.usage_date >= point.start, r.usage_date <= point.end)).scalar_one()
    ok = {p.start: p.users for p in active.months} == raw_months
    total, lines = session.execute(select(func.sum(micro_cents(r.total_cost_cents)), func.sum(r.lines_added))
                                   .where(*mine)).one()
    mix = reads["model mix (all)"]()
    ok = ok and mix.total_cents == cents(total)
    rates = {rate.metric: rate for rate in reads["output per cost (all)"]().rates}
    ok = ok and rates["lines_added"].amount == lines and rates["lines_added"].cost_cents == cents(total)
    print(f"  adoption, model mix and output per cost equal the raw records: {ok}")
    return ok


def seed(session, today):
    """Company > 5 departments > 100 teams of 20 (each team's first person sits in the department)."""
    from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind, Placement
    from orgonaut.tenancy.models import Tenant

    tenant = Tenant(slug="bench", name="Bench", timezone="UTC")
    session.add(tenant)
    session.flush()
    company = OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.company, name="Bench Co")
    session.add(company)
    session.flush()
    departments = [OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.department, name=f"Department {d + 1}",
                           parent_id=company.id) for d in range(5)]
    session.add_all(departments)
    session.flush()
    teams = [OrgUnit(tenant_id=tenant.id, kind=OrgUnitKind.team, name=f"Team {t + 1}",
                     parent_id=departments[t % 5].id) for t in range(ACTORS // TEAM_SIZE)]
    session.add_all(teams)
    actors = [Actor(tenant_id=tenant.id, name=f"Person {i:04d}", email=f"person{i:04d}@bench.test",
                    external_uid=f"bench-{i}") for i in range(ACTORS)]
    session.add_all(actors)
    session.flush()
    first_day = today - dt.timedelta(days=DAYS)
    session.add_all([
        Placement(tenant_id=tenant.id, actor_id=a.id, start_date=first_day, is_primary=True,
                  org_unit_id=(departments[(i // TEAM_SIZE) % 5] if i % TEAM_SIZE == 0 else teams[i // TEAM_SIZE]).id)
        for i, a in enumerate(actors)
    ])
    session.commit()
    rng = random.Random(1)
    postgres = session.get_bind().dialect.name == "postgresql"
    now = dt.datetime.now(dt.UTC)
    stamp = now if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it on SQLite
    rows = []
    for day in (today - dt.timedelta(days=n) for n in range(DAYS - 1, -1, -1)):
        date = day if postgres else day.isoformat()
        for i, actor in enumerate(actors):
            for provider, share in (("claude_code", 0.7), ("cursor", 0.7 if i % 5 == 0 else 0)):
                if rng.random() < share:
                    rows.append(_record(tenant.id, provider, actor.email, actor.id, date, rng, stamp, postgres))
        for c in range(CONTRACTORS):
            rows.append(_record(tenant.id, "claude_code", f"contractor{c}@outside.test", None, date, rng, stamp,
                                postgres))
    # The driver directly (COPY on PostgreSQL): the ORM would take many minutes for 600 k rows.
    raw = session.connection().connection.driver_connection
    if postgres:
        with raw.cursor() as cursor, cursor.copy(
                f"COPY ai_tool_usage_records ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.executemany(f"INSERT INTO ai_tool_usage_records ({', '.join(COLUMNS)}) "
                        f"VALUES ({', '.join('?' for _ in COLUMNS)})", rows)
    session.commit()
    return tenant, len(rows)


COLUMNS = ("tenant_id", "provider", "scope_key", "source_email", "usage_date", "actor_id", "sessions_count",
           "lines_added", "lines_removed", "commits_count", "pull_requests_count", "total_input_tokens",
           "total_output_tokens", "total_cache_read_tokens", "total_cache_creation_tokens", "total_cost_cents",
           "tool_actions", "model_breakdown", "fetched_at", "updated_at")


def _record(tenant_id, provider, email, actor_id, day, rng, stamp, postgres):
    cost = Decimal(rng.randint(0, 2_500_000)) / 1000
    # Most of the cost split over a model or two, as Claude Code's and Cursor's records are.
    main = (cost * 3 / 4).quantize(Decimal("0.001"))
    models = json.dumps([{"model": MODELS[rng.randint(0, len(MODELS) - 1)],
                          "estimated_cost": {"currency": "USD", "amount": str(main)}},
                         {"model": "small-model", "estimated_cost": {"currency": "USD", "amount": str(cost - main)}}])
    return (tenant_id, provider, 0, email, day, actor_id, rng.randint(0, 12), rng.randint(0, 900),
            rng.randint(0, 300), rng.randint(0, 6), rng.randint(0, 2), 0, 0, 0, 0, cost if postgres else float(cost),
            "{}", models, stamp, stamp)


MODELS = ("claude-sonnet", "claude-opus", "gpt-5")


def analyze(engine):
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def timed(fn, repeat, clock=time.perf_counter):
    runs = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        runs.append(clock() - t0)
    return statistics.median(runs)


def live_overview(session, tenant_id):
    """The same overview with its usage summed from the raw records at load (`ai_tool_usage_records`:
    cost per day, provider and matched or not; the people with usage), the way `/ai-tooling` read
    them before the whole-tenant rollups. Only the source differs: every number is built alike."""
    from sqlalchemy import case, distinct, func, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.db import micro_cents, table_of
    from orgonaut.org import visibility
    from orgonaut.rollups import overview as ov
    from orgonaut.rollups.periods import month_to_date
    from orgonaut.tenancy.models import UsageReach

    r = table_of(AiToolUsageRecord).c

    def raw_sources(session, tenant_id, scenario_id, unit_ids, provider, today):
        return select(r.usage_date.label("usage_date"), r.provider.label("provider"),
                      r.actor_id.is_not(None).label("matched"), micro_cents(r.total_cost_cents).label("cost")).where(
            r.tenant_id == tenant_id, r.scope_key == 0, r.usage_date <= today).subquery("costs")

    def raw_user_counts(session, tenant_id, scenario_id, unit_ids, provider, today):
        mine = [r.tenant_id == tenant_id, r.scope_key == 0, r.usage_date <= today, r.actor_id.is_not(None)]
        counts = [func.count(distinct(case((r.usage_date >= month_to_date(today).start, r.actor_id)))),
                  func.count(distinct(r.actor_id))]
        users = {row[0]: (row[1], row[2]) for row in session.execute(
            select(r.provider, *counts).where(*mine).group_by(r.provider))}
        return users, tuple(session.execute(select(*counts).where(*mine)).one())

    originals = ov._sources, ov._user_counts
    ov._sources, ov._user_counts = raw_sources, raw_user_counts
    try:
        return ov.overview_for(session=session, viewer=visibility.UsageViewer(reach=UsageReach.everyone),
                               tenant_id=tenant_id, scenario_id=None)
    finally:
        ov._sources, ov._user_counts = originals


if __name__ == "__main__":
    sys.exit(main())
