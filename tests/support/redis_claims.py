"""Claims Redis database numbers for one test run, so parallel runs on one Redis stay apart."""

from __future__ import annotations

import atexit
import contextlib
import os
from collections.abc import Iterator

import redis

from orgonaut.settings import redis_url_with_db

CLAIM_KEY = "orgonaut:test-run-claim"
CLAIM_SECONDS = 3 * 3600
FIRST_TEST_DB, LAST_DB = 3, 15


def _client(url: str, db: int) -> redis.Redis:
    return redis.Redis.from_url(redis_url_with_db(url, db))


def claim(url: str, pinned: str = "", count: int = 3) -> tuple[int, ...]:
    """`count` free databases for this process (a run takes three: state, Celery, locks)."""
    if pinned.strip():
        dbs = tuple(int(n) for n in pinned.split(","))
        return dbs  # type: ignore[return-value]
    owner = f"{os.getpid()}"
    taken: list[int] = []
    for db in range(FIRST_TEST_DB, LAST_DB + 1):
        client = _client(url, db)
        holder = client.get(CLAIM_KEY)
        if holder is not None and not _alive(holder):
            # A run that was killed never released its claim; drop it unless someone just did.
            _delete_if(client, holder)
        if client.set(CLAIM_KEY, owner, nx=True, ex=CLAIM_SECONDS):
            taken.append(db)
            if len(taken) == count:
                break
    if len(taken) < count:
        release(url, taken)
        raise RuntimeError("no free Redis databases for this test run (too many runs at once?)")
    atexit.register(release, url, taken)
    return tuple(taken)


@contextlib.contextmanager
def private_database(url: str) -> Iterator[int]:
    """One more database for this process, e.g. a test's own Celery broker so the run's shared worker
    never takes its tasks; claimed like the run's (so no other run takes it), emptied after."""
    (db,) = claim(url, count=1)
    try:
        yield db
    finally:
        _client(url, db).flushdb()


def _delete_if(client: redis.Redis, expected: bytes) -> None:
    with client.pipeline() as pipe:
        try:
            pipe.watch(CLAIM_KEY)
            if pipe.get(CLAIM_KEY) == expected:
                pipe.multi()
                pipe.delete(CLAIM_KEY)
                pipe.execute()
        except redis.WatchError:
            pass


def _alive(holder: bytes) -> bool:
    """Whether the claim's owner still runs; a claim that names no process (hand-made) is stale."""
    try:
        pid = int(holder)
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark(url: str, dbs) -> None:
    """Re-writes the claims after the run flushed its databases."""
    for db in dbs:
        _client(url, db).set(CLAIM_KEY, str(os.getpid()), ex=CLAIM_SECONDS)


def release(url: str, dbs) -> None:
    for db in dbs:
        try:
            client = _client(url, db)
            if client.get(CLAIM_KEY) == str(os.getpid()).encode():
                client.delete(CLAIM_KEY)
        except redis.RedisError:
            pass
