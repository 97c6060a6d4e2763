"""The envelopes received but not applied on this node's links, either way (docs/line.md), and
whether an officer has acknowledged each: the alarm lasts until one has.

Read from the journal as the node starts (one pass over the three kinds below), then kept by
the node's commits, so the console asks at every sign-in at no cost however long the journal.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from sqlalchemy import Connection

from openline.domain.journal import EntryFilter, JournalEntry, JournalKind
from openline.store.journal import read_entries

KINDS = (
    JournalKind.ENVELOPE_NOT_APPLIED,
    JournalKind.ENVELOPE_DELIVERED_NOT_APPLIED,
    JournalKind.ENVELOPE_NOT_APPLIED_ACKNOWLEDGED,
)
_PAGE = 1000


@dataclass(frozen=True)
class NotApplied:
    """One envelope received but not applied: ``from`` the peer (not applied here) or ``to``
    the peer (not applied there); ``at``: when this node journaled it."""

    peer: str
    direction: Literal["from", "to"]
    link_seq: int
    id: str
    kind: str
    hash: str
    reason: str
    at: str
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def acknowledgement(self, by: str, at: str) -> dict[str, Any]:
        """The journal entry's data for an officer's acknowledgement of it."""
        named = {k: v for k, v in asdict(self).items() if k not in ("reason", "at")}
        return {**named, "acknowledged_by": by, "acknowledged_at": at}


def _not_applied(entry: JournalEntry, data: dict[str, Any]) -> NotApplied:
    direction: Literal["from", "to"]
    if entry.kind == JournalKind.ENVELOPE_NOT_APPLIED:  # the receiver's entry
        envelope = data["envelope"]
        peer, direction = envelope["from"], "from"
    else:  # the sender's
        envelope = data
        peer, direction = data["to"], "to"
    return NotApplied(
        peer=peer,
        direction=direction,
        link_seq=envelope["link_seq"],
        id=envelope["id"],
        kind=envelope["kind"],
        hash=data["hash"],
        reason=data["reason"],
        at=entry.at,
    )


class NotAppliedEnvelopes:
    """Every envelope received but not applied on this node's links, by hash. Changed on the
    writer's thread (its commits, an acknowledgement), read by the API's: hence the lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, NotApplied] = {}

    def load(self, conn: Connection) -> None:
        """Read them from the journal: in the node's first write, before any other commit."""
        only = EntryFilter(kinds=KINDS)
        after = 0
        while page := read_entries(conn, after=after, limit=_PAGE, only=only):
            self.on_commit(page)
            after = page[-1].seq

    def on_commit(self, entries: list[JournalEntry]) -> None:
        with self._lock:
            for entry in entries:
                if entry.kind in KINDS:
                    self._take(entry, json.loads(entry.data))

    def _take(self, entry: JournalEntry, data: dict[str, Any]) -> None:
        if entry.kind != JournalKind.ENVELOPE_NOT_APPLIED_ACKNOWLEDGED:
            self._held.setdefault(data["hash"], _not_applied(entry, data))
            return
        held = self._held.get(data["hash"])
        if held is not None and held.acknowledged_by is None:
            by, at = data["acknowledged_by"], data["acknowledged_at"]
            self._held[data["hash"]] = replace(held, acknowledged_by=by, acknowledged_at=at)

    def unacknowledge(self, envelope_hash: str) -> None:
        """Undo an acknowledgement taken before its commit, whose transaction rolled back."""
        with self._lock:
            held = self._held[envelope_hash]
            self._held[envelope_hash] = replace(held, acknowledged_by=None, acknowledged_at=None)

    def get(self, envelope_hash: str) -> NotApplied | None:
        with self._lock:
            return self._held.get(envelope_hash)

    def unacknowledged(self) -> list[NotApplied]:
        """Those no officer has acknowledged yet, oldest first."""
        with self._lock:
            waiting = [held for held in self._held.values() if held.acknowledged_by is None]
        return sorted(waiting, key=lambda held: (held.at, held.peer, held.link_seq))
