"""Fetching a chunk's days ahead of storing them: the vendor calls (a day, or a range of days, per call
as the provider declares) run in a thread and build each day's rows there, so the storing thread only
waits on the database.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor

from orgonaut import faultpoints
from orgonaut.ai_tooling import ingest
from orgonaut.ai_tooling.providers.base import AiToolingProvider, DailyUsage, ErrorKind, ProviderError

# Days being fetched while the previous one is stored. One hides the fetch behind the store; more
# only adds parsing threads fighting for the GIL (measured slower with the simulator on loopback).
FETCH_AHEAD = 1


@dataclasses.dataclass
class Fetched:
    day: dt.date
    usages: list[DailyUsage] | None = None
    error: BaseException | None = None  # fetching failed
    built: tuple[ingest.Rows, ingest.DayResult] | None = None
    build_error: BaseException | None = None  # the fetched records could not be turned into rows


def prefetch(
    provider: AiToolingProvider, days: list[dt.date], days_per_call: int,
    build: Callable[..., tuple[ingest.Rows, ingest.DayResult]], deadline: float,
) -> Generator[Fetched, None, None]:
    """Yields the days in order, their rows built, while the next `FETCH_AHEAD` calls are being fetched
    and built. A call covers up to `days_per_call` consecutive days (the provider's declaration).

    Each fetch opens its own HTTP client, so fetches overlap the vendor's latency with each other
    and with the caller storing the previous day; building the rows there too keeps the storing
    thread free to wait on the database. After a failed fetch (reported on the call's first day),
    or once the chunk's time is up, nothing further is fetched.
    """

    def fetch(window: list[dt.date]) -> list[Fetched]:
        try:
            fetched = provider.fetch_days(window[0], window[-1])
            faultpoints.reach("after_fetch")
            missing = [day for day in window if day not in fetched]
            if missing:
                raise ProviderError(ErrorKind.malformed, f"The provider's answer for {window[0]} to {window[-1]} "
                                                         f"has no data for {missing[0]}.")
        except Exception as error:  # handed to the caller, which decides
            return [Fetched(window[0], error=error)]
        return [_built(day, fetched[day]) for day in window]

    def _built(day: dt.date, usages: list[DailyUsage]) -> Fetched:
        try:
            return Fetched(day, usages=usages, built=build(day=day, usages=usages))
        except Exception as error:  # raised by the caller as a day that could not be stored
            return Fetched(day, usages=usages, build_error=error)

    upcoming = iter(calls(days, days_per_call))
    with ThreadPoolExecutor(max_workers=FETCH_AHEAD, thread_name_prefix="ai-tooling-fetch") as pool:
        pending = collections.deque(pool.submit(fetch, window) for window in itertools.islice(upcoming, FETCH_AHEAD))
        try:
            while pending:
                items = pending.popleft().result()
                failed = any(item.error is not None for item in items)
                if not failed and time.monotonic() < deadline and (window := next(upcoming, None)) is not None:
                    pending.append(pool.submit(fetch, window))
                yield from items
                if failed:
                    return
        finally:
            for future in pending:
                future.cancel()


def calls(days: list[dt.date], days_per_call: int) -> list[list[dt.date]]:
    """The days, in order, as runs of consecutive days of at most `days_per_call`: one vendor call each."""
    calls: list[list[dt.date]] = []
    for day in days:
        if calls and len(calls[-1]) < days_per_call and calls[-1][-1] + dt.timedelta(days=1) == day:
            calls[-1].append(day)
        else:
            calls.append([day])
    return calls
