"""Reading a node's journal, and verifying it from its database and its public key."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from sqlalchemy import Connection

from openline.domain.checkpoints import NodeKey, checked_checkpoint
from openline.domain.errors import Conflict, NotFound
from openline.domain.journal import (
    EVERY_ENTRY,
    ChainReport,
    EntryFilter,
    JournalEntry,
    JournalKind,
    SignatureCheck,
    verify_rows,
)
from openline.domain.merkle import inclusion_proof
from openline.domain.proofs import ProvenEntry, make_proof
from openline.domain.quoting import quote
from openline.domain.signed_note import checkpoint_origin
from openline.keys.signing import PublicKey
from openline.node.assembly import Node
from openline.store.database import one_snapshot
from openline.store.journal import (
    iter_checkpoints,
    iter_entry_rows,
    node_reader,
    read_checkpoint_covering,
    read_cosigned_checkpoint,
    read_entries,
    read_entries_about,
    read_entries_at,
    read_head,
)
from openline.store.witness import Held, all_cosignatures, cosignatures_at

# Signature checks run on this many threads: libsodium releases the GIL while it verifies, so
# they use every core, and most of verification's time is spent there (docs/performance.md).
VERIFY_THREADS = min(8, os.cpu_count() or 1)


def verify_journal(node: Node, public_key: PublicKey | None = None) -> ChainReport:
    """Recompute every hash and the Merkle tree, and check every checkpoint's root and
    signatures (the node's and its witnesses' cosignatures) and every entry's own signature
    (from before checkpoints), in stored order."""
    key = public_key or node.key.public_key
    history = node.key_history  # the keys it retired, each up to a tree size: keys/rotation.py
    node_keys: dict[bytes, NodeKey] = {}

    def node_key(size: int) -> NodeKey:
        signer = history.public_key_at(size, key)
        raw = signer.to_bytes()
        if raw not in node_keys:
            node_keys[raw] = NodeKey(node.party, raw, signer.verify)
        return node_keys[raw]

    def verify(conn: Connection, pool: ThreadPoolExecutor) -> ChainReport:
        held = _cosignature_lines(all_cosignatures(conn))
        checkpoints = (
            checked_checkpoint(size, note + held.get(size, ""), node_key(size), _key_check)
            for size, note in iter_checkpoints(conn)
        )
        rows = iter_entry_rows(conn)
        first = history.first_key(key)  # entries signed one by one came before any rotation
        return verify_rows(rows, first.verify, checkpoints=checkpoints, executor=pool)

    with ThreadPoolExecutor(VERIFY_THREADS, thread_name_prefix="openline-verify") as pool:
        return node.read(lambda conn: verify(one_snapshot(conn), pool))


def _key_check(public_key: bytes) -> SignatureCheck:
    return PublicKey(public_key).verify


def _cosignature_lines(held: list[Held]) -> dict[int, str]:
    """The cosignature lines held of each of this node's checkpoints, by tree size."""
    lines: dict[int, str] = {}
    for cosignature in held:
        lines[cosignature.size] = lines.get(cosignature.size, "") + cosignature.cosignature
    return lines


def prove_entry(node: Node, seq: int) -> dict[str, Any]:
    """A proof of entry ``seq`` (docs/journal.md, "Proofs")."""
    return node.read(lambda conn: _proof(node, one_snapshot(conn), [seq]))


def prove_message(node: Node, message_id: str) -> dict[str, Any]:
    """One proof of the entries that show a message created (or received), delivered with the
    peer's receipt, and acknowledged: its own entries, and the receipt of each delivery."""

    def read(conn: Connection) -> dict[str, Any]:
        one_snapshot(conn)
        about = read_entries_about(conn, message_id, MESSAGE_KEYS, after=0, limit=MAX_PROVEN)
        if not about:
            raise NotFound(f"the journal holds no entry about message {quote(message_id)}")
        deliveries = [e for e in about if e.kind == JournalKind.MESSAGE_DELIVERED]
        before = read_entries_at(conn, [e.seq - 1 for e in deliveries])
        receipts = [
            receipt.seq
            for delivery in deliveries
            for receipt in before
            if receipt.seq == delivery.seq - 1 and _is_receipt_of(receipt, delivery)
        ]
        return _proof(node, conn, sorted({e.seq for e in about} | set(receipts)))

    return node.read(read)


# A message's entries in one proof: its creation, a delivery and an acknowledgement per
# recipient, reminders and overdue marks; more than this many is not one message's story.
MAX_PROVEN = 1000


def _is_receipt_of(entry: JournalEntry, delivery: JournalEntry) -> bool:
    """Whether ``entry`` is the envelope delivery whose receipt made ``delivery``: the sender
    records the receipt of a message's envelope, then the message delivered, together."""
    if entry.kind != JournalKind.ENVELOPE_DELIVERED:
        return False
    data, delivered = json.loads(entry.data), json.loads(delivery.data)
    return bool(data.get("kind") == "message" and data.get("to") == delivered.get("party"))


def _proof(node: Node, conn: Connection, seqs: list[int]) -> dict[str, Any]:
    entries = read_entries_at(conn, seqs)
    found = {e.seq for e in entries}
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        raise NotFound(f"the journal holds no entry {missing[0]}")
    size, note = _proving_checkpoint(node, conn, max(seqs))
    read = node_reader(conn)
    proven = [
        ProvenEntry(e.seq, e.body(), e.hash, e.sig, tuple(inclusion_proof(e.seq - 1, size, read)))
        for e in entries
    ]
    return make_proof(node.card().model_dump(), note, proven, node.key.sign)


def _signed_by(node: Node, note: str) -> bool:
    """Whether a checkpoint's note is under the node's key now: one signed before the key was
    rotated would not be checked by the card a proof carries (docs/security.md#key-rotation)."""
    return note.startswith(checkpoint_origin(node.party, node.key.public_key.to_bytes()) + "\n")


def _proving_checkpoint(node: Node, conn: Connection, seq: int) -> tuple[int, str]:
    """The checkpoint a proof of entries up to ``seq`` is made against: the largest one a
    witness cosigned, if it covers them, else the newest; with every cosignature held."""
    cosigned = read_cosigned_checkpoint(conn, seq)
    if cosigned is not None and _signed_by(node, cosigned[1]):
        size, note = cosigned
        return size, note + _cosignature_lines(cosignatures_at(conn, size)).get(size, "")
    newest = read_checkpoint_covering(conn, seq)  # newer than any cosigned: none held for it
    if newest is None:
        raise Conflict(
            f"no checkpoint covers entry {seq} yet: this journal's entries are signed one by "
            "one (from before checkpoints) until the node's next commit signs one"
        )
    return newest


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
