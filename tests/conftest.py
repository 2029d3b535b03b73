"""Test environment: one throw-away database per run and Redis databases apart from the demo's.

A pytest process tests one database backend, chosen by ORGONAUT_TEST_DB (sqlite by default,
postgresql for the PostgreSQL pass); `make test` runs the integration suite once per backend.
The environment is set here, before any orgonaut module reads its settings.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support import databases, redis_claims

BACKEND = os.environ.get("ORGONAUT_TEST_DB", "sqlite")
RUN_DIR = Path(tempfile.mkdtemp(prefix=f"orgonaut-test-{BACKEND}-"))
# Each run claims three Redis databases of its own (3..15; the demo uses 0-2), so runs that share
# one Redis at the same time never take each other's tasks or locks.
# ORGONAUT_TEST_REDIS_DBS="a,b,c" pins them instead.
_REDIS_DBS = redis_claims.claim(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"), os.environ.get("ORGONAUT_TEST_REDIS_DBS", "")
)

if BACKEND == "postgresql":
    if not databases.postgres_available():
        raise RuntimeError(
            f"ORGONAUT_TEST_DB=postgresql but nothing answers at {databases.postgres_admin_url()}"
        )
    DATABASE_URL = databases.create_postgres_database("run")
else:
    DATABASE_URL = databases.sqlite_url(RUN_DIR, "run")

os.environ.update(
    {
        "ORGONAUT_ENV": "test",
        "ORGONAUT_DATABASE_URL": DATABASE_URL,
        "ORGONAUT_REDIS_STATE_DB": str(_REDIS_DBS[0]),
        "ORGONAUT_REDIS_CELERY_DB": str(_REDIS_DBS[1]),
        "ORGONAUT_REDIS_LOCKS_DB": str(_REDIS_DBS[2]),
        "ORGONAUT_SECRET_KEYS": os.environ.get("ORGONAUT_TEST_SECRET_KEYS") or Fernet.generate_key().decode(),
        "ORGONAUT_TIMEZONE": os.environ.get("ORGONAUT_TEST_TIMEZONE", "UTC"),
        # The simulators enforce no rate limit unless a test asks; pacing is tested on its own.
        "CURSOR_REQUESTS_PER_MINUTE": "100000",
        "CURSOR_EVENTS_REQUESTS_PER_MINUTE": "100000",
        # Every browser test signs in from 127.0.0.1; the login guard's floods are tested on their own.
        "ORGONAUT_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "100000",
        "ORGONAUT_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
    }
)

import pytest  # noqa: E402
import redis  # noqa: E402

from orgonaut import wiring  # noqa: E402
from orgonaut.settings import get_settings, reset_settings_cache  # noqa: E402

reset_settings_cache()
wiring.install()

# Alert e-mails from any test (and from workers, which inherit the environment) go to a local
# SMTP server of this run, never to the demo's.
from tests.support.smtp import shared_server  # noqa: E402

shared_server()


def pytest_report_header(config):
    return f"orgonaut test database: {BACKEND} ({DATABASE_URL.rsplit('/', 1)[-1]}), run dir {RUN_DIR}"


@pytest.fixture(scope="session", autouse=True)
def _schema():
    from orgonaut.migrate import upgrade

    upgrade(DATABASE_URL)
    settings = get_settings()
    for db in (settings.redis_state_db, settings.redis_celery_db, settings.redis_locks_db):
        redis.Redis.from_url(settings.redis_db_url(db)).flushdb()
    redis_claims.mark(settings.redis_url, _REDIS_DBS)
    yield
    from orgonaut.db import engine_for

    engine_for(DATABASE_URL).dispose()
    if BACKEND == "postgresql":
        databases.drop_postgres_database(DATABASE_URL)


@pytest.fixture(autouse=True)
def _clean_tables():
    yield
    # Ids start again in emptied tables, so nothing this test queued may reach the next one's rows:
    # its waiting tasks go first, then its rows; a task still running is fenced out by its lease
    # (the log it leased is gone). Its locks and rollup send keys would hold the next test's.
    from tests.support.celery_queue import empty_queue

    empty_queue()
    databases.truncate_all(DATABASE_URL)
    locks = redis.Redis.from_url(get_settings().redis_locks_url)
    # Likewise a run's count of dead deliveries (chunk.py).
    for pattern in ("orgonaut:rollups:sent:*", "orgonaut:ai-tooling:sync-lock:*", "orgonaut:ai-tooling:deliveries:*"):
        for key in locks.scan_iter(pattern):
            locks.delete(key)
    from orgonaut import clock

    clock.reset()


@pytest.fixture
def session():
    """A plain session on the run's database; the test commits what it wants others to see."""
    from sqlmodel import Session

    from orgonaut.db import get_engine

    with Session(get_engine(), expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def redis_client():
    return redis.Redis.from_url(get_settings().redis_locks_url)


@pytest.fixture(scope="session")
def celery_worker_process():
    """One real Celery worker for the run, on the run's database and Redis databases."""
    from tests.support.processes import Worker

    worker = Worker(RUN_DIR / "worker.log").start()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def run_dir() -> Path:
    return RUN_DIR
