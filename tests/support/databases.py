"""Throw-away databases for one test run: a SQLite file and, when it answers, a PostgreSQL database."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("ORGONAUT_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def create_postgres_database(tag: str) -> str:
    """Creates `orgonaut_test_<tag>_<random>` next to the admin database; returns its URL."""
    admin = make_url(postgres_admin_url())
    name = f"orgonaut_test_{tag}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    target = make_url(url)
    admin = make_url(postgres_admin_url())
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


def sqlite_url(directory: Path, tag: str) -> str:
    return f"sqlite:///{directory / f'{tag}.db'}"


def truncate_all(url: str) -> None:
    """Empties every table (keeps the schema) so each test starts from nothing."""
    from orgonaut.db import engine_for
    from orgonaut.models import metadata

    engine = engine_for(url)
    # Only tables the migrations made: a model without its migration yet is the migration test's
    # business, not every test's.
    existing = _existing_tables(engine)
    tables = [t.name for t in metadata.sorted_tables if t.name in existing]
    # A job the test queued may still be finishing on the worker; if PostgreSQL picks our TRUNCATE
    # as a deadlock's victim, the worker's transaction wins and we try again once it is done.
    for attempt in range(10):
        try:
            _empty(engine, tables)
            return
        except sa.exc.OperationalError:
            if engine.dialect.name != "postgresql" or attempt == 9:
                raise
            time.sleep(0.5)


_EXISTING: dict[str, frozenset[str]] = {}


def _existing_tables(engine) -> frozenset[str]:
    """The database's tables, read once per database: a run's schema does not change under its tests."""
    key = str(engine.url)
    if key not in _EXISTING:
        _EXISTING[key] = frozenset(sa.inspect(engine).get_table_names())
    return _EXISTING[key]


def _empty(engine, tables: list[str]) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            _empty_postgres(connection, tables)
        else:
            for name in reversed(tables):
                connection.execute(sa.text(f"DELETE FROM {name}"))
            if _has_sqlite_sequence(connection):
                connection.execute(sa.text("DELETE FROM sqlite_sequence"))


def _empty_postgres(connection, tables: list[str]) -> None:
    """TRUNCATE only the tables that hold rows (one query finds them; a test writes to a few of sixty, and each
    truncated table costs an exclusive lock and new files), then restart every sequence a test moved, so ids
    start at 1 again whether or not the table was truncated."""
    probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
    used = list(connection.execute(sa.text(probe)).scalars()) if tables else []
    if used:
        connection.execute(sa.text(f"TRUNCATE {', '.join(used)} RESTART IDENTITY CASCADE"))
    moved = connection.execute(sa.text(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
        "WHERE last_value IS NOT NULL")).scalars().all()
    for sequence in moved:
        connection.execute(sa.text(f"ALTER SEQUENCE {sequence} RESTART"))


def _has_sqlite_sequence(connection) -> bool:
    return bool(
        connection.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='sqlite_sequence'")
        ).first()
    )
