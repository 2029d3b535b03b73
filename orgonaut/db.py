"""One engine per database URL, a session scope, a dialect-aware upsert, and after-commit hooks."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Date, Integer, Numeric, String, Table, case, event, func, literal, type_coerce
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool
from sqlmodel import Session as ModelSession
from sqlmodel import SQLModel, create_engine

from orgonaut.settings import get_settings

logger = logging.getLogger(__name__)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Web, worker and beat write at the same time: WAL lets readers go on while one writes,
    # the busy timeout makes a writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@functools.cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


@functools.cache
def _unpooled_engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, poolclass=NullPool)


def dedicated_connection() -> Connection:
    """A connection of its own, outside the shared pool, in autocommit (each statement sees the latest
    commits). For code on an event loop, which must never wait for a pooled connection that a
    thread-pool request holds until the loop sends its response."""
    return _unpooled_engine_for(get_settings().database_url).connect().execution_options(
        isolation_level="AUTOCOMMIT"
    )


@contextlib.contextmanager
def session_scope() -> Iterator[ModelSession]:
    """A session that commits on success and rolls back on error."""
    with ModelSession(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def table_of(model: type[SQLModel]) -> Table:
    """A table model's `Table`, for SQL Core statements (SQLModel does not declare `__table__` in its types)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def upsert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> int:
    """INSERT .. ON CONFLICT (key) DO UPDATE on PostgreSQL and SQLite alike. Returns rows sent."""
    if not rows:
        return 0
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"upsert is not supported on {dialect}")
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: statement.excluded[name] for name in update_columns},
    )
    # Chunk to stay under SQLite's bound-parameter limit on wide rows.
    chunk = 500
    for start in range(0, len(rows), chunk):
        session.execute(statement, list(rows[start : start + chunk]))
    return len(rows)


# --- after-commit hooks -----------------------------------------------------------------------
# SQLAlchemy has no on_commit: work that must only happen once a change is durable (delivering org
# events, queueing Celery tasks, releasing a lock) registers here. A hook belongs to the
# transaction (or savepoint) open when it was registered: rolling back a savepoint drops only its
# own hooks; the outermost transaction ending without a commit drops them all.

_HOOKS = "orgonaut.db.after_commit_hooks"


def after_commit(
    session: Session,
    committed: Callable[[], Any] | None,
    rolled_back: Callable[[], Any] | None = None,
) -> None:
    """Runs `committed()` after the session commits, or `rolled_back()` if the work is discarded."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError("after_commit() needs a session with an open transaction (flush first).")
    session.info.setdefault(_HOOKS, []).append((transaction, committed, rolled_back))


def _run(hook: Callable[[], Any] | None, what: str) -> None:
    if hook is None:
        return
    try:
        hook()
    except Exception:
        logger.exception("an %s hook failed", what)


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # SQLAlchemy fires this for a released savepoint too: its work is committed only with the outer
    # transaction, so nothing runs yet (a chunk sent then could not see the log it was sent for).
    if session.in_nested_transaction():
        return
    # Popped before running: a hook that commits this session again cannot run them twice.
    for _transaction, committed, _rolled_back in session.info.pop(_HOOKS, ()):
        _run(committed, "after-commit")


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    hooks = session.info.get(_HOOKS)
    if not hooks:
        return
    kept = []
    for hook in hooks:
        if _inside(hook[0], previous_transaction):
            _run(hook[2], "after-rollback")
        else:
            kept.append(hook)
    hooks[:] = kept


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed without commit): nothing was written.
    if transaction.parent is None and not transaction.nested:
        for _transaction, _committed, rolled_back in session.info.pop(_HOOKS, ()):
            _run(rolled_back, "after-rollback")


def rows_written(session: Session, statement: Any) -> int:
    """Runs an INSERT .. SELECT (or a DELETE) and answers how many rows it wrote."""
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return cast(CursorResult, result).rowcount


def micro_cents(column: Any) -> Any:
    """SQL: an amount of cents as whole millionths of a cent (the money columns' scale), NULL as 0. Sums of
    these are exact integers on both databases (SQLite keeps NUMERIC fractions as floats, whose sums drift)."""
    return sql_cast(func.round(func.coalesce(column, 0) * 1_000_000), BigInteger)


# --- dialect-aware SQL pieces -----------------------------------------------------------------
# SQLite and PostgreSQL spell JSON arrays and date truncation differently; these give one expression
# for both, so set-based statements stay the same on either database.


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def json_objects(dialect: str, column: Any, name: str) -> tuple[Any, Any, list[Any]]:
    """The objects of a JSON array column, one row each: (the table-valued function to join `ON true`,
    its `value` column, the conditions that keep only arrays' objects). Anything else (an object, a
    scalar, NULL) yields no rows rather than an error."""
    if dialect == "postgresql":
        array = case((func.json_typeof(column) == "array", column), else_=sql_cast(literal("[]", String()), JSON()))
        items = func.json_array_elements(array).table_valued("value", name=name)
        return items, items.c.value, [func.json_typeof(items.c.value) == "object"]
    items = func.json_each(column).table_valued("value", "type", name=name)
    return items, items.c.value, [func.json_type(column) == "array", items.c.type == "object"]


def json_text(dialect: str, value: Any, *path: str) -> Any:
    """SQL: the JSON value at `path` in `value` as text (NULL when absent)."""
    if dialect == "postgresql":
        for key in path[:-1]:
            value = value.op("->")(key)
        return value.op("->>")(path[-1])
    return sql_cast(func.json_extract(value, "$." + ".".join(path)), String())


def json_micro_cents(dialect: str, value: Any, *path: str) -> Any:
    """SQL: an amount of cents at `path` in `value` (a JSON number or a numeric string) as whole millionths of a
    cent, as `micro_cents` rounds a column; NULL when absent or not a number."""
    if dialect == "postgresql":
        text = json_text(dialect, value, *path)
        number = case((text.op("~")(r"^\s*-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?\s*$"), sql_cast(text, Numeric())))
        return sql_cast(func.round(number * 1_000_000), BigInteger)
    location = "$." + ".".join(path)
    number = case((func.json_type(value, location).in_(["integer", "real"]), func.json_extract(value, location)),
                  (func.json_type(value, location) == "text",
                   case((func.trim(func.json_extract(value, location)).op("GLOB")("*[0-9]*"),
                         sql_cast(func.json_extract(value, location), Numeric())))))
    return sql_cast(func.round(number * 1_000_000), BigInteger)


def week_start(dialect: str, column: Any) -> Any:
    """SQL: the Monday of a date's week, as a date."""
    if dialect == "postgresql":
        return sql_cast(func.date_trunc("week", column), Date())
    days = sql_cast((sql_cast(func.strftime("%w", column), Integer()) + 6) % 7, String())
    return type_coerce(func.date(column, "-" + days + " days"), Date())


def month_start(dialect: str, column: Any) -> Any:
    """SQL: the first of a date's month, as a date."""
    if dialect == "postgresql":
        return sql_cast(func.date_trunc("month", column), Date())
    return type_coerce(func.date(column, "start of month"), Date())
