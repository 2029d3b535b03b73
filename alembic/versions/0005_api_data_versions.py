"""API data versions: a per-tenant counter raised by triggers on every table the API's cached answers read

Revision ID: 0005
Revises: 0002, 0004
Create Date: 2026-11-25 23:20:00

PostgreSQL: one statement-level trigger per table and operation, reading the statement's transition
table, so a COPY of a thousand usage rows raises the counter once. SQLite has no statement-level
triggers: one row-level trigger per table and operation (SQLite is the single-user demo backend).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0005'
down_revision: str | Sequence[str] | None = ('0002', '0004')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the column holding its tenant's id
VERSIONED = {
    "tenants": "id",
    "scenarios": "tenant_id",
    "org_units": "tenant_id",
    "actors": "tenant_id",
    "placements": "tenant_id",
    "ai_tool_usage_records": "tenant_id",
    "ai_usage_rollups": "tenant_id",
    "ai_usage_member_rollups": "tenant_id",
    "ai_usage_rollup_scopes": "tenant_id",
}
OPERATIONS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}

_PG_FUNCTION = """
CREATE FUNCTION raise_api_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- TG_ARGV[0]: the tenant column. Sorted, so two statements never take tenants' rows in opposite orders.
  EXECUTE format(
    'INSERT INTO api_data_versions (tenant_id, version) '
    'SELECT DISTINCT %I, 1 FROM changed_rows ORDER BY 1 '
    'ON CONFLICT (tenant_id) DO UPDATE SET version = api_data_versions.version + 1', TG_ARGV[0]);
  RETURN NULL;
END $$
"""


def _trigger(table: str, operation: str) -> str:
    return f"raise_api_data_version_{table}_{operation.lower()}"


def upgrade() -> None:
    op.create_table(
        'api_data_versions',
        sa.Column('tenant_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('tenant_id'),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table, column in VERSIONED.items():
            for operation, which in OPERATIONS.items():
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, operation)} AFTER {operation} ON {table} "
                    f"REFERENCING {which} TABLE AS changed_rows FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION raise_api_data_version('{column}')"
                )
    else:
        for table, column in VERSIONED.items():
            for operation, which in OPERATIONS.items():
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, operation)} AFTER {operation} ON {table} BEGIN "
                    f"INSERT INTO api_data_versions (tenant_id, version) VALUES ({which}.{column}, 1) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in VERSIONED:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER {_trigger(table, operation)}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION raise_api_data_version()")
    op.drop_table('api_data_versions')
