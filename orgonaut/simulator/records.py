"""What a simulator serves of a day: its truth, when it becomes available, and paging through it.

A day's truth is its generated records, with the records grow faults added inserted where they
were added, then the day's revisions applied in order. Paging serves exactly that list (offsets into
it, behind cursors or page numbers) unless a fault says otherwise: `dup` repeats the previous page's
last record, `grow` adds a record before the offset, `endless` pages on past the end.

A record is whatever the vendor's generator makes (the Anthropic one: JSON text; the Cursor one: a
dict); how a revision touches and changes one is the generator's `revise`/`touches` when it has
them, else `Revision.apply`/`Revision.touches` (JSON text of the Anthropic report).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from orgonaut.simulator.revisions import Revision

FRESHNESS = dt.timedelta(hours=1)  # the API returns only data older than an hour
_CURSOR_PREFIX = "sim1_"


class DaySource(Protocol):
    """A generator of days' records."""

    def records(self, day: dt.date) -> list[Any]: ...

    def grown_record(self, day: dt.date, neighbour: Any, n: int) -> Any: ...


@dataclasses.dataclass(slots=True)
class _DayView:
    """A day's truth: `records` as served; `rows` the generated and grown records before revisions,
    `sources[i]` the index in `rows` of `records[i]`, `grown` the indexes in `records` of grown ones."""

    records: list[Any]
    rows: list[Any]
    sources: list[int]
    grown: list[int]


class DayRecords:
    """The days' records of one simulator: generated, grown by faults, revised."""

    def __init__(self, usage: DaySource, now: Callable[[], dt.datetime]):
        self.usage = usage
        self.now = now
        self._revise: Callable[[Revision, Any], Any] = getattr(usage, "revise", Revision.apply)
        self._touches: Callable[[Revision, Any], bool] = getattr(usage, "touches", Revision.touches)
        self.revisions: list[Revision] = []
        self._growth: dict[dt.date, list[tuple[int, Any]]] = {}  # (index in the rows, record), in order
        self._views: dict[dt.date, _DayView] = {}  # days with revisions or growth

    def available(self, day: dt.date) -> list[Any]:
        """Nothing for today or the future: only data older than an hour, so a day appears once it has
        been over for an hour."""
        return self.truth(day) if self.is_available(day) else []

    def is_available(self, day: dt.date) -> bool:
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return self.now() >= day_end + FRESHNESS

    def truth(self, day: dt.date) -> list[Any]:
        """The day's records after growth and revisions, whatever the clock says."""
        if day not in self._growth and not any(revision.date == day for revision in self.revisions):
            return self.usage.records(day)
        return self._view(day).records

    def grown(self, day: dt.date) -> list[int]:
        """The indexes in the day's truth of the records grow faults added."""
        return self._view(day).grown if day in self._growth else []

    def page(
        self, day: dt.date, records: list[str], *, offset: int, generation: int, limit: int, mode: str | None
    ) -> tuple[list[str], str | None]:
        """One page of the day's available `records` from `offset`, and the next page's cursor (None at
        the end); `mode` is the fault's, when one applies to this request."""
        if mode == "grow" and offset > 0:
            self.grow(day, offset)
            records = self.available(day)
        chunk, end = window(records, offset=offset, limit=limit, mode=mode)
        if end < len(records):
            next_page: str | None = encode_cursor(day, end)
        elif mode == "endless":
            next_page = encode_cursor(day, end, generation + 1)  # past the end: empty pages, fresh cursors
        else:
            next_page = None
        return chunk, next_page

    def add_revision(self, revision: Revision) -> Revision:
        """Records the revision (numbered, with the count of the day's records it touches now)."""
        touched = sum(1 for record in self.truth(revision.date) if self._touches(revision, record))
        revision = dataclasses.replace(revision, id=len(self.revisions) + 1, records=touched)
        self.revisions.append(revision)
        self._views.pop(revision.date, None)
        return revision

    def clear(self) -> None:
        """No revisions and no growth."""
        self.revisions = []
        self._growth.clear()
        self._views.clear()

    def _view(self, day: dt.date) -> _DayView:
        view = self._views.get(day)
        if view is None:
            view = self._views[day] = self._build_view(day)
        return view

    def _build_view(self, day: dt.date) -> _DayView:
        rows = list(self.usage.records(day))
        added = [False] * len(rows)
        for index, added_record in self._growth.get(day, ()):
            rows.insert(index, added_record)
            added.insert(index, True)
        revisions = [revision for revision in self.revisions if revision.date == day]
        view = _DayView([], rows, [], [])
        for index, row in enumerate(rows):
            record: Any = row
            for revision in revisions:
                if record is None:  # dropped by an earlier revision
                    break
                record = self._revise(revision, record)
            if record is None:
                continue
            if added[index]:
                view.grown.append(len(view.records))
            view.records.append(record)
            view.sources.append(index)
        return view

    def grow(self, day: dt.date, offset: int) -> None:
        """A new record joins the day just before `offset` (1 <= offset <= the day's length): a new
        row for the actor of the record served at `offset - 1`, which therefore survives the day's
        revisions too and lands at `offset - 1`, pushing that record to `offset`."""
        view = self._view(day)
        index = view.sources[offset - 1]
        growth = self._growth.setdefault(day, [])
        growth.append((index, self.usage.grown_record(day, view.rows[index], len(growth))))
        self._views.pop(day, None)


def window(records: list[Any], *, offset: int, limit: int, mode: str | None) -> tuple[list[Any], int]:
    """The page of `records` from `offset` (a `dup` fault's page after the first starts with the
    previous page's last record again), and the offset just past it."""
    start, size = offset, limit
    if mode == "dup" and offset > 0:
        start, size = offset - 1, max(limit, 2)  # the previous page's last record first
    chunk = records[start:start + size]
    return chunk, start + len(chunk)


def encode_cursor(day: dt.date, offset: int, generation: int = 0) -> str:
    """An opaque cursor for an offset into the day; `generation` (the endless fault's pages past the
    end) makes each of those cursors distinct."""
    raw = f"{day.isoformat()}|{offset}" + (f"|{generation}" if generation else "")
    return _CURSOR_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, day: dt.date) -> tuple[int, int] | None:
    """The (offset, generation) a cursor points at, or None when it is not one of ours for this day."""
    if not cursor.startswith(_CURSOR_PREFIX) or len(cursor) > 100:
        return None
    token = cursor[len(_CURSOR_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    cursor_day, _, rest = raw.partition("|")
    offset, _, generation = rest.partition("|")
    if cursor_day != day.isoformat() or not offset.isdigit() or not (generation or "0").isdigit():
        return None
    return int(offset), int(generation or "0")
