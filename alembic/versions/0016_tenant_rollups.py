"""Whole-tenant rollups for the spend overview: per day and provider, and each actor's months

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 17:00:00

`ai_usage_tenant_rollups` holds the whole tenant's metrics per (scope, day, provider, matched or not),
`ai_usage_tenant_actor_months` each actor's first and last day of usage per (scope, month, provider)
and `ai_usage_tenant_actors` each actor's first day per (scope, provider), so the overview reads no
raw records. Both raise the API data version like the other
rollup tables (migration 0005's triggers). Filled by `orgonaut rollups rebuild` after upgrading.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("ai_usage_tenant_rollups", "ai_usage_tenant_actor_months", "ai_usage_tenant_actors")
OPERATIONS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def _trigger(table: str, operation: str) -> str:
    return f"raise_api_data_version_{table}_{operation.lower()}"


def _key(name: str, type_) -> sa.Column:
    return sa.Column(name, type_, autoincrement=False, nullable=False)


def upgrade() -> None:
    op.create_table(
        'ai_usage_tenant_rollups',
        _key('tenant_id', sa.Integer()), _key('scope_key', sa.Integer()), _key('usage_date', sa.Date()),
        _key('provider', sa.String(length=40)), _key('matched', sa.Integer()),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('cost_cents', sa.Numeric(precision=18, scale=6), nullable=True),
        sa.Column('sessions', sa.Integer(), nullable=True),
        sa.Column('commits', sa.Integer(), nullable=True),
        sa.Column('pull_requests', sa.Integer(), nullable=True),
        sa.Column('lines_added', sa.BigInteger(), nullable=True),
        sa.Column('lines_removed', sa.BigInteger(), nullable=True),
        sa.Column('input_tokens', sa.BigInteger(), nullable=True),
        sa.Column('output_tokens', sa.BigInteger(), nullable=True),
        sa.Column('cache_read_tokens', sa.BigInteger(), nullable=True),
        sa.Column('cache_creation_tokens', sa.BigInteger(), nullable=True),
        sa.Column('tabs_accepted', sa.BigInteger(), nullable=True),
        sa.Column('agent_requests', sa.BigInteger(), nullable=True),
        sa.Column('actors_count', sa.Integer(), nullable=False),
        sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'scope_key', 'usage_date', 'provider', 'matched'),
    )
    op.create_table(
        'ai_usage_tenant_actor_months',
        _key('tenant_id', sa.Integer()), _key('scope_key', sa.Integer()), _key('month', sa.Date()),
        _key('provider', sa.String(length=40)), _key('actor_id', sa.Integer()),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('active_days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'scope_key', 'month', 'provider', 'actor_id'),
    )
    op.create_table(
        'ai_usage_tenant_actors',
        _key('tenant_id', sa.Integer()), _key('scope_key', sa.Integer()), _key('provider', sa.String(length=40)),
        _key('actor_id', sa.Integer()),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'scope_key', 'provider', 'actor_id'),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in VERSIONED:
        for operation, which in OPERATIONS.items():
            if postgres:  # the function is migration 0005's
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, operation)} AFTER {operation} ON {table} "
                    f"REFERENCING {which} TABLE AS changed_rows FOR EACH STATEMENT "
                    "EXECUTE FUNCTION raise_api_data_version('tenant_id')"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {_trigger(table, operation)} AFTER {operation} ON {table} BEGIN "
                    f"INSERT INTO api_data_versions (tenant_id, version) VALUES ({which}.tenant_id, 1) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1; END"
                )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in VERSIONED:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER {_trigger(table, operation)}" + (f" ON {table}" if postgres else ""))
    op.drop_table('ai_usage_tenant_actors')
    op.drop_table('ai_usage_tenant_actor_months')
    op.drop_table('ai_usage_tenant_rollups')
