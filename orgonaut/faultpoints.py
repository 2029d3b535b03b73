"""Fault points: named places in the sync engine where the failover suite kills or holds a process.

Each point is one line, `faultpoints.reach("<name>")`, and does nothing unless the setting
`ORGONAUT_FAULTPOINTS` names it. Production never sets it; the failover suite (`tests/failover/`)
sets it in a worker's environment to SIGKILL that worker at an exact place of a run.

Syntax: `ORGONAUT_FAULTPOINTS="<point>:<nth>[:<action>][,<point>:<nth>[:<action>]...]"`, e.g.
`after_copy_before_commit:3` (SIGKILL this process the third time any process reaches the point)
or `in_copy:1:hold,after_fetch:5:group`.

- `nth`: the point fires the nth time it is reached (1 = the first), and only then. With
  `ORGONAUT_FAULTPOINTS_DIR` set, reaches are counted in a file there, locked with `fcntl`, across
  every process that shares the directory (a worker's pool children, and the worker a supervisor
  starts after the kill), so a point fires once per test however often workers restart. Without it,
  each process counts for itself.
- `action`:
  - `kill` (default): SIGKILL this process (a Celery pool child, or a CLI run);
  - `group`: SIGKILL this process's group (a whole Celery worker started in its own session);
  - `hold`: wait until the file `<dir>/<point>.go` exists (at most `HOLD_SECONDS`), so that a
    test can act meanwhile (terminate a database backend, say). Needs the directory.

Before it acts, a firing point writes `<dir>/<point>.fired` (the pid), so a test can tell that the
fault happened where it meant it to.

Points (where they are):

- `after_fetch` (`prefetch.prefetch`): a day's records fetched, not yet built or stored;
- `in_copy` (`ingest`): inside the day's COPY, its data sent, COPY not ended (PostgreSQL); after
  the day's upsert statement (SQLite, which has no COPY);
- `after_copy_before_commit` (`chunk._store_days`): the day's rows, intents and checkpoint written
  and fenced, not committed;
- `before_refresh_send` (`changes.send_job`): a change committed, its refresh job not yet sent;
- `between_hand_over_and_send` (`steps.queue_next_chunk`): the lock handed to the next chunk's
  task id, that task not yet sent;
- `in_retry_countdown` (`workers/ai_tooling_tasks.sync_range`): the retry sent with its
  countdown, the task not yet ended;
- `in_refresh_transaction` (`rollups.queue.run_owed`): rollups recomputed and intents deleted,
  not committed.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time
from pathlib import Path

from orgonaut.settings import get_settings

ACTIONS = ("kill", "group", "hold")
HOLD_SECONDS = 120.0
_counts: dict[str, int] = {}


def parse(spec: str) -> dict[str, tuple[int, str]]:
    """`point:nth[:action],...` -> {point: (nth, action)}; raises ValueError on a malformed spec."""
    points: dict[str, tuple[int, str]] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, rest = item.partition(":")
        nth_text, _, action = rest.partition(":")
        action = action or "kill"
        if not name or not nth_text.isdigit() or int(nth_text) < 1 or action not in ACTIONS:
            raise ValueError(f"bad fault point {item!r}: expected <point>:<nth >= 1>[:{'|'.join(ACTIONS)}]")
        points[name] = (int(nth_text), action)
    return points


def reach(name: str) -> None:
    """A named place in the engine: acts if ORGONAUT_FAULTPOINTS names it and this is its nth reach."""
    settings = get_settings()
    if not settings.faultpoints:
        return
    point = parse(settings.faultpoints).get(name)
    if point is None:
        return
    nth, action = point
    directory = Path(settings.faultpoints_dir) if settings.faultpoints_dir else None
    if _count(name, directory) != nth:
        return
    if directory is not None:
        (directory / f"{name}.fired").write_text(str(os.getpid()))
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "group":
        os.killpg(os.getpgid(0), signal.SIGKILL)
    else:
        if directory is None:
            raise RuntimeError("a 'hold' fault point needs ORGONAUT_FAULTPOINTS_DIR")
        go = directory / f"{name}.go"
        deadline = time.monotonic() + HOLD_SECONDS
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def _count(name: str, directory: Path | None) -> int:
    """This reach's number: shared through a locked file in `directory`, else this process's own."""
    if directory is None:
        _counts[name] = _counts.get(name, 0) + 1
        return _counts[name]
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{name}.count", "a+") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        count = int(counter.read() or 0) + 1
        counter.seek(0)
        counter.truncate()
        counter.write(str(count))
        counter.flush()
        return count
