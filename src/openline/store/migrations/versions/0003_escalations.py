"""Escalation of overdue messages: how often each was escalated, and when last; an index of
the recipients that have not acknowledged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("message_id", sa.String(40), sa.ForeignKey("messages.id"), primary_key=True),
        sa.Column("alarms", sa.Integer, nullable=False),
        sa.Column("last_alarm_at", sa.String(24), nullable=False),
    )

    op.create_index(
        "ix_message_recipients_waiting",
        "message_recipients",
        ["message_id"],
        sqlite_where=sa.text("state <> 'acknowledged'"),
        postgresql_where=sa.text("state <> 'acknowledged'"),
    )


def downgrade() -> None:
    op.drop_index("ix_message_recipients_waiting", table_name="message_recipients")
    op.drop_table("escalations")
