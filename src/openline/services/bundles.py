"""Writing a courier bundle for a peer: every envelope waiting for it and the receipts this
node owes it, in one signed file (docs/line.md#courier-bundles). Reading one is the line's
(``openline.line.bundles``): it goes through the receiver the network's envelopes go through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openline.domain.bundles import (
    Header,
    file_name,
    max_bundle_bytes,
    read_bundle,
    write_bundle,
)
from openline.domain.errors import NotFound
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.store import bundles as store
from openline.store import line as line_store
from openline.store.line import Outgoing

# The most envelopes one bundle holds; the rest wait for the next (as do those over its size).
MAX_ENVELOPES = 100_000
HEADER_ROOM = 1024  # bytes kept for the header line


@dataclass(frozen=True)
class Exported:
    """A bundle written, and how many envelopes still wait for the peer beyond it."""

    data: bytes
    header: Header
    left_waiting: int

    def summary(self) -> dict[str, Any]:
        h = self.header
        return {
            "id": h.id,
            "to": h.to,
            "envelopes": h.envelopes,
            "receipts": h.receipts,
            "left_waiting": self.left_waiting,
            "bytes": len(self.data),
        }

    def to_json(self) -> dict[str, Any]:
        """The summary, with the file's name and its text (UTF-8, as written)."""
        return {
            **self.summary(),
            "file_name": file_name(self.header),
            "text": self.data.decode("utf-8"),
        }


def export_bundle(
    node: Node, party: str, *, receipts_also: Iterable[dict[str, Any]] = ()
) -> Exported:
    """The bundle for ``party``: its waiting envelopes, oldest first, as many as fit, and the
    receipts owed it, with ``receipts_also`` (those of a bundle just imported from it)."""

    def read(conn: Any) -> tuple[list[Outgoing], list[str]]:
        if not line_store.peer_exists(conn, party):
            raise NotFound(
                f"this node has no line to {party!r}: a bundle is only for a linked peer",
                field="party",
            )
        waiting = line_store.waiting(conn, party, limit=MAX_ENVELOPES)
        return waiting, store.receipts_owed(conn, party)

    waiting, owed = node.read(read)
    receipts = {r["link_seq"]: r for r in (json.loads(text) for text in owed)}
    receipts.update((r["link_seq"], r) for r in receipts_also)
    ordered = [receipts[seq] for seq in sorted(receipts)]
    budget = max_bundle_bytes(node.settings.max_envelope_bytes) - HEADER_ROOM
    budget -= sum(len(json.dumps(r)) + 1 for r in ordered)
    carried: list[str] = []
    for outgoing in waiting:
        budget -= len(outgoing.envelope.encode("utf-8")) + 1
        if budget < 0:
            break
        carried.append(outgoing.envelope)
    now = node.clock()
    data = write_bundle(
        bundle_id=node.new_id("bdl", now),
        sender=node.party,
        to=party,
        created_at=format_utc(now),
        envelopes=carried,
        receipts=ordered,
        sign=node.key.sign,
    )
    total = (
        len(waiting)
        if len(waiting) < MAX_ENVELOPES
        else node.read(lambda conn: line_store.count_waiting(conn, party))
    )
    header = read_bundle(data, max_bytes=len(data)).header
    return Exported(data, header, total - len(carried))
