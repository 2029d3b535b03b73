"""Revisions of a day's report after it was first served, from `POST /_sim/revise`.

The real report can change after a first fetch (the day is still filling, or the vendor corrects
it). A revision says how one day changes from then on:

  {"date": "2025-03-04", "action": "drop", "email": "a@x.test"}
      the person's records vanish from that day
  {"date": "2025-03-04", "action": "change", "email": "a@x.test", "factor": 1.5}
      every count of the person's records (sessions, lines, commits, pull requests, tool actions,
      tokens) becomes round-half-even(count × factor), and every cost amount becomes
      amount × factor rounded half-even to a thousandth of a cent (written without trailing zeros)
  {"date": "2025-03-04", "action": "move", "email": "a@x.test", "to_email": "b@x.test"}
      the person's records are reported under `to_email`

E-mails match the record's `email_address` without regard to case; API-key actors are never
revised. Revisions apply in the order they were made, each to the result of the ones before, so
a `change` of `b@x.test` after a move to it scales the moved records too.

Revisions work on the record's JSON text, never through floats: an amount keeps its exact digits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from orgonaut.simulator.faults import FaultError

ACTIONS = ("drop", "change", "move")
MAX_FACTOR = 1000
_FIELDS = ("date", "action", "email", "to_email", "factor")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_ACTOR = re.compile(r'"actor":(\{[^{}]*\})')
_COUNT = re.compile(
    r'"(num_sessions|added|removed|commits_by_claude_code|pull_requests_by_claude_code|accepted|rejected'
    r'|input|output|cache_read|cache_creation)":(\d+)'
)
_AMOUNT = re.compile(r'"amount":(-?[0-9.eE+-]+)')
_MILLICENT = Decimal("0.001")


def parse_day(value: Any, name: str = "date") -> dt.date:
    """A `YYYY-MM-DD` UTC date; FaultError naming the field otherwise."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise FaultError(f"{name} must be a date in YYYY-MM-DD format")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FaultError(f"{name} {value} is not a valid date") from None


@dataclasses.dataclass(frozen=True, slots=True)
class Revision:
    date: dt.date
    action: str  # drop | change | move
    email: str
    to_email: str | None = None  # move: the e-mail the usage is reported under
    factor: Decimal | None = None  # change: what every count and amount is multiplied by
    id: int = 0
    records: int = 0  # how many of the day's records it touched when it was made

    def touches(self, record: str) -> bool:
        return record_email(record) == self.email.lower()

    def apply(self, record: str) -> str | None:
        """The record after this revision (None: dropped); records of other people unchanged."""
        if not self.touches(record):
            return record
        if self.action == "drop":
            return None
        if self.action == "move":
            actor = json.dumps({"type": "user_actor", "email_address": self.to_email}, separators=(",", ":"))
            return _ACTOR.sub(lambda _: f'"actor":{actor}', record, count=1)
        factor = self.factor or Decimal(1)
        scaled = _COUNT.sub(lambda m: f'"{m[1]}":{int((int(m[2]) * factor).to_integral_value(ROUND_HALF_EVEN))}',
                            record)
        return _AMOUNT.sub(lambda m: f'"amount":{_scale_amount(m[1], factor)}', scaled)

    def to_json(self) -> dict[str, Any]:
        factor = None
        if self.factor is not None:
            factor = int(self.factor) if self.factor == self.factor.to_integral_value() else float(self.factor)
        return {"id": self.id, "date": self.date.isoformat(), "action": self.action, "email": self.email,
                "to_email": self.to_email, "factor": factor, "records": self.records}


def revision_from_json(data: Any) -> Revision:
    """A revision from the control endpoint's JSON object; FaultError saying what is wrong."""
    if not isinstance(data, dict):
        raise FaultError("a revision is a JSON object")
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise FaultError(f"unknown revision fields: {', '.join(sorted(unknown))}")
    day = parse_day(data.get("date"))
    action = data.get("action")
    if action not in ACTIONS:
        raise FaultError(f"action must be one of {', '.join(ACTIONS)}")
    email = _email(data.get("email"), "email")
    to_email = data.get("to_email")
    factor = data.get("factor")
    if action == "move":
        to_email = _email(to_email, "to_email")
        if to_email.lower() == email.lower():
            raise FaultError("to_email must differ from email")
    elif to_email is not None:
        raise FaultError("to_email only applies to a move")
    if action == "change":
        if factor is None:
            raise FaultError("a change needs a factor (a number, e.g. 1.5)")
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor):
            raise FaultError("factor must be a number")
        if not 0 < factor <= MAX_FACTOR or factor == 1:
            raise FaultError(f"factor must be above 0, at most {MAX_FACTOR}, and not 1 (which changes nothing)")
        factor = Decimal(str(factor))
    elif factor is not None:
        raise FaultError("factor only applies to a change")
    return Revision(date=day, action=action, email=email, to_email=to_email, factor=factor)


def parse_revision_spec(spec: str) -> Revision:
    """A revision from a CLI flag: `DATE:ACTION[:name=value...]`, e.g. `2025-03-04:drop:email=a@x.test`,
    `2025-03-04:change:email=a@x.test:factor=1.5`, `2025-03-04:move:email=a@x.test:to_email=b@x.test`."""
    date, _, rest = spec.strip().partition(":")
    action, _, options = rest.partition(":")
    data: dict[str, Any] = {"date": date, "action": action}
    for option in options.split(":") if options else ():
        name, sep, raw = option.partition("=")
        if not sep or name not in ("email", "to_email", "factor"):
            raise FaultError(f"'{option}' is not name=value with a known name (email, to_email, factor)")
        if name == "factor":
            try:
                data[name] = float(raw)
            except ValueError:
                raise FaultError(f"factor={raw} is not a number") from None
        else:
            data[name] = raw
    return revision_from_json(data)


def record_email(record: str) -> str | None:
    """The record's actor e-mail, lower-cased; None for an API-key actor."""
    match = _ACTOR.search(record)
    if match is None:
        return None
    email = json.loads(match[1]).get("email_address")
    return email.lower() if isinstance(email, str) else None


def _email(value: Any, name: str) -> str:
    if not isinstance(value, str) or len(value) > 320 or not _EMAIL.fullmatch(value.strip()):
        raise FaultError(f"{name} must be an e-mail address")
    return value.strip()


def _scale_amount(text: str, factor: Decimal) -> str:
    value = (Decimal(text) * factor).quantize(_MILLICENT, ROUND_HALF_EVEN)
    return format(value.normalize(), "f") if value else "0"
