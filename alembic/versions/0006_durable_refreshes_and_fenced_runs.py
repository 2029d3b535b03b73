"""Durable rollup refresh intents; fenced, cancellable, once-per-window sync runs

Revision ID: 0006
Revises: 0003, 0005
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = ('0003', '0005')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rollup_refresh_intents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('actor_ids', sa.JSON(), nullable=False),
        sa.Column('org_unit_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rollup_intents_scope', 'rollup_refresh_intents', ['tenant_id', 'scope_key'])
    with op.batch_alter_table('integration_sync_logs') as batch:
        batch.add_column(sa.Column('lease', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('cancel_requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('schedule_key', sa.String(length=40), nullable=True))
        batch.create_unique_constraint('uq_sync_logs_integration_schedule', ['integration_id', 'schedule_key'])


def downgrade() -> None:
    with op.batch_alter_table('integration_sync_logs') as batch:
        batch.drop_constraint('uq_sync_logs_integration_schedule', type_='unique')
        batch.drop_column('schedule_key')
        batch.drop_column('cancel_requested_at')
        batch.drop_column('lease')
    op.drop_index('ix_rollup_intents_scope', table_name='rollup_refresh_intents')
    op.drop_table('rollup_refresh_intents')
