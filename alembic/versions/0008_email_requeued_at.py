"""The e-mail outbox remembers when the reaper last queued a row (review R15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('email_outbox') as batch:
        batch.add_column(sa.Column('requeued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('email_outbox') as batch:
        batch.drop_column('requeued_at')
