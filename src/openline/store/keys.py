"""Rows of the peers' key changes: rotations taken or held, keys replaced by an administrator."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, insert, select, update

from openline.domain.envelopes import open_envelope
from openline.store.line import forget_head
from openline.store.tables import envelopes_out, peer_key_changes, peers
from openline.store.writer import UnitOfWork

TAKEN, HELD = "taken", "held"


@dataclass(frozen=True)
class KeyChange:
    party: str
    old_key: str
    new_key: str
    link_seq: int  # the last of the peer's envelopes the old key signs
    how: str  # "rotation" or "replace-key"
    state: str  # TAKEN or HELD
    changed_at: str
    rotation: dict[str, Any] | None = None


def insert_change(conn: Connection, change: KeyChange) -> None:
    values = {**change.__dict__, "rotation": _text(change.rotation)}
    conn.execute(insert(peer_key_changes).values(**values))


def set_peer_key(uow: UnitOfWork, party: str, public_key: str) -> None:
    """The key the peer signs with from now on, as its card in this node's peers (the outbox
    head kept with the old key forgotten: store/line.py)."""
    forget_head(uow, party)
    uow.conn.execute(update(peers).where(peers.c.party == party).values(public_key=public_key))


def held_change(conn: Connection, party: str) -> KeyChange | None:
    """The rotation of ``party`` held for an administrator's confirmation, if any."""
    row = conn.execute(
        select(peer_key_changes)
        .where((peer_key_changes.c.party == party) & (peer_key_changes.c.state == HELD))
        .order_by(peer_key_changes.c.id.desc())
        .limit(1)
    ).first()
    return _change(row) if row else None


def take_held(conn: Connection, party: str) -> None:
    conn.execute(
        update(peer_key_changes)
        .where((peer_key_changes.c.party == party) & (peer_key_changes.c.state == HELD))
        .values(state=TAKEN)
    )


def changes_of(conn: Connection, party: str) -> list[KeyChange]:
    """Every key change of ``party``, oldest first."""
    rows = conn.execute(
        select(peer_key_changes)
        .where(peer_key_changes.c.party == party)
        .order_by(peer_key_changes.c.id)
    )
    return [_change(row) for row in rows]


def retired_keys(conn: Connection) -> dict[str, tuple[tuple[str, int], ...]]:
    """Each peer's retired keys, oldest first, with the last link_seq each signs."""
    rows = conn.execute(
        select(peer_key_changes.c.party, peer_key_changes.c.old_key, peer_key_changes.c.link_seq)
        .where(peer_key_changes.c.state == TAKEN)
        .order_by(peer_key_changes.c.id)
    )
    found: dict[str, list[tuple[str, int]]] = {}
    for party, old_key, link_seq in rows:
        found.setdefault(party, []).append((old_key, link_seq))
    return {party: tuple(keys) for party, keys in found.items()}


def last_kept(conn: Connection, peer: str) -> int:
    """The last envelope sealed for ``peer`` that has its receipt (0 if none)."""
    row = conn.execute(
        select(envelopes_out.c.link_seq)
        .where((envelopes_out.c.peer == peer) & envelopes_out.c.receipt.is_not(None))
        .order_by(envelopes_out.c.link_seq.desc())
        .limit(1)
    ).first()
    return int(row[0]) if row else 0


def sign_waiting_again(conn: Connection, peer: str, sign: Callable[[bytes], bytes]) -> int:
    """Sign every envelope still waiting for ``peer``'s receipt again with ``sign``: the same
    signed bytes, so the same hash and the same chain; how many."""
    rows = conn.execute(
        select(envelopes_out.c.link_seq, envelopes_out.c.envelope).where(
            (envelopes_out.c.peer == peer) & envelopes_out.c.receipt.is_(None)
        )
    ).all()
    for link_seq, text in rows:
        envelope = open_envelope(json.loads(text), max_bytes=len(text) + 1)
        signed = replace(envelope, sig=base64.b64encode(sign(envelope.signed)).decode("ascii"))
        conn.execute(
            update(envelopes_out)
            .where((envelopes_out.c.peer == peer) & (envelopes_out.c.link_seq == link_seq))
            .values(envelope=signed.text)
        )
    return len(rows)


def _change(row: Any) -> KeyChange:
    m = row._mapping
    rotation = json.loads(m["rotation"]) if m["rotation"] else None
    return KeyChange(
        m["party"],
        m["old_key"],
        m["new_key"],
        m["link_seq"],
        m["how"],
        m["state"],
        m["changed_at"],
        rotation,
    )


def _text(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))
