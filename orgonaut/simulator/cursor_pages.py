"""The Cursor simulator's request bodies, JSON text and malformed answers.

Request bodies (`POST /teams/daily-usage-data`, `POST /teams/filtered-usage-events`): `startDate` and
`endDate` are epoch ms, both inclusive (a day ends at its last millisecond), at most 30 days apart
(`endDate - startDate <= 30 × 86,400,000`; the events' limit is not documented, a third party says
30 days too), else 400. `page` is from 1; `pageSize` from 1 to 1,000.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import http
import json
import re
from decimal import Decimal
from typing import Any

from orgonaut.simulator.cursor_data import DAY_MS, Member

MAX_RANGE_MS = 30 * DAY_MS
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
HOSTING_TYPES = ("CLOUD", "SELF_HOSTED", "SELF_HOSTED_POOL", "SELF_HOSTED_MACHINE")
NOT_IN_TEAM = "Some users are not in the team"
_MARK = "\x00D"
_RAW = re.compile(r'"\\u0000D(-?[0-9.]+)"')


MESSAGES = {400: "Bad request", 401: "Invalid API key", 403: "Enterprise access required",
            404: "Resource not found", 429: "Rate limit exceeded. Please try again later.",
            500: "An unexpected error occurred"}


class BadRequest(ValueError):
    """A request body the API answers 400 to; the message is the answer's."""


@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    start: int  # epoch ms, inclusive
    end: int  # epoch ms, inclusive
    page: int | None = None
    page_size: int | None = None
    email: str | None = None
    user_id: int | None = None
    service_account_id: str | None = None

    @property
    def paginated(self) -> bool:
        return self.page is not None or self.page_size is not None

    def days(self) -> list[dt.date]:
        """The UTC days the range touches, oldest first."""
        first = dt.date(1970, 1, 1) + dt.timedelta(days=self.start // DAY_MS)
        return [first + dt.timedelta(days=n) for n in range(self.end // DAY_MS - self.start // DAY_MS + 1)]

    def period(self) -> dict[str, int]:
        return {"startDate": self.start, "endDate": self.end}


def parse_query(body: Any, *, events: bool) -> Query:
    """The request's body as a Query; BadRequest with the API's message otherwise."""
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    start, end = body.get("startDate"), body.get("endDate")
    if start is None or end is None:
        raise BadRequest("startDate and endDate are required")
    if not _is_int(start) or not _is_int(end) or start < 0 or end < 0:
        raise BadRequest("startDate and endDate must be timestamps in epoch milliseconds")
    if start > end:
        raise BadRequest("startDate must be before endDate")
    if end - start > MAX_RANGE_MS:
        raise BadRequest("Date range cannot exceed 30 days")
    page, size = body.get("page"), body.get("pageSize")
    if page is not None and (not _is_int(page) or page < 1):
        raise BadRequest("page must be a positive integer")
    if size is not None and (not _is_int(size) or not 1 <= size <= MAX_PAGE_SIZE):
        raise BadRequest(f"pageSize must be an integer between 1 and {MAX_PAGE_SIZE}")
    if not events:
        return Query(start, end, page, size)
    email, user_id, account = body.get("email"), body.get("userId"), body.get("serviceAccountId")
    if email is not None and not isinstance(email, str):
        raise BadRequest("email must be a string")
    if user_id is not None and not _is_int(user_id):
        raise BadRequest("userId must be a number")
    if account is not None and not isinstance(account, str):
        raise BadRequest("serviceAccountId must be a string")
    hosting = body.get("hostingType")
    if hosting is not None and hosting not in HOSTING_TYPES:
        raise BadRequest(f"hostingType must be one of {', '.join(HOSTING_TYPES)}")
    return Query(start, end, page, size, email, user_id, account)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def encode(value: Any) -> str:
    """JSON text with every Decimal written as the exact number it is (json cannot write one)."""
    text = json.dumps(value, separators=(",", ":"), default=_decimal)
    return _RAW.sub(lambda match: match[1], text)


def _decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{_MARK}{value:f}"
    raise TypeError(f"{type(value).__name__} is not JSON")


def reason(status: int) -> str:
    """The HTTP reason phrase, as the `error` field of an error body carries it."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def basic_user(header: str | None) -> str | None:
    """The user name of an HTTP Basic `Authorization` header (the key), or None."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, _ = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


MEMBER_STYLES = ("newest", "number", "oldest")


def member_json(member: Member, today: dt.date, style: str = "newest") -> dict[str, Any] | None:
    """A `teamMembers` entry in the docs' newest shape (`id` "user_…", `isRemoved`), the intermediate
    one (`id` a number) or the oldest (no `id`, no `isRemoved`: removed members are not listed)."""
    removed = member.removed is not None and member.removed <= today
    if style == "oldest":
        return None if removed else {"name": member.name, "email": member.email, "role": member.role}
    return {"id": member.id if style == "newest" else member.user_id, "name": member.name, "email": member.email,
            "role": member.role, "isRemoved": removed}


# -- malformed answers (a `malformed` fault) ---------------------------------------------------------

TRUNCATED = {"members": '{"teamMembers":[{"id":"user_', "rows": '{"data":[{"userId":',
             "events": '{"totalUsageEventsCount":3,"usageEvents":[{"timestamp":"17',
             "spend": '{"teamMemberSpend":[{"userId":"user_'}
WRONG_SHAPE = {"members": '{"teamMembers":{"unexpected":true}}',
               "rows": '{"data":{"unexpected":true},"period":"maybe"}',
               "events": '{"usageEvents":{"unexpected":true},"pagination":"maybe"}',
               "spend": '{"teamMemberSpend":{"unexpected":true},"subscriptionCycleStart":"soon"}'}


def malformed_body(what: str, variant: str) -> str | None:
    """The whole body for the `json` and `shape` variants; None for those that break a record."""
    if variant == "json":
        return TRUNCATED[what]
    if variant == "shape":
        return WRONG_SHAPE[what]
    return None


def malformed_records(records: list[dict[str, Any]], variant: str) -> list[dict[str, Any]]:
    """The page with its first record broken: `record` takes its e-mail away; `currency` makes its
    money (an event's, a member's spend; in an activity row, its first count) text."""
    if not records:
        return records
    first = dict(records[0])
    if variant == "record":
        first.pop("email" if "email" in first else "userEmail", None)
    elif "spendCents" in first:
        first["spendCents"] = f"{first['spendCents']} USD"
    elif "chargedCents" in first:
        first["chargedCents"] = f"{first['chargedCents']} USD"
    elif "tokenUsage" in first:
        first["tokenUsage"] = {**first["tokenUsage"], "totalCents": "n/a"}
    else:
        first["totalLinesAdded"] = "n/a"
    return [first, *records[1:]]
