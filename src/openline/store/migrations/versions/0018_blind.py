"""Blind deconfliction (issue 28): blind_runs, possible_conflicts.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blind_runs",
        sa.Column("peer", sa.String(16), primary_key=True),
        sa.Column("run", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        sa.Column("items", sa.Text, nullable=True),
        sa.Column("their_twice", sa.Text, nullable=True),
        sa.Column("items_count", sa.Integer, nullable=False),
        sa.Column("their_count", sa.Integer, nullable=True),
        sa.Column("matches", sa.Integer, nullable=True),
        sa.Column("started_at", sa.String(24), nullable=False),
        sa.Column("finished_at", sa.String(24), nullable=True),
    )
    op.create_index("ix_blind_runs_peer", "blind_runs", ["peer", "started_at"])
    op.create_table(
        "possible_conflicts",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("party", sa.String(16), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("snapshot_at", sa.String(24), nullable=False),
        sa.Column("opened_at", sa.String(24), nullable=False),
        sa.Column("updated_at", sa.String(24), nullable=False),
        sa.Column("cleared_at", sa.String(24), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("possible_conflicts")
    op.drop_table("blind_runs")
