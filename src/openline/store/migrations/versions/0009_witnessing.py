"""Witnessing: the peers' checkpoints this node cosigned, and the cosignatures it holds of its own.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witnessed_checkpoints",
        sa.Column("origin", sa.String(200), primary_key=True),
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("peer", sa.String(16), nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        sa.Column("cosignature", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "cosignatures",
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(240), primary_key=True),
        sa.Column("peer", sa.String(16), nullable=False),
        sa.Column("checkpoint", sa.Text, nullable=False),
        sa.Column("cosignature", sa.Text, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.String(24), nullable=False),
    )
    op.create_index("ix_cosignatures_peer", "cosignatures", ["peer", "size"])


def downgrade() -> None:
    op.drop_index("ix_cosignatures_peer", table_name="cosignatures")
    op.drop_table("cosignatures")
    op.drop_table("witnessed_checkpoints")
