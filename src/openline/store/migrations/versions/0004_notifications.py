"""Notifications and the conflicts found between them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIME = sa.String(24)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
    )
    op.create_index("ix_notifications_status", "notifications", ["status", "id"])
    op.create_table(
        "conflicts",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("a_id", sa.String(64), nullable=False),
        sa.Column("b_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("cleared_at", TIME, nullable=True),
    )
    op.create_index("ix_conflicts_a", "conflicts", ["a_id"])
    op.create_index("ix_conflicts_b", "conflicts", ["b_id"])
    op.create_index("ix_conflicts_state", "conflicts", ["state", "key"])


def downgrade() -> None:
    op.drop_table("conflicts")
    op.drop_table("notifications")
