"""Faults the simulator can be told to inject, from CLI flags or `POST /_sim/faults`.

A fault applies to the next `count` matching API requests (all of them until cleared when `count`
is left out), after letting `after` matching requests through untouched. Faults queue: the first
one that matches a request decides; when its count is spent the next one takes over.

With a `rate` (0 < rate <= 1) a fault applies only to a seeded-random fraction of the requests it
matches (once `after` is spent): the n-th draw is a hash of (`seed`, n), so the same seed and the
same request sequence always pick the same requests. A request it does not pick is offered to the
next fault in the queue; `count` counts the requests it picked.

Modes:
  status     answer `status` in the documented error envelope (429 with `retry_after` seconds)
  malformed  a broken body (`variant`: json | shape | record | currency)
  slow       wait `delay` seconds, then answer normally
  reset      send the headers and `after_bytes` bytes of the body, then close the connection
             (at most the body's length minus one, so the body is always cut short)
  drip       send the body at `bytes_per_second`, `chunk_bytes` at a time (default: a tenth of a
             second's worth, at least 1 byte)
  endless    usage report pages: `has_more` stays true with a fresh cursor each page; past the
             day's last record the pages are empty
  dup        usage report pages after the first: the previous page's last record is served again
             at the head of this page (the page then holds `limit` records, 2 when `limit` is 1)
  grow       usage report pages after the first: a new record joins the day just before the
             cursor's offset, so this page starts with the previous page's last record and the
             new one is never served to this pass; the day's truth keeps the new record
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Sequence
from typing import Any

MODES = ("status", "malformed", "slow", "reset", "drip", "endless", "dup", "grow")
MALFORMED_VARIANTS = ("json", "shape", "record", "currency")
PAGING_MODES = ("endless", "dup", "grow")  # only usage report pages
NEXT_PAGE_MODES = ("dup", "grow")  # only pages asked for with a cursor
MAX_DELAY_SECONDS = 600.0
MAX_BYTES_PER_SECOND = 100_000_000.0


class FaultError(ValueError):
    """A fault description that does not make sense; the message says why."""


@dataclasses.dataclass(slots=True)
class Fault:
    mode: str  # status | malformed | slow | reset | drip | endless | dup | grow
    status: int | None = None  # status mode: the HTTP status to answer (401, 403, 429, 500, 529, ...)
    retry_after: float | None = None  # status mode: a `retry-after` header, in seconds
    variant: str = "json"  # malformed mode: json | shape | record | currency
    delay: float = 0.0  # slow mode: seconds to wait before answering normally
    count: int | None = None  # how many requests it applies to; None: until cleared
    after: int = 0  # matching requests to let through first
    path: str | None = None  # only requests to this path (default: every /v1 request)
    rate: float | None = None  # the fraction of matching requests it picks (None: every one)
    seed: int = 0  # seeds the draws of `rate`
    after_bytes: int = 0  # reset mode: body bytes sent before the connection is closed
    bytes_per_second: float | None = None  # drip mode: the body's pace
    chunk_bytes: int | None = None  # drip mode: bytes per write (default: a tenth of a second's worth)
    _draws: int = dataclasses.field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise FaultError(f"mode must be one of {', '.join(MODES)} or clear")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise FaultError("rate must be above 0 and at most 1 (the fraction of matching requests)")
        if self.seed != 0 and self.rate is None:
            raise FaultError("seed only applies with a rate")
        if self.after_bytes < 0:
            raise FaultError("after_bytes must not be negative")
        if self.after_bytes and self.mode != "reset":
            raise FaultError("after_bytes only applies to a reset fault")
        if self.mode != "drip" and (self.bytes_per_second is not None or self.chunk_bytes is not None):
            raise FaultError("bytes_per_second and chunk_bytes only apply to a drip fault")
        if self.mode == "drip":
            self._check_drip()
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

    def _check_drip(self) -> None:
        pace = self.bytes_per_second
        if pace is None or not 0 < pace <= MAX_BYTES_PER_SECOND:
            raise FaultError(f"a drip fault needs bytes_per_second above 0 and at most {MAX_BYTES_PER_SECOND:.0f}")
        if self.chunk_bytes is None:
            self.chunk_bytes = max(1, int(pace // 10))
        if self.chunk_bytes < 1:
            raise FaultError("chunk_bytes must be at least 1")
        if self.chunk_bytes / pace > MAX_DELAY_SECONDS:
            raise FaultError(f"a drip fault must send a chunk at least every {MAX_DELAY_SECONDS:.0f} seconds: "
                             "raise bytes_per_second or lower chunk_bytes")

    def matches(self, path: str, *, report: bool = False, continued: bool = False,
                paging_modes: Sequence[str] = PAGING_MODES) -> bool:
        """Whether the fault is for this request: its path, and for the paging modes a usage report
        page (`report`) whose endpoint has that mode (`paging_modes`), asked for with a cursor or a
        page number past the first (`continued`) for dup and grow."""
        if self.path is not None and self.path != path:
            return False
        if self.mode in PAGING_MODES and (not report or self.mode not in paging_modes):
            return False
        return not (self.mode in NEXT_PAGE_MODES and not continued)

    def picks(self) -> bool:
        """Whether the fault takes this matching request: always without a rate; with one, the next
        seeded draw is below it."""
        if self.rate is None:
            return True
        draw = seeded_uniform(self.seed, self._draws)
        self._draws += 1
        return draw < self.rate

    def to_json(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)
                if not field.name.startswith("_")}

    @property
    def label(self) -> str:
        match self.mode:
            case "status":
                return f"status:{self.status}"
            case "malformed":
                return f"malformed:{self.variant}"
            case "slow":
                return f"slow:{self.delay:g}"
            case "reset":
                return f"reset:{self.after_bytes}"
            case "drip":
                return f"drip:{self.bytes_per_second:g}"
        return self.mode


def seeded_uniform(seed: int, n: int) -> float:
    """The n-th number in [0, 1) for a seed: a hash, so it is the same in every process."""
    digest = hashlib.blake2b(f"fault|{seed}|{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


_FIELDS: dict[str, type] = {"status": int, "retry_after": float, "variant": str, "delay": float, "count": int,
                            "after": int, "path": str, "rate": float, "seed": int, "after_bytes": int,
                            "bytes_per_second": float, "chunk_bytes": int}
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
        if kind is float and not math.isfinite(float(value)):  # type: ignore[arg-type]
            raise FaultError(f"{name} must be a finite number")
        values[name] = kind(value)
    if mode == "status" or (mode is None and "status" in values):
        mode = "status"
    return Fault(mode=mode, **values)  # type: ignore[arg-type]


def parse_fault_spec(spec: str) -> Fault:
    """A fault from a CLI flag: `MODE[:name=value...]`, where MODE is an HTTP status or a mode name.
    Examples: `429:count=2:retry_after=1`, `401`, `malformed:variant=record`, `slow:delay=5`,
    `429:rate=0.7:seed=3:retry_after=1`, `reset:after_bytes=100:count=1`, `drip:bytes_per_second=500`,
    `endless`, `dup:count=1`, `grow:after=1:count=1`."""
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
