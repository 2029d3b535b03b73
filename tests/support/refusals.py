"""Real storage failures for tests: a trigger that makes the database itself refuse a table's rows.

`database_refusing(session, table, operation, day=None)` creates the trigger (PostgreSQL or SQLite),
commits, and drops it on the way out. With `day`, only rows whose `usage_date` is that day are refused.
The message is what a full disk says, so tests can check it never reaches a page or a log row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

MESSAGE = "could not extend file: No space left on device"


@contextlib.contextmanager
def database_refusing(session, table: str, operation: str = "INSERT", day: dt.date | None = None) -> Iterator[None]:
    name = f"refuse_{table}_{operation.lower()}"
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        condition = f"IF NEW.usage_date = DATE '{day.isoformat()}' THEN " if day else ""
        end = " END IF;" if day else ""
        connection.exec_driver_sql(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{condition}RAISE EXCEPTION '{MESSAGE}';{end} RETURN NEW; END $$")
        connection.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                                   f"FOR EACH ROW EXECUTE FUNCTION {name}()")
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    else:
        when = f"WHEN NEW.usage_date = '{day.isoformat()}' " if day else ""
        connection.exec_driver_sql(
            f"CREATE TRIGGER {name} BEFORE {operation} ON {table} {when}"
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        drop = [f"DROP TRIGGER {name}"]
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        for statement in drop:
            session.connection().exec_driver_sql(statement)
        session.commit()
