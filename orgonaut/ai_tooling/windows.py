"""Which days a run may and should fetch.

Vendors report UTC days and serve a day's data only about an hour after it (provider-apis.md), so
the last day worth fetching is the last UTC day that ended over an hour ago, whatever the server's
time zone: a server east of UTC running its nightly job at 03:00 local would otherwise fetch a day
that is still going on.

The nightly reconcile re-reads the look-back days (vendors revise recent days) and catches up on
every day since its last success, so an outage of the worker, beat, the vendor or a paused
integration leaves no gap (up to `MAX_CATCH_UP_DAYS`; older gaps need a backfill).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from orgonaut import clock

VENDOR_DELAY = dt.timedelta(hours=1)
MAX_CATCH_UP_DAYS = 31
NIGHTLY_AT = dt.time(3, 0)  # when beat starts the nightly sync, in ORGONAUT_TIMEZONE (workers/celery_app.py)


def next_nightly(now: dt.datetime, zone: str) -> dt.datetime:
    """The next nightly sync after `now` (aware), in `zone`, the zone beat runs in."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    at = dt.datetime.combine(local.date(), NIGHTLY_AT, tzinfo=tz)
    return at if at > local else dt.datetime.combine(local.date() + dt.timedelta(days=1), NIGHTLY_AT, tzinfo=tz)


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def last_complete_day(now: dt.datetime | None = None) -> dt.date:
    """The last UTC day the vendors have finished reporting: the day before (now - 1 h)."""
    return ((now or clock.utcnow()) - VENDOR_DELAY).date() - dt.timedelta(days=1)


def nightly_window(*, end: dt.date, lookback_days: int, last_reconciled: dt.date | None) -> tuple[dt.date, dt.date]:
    """[start, end] of a nightly reconcile: the look-back days before `end`, reaching back to the day
    after the last successful scheduled reconcile when that is earlier (at most MAX_CATCH_UP_DAYS)."""
    start = end - dt.timedelta(days=lookback_days)
    if last_reconciled is not None and last_reconciled + dt.timedelta(days=1) < start:
        start = max(last_reconciled + dt.timedelta(days=1), end - dt.timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return start, end
