"""Whole-tenant rollups of the overview's adoption and model mix: cost per model and day, distinct people
per day, week and month

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08 01:00:00

`ai_usage_tenant_model_costs` holds the whole tenant's cost per (scope, day, provider, model), model ""
for cost no model accounts for; `ai_usage_tenant_active_users` the distinct people with usage per (scope,
grain, period, provider), provider "" for every provider together. Both raise the API data version like
the other rollup tables (migration 0005's triggers). Filled by `orgonaut rollups rebuild` after upgrading.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0023'
down_revision: str | Sequence[str] | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("ai_usage_tenant_model_costs", "ai_usage_tenant_active_users")
OPERATIONS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


def _trigger(table: str, operation: str) -> str:
    return f"raise_api_data_version_{table}_{operation.lower()}"


def _key(name: str, type_) -> sa.Column:
    return sa.Column(name, type_, autoincrement=False, nullable=False)


def upgrade() -> None:
    op.create_table(
        'ai_usage_tenant_model_costs',
        _key('tenant_id', sa.Integer()), _key('scope_key', sa.Integer()), _key('usage_date', sa.Date()),
        _key('provider', sa.String(length=40)), _key('model', sa.String(length=200)),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('cost_micro_cents', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'scope_key', 'usage_date', 'provider', 'model'),
    )
    op.create_table(
        'ai_usage_tenant_active_users',
        _key('tenant_id', sa.Integer()), _key('scope_key', sa.Integer()), _key('grain', sa.String(length=8)),
        _key('period_start', sa.Date()), _key('provider', sa.String(length=40)),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('users', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id', 'scope_key', 'grain', 'period_start', 'provider'),
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
    op.drop_table('ai_usage_tenant_active_users')
    op.drop_table('ai_usage_tenant_model_costs')
