"""The paid seats each connection's vendor lists (Copilot seats, Cursor members, Claude Enterprise users)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = '0021'
down_revision: str | Sequence[str] | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_tool_seats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("integration_id", sa.Integer(), sa.ForeignKey("integrations.id"), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("source", sa.String(length=320), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("monthly_price_cents", sa.Numeric(18, 6), nullable=True),
        sa.Column("held_since", sa.Date(), nullable=True),
        sa.Column("last_activity_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("pending_cancellation", sa.Date(), nullable=True),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("integration_id", "source", name="uq_ai_tool_seats_source"),
    )
    op.create_index("ix_ai_tool_seats_tenant", "ai_tool_seats", ["tenant_id", "provider"])


def downgrade() -> None:
    op.drop_index("ix_ai_tool_seats_tenant", table_name="ai_tool_seats")
    op.drop_table("ai_tool_seats")
