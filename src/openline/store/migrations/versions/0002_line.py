"""The line: peers, the outbox of envelopes to them and the envelopes applied from them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.String(24)


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("party", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("public_key", sa.String(44), nullable=False),
        sa.Column("added_at", TIME, nullable=False),
        sa.Column("last_heard_at", TIME, nullable=True),
    )
    op.create_table(
        "envelopes_out",
        sa.Column("peer", sa.String(16), primary_key=True),
        sa.Column("link_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("queued_at", TIME, nullable=False),
        sa.Column("receipt", sa.Text, nullable=True),
        sa.Column("delivered_at", TIME, nullable=True),
    )
    op.create_index(
        "ix_envelopes_out_waiting",
        "envelopes_out",
        ["peer", "link_seq"],
        sqlite_where=sa.text("receipt IS NULL"),
        postgresql_where=sa.text("receipt IS NULL"),
    )
    op.create_table(
        "envelopes_in",
        sa.Column("sender", sa.String(16), primary_key=True),
        sa.Column("link_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("receipt", sa.Text, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("envelopes_in")
    op.drop_index("ix_envelopes_out_waiting", table_name="envelopes_out")
    op.drop_table("envelopes_out")
    op.drop_table("peers")
