"""Verifying a node's journal from its database and its public key."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Connection

from openline.domain.journal import ChainReport, JournalEntry, verify_chain
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.store.journal import iter_all_entries, read_entries, read_head

# Signature checks run on this many threads: libsodium releases the GIL while it verifies, so
# they use every core, and most of verification's time is spent there (docs/performance.md).
VERIFY_THREADS = min(8, os.cpu_count() or 1)


def verify_journal(node: Node, public_key: PublicKey | None = None) -> ChainReport:
    """Recompute every hash and check every signature, in stored order."""
    key = public_key or node.key.public_key
    with ThreadPoolExecutor(VERIFY_THREADS, thread_name_prefix="openline-verify") as pool:
        return node.read(
            lambda conn: verify_chain(iter_all_entries(conn), key.verify, executor=pool)
        )


def journal_page(node: Node, after: int, limit: int) -> tuple[list[dict[str, object]], int, str]:
    def page(conn: Connection) -> tuple[list[JournalEntry], tuple[int, str]]:
        return read_entries(conn, after=after, limit=limit), read_head(conn)

    entries, (seq, head_hash) = node.read(page)
    return [entry.public() for entry in entries], seq, head_hash
