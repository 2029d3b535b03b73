"""Metrics a provider does not report are stored as not reported (NULL), never 0; provider-specific
counters get a JSON column of their own

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:30:00

The usage records and both rollup tables: every metric column becomes nullable. SQLite alters a
column only by rebuilding its table, which drops the table's triggers: the API data-version
triggers (0005) of the three tables are created again afterwards.
"""

import importlib.util
import pathlib
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECORD_METRICS = {
    "sessions_count": sa.Integer(), "lines_added": sa.Integer(), "lines_removed": sa.Integer(),
    "commits_count": sa.Integer(), "pull_requests_count": sa.Integer(), "total_input_tokens": sa.BigInteger(),
    "total_output_tokens": sa.BigInteger(), "total_cache_read_tokens": sa.BigInteger(),
    "total_cache_creation_tokens": sa.BigInteger(), "total_cost_cents": sa.Numeric(18, 6),
}
_ROLLUP_METRICS = {
    "cost_cents": sa.Numeric(18, 6), "sessions": sa.Integer(), "commits": sa.Integer(),
    "pull_requests": sa.Integer(), "lines_added": sa.BigInteger(), "lines_removed": sa.BigInteger(),
    "input_tokens": sa.BigInteger(), "output_tokens": sa.BigInteger(), "cache_read_tokens": sa.BigInteger(),
    "cache_creation_tokens": sa.BigInteger(),
}
_TABLES = {
    "ai_tool_usage_records": _RECORD_METRICS,
    "ai_usage_rollups": _ROLLUP_METRICS,
    "ai_usage_member_rollups": _ROLLUP_METRICS,
}


def _load_0005():
    # Revision files are not a package: load 0005 by path for its trigger names and operations.
    path = next(pathlib.Path(__file__).parent.glob("0005_*.py"))
    spec = importlib.util.spec_from_file_location("_revision_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _set_nullable(nullable: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, metrics in _TABLES.items():
        with op.batch_alter_table(table) as batch:
            for column, type_ in metrics.items():
                batch.alter_column(column, existing_type=type_, nullable=nullable)
        if sqlite:
            _recreate_sqlite_triggers(table)


def _recreate_sqlite_triggers(table: str) -> None:
    versions = _load_0005()
    column = versions.VERSIONED[table]
    for operation, which in versions.OPERATIONS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {versions._trigger(table, operation)}")
        op.execute(
            f"CREATE TRIGGER {versions._trigger(table, operation)} AFTER {operation} ON {table} BEGIN "
            f"INSERT INTO api_data_versions (tenant_id, version) VALUES ({which}.{column}, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1; END"
        )


def upgrade() -> None:
    _set_nullable(True)
    with op.batch_alter_table("ai_tool_usage_records") as batch:
        batch.add_column(sa.Column("provider_metrics", sa.JSON(), nullable=False, server_default="{}"))
    if op.get_bind().dialect.name == "sqlite":
        _recreate_sqlite_triggers("ai_tool_usage_records")


def downgrade() -> None:
    with op.batch_alter_table("ai_tool_usage_records") as batch:
        batch.drop_column("provider_metrics")
    for table, metrics in _TABLES.items():
        op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = COALESCE({c}, 0)" for c in metrics))
    _set_nullable(False)
