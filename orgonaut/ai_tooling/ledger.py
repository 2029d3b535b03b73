"""The runner ledger (`sync_day_commits`): which runner (lease) committed which day of which run.

`record` writes one row in the day's own transaction, before the lease fence that guards it, so a
row exists exactly when the day committed. Operators read it to see who stored a day; the failover
suite's oracle asserts one row, hence one runner, per (run, day) whatever it killed. Rows are small
(a backfill of a year writes 365) and are kept with their run.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from orgonaut import clock
from orgonaut.ai_tooling.models import SyncDayCommit
from orgonaut.db import table_of

COMMITS = table_of(SyncDayCommit)


def record(session: Session, *, log_id: int, day: dt.date, lease: str) -> None:
    """Notes, in the caller's open transaction, that this runner is committing `day` of run `log_id`."""
    session.execute(COMMITS.insert().values(log_id=log_id, usage_date=day, lease=lease,
                                            committed_at=clock.utcnow()))
