"""Rollups carry the counters only some providers report: tabs accepted and agent requests

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00:00

Both rollup tables gain `tabs_accepted` and `agent_requests` (NULL: no record behind the row reports
it), summed per day from the records' `provider_metrics`, so team and department pages show them from
the rollups. Existing rows stay NULL until their days are refreshed: run `orgonaut rollups rebuild`
after upgrading (the nightly check also repairs the recent days). A plain ADD COLUMN: SQLite does not
rebuild the tables, so their triggers stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("ai_usage_rollups", "ai_usage_member_rollups")
COUNTERS = ("tabs_accepted", "agent_requests")


def upgrade() -> None:
    for table in TABLES:
        for column in COUNTERS:
            op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # A native DROP COLUMN (SQLite 3.35+), not a batch rebuild, which would drop the tables' triggers.
    for table in TABLES:
        for column in COUNTERS:
            op.drop_column(table, column)
