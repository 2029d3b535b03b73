"""Person identities: the other names a person goes by in tools' data (e-mails, GitHub login and user
id, Cursor user id), per tenant and scope like actors, one person per value; and the unmatched
addresses ignored as not an employee

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:45:00

New tables only: no existing table is altered, so SQLite rebuilds nothing and the API data-version
triggers (0005, recreated by 0010) stay as they are. Identities are not part of any API answer; the
re-matching they cause writes usage records and rollups, whose triggers raise the version.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'actor_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('scenario_id', sa.Integer(), nullable=True),
        sa.Column('scope_key', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id']),
        sa.ForeignKeyConstraint(['scenario_id'], ['scenarios.id']),
        sa.ForeignKeyConstraint(['actor_id'], ['actors.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'scope_key', 'kind', 'value', name='uq_actor_identities_value'),
    )
    op.create_index('ix_actor_identities_actor', 'actor_identities', ['actor_id'])
    op.create_table(
        'ignored_usage_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('source_email', sa.String(length=320), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id']),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'source_email', name='uq_ignored_usage_sources'),
    )


def downgrade() -> None:
    op.drop_table('ignored_usage_sources')
    op.drop_index('ix_actor_identities_actor', table_name='actor_identities')
    op.drop_table('actor_identities')
