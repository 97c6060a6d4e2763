"""Several paths to each peer: the card's URLs, and the ordered paths this node uses.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the card gave one URL, peers.url.
    op.add_column("peers", sa.Column("urls", sa.Text, nullable=True))
    op.create_table(
        "peer_paths",
        sa.Column("peer", sa.String(16), sa.ForeignKey("peers.party"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("tls_pin", sa.String(80), nullable=True),
        sa.Column("relay", sa.String(16), nullable=True),
    )
    # Each peer linked before keeps its one path: its card's URL, with its pin.
    op.execute(
        "INSERT INTO peer_paths (peer, position, url, tls_pin, relay) "
        "SELECT party, 0, url, tls_pin, NULL FROM peers"
    )


def downgrade() -> None:
    op.drop_table("peer_paths")
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("urls")
