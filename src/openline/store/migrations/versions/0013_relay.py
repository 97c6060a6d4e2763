"""Relaying: the pairs of peers this node relays between, and what it holds for them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_pairs",
        sa.Column("party_a", sa.String(16), primary_key=True),
        sa.Column("party_b", sa.String(16), primary_key=True),
        sa.Column("allowed_at", sa.String(24), nullable=False),
    )
    op.create_table(
        "relayed",
        sa.Column("sender", sa.String(16), primary_key=True),
        sa.Column("addressee", sa.String(16), primary_key=True),
        sa.Column("link_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("held_at", sa.String(24), nullable=False),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.Column("forwarded_at", sa.String(24), nullable=True),
        sa.Column("refused", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_relayed_waiting",
        "relayed",
        ["addressee", "sender", "link_seq"],
        sqlite_where=sa.text("receipt IS NULL"),
        postgresql_where=sa.text("receipt IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_relayed_waiting", table_name="relayed")
    op.drop_table("relayed")
    op.drop_table("relay_pairs")
