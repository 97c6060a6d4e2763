"""Tokens revoked or expiring, and a path's TLS pin rotated with an overlap (issue 27).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a token made before has no expiry and is not revoked.
    with op.batch_alter_table("operator_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.String(24), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.String(24), nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(64), nullable=True))
    # The pin a path had before `openline peer pin`, still accepted until old_pin_until.
    with op.batch_alter_table("peer_paths") as batch:
        batch.add_column(sa.Column("old_tls_pin", sa.String(80), nullable=True))
        batch.add_column(sa.Column("old_pin_until", sa.String(24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("peer_paths") as batch:
        batch.drop_column("old_pin_until")
        batch.drop_column("old_tls_pin")
    with op.batch_alter_table("operator_tokens") as batch:
        batch.drop_column("revoked_by")
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
