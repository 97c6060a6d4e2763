"""Acknowledging notifications and resolving conflicts (issue 22): notification_acks,
conflict_resolutions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_acks",
        sa.Column("notification", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("party", sa.String(16), primary_key=True),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("deadline", sa.String(24), nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", sa.String(24), nullable=True),
        sa.Column("alarms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_alarm_at", sa.String(24), nullable=True),
    )
    op.create_index(
        "ix_notification_acks_waiting", "notification_acks", ["acknowledged_at", "deadline"]
    )
    op.create_table(
        "conflict_resolutions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("accepted_by", sa.String(64), nullable=True),
        sa.Column("accepted_at", sa.String(24), nullable=True),
    )
    op.create_index("ix_conflict_resolutions_key", "conflict_resolutions", ["key", "id"])


def downgrade() -> None:
    op.drop_table("conflict_resolutions")
    op.drop_table("notification_acks")
