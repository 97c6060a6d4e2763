"""Reading a node's journal, and verifying it from its database and its public key."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from sqlalchemy import Connection

from openline.domain.checkpoints import NodeKey, checked_checkpoint
from openline.domain.journal import (
    EVERY_ENTRY,
    ChainReport,
    EntryFilter,
    JournalEntry,
    SignatureCheck,
    verify_chain,
)
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.store.journal import (
    iter_all_entries,
    iter_checkpoints,
    read_entries,
    read_entries_about,
    read_head,
)

# Signature checks run on this many threads: libsodium releases the GIL while it verifies, so
# they use every core, and most of verification's time is spent there (docs/performance.md).
VERIFY_THREADS = min(8, os.cpu_count() or 1)


def verify_journal(node: Node, public_key: PublicKey | None = None) -> ChainReport:
    """Recompute every hash and the Merkle tree, and check every checkpoint's root and
    signatures (the node's and its witnesses' cosignatures) and every entry's own signature
    (from before checkpoints), in stored order."""
    key = public_key or node.key.public_key
    node_key = NodeKey(node.party, key.to_bytes(), key.verify)

    def verify(conn: Connection, pool: ThreadPoolExecutor) -> ChainReport:
        checkpoints = (
            checked_checkpoint(size, note, node_key, _key_check)
            for size, note in iter_checkpoints(conn)
        )
        entries = iter_all_entries(conn, with_tree=True)
        return verify_chain(entries, key.verify, checkpoints=checkpoints, executor=pool)

    with ThreadPoolExecutor(VERIFY_THREADS, thread_name_prefix="openline-verify") as pool:
        return node.read(lambda conn: verify(conn, pool))


def _key_check(public_key: bytes) -> SignatureCheck:
    return PublicKey(public_key).verify


def journal_head(node: Node) -> tuple[int, str]:
    """The last entry's ``seq`` and ``hash`` (0 and the genesis hash for an empty journal)."""
    return node.read(read_head)


def journal_page(
    node: Node,
    after: int,
    limit: int,
    *,
    before: int | None = None,
    only: EntryFilter = EVERY_ENTRY,
) -> tuple[list[JournalEntry], int, str]:
    """Up to ``limit`` entries after ``after`` (the last ones before ``before`` when given)
    that ``only`` wants, searched over the whole journal, and the head."""
    entries, (seq, head_hash) = node.read(
        lambda conn: (
            read_entries(conn, after=after, limit=limit, before=before, only=only),
            read_head(conn),
        )
    )
    return entries, seq, head_hash


# Where a journal entry names the message it is about: its creation and receipt carry the whole
# message (``id``); acknowledgements, deliveries, reminders and overdue marks its ``message_id``.
MESSAGE_KEYS = ("id", "message_id")


def journal_about_message(
    node: Node, message_id: str, after: int, limit: int
) -> tuple[list[JournalEntry], int, str]:
    """Up to ``limit`` entries after ``after`` about one message, however far back, and the
    head."""
    entries, (seq, head_hash) = node.read(
        lambda conn: (
            read_entries_about(conn, message_id, MESSAGE_KEYS, after=after, limit=limit),
            read_head(conn),
        )
    )
    return entries, seq, head_hash


async def journal_backlog(node: Node, *, after: int, limit: int) -> tuple[list[JournalEntry], int]:
    """Up to ``limit`` entries after ``after``, and the head's ``seq``, read together (off the
    event loop)."""
    entries, (seq, _hash) = await node.read_async(
        partial(_entries_and_head, after=after, limit=limit)
    )
    return entries, seq


def _entries_and_head(
    conn: Connection, *, after: int, limit: int
) -> tuple[list[JournalEntry], tuple[int, str]]:
    return read_entries(conn, after=after, limit=limit), read_head(conn)
