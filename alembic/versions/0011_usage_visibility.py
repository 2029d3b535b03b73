"""Who sees AI usage: the tenant setting that lets managers see person-level numbers or only unit totals

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00

`tenants.managers_see_people`: true (the default) lets managers see the people of their scope; false
shows them unit totals only (`orgonaut.org.visibility`). A plain ADD COLUMN with a constant default,
so SQLite does not rebuild the table (its triggers stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("managers_see_people", sa.Boolean(), nullable=False,
                                       server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("tenants", "managers_see_people")
