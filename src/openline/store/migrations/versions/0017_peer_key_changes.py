"""A peer's key changes (issue 27): peer_key_changes, each rotation taken or held and each key
an administrator replaced, with the last envelope the old key signs.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peer_key_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("old_key", sa.String(44), nullable=False),
        sa.Column("new_key", sa.String(44), nullable=False),
        sa.Column("link_seq", sa.Integer, nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("changed_at", sa.String(24), nullable=False),
        sa.Column("rotation", sa.Text, nullable=True),
    )
    op.create_index("ix_peer_key_changes_party", "peer_key_changes", ["party", "state"])


def downgrade() -> None:
    op.drop_index("ix_peer_key_changes_party", table_name="peer_key_changes")
    op.drop_table("peer_key_changes")
