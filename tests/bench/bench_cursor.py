"""A 90-day Cursor backfill of 1,000 people: bound by Cursor's rate limits, not by us.

    .venv/bin/python -m tests.bench.bench_cursor              # 1,000 people x 90 days
    .venv/bin/python -m tests.bench.bench_cursor --people 200 --days 30

The client reads the days as the sync engine asks (30 days per call: every page of daily usage and of
usage events) from the Cursor simulator over HTTP, with the simulator's limits off, and this reports:
the requests per endpoint, the time and CPU our side took, and the wall time Cursor's per-team limits
imply (20 requests a minute for daily usage, 60 for usage events; we pace at 18 and 58 so that several
workers together stay below them). The simulator runs as its own process. Exit status 1 when the
client's CPU time is more than a tenth of that wall time (then we, not the vendor, would be the
bottleneck).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

PEOPLE = 1000
DAYS = 90
FIRST_DAY = dt.date(2025, 1, 1)
PACED = {"daily usage": 18, "usage events": 58}  # requests a minute: the documented limit minus 2
LIMITS = {"daily usage": 20, "usage events": 60}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--people", type=int, default=PEOPLE)
    args = parser.parse_args()
    os.environ.setdefault("ORGONAUT_ENV", "test")

    import httpx

    from orgonaut.ai_tooling.providers.cursor.client import DAILY_USAGE_PATH, EVENTS_PATH, CursorProvider
    from tests.support.cursor_simulator import VALID_CURSOR_KEY
    from tests.support.processes import free_port, wait_for_port
    from tests.support.simulator import simulate

    # The simulator in a process of its own, so that the CPU measured here is the client's alone.
    port = free_port()
    server = simulate("cursor", "--port", str(port), "--roster-size", str(args.people), "--every-day",
                      "--rate-limit", "0", "--events-rate-limit", "0", "--log-level", "warning")
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60)
        provider = CursorProvider(VALID_CURSOR_KEY, base_url)
        started, cpu = time.perf_counter(), time.process_time()
        people_days = cost = 0
        day = FIRST_DAY
        end = FIRST_DAY + dt.timedelta(days=args.days - 1)
        while day <= end:
            last = min(end, day + dt.timedelta(days=29))  # as the sync engine asks: 30 days a call
            for usages in provider.fetch_days(day, last).values():
                people_days += len(usages)
                cost += sum(u.total_cost_cents for u in usages)
            day = last + dt.timedelta(days=1)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        log = httpx.get(f"{base_url}/_sim/requests", timeout=30).json()
        paths = [entry["path"] for entry in log.get("requests", log) if isinstance(entry, dict)]
        requests = {"daily usage": paths.count(DAILY_USAGE_PATH), "usage events": paths.count(EVENTS_PATH)}
    finally:
        server.terminate()
        server.wait(10)

    implied = max(requests[name] / PACED[name] for name in requests)  # minutes at our pacing
    print(f"{args.people} people x {args.days} days: {people_days:,} person-days, ${cost / 100:,.2f}")
    for name, count in requests.items():
        print(f"  {name}: {count} requests; paced at {PACED[name]}/min of Cursor's {LIMITS[name]}/min "
              f"-> {count / PACED[name]:.1f} min")
    print(f"  wall time the limits imply: {implied:.1f} min (the slower endpoint; the two run one after the other "
          f"per call, so at most {sum(requests[n] / PACED[n] for n in requests):.1f} min)")
    print(f"  without the limits: {elapsed:.1f} s wall (the simulator generating events included), "
          f"{cpu:.1f} s CPU in the client")
    ours_share = cpu / (implied * 60) if implied else 0.0
    print(f"  our share of the limited wall time: {ours_share:.1%} (target: under 10%)")
    return 0 if ours_share < 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
