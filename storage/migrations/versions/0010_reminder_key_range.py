"""reminders: an index on the key in byte order, so that a prefix's reminders are found by a
range scan (PostgreSQL; SQLite's unique index on the key is in that order already)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_reminders_key_c ON reminders ((key COLLATE "C"))')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_reminders_key_c", table_name="reminders")
