"""The REST API's summary endpoints under load: p50/p95 at 50 concurrent clients on loopback.

    .venv/bin/python -m tests.bench.bench_api                       # uvicorn and granian, a throw-away database
    .venv/bin/python -m tests.bench.bench_api --server uvicorn --seconds 20 --database-url postgresql+psycopg://...

Seeds the demo org (60 actors, 16 teams, 5 departments, three scenarios) on PostgreSQL with 180 days of
Claude Code usage, builds the rollups, creates an API token, then starts a real server process with the
app Reflex mounts (`orgonaut.api.app:create_app`) and drives it from 50 keep-alive connections,
round-robin over GET /api/v1/ai-tooling/actors/{id}/summary, /teams/{id}/summary and
/departments/{id}/summary (scope direct and subtree) for every person, team and department. Every
request is authenticated (token lookup, abilities, plan) like a real one. Answers come from the API's
summary cache (`orgonaut.api.cache`) while nothing under them changes, as between two syncs; each mode
reports its hits, misses (answers built and kept) and answers the API gave alone. Two modes, each
reported with p50/p95/p99 per endpoint and overall:

- back to back (closed loop): each client sends its next request as soon as the last one answered, so
  the server is saturated and latency is 50 / throughput; this measures capacity;
- paced: each client sends one request every `--interval-ms` (default 1 s, so 50 requests/s offered
  by the 50 clients), timed from when it was due; this is latency at a stated load.

Target: p95 < 50 ms. Exit status 1 when a response is not 200.

Servers: uvicorn, and granian, which is what `reflex run --env prod` serves the backend (and so the
API) with when gunicorn is not installed, as here. Both run `--workers` processes (default: the CPU
count); the load generator is a small asyncio HTTP/1.1 client so that it takes little of the same CPUs.
Both run unbounded, as Reflex runs granian: every waiting request holds a thread-pool thread (40 per
worker) and may hold a database connection (the pool allows 30 per worker), so on a PostgreSQL with
max_connections 100 shared with other programs the run can meet "too many clients" (counted as
non-200 answers). `--backpressure N` bounds granian's requests per worker; in our runs a low bound (8)
starved some keep-alive connections for seconds, so it is off by default.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 50
TARGET_P95_MS = 50.0
DAYS = 180


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database to use (default: a throw-away one)")
    parser.add_argument("--server", choices=["uvicorn", "granian", "both"], default="both")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per server and mode")
    parser.add_argument("--interval-ms", type=float, default=1000.0, help="paced mode: each client's request interval")
    parser.add_argument("--backpressure", type=int, default=None,
                        help="granian: requests a worker runs at once (default: granian's, as Reflex runs it)")
    args = parser.parse_args()

    from tests.support import databases

    throwaway = args.database_url is None
    url = databases.create_postgres_database("bench_api") if throwaway else args.database_url
    os.environ.update({"ORGONAUT_DATABASE_URL": url, "ORGONAUT_ENV": "test"})
    from orgonaut.settings import reset_settings_cache

    reset_settings_cache()
    try:
        secret, paths = seed(url)
        servers = ["uvicorn", "granian"] if args.server == "both" else [args.server]
        failures = 0
        for server in servers:
            failures += run_server(server, url, secret, paths, args)
        return 1 if failures else 0
    finally:
        from orgonaut.db import engine_for

        engine_for(url).dispose()
        if throwaway:
            databases.drop_postgres_database(url)


# --- data ---------------------------------------------------------------------------------------


def seed(url: str) -> tuple[str, list[tuple[str, str]]]:
    from sqlmodel import Session, select

    from orgonaut.ai_tooling.models import AiToolUsageRecord
    from orgonaut.db import engine_for, upsert
    from orgonaut.migrate import upgrade
    from orgonaut.org.demo_data import demo_usage_roster, seed_demo_org
    from orgonaut.org.models import Actor, OrgUnit, OrgUnitKind
    from orgonaut.rollups import service
    from orgonaut.tenancy import tokens
    from orgonaut.tenancy.models import Ability, Role, User
    from orgonaut.tenancy.service import create_tenant

    upgrade(url)
    engine = engine_for(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("this benchmark needs PostgreSQL")
    t0 = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        tenant = create_tenant(session=session, slug="bench", name="Bench Industries")
        seed_demo_org(session=session, tenant=tenant)
        session.flush()
        actors = {a.email: a.id for a in session.exec(
            select(Actor).where(Actor.tenant_id == tenant.id, Actor.scenario_id.is_(None))) if a.email}
        today = dt.datetime.now(dt.UTC).date()
        rows = [
            usage_row(tenant.id, email, actors.get(email), today - dt.timedelta(days=offset))
            for offset in range(DAYS) for email in demo_usage_roster()
            if (offset + len(email)) % 5  # not every person every day
        ]
        upsert(session, AiToolUsageRecord, rows,
               conflict_columns=["tenant_id", "provider", "scope_key", "source_email", "usage_date"],
               update_columns=["sessions_count"])
        service.rebuild(session=session, tenant_id=tenant.id)
        owner = User(tenant_id=tenant.id, email="owner@bench.test", role=Role.owner, password_hash="!")
        session.add(owner)
        session.flush()
        _token, secret = tokens.create_token(session=session, user=owner, name="bench",
                                             abilities=[Ability.ai_tooling_manage.value])
        session.commit()
        units = session.exec(select(OrgUnit).where(OrgUnit.tenant_id == tenant.id, OrgUnit.scenario_id.is_(None)))
        paths = [("actor", f"/api/v1/ai-tooling/actors/{actor_id}/summary") for actor_id in sorted(actors.values())]
        for unit in units:
            kind = {OrgUnitKind.team: "teams", OrgUnitKind.department: "departments"}.get(unit.kind)
            if kind is not None:
                paths += [(kind[:-1], f"/api/v1/ai-tooling/{kind}/{unit.id}/summary?scope={scope}")
                          for scope in ("direct", "subtree")]
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    print(f"seeded the demo org with {len(rows):,} usage records over {DAYS} days and built rollups "
          f"in {time.perf_counter() - t0:.1f}s; {len(paths)} summary URLs")
    return secret, paths


def usage_row(tenant_id: int, email: str, actor_id: int | None, day: dt.date) -> dict:
    n = hashlib.sha256(f"{email}|{day}".encode()).digest()
    return {
        "tenant_id": tenant_id, "provider": "claude_code", "scope_key": 0, "scenario_id": None, "source_email": email,
        "usage_date": day, "actor_id": actor_id, "sessions_count": n[0] % 9, "lines_added": n[1] * 7,
        "lines_removed": n[2] * 3, "commits_count": n[3] % 6, "pull_requests_count": n[4] % 3,
        "total_input_tokens": n[5] * 1000, "total_output_tokens": n[6] * 400, "total_cache_read_tokens": n[7] * 900,
        "total_cache_creation_tokens": n[8] * 50,
        "total_cost_cents": (Decimal(n[9] * 97 + n[10]) + Decimal(n[11]) / 256).quantize(Decimal("0.000001")),
        "tool_actions": {}, "model_breakdown": [],
    }


# --- server -------------------------------------------------------------------------------------


def _free_port() -> int:
    from tests.support.processes import free_port

    return free_port()


def start_server(kind: str, url: str, workers: int, port: int, backpressure: int | None) -> subprocess.Popen:
    env = {**os.environ, "ORGONAUT_DATABASE_URL": url, "ORGONAUT_ENV": "test"}
    if kind == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "orgonaut.api.app:create_app", "--factory", "--host",
                   "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log",
                   "--log-level", "warning"]
    else:
        command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers), "--no-ws", "--log-level", "warning",
                   *(["--backpressure", str(backpressure)] if backpressure else []),
                   "orgonaut.api.app:create_app"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop_server(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def run_server(kind: str, url: str, secret: str, paths: list[tuple[str, str]], args) -> int:
    from tests.support.processes import wait_for_port

    port = _free_port()
    process = start_server(kind, url, args.workers, port, args.backpressure)
    try:
        wait_for_port(port, timeout=60)
        # Warm up every worker's connection pool, code paths and cache (each connection asks every URL
        # once: a connection stays with one worker), then measure the steady state of polling clients.
        asyncio.run(load(port, secret, paths, clients=args.clients, seconds=3.0, rounds=1))
        closed = asyncio.run(load(port, secret, paths, clients=args.clients, seconds=args.seconds))
        paced = asyncio.run(load(port, secret, paths, clients=args.clients, seconds=args.seconds,
                                 interval=args.interval_ms / 1000))
    finally:
        stop_server(process)
    bound = f", backpressure {args.backpressure}" if kind == "granian" and args.backpressure else ""
    server = f"{kind} ({args.workers} workers{bound})"
    report(f"{server}, {args.clients} clients back to back", *closed)
    report(f"{server}, {args.clients} clients each sending one request every "
           f"{args.interval_ms:.0f} ms ({args.clients * 1000 / args.interval_ms:.0f} req/s offered)", *paced)
    return len(closed[1]) + len(paced[1])


# --- load ---------------------------------------------------------------------------------------


async def _client(port: int, secret: str, paths: list[tuple[str, str]], start: int, deadline: float,
                  interval: float | None, latencies: dict[str, list[float]], errors: list[str],
                  cache: collections.Counter, rounds: int | None = None) -> None:
    """One keep-alive connection. Closed loop (interval None): the next request as soon as the last one
    answered. Paced: one request every `interval` seconds, timed from when it was due, so a slow answer
    counts against the ones queued behind it (no coordinated omission)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = start
    due = time.perf_counter() + (interval or 0) * (start % 97) / 97  # spread the paced clients' phases
    try:
        while time.perf_counter() < deadline:
            if interval is not None:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if rounds is not None and index - start >= rounds * len(paths):
                break
            name, path = paths[index % len(paths)]
            index += 1
            request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {secret}\r\n"
                       f"Accept: application/json\r\n\r\n").encode()
            began = due if interval is not None else time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            chunked = False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                key, _, value = line.decode("latin-1").partition(":")
                key = key.strip().lower()
                if key == "content-length":
                    length = int(value)
                elif key == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif key == "x-cache":
                    cache[value.strip()] += 1
            body = await (_read_chunked(reader) if chunked else reader.readexactly(length))
            latencies[name].append(time.perf_counter() - began)
            status = int(status_line.split()[1])
            if status != 200:
                errors.append(f"{status} {path}: {body[:200]!r}")
            if interval is not None:
                due += interval
    finally:
        writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            await reader.readline()
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()


async def load(port: int, secret: str, paths: list[tuple[str, str]], *, clients: int, seconds: float,
               interval: float | None = None, rounds: int | None = None):
    """`seconds` of load; with `rounds`, until each client has asked every path that many times."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    cache: collections.Counter = collections.Counter()
    began = time.perf_counter()
    deadline = began + (3600.0 if rounds else seconds)
    # Clients start spread over the URL list, so every endpoint is in the mix from the first second.
    await asyncio.gather(*[_client(port, secret, paths, i * len(paths) // clients, deadline, interval, latencies,
                                   errors, cache, rounds)
                           for i in range(clients)])
    return latencies, errors, time.perf_counter() - began, cache


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def report(title: str, latencies: dict[str, list[float]], errors: list[str], elapsed: float,
           cache: collections.Counter) -> None:
    everything = [v for values in latencies.values() for v in values]
    p50, p95 = _percentile(everything, 0.50), _percentile(everything, 0.95)
    verdict = "target met" if p95 < TARGET_P95_MS else "TARGET MISSED"
    print(f"\n{title}: {len(everything):,} requests in {elapsed:.1f}s ({len(everything) / elapsed:,.0f} req/s) "
          f"on {os.cpu_count()} CPUs shared with PostgreSQL and the load generator "
          f"(load average {os.getloadavg()[0]:.1f})")
    for name in sorted(latencies):
        values = latencies[name]
        print(f"  {name:<11} n={len(values):>6,}  p50 {_percentile(values, 0.5):6.1f} ms  "
              f"p95 {_percentile(values, 0.95):6.1f} ms  p99 {_percentile(values, 0.99):6.1f} ms  "
              f"mean {statistics.fmean(values) * 1000:6.1f} ms")
    print(f"  all summaries: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < {TARGET_P95_MS:.0f} ms: {verdict})")
    answered = cache["hit"] + cache["miss"]
    print(f"  summary cache: {cache['hit']:,} hits, {cache['miss']:,} built and kept, "
          f"{len(everything) - answered:,} answered by the API alone (a token's use written once a minute)")
    if errors:
        print(f"  {len(errors)} responses were not 200, e.g. {errors[0]}")


if __name__ == "__main__":
    sys.exit(main())
