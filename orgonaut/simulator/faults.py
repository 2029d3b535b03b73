"""Faults the simulator can be told to inject, from CLI flags or `POST /_sim/faults`.

A fault applies to the next `count` matching API requests (all of them until cleared when `count`
is left out), after letting `after` matching requests through untouched. Faults queue: the first
one that matches a request decides; when its count is spent the next one takes over.
"""

from __future__ import annotations

import dataclasses
from typing import Any

MODES = ("status", "malformed", "slow")
MALFORMED_VARIANTS = ("json", "shape", "record", "currency")
MAX_DELAY_SECONDS = 600.0


class FaultError(ValueError):
    """A fault description that does not make sense; the message says why."""


@dataclasses.dataclass(slots=True)
class Fault:
    mode: str  # status | malformed | slow
    status: int | None = None  # status mode: the HTTP status to answer (401, 403, 429, 500, 529, ...)
    retry_after: float | None = None  # status mode: a `retry-after` header, in seconds
    variant: str = "json"  # malformed mode: json | shape | record | currency
    delay: float = 0.0  # slow mode: seconds to wait before answering normally
    count: int | None = None  # how many requests it applies to; None: until cleared
    after: int = 0  # matching requests to let through first
    path: str | None = None  # only requests to this path (default: every /v1 request)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise FaultError(f"mode must be one of {', '.join(MODES)} or clear")
        if self.mode == "status" and (self.status is None or not 400 <= self.status <= 599):
            raise FaultError("a status fault needs a status between 400 and 599")
        if self.mode == "malformed" and self.variant not in MALFORMED_VARIANTS:
            raise FaultError(f"variant must be one of {', '.join(MALFORMED_VARIANTS)}")
        if self.mode == "slow" and not 0 < self.delay <= MAX_DELAY_SECONDS:
            raise FaultError(f"a slow fault needs a delay between 0 and {MAX_DELAY_SECONDS:.0f} seconds")
        if self.retry_after is not None and self.retry_after < 0:
            raise FaultError("retry_after must not be negative")
        if self.count is not None and self.count < 1:
            raise FaultError("count must be at least 1")
        if self.after < 0:
            raise FaultError("after must not be negative")

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def label(self) -> str:
        return {"status": f"status:{self.status}", "malformed": f"malformed:{self.variant}",
                "slow": f"slow:{self.delay:g}"}[self.mode]


_FIELDS: dict[str, type] = {"status": int, "retry_after": float, "variant": str, "delay": float, "count": int,
                            "after": int, "path": str}
_KIND_NAMES = {int: "an integer", float: "a number", str: "text"}


def fault_from_json(data: Any) -> Fault:
    """A fault from the admin endpoint's JSON object; FaultError for anything unexpected."""
    if not isinstance(data, dict):
        raise FaultError("a fault is a JSON object")
    unknown = set(data) - {"mode", *_FIELDS}
    if unknown:
        raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    mode = data.get("mode")
    values: dict[str, Any] = {}
    for name, kind in _FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float if kind is float else kind):
            raise FaultError(f"{name} must be {_KIND_NAMES[kind]}")
        values[name] = kind(value)
    if mode == "status" or (mode is None and "status" in values):
        mode = "status"
    return Fault(mode=mode, **values)  # type: ignore[arg-type]


def parse_fault_spec(spec: str) -> Fault:
    """A fault from a CLI flag: `MODE[:name=value...]`, where MODE is an HTTP status, `malformed` or
    `slow`. Examples: `429:count=2:retry_after=1`, `401`, `malformed:variant=record`, `slow:delay=5`."""
    head, *options = spec.strip().split(":")
    data: dict[str, Any] = {}
    if head.isdigit():
        data.update(mode="status", status=int(head))
    else:
        data["mode"] = head
    for option in options:
        name, sep, raw = option.partition("=")
        if not sep or name not in _FIELDS:
            raise FaultError(f"'{option}' is not name=value with a known name ({', '.join(_FIELDS)})")
        kind = _FIELDS[name]
        try:
            data[name] = kind(raw)
        except ValueError:
            raise FaultError(f"{name}={raw} is not {_KIND_NAMES[kind]}") from None
    return fault_from_json(data)
