"""Cost centres on org units; closed chargeback months and their frozen lines

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:50:00

`org_units.cost_centre` is a plain ADD COLUMN (no table rebuild on SQLite, so its triggers stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("org_units", sa.Column("cost_centre", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    op.create_table(
        "chargeback_closes",
        sa.Column("tenant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("total_cents", sa.Numeric(18, 6), nullable=False),
        sa.Column("closed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "month"),
    )
    op.create_table(
        "chargeback_lines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("for_month", sa.Date(), nullable=False),
        sa.Column("cost_centre", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("person", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("amount_cents", sa.Numeric(18, 6), nullable=False),
    )
    op.create_index("ix_chargeback_lines_tenant_id", "chargeback_lines", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_chargeback_lines_tenant_id", table_name="chargeback_lines")
    op.drop_table("chargeback_lines")
    op.drop_table("chargeback_closes")
    # A native DROP COLUMN (SQLite 3.35+), not a batch rebuild, which would drop the table's triggers.
    op.drop_column("org_units", "cost_centre")
