"""The runner ledger: which runner (lease) committed which day of a sync run

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'sync_day_commits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('log_id', sa.Integer(), nullable=False),
        sa.Column('usage_date', sa.Date(), nullable=False),
        sa.Column('lease', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('committed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sync_day_commits_log_day', 'sync_day_commits', ['log_id', 'usage_date'])


def downgrade() -> None:
    op.drop_index('ix_sync_day_commits_log_day', table_name='sync_day_commits')
    op.drop_table('sync_day_commits')
