"""Spend anomalies of the recent days: a person's day far above their usual and their team's

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spend_anomalies",
        sa.Column("tenant_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("actor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("usage_date", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("cost_cents", sa.Numeric(18, 6), nullable=False),
        sa.Column("baseline_cents", sa.Numeric(18, 6), nullable=False),
        sa.Column("spread_cents", sa.Numeric(18, 6), nullable=False),
        sa.Column("team_median_cents", sa.Numeric(18, 6), nullable=True),
        sa.Column("ratio", sa.Numeric(12, 1), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("detected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "actor_id", "usage_date", "provider"),
    )


def downgrade() -> None:
    op.drop_table("spend_anomalies")
