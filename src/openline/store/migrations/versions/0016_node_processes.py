"""Several processes, one node (issue 26): node_processes, each serving process's heartbeat
and, for the leader, since when it leads and the line as it sees it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_processes",
        sa.Column("process", sa.String(200), primary_key=True),
        sa.Column("url", sa.String(400), nullable=False),
        sa.Column("started_at", sa.String(24), nullable=False),
        sa.Column("heartbeat_s", sa.Float, nullable=False),
        sa.Column("leader_since", sa.String(24), nullable=True),
        sa.Column("line", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("node_processes")
