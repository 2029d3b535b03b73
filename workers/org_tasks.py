"""Org jobs. Thin: the rules live in `orgonaut.org.events`.

- `redeliver_events` (beat, every minute): org change events whose delivery did not finish (a process
  died after the commit, a handler raised) are delivered again, so re-matching and rollup refreshes
  that follow org changes are never lost.
"""

from __future__ import annotations

from orgonaut.org import events
from workers.celery_app import app


@app.task(name="orgonaut.org.redeliver_events")
def redeliver_events() -> list[int]:
    return events.redeliver()
