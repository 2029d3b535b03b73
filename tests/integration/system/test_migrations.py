"""The migrations take an empty database to head and back down, on this run's backend.

`make test` runs this suite once on SQLite and once on PostgreSQL (when it answers).
"""

import sqlalchemy as sa

from orgonaut.migrate import downgrade, upgrade
from orgonaut.models import metadata
from tests.conftest import BACKEND
from tests.support import databases


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _api_version_triggers(url: str) -> int:
    engine = sa.create_engine(url)
    sql = ("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'raise_api_data_version_%'"
           if BACKEND == "sqlite" else
           "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'raise_api_data_version_%'")
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def _nullable_metrics(url: str) -> dict[str, bool]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {f"{table}.{c['name']}": c["nullable"] for table in ("ai_tool_usage_records", "ai_usage_rollups")
                for c in inspector.get_columns(table) if c["name"] in ("sessions_count", "total_cost_cents",
                                                                       "sessions", "cost_cents", "actors_count")}
    finally:
        engine.dispose()


def test_empty_database_upgrades_to_head_and_back_down(run_dir):
    url = (
        databases.create_postgres_database("migrations")
        if BACKEND == "postgresql"
        else databases.sqlite_url(run_dir, "migrations")
    )
    try:
        upgrade(url)
        assert _tables(url) == set(metadata.tables)
        # 0010 rebuilds three tables on SQLite: their API data-version triggers must be there again;
        # 0016 adds the three whole-tenant rollup tables' (9 tables x 3 operations, then 12 x 3), 0023 the
        # model costs' and active users' (14 x 3).
        assert _api_version_triggers(url) == 42
        assert _nullable_metrics(url) == {
            "ai_tool_usage_records.sessions_count": True, "ai_tool_usage_records.total_cost_cents": True,
            "ai_usage_rollups.cost_cents": True, "ai_usage_rollups.sessions": True,
            "ai_usage_rollups.actors_count": False,
        }
        downgrade(url)
        assert _tables(url) == set()
    finally:
        if BACKEND == "postgresql":
            databases.drop_postgres_database(url)
