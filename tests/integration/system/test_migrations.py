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


def test_empty_database_upgrades_to_head_and_back_down(run_dir):
    url = (
        databases.create_postgres_database("migrations")
        if BACKEND == "postgresql"
        else databases.sqlite_url(run_dir, "migrations")
    )
    try:
        upgrade(url)
        assert _tables(url) == set(metadata.tables)
        downgrade(url)
        assert _tables(url) == set()
    finally:
        if BACKEND == "postgresql":
            databases.drop_postgres_database(url)
