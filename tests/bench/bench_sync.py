"""Backfill 1,000 people x 365 days from the simulator into PostgreSQL, end to end, next to a plain COPY.

    .venv/bin/python -m tests.bench.bench_sync                 # a throw-away database, dropped after
    .venv/bin/python -m tests.bench.bench_sync --days 30       # a shorter run while iterating

The backfill runs the way production runs it: a real Celery worker (prefork, one process) takes the
chunked `sync_range` tasks, fetches each day from the simulator (a separate process, real HTTP, one
1,000-record page per day), matches e-mails to the 1,000 actors and upserts. Timed from the commit
that queues the run to the log saying succeeded. Then the same rows are COPY'd into the same table, emptied
(same indexes and foreign keys): the ceiling for getting those rows into PostgreSQL.

Targets: end to end at least 50% of the COPY rate; the worker's peak RSS under 300 MB (it streams
day by day). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

PEOPLE = 1000
DAYS = 365
TARGETS = {"copy_ratio": 0.5, "peak_rss_mb": 300.0}
FIRST_DAY = dt.date(2025, 1, 1)  # Claude Code analytics start (the provider's declared earliest day)
KEY = "sk-ant-admin01-bench-key"
ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a throw-away one)")
    args = parser.parse_args()

    from cryptography.fernet import Fernet

    from tests.support import databases, redis_claims

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    state_db, celery_db, locks_db = redis_claims.claim(redis_url)
    throwaway = args.database_url is None
    url = databases.create_postgres_database("bench") if throwaway else args.database_url
    os.environ.update({
        "ORGONAUT_DATABASE_URL": url, "ORGONAUT_ENV": "test", "ORGONAUT_TIMEZONE": "UTC",
        "ORGONAUT_SECRET_KEYS": Fernet.generate_key().decode(), "ORGONAUT_REDIS_STATE_DB": str(state_db),
        "ORGONAUT_REDIS_CELERY_DB": str(celery_db), "ORGONAUT_REDIS_LOCKS_DB": str(locks_db),
    })
    from orgonaut.settings import reset_settings_cache

    reset_settings_cache()
    try:
        return run(url, args.people, args.days)
    finally:
        import redis

        from orgonaut.db import engine_for
        from orgonaut.settings import redis_url_with_db

        for db in (state_db, celery_db, locks_db):
            redis.Redis.from_url(redis_url_with_db(redis_url, db)).flushdb()
        redis_claims.release(redis_url, (state_db, celery_db, locks_db))
        engine_for(url).dispose()
        if throwaway:
            databases.drop_postgres_database(url)


def start_simulator(people: int) -> tuple[subprocess.Popen, str]:
    from tests.support.processes import free_port, wait_for_port

    port = free_port()
    code = (
        "import sys, uvicorn\n"
        "from orgonaut.simulator.app import SimulatorConfig, create_app\n"
        "from orgonaut.simulator.data import synthetic_roster\n"
        "config = SimulatorConfig(roster=synthetic_roster(int(sys.argv[2])), every_day=True, unknown_emails=(),\n"
        "                         api_key_names=())\n"
        "uvicorn.run(create_app(config), host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(port), str(people)], cwd=ROOT)
    wait_for_port(port)
    base_url = f"http://127.0.0.1:{port}"
    # The simulator draws each person's usage patterns on first use (about a second for 1,000 people),
    # a cost no real vendor has: pay it with a day outside the measured window before the clock starts.
    warm_up = httpx.get(f"{base_url}/v1/organizations/usage_report/claude_code",
                        params={"starting_at": (FIRST_DAY - dt.timedelta(days=1)).isoformat(), "limit": "1000"},
                        headers={"x-api-key": KEY, "anthropic-version": "2023-06-01"}, timeout=60)
    warm_up.raise_for_status()
    return process, base_url


def seed(session, people: int, base_url: str):
    from orgonaut.ai_tooling import service
    from orgonaut.org.models import Actor
    from orgonaut.simulator.data import synthetic_roster
    from orgonaut.tenancy import service as tenancy

    tenant = tenancy.create_tenant(session=session, slug="bench", name="Bench", plan="business")
    session.add_all(
        Actor(tenant_id=tenant.id, name=email.split("@")[0], email=email, external_uid=f"bench-{n}")
        for n, email in enumerate(synthetic_roster(people))
    )
    session.commit()
    integration = service.connect(session=session, tenant_id=tenant.id, provider="claude_code",
                                  credentials={"api_key": KEY},
                                  api_base=base_url, baseline=True)
    session.commit()
    return tenant, integration


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process (its exited children's included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _worker_pids(worker) -> list[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(worker.process.pid)], capture_output=True,
                              text=True).stdout.split()
    return [worker.process.pid, *(int(p) for p in children)]


def _postgres_cpu(database: str) -> float:
    """CPU of every PostgreSQL backend serving `database` now."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f" {database} " in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def worker_peak_rss_mb(worker) -> float:
    """The largest VmHWM (peak resident set) among the worker's processes, in MB."""
    pids = _worker_pids(worker)
    peak_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return peak_kb / 1024


def copy_baseline(engine) -> tuple[int, float, float]:
    """The same rows by a plain COPY into the same table (its indexes and foreign keys), emptied first.

    The rows are read out beforehand, so the timing is the COPY alone; (rows, seconds, server CPU).
    """
    columns = ("tenant_id, integration_id, provider, scope_key, scenario_id, source_email, usage_date, actor_id, "
               "sessions_count, lines_added, lines_removed, commits_count, pull_requests_count, total_input_tokens, "
               "total_output_tokens, total_cache_read_tokens, total_cache_creation_tokens, total_cost_cents, "
               "tool_actions, model_breakdown, fetched_at, updated_at")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY (SELECT {columns} FROM ai_tool_usage_records) TO STDOUT") as copy:
                blocks = [bytes(block) for block in copy]
            cursor.execute("TRUNCATE ai_tool_usage_records")
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
            raw.commit()
            cpu_before = _cpu_seconds(backend)
            started = time.perf_counter()
            with cursor.copy(f"COPY ai_tool_usage_records ({columns}) FROM STDIN") as copy:
                for block in blocks:
                    copy.write(block)
            raw.commit()
            seconds = time.perf_counter() - started
            cpu = _cpu_seconds(backend) - cpu_before
            cursor.execute("SELECT count(*) FROM ai_tool_usage_records")
            rows = cursor.fetchone()[0]
    finally:
        raw.close()
    return rows, seconds, cpu


def run(url: str, people: int, days: int) -> int:
    from sqlmodel import Session, func, select

    from orgonaut.ai_tooling import service
    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.db import engine_for
    from orgonaut.integrations.models import IntegrationSyncLog
    from orgonaut.migrate import upgrade
    from tests.support.processes import Worker

    upgrade(url)
    engine = engine_for(url)
    simulator, base_url = start_simulator(people)
    worker = None
    try:
        with Session(engine, expire_on_commit=False) as session:
            tenant, integration = seed(session, people, base_url)
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-sync-worker-{os.getpid()}.log"
        worker = Worker(log_path, concurrency=1).start()
        last = FIRST_DAY + dt.timedelta(days=days - 1)
        database = url.rsplit("/", 1)[-1]
        with Session(engine, expire_on_commit=False) as session:
            log = service.start_backfill(session=session, tenant_id=tenant.id, integration_id=integration.id,
                                         start=FIRST_DAY, end=last)
            cpu_before = (sum(map(_cpu_seconds, _worker_pids(worker))), _cpu_seconds(simulator.pid),
                          _postgres_cpu(database))
            started = time.perf_counter()
            session.commit()  # the first task is queued by this commit
        while True:
            with Session(engine) as session:
                current = session.get(IntegrationSyncLog, log.id)
                if current.status in ("succeeded", "failed", "skipped"):
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu_after = (sum(map(_cpu_seconds, _worker_pids(worker))), _cpu_seconds(simulator.pid),
                     _postgres_cpu(database))
        cpu = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
        peak_mb = worker_peak_rss_mb(worker)
        if current.status != "succeeded":
            print(f"backfill {current.status}: {current.error_message}", file=sys.stderr)
            return 1
        with Session(engine) as session:
            stored = session.exec(select(func.count()).select_from(AiToolUsageRecord)).one()
        copy_rows, copy_seconds, copy_cpu = copy_baseline(engine)
    finally:
        if worker is not None:
            worker.stop()
        simulator.terminate()
        simulator.wait(10)

    end_to_end = stored / elapsed
    copy_rate = copy_rows / copy_seconds
    ratio = end_to_end / copy_rate
    print(f"backfill {people} people x {days} days: {stored:,} records in {elapsed:.2f}s "
          f"({current.days_done} days, {current.records_fetched:,} fetched, {current.records_matched:,} matched)")
    print(f"end to end (simulator -> worker -> PostgreSQL): {end_to_end:,.0f} rows/s")
    print(f"plain COPY of the same rows:                     {copy_rate:,.0f} rows/s ({copy_seconds:.2f}s)")
    print(f"end to end / COPY: {ratio:.2f} (target >= {TARGETS['copy_ratio']})")
    per_day = [1000 * c / days for c in cpu]
    print(f"CPU per day of {people:,} rows: worker {per_day[0]:.0f} ms, simulator {per_day[1]:.0f} ms, "
          f"PostgreSQL {per_day[2]:.0f} ms; the plain COPY: PostgreSQL {1000 * copy_cpu * people / copy_rows:.0f} ms "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"worker peak RSS: {peak_mb:.0f} MB (target < {TARGETS['peak_rss_mb']:.0f} MB)")
    ok = ratio >= TARGETS["copy_ratio"] and peak_mb < TARGETS["peak_rss_mb"] and stored == people * days
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
