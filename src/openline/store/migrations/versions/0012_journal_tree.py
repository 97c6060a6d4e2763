"""The journal as a transparency log: its Merkle tree, and one signed checkpoint per commit.

Each journal row gains ``tree``: the hashes of the RFC 9162 Merkle tree nodes its entry
completes (its leaf, then each parent it completes going up), so that proofs are read from the
rows without rebuilding the tree. The tree of the entries already written is computed here from
their stored content. Their own signatures stay as they are, and stay verifiable; the node's
first commit after this migration signs a checkpoint covering them all (docs/journal.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from openline.domain.journal import signing_bytes
from openline.domain.merkle import Frontier, leaf_hash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_CHUNK = 5_000


def upgrade() -> None:
    op.add_column("journal", sa.Column("tree", sa.LargeBinary, nullable=True))
    conn = op.get_bind()
    journal = sa.table(
        "journal",
        *(sa.column(name) for name in ("seq", "at", "kind", "data", "prev_hash", "tree")),
    )
    update = (
        sa.update(journal)
        .where(journal.c.seq == sa.bindparam("row_seq"))
        .values(tree=sa.bindparam("row_tree"))
    )
    rows: list[dict[str, object]] = []
    for parameters in _tree_columns(conn, journal):
        rows.append(parameters)
        if len(rows) == _CHUNK:
            conn.execute(update, rows)
            rows = []
    if rows:
        conn.execute(update, rows)
    with op.batch_alter_table("journal") as batch:
        batch.alter_column("tree", existing_type=sa.LargeBinary, nullable=False)
    op.create_table(
        "journal_checkpoints",
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(24), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )


def _tree_columns(conn: sa.Connection, journal: sa.TableClause) -> Iterator[dict[str, object]]:
    """Each row's ``tree`` value, in stored order, read in chunks so memory stays flat."""
    frontier = Frontier()
    after = 0
    columns = (journal.c.seq, journal.c.at, journal.c.kind, journal.c.data, journal.c.prev_hash)
    while True:
        query = sa.select(*columns).where(journal.c.seq > after).order_by(journal.c.seq)
        chunk = conn.execute(query.limit(_CHUNK)).all()
        if not chunk:
            return
        for seq, at, kind, data, prev_hash in chunk:
            leaf = leaf_hash(signing_bytes(seq, at, kind, data, prev_hash))
            frontier, completed = frontier.append(leaf)
            yield {"row_seq": seq, "row_tree": b"".join(completed)}
        after = chunk[-1][0]


def downgrade() -> None:
    op.drop_table("journal_checkpoints")
    with op.batch_alter_table("journal") as batch:
        batch.drop_column("tree")
