"""Notification references: the NOTAM (or other outside document) a notification was made from.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: notifications made before references, and those typed in by hand, have none.
    # The record column already carries the reference; this column is what a NOTAMR or NOTAMC
    # looks its target up by.
    op.add_column("notifications", sa.Column("reference", sa.String(64), nullable=True))
    op.create_index("ix_notifications_reference", "notifications", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_notifications_reference", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("reference")
