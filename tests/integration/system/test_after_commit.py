"""`db.after_commit`: work waits for the commit that makes it visible, savepoints included.

SQLAlchemy fires its after-commit event when a savepoint is released too; the hooks must not run
then (a nightly run's chunk was sent at a savepoint and read its log before the log was committed).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from orgonaut.db import after_commit, get_engine


def test_hooks_wait_for_the_outer_commit_through_released_savepoints():
    calls: list[str] = []
    with Session(get_engine()) as session:
        session.execute(text("SELECT 1"))
        after_commit(session, lambda: calls.append("outer"))
        with session.begin_nested():
            after_commit(session, lambda: calls.append("inner"))
        with session.begin_nested():
            session.execute(text("SELECT 1"))
        assert calls == []  # two savepoints released, nothing committed yet
        session.commit()
    assert calls == ["outer", "inner"]


def test_a_rolled_back_savepoint_drops_only_its_own_hooks():
    calls: list[str] = []
    with Session(get_engine()) as session:
        session.execute(text("SELECT 1"))
        nested = session.begin_nested()
        after_commit(session, lambda: calls.append("discarded"), lambda: calls.append("discarded: rolled back"))
        nested.rollback()
        after_commit(session, lambda: calls.append("kept"))
        session.commit()
    assert calls == ["discarded: rolled back", "kept"]
