"""Operator roles: each token has one role; tokens made before roles are administrators'.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default gives every existing token the administrator role, so a node that
    # worked before the upgrade keeps working; new tokens always name their role.
    op.add_column(
        "operator_tokens",
        sa.Column("role", sa.String(16), nullable=False, server_default="administrator"),
    )


def downgrade() -> None:
    with op.batch_alter_table("operator_tokens") as batch:
        batch.drop_column("role")
