"""The one clock. Services ask it for "now"; tests move it with `frozen_at`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def utcnow() -> dt.datetime:
    """Aware UTC; SQLModel stores it as UTC and returns it aware on every dialect."""
    now = _frozen if _frozen is not None else dt.datetime.now(dt.UTC)
    return now + _offset


def today_in(zone: str) -> dt.date:
    return utcnow().astimezone(ZoneInfo(zone)).date()


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Pin the clock to an aware moment inside the block (in this process)."""
    global _frozen
    previous = _frozen
    _frozen = moment
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: dt.timedelta) -> None:
    global _offset
    _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset = dt.timedelta(0)
    _frozen = None
