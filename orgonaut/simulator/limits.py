"""Per-minute rate limits as token buckets, one per (team, group of endpoints).

Controls: `GET /_sim/limits` the limits now, `POST /_sim/limits` {group: a positive integer or null}
changes them (every bucket full again) until the simulator's reset.

A bucket holds `per_minute` tokens, starts full and refills at `per_minute` / 60 a second; a request
takes one, and is refused when none is left. A limit of None is no limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orgonaut.simulator.base import json_body


class RateLimits:
    def __init__(self, limits: Mapping[str, int | None], clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.limits: dict[str, int | None] = dict(limits)
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, when counted)

    def set(self, limits: Mapping[str, int | None]) -> None:
        """New limits (for the groups named); every bucket starts full again."""
        self.limits.update(limits)
        self._buckets.clear()

    def take(self, team: str, group: str) -> bool:
        """Whether the team may make one more request of the group now (and counts it if so)."""
        limit = self.limits.get(group)
        if limit is None:
            return True
        now = self.clock()
        tokens, then = self._buckets.get((team, group), (float(limit), now))
        tokens = min(float(limit), tokens + (now - then) * limit / 60)
        if tokens < 1:
            self._buckets[(team, group)] = (tokens, now)
            return False
        self._buckets[(team, group)] = (tokens - 1, now)
        return True

    async def get(self, request: Request) -> Response:
        return JSONResponse(self.limits)

    async def post(self, request: Request) -> Response:
        data = await json_body(request)
        if not isinstance(data, dict) or set(data) - set(self.limits) or not all(
                value is None or (type(value) is int and value > 0) for value in data.values()):
            return JSONResponse({"error": f"give {' and/or '.join(self.limits)}: a positive integer or null"},
                                status_code=400)
        self.set(data)
        return JSONResponse(self.limits)

    def control_routes(self) -> list[Route]:
        return [Route("/_sim/limits", self.get, methods=["GET"]), Route("/_sim/limits", self.post, methods=["POST"])]
