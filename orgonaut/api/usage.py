"""The usage list: one tenant's records of one scope, newest first, filtered, in keyset pages.

Pages are keyset pages on (usage_date, id), both descending: a page never skips or repeats a record
when records arrive between two calls, and page 1000 costs what page 1 costs. The cursor is that
pair, base64url-encoded; callers treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from orgonaut import kv
from orgonaut.ai_tooling.models import AiToolUsageRecord, scope_key

MAX_RECORD_ID = 2**63 - 1


@dataclass(frozen=True)
class UsageFilters:
    tenant_id: int
    scenario_id: int | None
    actor_id: int | None = None
    # Only these people's records (who the caller may see; `orgonaut.org.visibility`); None: no such limit.
    visible_actor_ids: frozenset[int] | None = None
    provider: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    unmatched: bool | None = None


@dataclass(frozen=True)
class Cursor:
    usage_date: dt.date
    id: int


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{cursor.usage_date.isoformat()}:{cursor.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    """The cursor's position; ValueError when it is not one this API handed out."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        day, _, record_id = raw.partition(":")
        cursor = Cursor(usage_date=dt.date.fromisoformat(day), id=int(record_id))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor") from None
    if not 0 < cursor.id <= MAX_RECORD_ID or encode_cursor(cursor) != value:
        raise ValueError("not a cursor")
    return cursor


def _statement(filters: UsageFilters, after: Cursor | None):
    r = AiToolUsageRecord
    statement = select(r).where(r.tenant_id == filters.tenant_id, r.scope_key == scope_key(filters.scenario_id))
    if filters.actor_id is not None:
        statement = statement.where(r.actor_id == filters.actor_id)
    if filters.visible_actor_ids is not None:
        statement = statement.where(col(r.actor_id).in_(sorted(filters.visible_actor_ids)))
    if filters.provider is not None:
        statement = statement.where(r.provider == filters.provider)
    if filters.start is not None:
        statement = statement.where(r.usage_date >= filters.start)
    if filters.end is not None:
        statement = statement.where(r.usage_date <= filters.end)
    if filters.unmatched is True:
        statement = statement.where(col(r.actor_id).is_(None))
    elif filters.unmatched is False:
        statement = statement.where(col(r.actor_id).is_not(None))
    if after is not None:
        statement = statement.where(
            or_(col(r.usage_date) < after.usage_date,
                and_(col(r.usage_date) == after.usage_date, col(r.id) < after.id))
        )
    return statement.order_by(col(r.usage_date).desc(), col(r.id).desc())


def list_usage(
    *, session: Session, filters: UsageFilters, limit: int, after: Cursor | None = None
) -> tuple[list[AiToolUsageRecord], Cursor | None]:
    """One page of records and the cursor of the next page (None on the last page)."""
    rows = list(session.exec(_statement(filters, after).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(usage_date=last.usage_date, id=last.id)


def iter_usage(
    *, filters: UsageFilters, open_session: Callable[[], Session], batch: int = 1000,
) -> Iterator[AiToolUsageRecord]:
    """Every matching record, newest first, read in keyset batches (for the CSV export). Each batch
    has its own short session, closed before its rows go out: a client that reads slowly never holds
    a pooled connection (security review, finding 9)."""
    after: Cursor | None = None
    while True:
        with open_session() as session:
            rows, after = list_usage(session=session, filters=filters, limit=batch, after=after)
            session.expunge_all()
        yield from rows
        if after is None:
            return


# At most this many CSV exports of one token at once (all web processes together); a slot left by a
# process that died frees itself after EXPORT_SLOT_SECONDS.
EXPORTS_PER_TOKEN = 2
EXPORT_SLOT_SECONDS = 3600


def _exports_key(token_id: int) -> str:
    return f"orgonaut:api:exports:{token_id}"


def take_export_slot(token_id: int) -> bool:
    """Whether this token may start one more export now (then the caller must `release_export_slot`)."""
    client = kv.locks()
    key = _exports_key(token_id)
    with client.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, EXPORT_SLOT_SECONDS)
        running = int(pipe.execute()[0])
    if running > EXPORTS_PER_TOKEN:
        client.decr(key)
        return False
    return True


def release_export_slot(token_id: int) -> None:
    client = kv.locks()
    left = cast(int, client.decr(_exports_key(token_id)))  # a synchronous client answers at once
    if left < 0:  # the slot had expired meanwhile
        client.delete(_exports_key(token_id))
