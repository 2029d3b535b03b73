"""Prices per credit with effective dates, for providers that bill in credits (Codex)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:10:00

A connection's price per credit can change from a day on; the stored days it covers are re-priced from
their stored credits (`ai_tooling.credit_prices`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_prices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("integration_id", sa.Integer(), sa.ForeignKey("integrations.id"), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("usd_per_credit", sa.Numeric(18, 6), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.UniqueConstraint("integration_id", "effective_from", name="uq_credit_prices_day"),
    )


def downgrade() -> None:
    op.drop_table("credit_prices")
