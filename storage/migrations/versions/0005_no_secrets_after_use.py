"""no secrets kept after use: the outbox's scrubbed payloads and expiry; login flows are
deleted when used (no consumed_at)

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scrubbed_payload", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("DELETE FROM login_flows WHERE consumed_at IS NOT NULL")  # used: state not kept
    with op.batch_alter_table("login_flows", schema=None) as batch_op:
        batch_op.drop_column("consumed_at")


def downgrade() -> None:
    with op.batch_alter_table("login_flows", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consumed_at", sa.DateTime(timezone=True), autoincrement=False, nullable=True)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scrubbed_payload")
