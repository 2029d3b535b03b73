"""The Claude Enterprise simulator's request pieces: query parsing and checks (each a 400 in Anthropic's
words), cursors bound to their query, revisions of activity and cost rows, per-actor sums and broken
bodies. The app and its state are claude_enterprise.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from orgonaut.simulator.claude_enterprise_data import cents
from orgonaut.simulator.revisions import Revision

CURSOR_PREFIX = "ceap1_"
EARLIEST = dt.date(2026, 1, 1)
MAX_RANGE_DAYS = 31
COST_RETENTION_DAYS = 365


class BadRequest(Exception):
    """A 400 with the message said to the client."""


def api_key_of(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def check_parameters(query: Any, allowed: set[str]) -> None:
    unknown = sorted(set(query.keys()) - allowed)
    if unknown:
        raise BadRequest(f"Unsupported parameter: {unknown[0][:40]}.")


def parse_date(value: str | None, name: str) -> dt.date:
    if value is None:
        raise BadRequest(f"{name} is required.")
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a UTC date in YYYY-MM-DD format.") from None


def parse_moment(value: str | None, name: str) -> dt.datetime:
    if value is None:
        raise BadRequest(f"{name} is required.")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp with a time zone.") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp with a time zone.")
    return moment.astimezone(dt.UTC)


def cost_range(query: Any, today: dt.date, *, default_bucket: str | None,
               ) -> tuple[dt.datetime, dt.datetime, str | None, list[str]]:
    """(start, exclusive end, bucket width, group_by) of a cost query (`/user_cost_report`, `/cost_report`),
    each documented limit a 400: from 2026-01-01, within 365 days, at most 31 days; an absent `ending_at` is
    the earlier of today and 31 days on."""
    start = parse_moment(query.get("starting_at"), "starting_at")
    end = parse_moment(query["ending_at"], "ending_at") if "ending_at" in query else min(
        start + dt.timedelta(days=MAX_RANGE_DAYS), dt.datetime.combine(today, dt.time(), dt.UTC))
    bucket = query.get("bucket_width", default_bucket)
    group_by = query.getlist("group_by[]")
    if bucket not in (None, "1d"):
        raise BadRequest("This simulator serves bucket_width 1d only.")
    if any(field != "product" for field in group_by):
        raise BadRequest("This simulator groups by product only.")
    if start < dt.datetime.combine(EARLIEST, dt.time(), dt.UTC):
        raise BadRequest(f"starting_at must be no earlier than {EARLIEST.isoformat()}T00:00:00Z.")
    if start.date() < today - dt.timedelta(days=COST_RETENTION_DAYS):
        raise BadRequest(f"starting_at must be within the last {COST_RETENTION_DAYS} days.")
    if end <= start:
        raise BadRequest("ending_at must be after starting_at.")
    if end - start > dt.timedelta(days=MAX_RANGE_DAYS):
        raise BadRequest(f"The range may span at most {MAX_RANGE_DAYS} days.")
    if bucket and (start.time() != dt.time() or end.time() != dt.time()):
        raise BadRequest("With bucket_width 1d, starting_at and ending_at must be UTC midnights.")
    return start, end, bucket, group_by


def parse_limit(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 1000:
        raise BadRequest("limit must be between 1 and 1000.")
    return int(value)


def query_fingerprint(endpoint: str, request: Request) -> str:
    """The query a cursor belongs to: the endpoint and every parameter but `page`."""
    items = sorted((name, value) for name, value in request.query_params.multi_items() if name != "page")
    return hashlib.sha256(json.dumps([endpoint, items]).encode()).hexdigest()[:16]


def encode_cursor(bound: str, offset: int, generation: int = 0) -> str:
    raw = f"{bound}|{offset}|{generation}"
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, bound: str) -> tuple[int, int]:
    token = cursor.removeprefix(CURSOR_PREFIX)
    try:
        if token == cursor or len(cursor) > 200:
            raise ValueError
        query, offset, generation = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|")
        position = (int(offset), int(generation))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("Invalid page cursor.") from None
    if query != bound:
        raise BadRequest("The page cursor belongs to another query: send the same parameters with `page`.")
    return position


def email_of(row: dict[str, Any], who: str) -> str | None:
    email = row[who].get("email_address")
    return email.lower() if isinstance(email, str) else None


def revised_row(revision: Revision, row: dict[str, Any], who: str) -> dict[str, Any] | None:
    """The row after the revision (None: dropped); other people's rows unchanged."""
    if email_of(row, who) != revision.email.lower():
        return row
    if revision.action == "drop":
        return None
    if revision.action == "move":
        return {**row, who: {**row[who], "email_address": revision.to_email}}
    factor = revision.factor or Decimal(1)
    if who == "actor":
        return {**row, "amount": cents(Decimal(row["amount"]) * factor),
                "list_amount": cents(Decimal(row["list_amount"]) * factor),
                "requests": scaled(row["requests"], factor)}
    return {name: (value if name == "user" else scaled(value, factor)) for name, value in row.items()}


def scaled(value: Any, factor: Decimal) -> Any:
    """Every count in a (nested) value times `factor`, rounded half-even."""
    if isinstance(value, dict):
        return {name: scaled(item, factor) for name, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return int((value * factor).to_integral_value(ROUND_HALF_EVEN))
    return value


def merged_rows(rows: list[dict[str, Any]], *, bucketed: bool, by_product: bool) -> list[dict[str, Any]]:
    """Rows summed per actor (and bucket / product where asked)."""
    merged: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for row in rows:
        key = (row["actor"]["user_id"], row["starting_at"] if bucketed else None,
               row["product"] if by_product else None)
        total = merged.get(key)
        if total is None:
            merged[key] = {**row, "product": key[2], "starting_at": key[1],
                           "ending_at": row["ending_at"] if bucketed else None}
            continue
        total["amount"] = cents(Decimal(total["amount"]) + Decimal(row["amount"]))
        total["list_amount"] = cents(Decimal(total["list_amount"]) + Decimal(row["list_amount"]))
        total["requests"] += row["requests"]
    return list(merged.values())


def malformed_body(variant: str) -> Response:
    if variant == "json":
        return Response('{"data": [{"user": {"type": "us', media_type="application/json")
    return Response('{"data": {"unexpected": true}, "next_page": 42}', media_type="application/json")

