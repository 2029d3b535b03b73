"""Aliases of vendor-id usage sources: the logins and e-mails a vendor gives a person it names by id

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 17:10:00

GitHub Copilot names people by a numeric user id and a login, and SAML may give their e-mail; Codex and
Claude Enterprise rows can lack an e-mail. The records' source is the immutable id (`github:583231`);
the names the vendor gave it on each day are kept here so matching can use them.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_source_aliases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("source", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(320), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.UniqueConstraint("tenant_id", "source", "kind", "value", name="uq_usage_source_aliases"),
    )
    op.create_index("ix_usage_source_aliases_value", "usage_source_aliases", ["tenant_id", "kind", "value"])


def downgrade() -> None:
    op.drop_index("ix_usage_source_aliases_value", table_name="usage_source_aliases")
    op.drop_table("usage_source_aliases")
