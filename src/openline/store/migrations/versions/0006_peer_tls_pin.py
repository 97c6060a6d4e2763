"""Peer TLS pins: a peer may be pinned to the certificate or public key its node serves.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: peers added before TLS (and plain-http peers) have no pin, and their
    # connections keep the ordinary verification.
    op.add_column("peers", sa.Column("tls_pin", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("tls_pin")
