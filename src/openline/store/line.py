"""Rows of the line: peers, the outbox of envelopes to them, the envelopes applied from them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from openline.domain.envelopes import Envelope, first_prev
from openline.domain.parties import Card, Peer
from openline.domain.paths import DirectPath, PeerPath, RelayPath
from openline.store.prepared import Prepared
from openline.store.tables import envelopes_in, envelopes_out, peer_paths, peers
from openline.store.writer import UnitOfWork

# Prebuilt: executed with parameters, compiled once (docs/performance.md).
_INSERT_OUT = Prepared(insert(envelopes_out))
_INSERT_IN = Prepared(insert(envelopes_in))
_LAST_IN = Prepared(
    select(envelopes_in.c.link_seq, envelopes_in.c.hash)
    .where(envelopes_in.c.sender == bindparam("sender"))
    .order_by(envelopes_in.c.link_seq.desc())
    .limit(1)
)
_RECEIPT = Prepared(
    update(envelopes_out)
    .where(
        (envelopes_out.c.peer == bindparam("key_peer"))
        & (envelopes_out.c.link_seq == bindparam("key_seq"))
        & envelopes_out.c.receipt.is_(None)
    )
    .values(receipt=bindparam("receipt"), delivered_at=bindparam("delivered_at"))
)
_HEARD = Prepared(
    update(peers)
    .where(peers.c.party == bindparam("key_party"))
    .values(last_heard_at=bindparam("heard_at"))
)
_WAITING = envelopes_out.c.receipt.is_(None)


# --- peers -------------------------------------------------------------------------------


def insert_peer(conn: Connection, card: Card, added_at: str, tls_pin: str | None = None) -> None:
    """Link ``card``'s party: its paths are its card's URLs in order, each https one pinned to
    ``tls_pin`` if given (one node, one certificate, whichever way it is reached)."""
    several = json.dumps(list(card.urls)) if len(card.urls) > 1 else None
    conn.execute(
        insert(peers).values(
            party=card.party,
            name=card.name,
            lang=card.lang,
            url=card.url,
            public_key=card.public_key,
            added_at=added_at,
            tls_pin=tls_pin,
            urls=several,
        )
    )
    paths = [DirectPath(url, tls_pin if url.startswith("https://") else None) for url in card.urls]
    replace_paths(conn, card.party, paths)


def replace_paths(conn: Connection, party: str, paths: Sequence[PeerPath]) -> None:
    """Make ``paths``, in this order, the ways this node reaches ``party``."""
    conn.execute(delete(peer_paths).where(peer_paths.c.peer == party))
    conn.execute(
        insert(peer_paths),
        [
            {
                "peer": party,
                "position": position,
                "url": path.url if isinstance(path, DirectPath) else None,
                "tls_pin": path.tls_pin if isinstance(path, DirectPath) else None,
                "relay": path.relay if isinstance(path, RelayPath) else None,
                "old_tls_pin": path.old_pin if isinstance(path, DirectPath) else None,
                "old_pin_until": path.old_pin_until if isinstance(path, DirectPath) else None,
            }
            for position, path in enumerate(paths)
        ],
    )


_PEER_EXISTS = Prepared(select(peers.c.party).where(peers.c.party == bindparam("party")))
_PUBLIC_KEY = Prepared(select(peers.c.public_key).where(peers.c.party == bindparam("party")))


def delete_peer(uow: UnitOfWork, party: str) -> None:
    """Unlink ``party``: its row and its paths go; its outbox and what it sent stay."""
    forget_head(uow, party)
    uow.conn.execute(delete(peer_paths).where(peer_paths.c.peer == party))
    uow.conn.execute(delete(peers).where(peers.c.party == party))


def relayed_through(conn: Connection, relay: str) -> list[str]:
    """The peers with a path through ``relay``'s node."""
    query = select(peer_paths.c.peer).where(peer_paths.c.relay == relay).order_by(peer_paths.c.peer)
    return list(conn.execute(query).scalars())


def peer_exists(conn: Connection, party: str) -> bool:
    return _PEER_EXISTS.first(conn, {"party": party}) is not None


def peer_public_key(conn: Connection, party: str) -> str | None:
    """A linked peer's public key, as its card gives it (base64); None if not linked. One
    indexed read, for what needs the key alone (the box of each envelope sealed or receipted)."""
    row = _PUBLIC_KEY.first(conn, {"party": party})
    return None if row is None else str(row[0])


def get_peer(conn: Connection, party: str) -> Peer | None:
    row = conn.execute(select(peers).where(peers.c.party == party)).first()
    return _peer(row, _paths(conn, party)[party]) if row else None


def list_peers(conn: Connection) -> list[Peer]:
    paths = _paths(conn)
    rows = conn.execute(select(peers).order_by(peers.c.party))
    return [_peer(row, paths[row.party]) for row in rows]


def mark_heard(conn: Connection, party: str, heard_at: str) -> None:
    _HEARD.send(conn, {"key_party": party, "heard_at": heard_at})


def _paths(conn: Connection, party: str | None = None) -> dict[str, tuple[PeerPath, ...]]:
    query = select(peer_paths).order_by(peer_paths.c.peer, peer_paths.c.position)
    if party is not None:
        query = query.where(peer_paths.c.peer == party)
    found: dict[str, list[PeerPath]] = {}
    for row in conn.execute(query):
        path: PeerPath = (
            RelayPath(row.relay)
            if row.relay is not None
            else DirectPath(row.url, row.tls_pin, row.old_tls_pin, row.old_pin_until)
        )
        found.setdefault(row.peer, []).append(path)
    return _Paths({peer: tuple(paths) for peer, paths in found.items()})


class _Paths(dict[str, tuple[PeerPath, ...]]):
    """A peer without a path row (none should be) has no paths, not a KeyError."""

    def __missing__(self, key: str) -> tuple[PeerPath, ...]:
        return ()


def _peer(row: object, paths: tuple[PeerPath, ...]) -> Peer:
    m = row._mapping  # type: ignore[attr-defined]
    urls = tuple(json.loads(m["urls"])) if m["urls"] else (m["url"],)
    card = Card(
        party=m["party"], name=m["name"], lang=m["lang"], urls=urls, public_key=m["public_key"]
    )
    return Peer(
        card=card,
        added_at=m["added_at"],
        last_heard_at=m["last_heard_at"],
        tls_pin=m["tls_pin"],
        paths=paths,
    )


# --- outbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """An envelope in the outbox, as the sender needs it."""

    link_seq: int
    id: str
    kind: str
    hash: str
    envelope: str  # canonical JSON text
    queued_at: str


# An Outgoing's columns, in its fields' order.
_OUTGOING = (
    envelopes_out.c.link_seq,
    envelopes_out.c.id,
    envelopes_out.c.kind,
    envelopes_out.c.hash,
    envelopes_out.c.envelope,
    envelopes_out.c.queued_at,
)


@dataclass(frozen=True)
class OutboxHead:
    """What sealing the next envelope for a linked peer reads: the peer's public key (its
    card's, base64) and the link_seq and hash of the last envelope sealed for it (0 and the
    genesis hash if none)."""

    public_key: str
    link_seq: int
    hash: str


def _last_out(column: Any) -> Any:
    return (
        select(column)
        .where(envelopes_out.c.peer == bindparam("party"))
        .order_by(envelopes_out.c.link_seq.desc())
        .limit(1)
        .scalar_subquery()
    )


# One statement for the peer's key and its outbox's head: on PostgreSQL each read inside the
# writer's operation is a round trip the whole batch waits for (docs/performance.md).
_OUTBOX_HEAD = Prepared(
    select(
        peers.c.public_key, _last_out(envelopes_out.c.link_seq), _last_out(envelopes_out.c.hash)
    ).where(peers.c.party == bindparam("party"))
)


def _read_head(conn: Connection, party: str) -> OutboxHead | None:
    row = _OUTBOX_HEAD.first(conn, {"party": party})
    if row is None:
        return None
    public_key, link_seq, hash_ = row
    return OutboxHead(str(public_key), link_seq or 0, hash_ or first_prev())


# --- the outbox heads a writer transaction keeps ------------------------------------------
#
# With group commit one transaction seals many envelopes for the same peer, and each read back
# the head the one before had just written: on PostgreSQL a round trip each, a sixth of the
# sending node's writer (issue 25). So a peer's head is read once a transaction, kept in the
# transaction's ``uow.kept`` (new for each transaction, and for a batch run again) and moved by
# each envelope inserted for the peer. It is never stale, because whatever could make it wrong
# forgets it, and a head not kept is read again: an operation or step rolled back forgets every
# head it kept or moved (``on_rollback``); a peer removed (``delete_peer``) or its key changed
# (store/keys.py's ``set_peer_key``) forgets its head. Only a linked peer has a head, so one
# linked again starts with none kept. Receipts, paths, when a peer was last heard and envelopes
# signed again (the same signed bytes, the same hash) change no head. Other processes write
# in transactions of their own, after this one holds the writer's lock.

_KEPT_HEADS = "store.line.outbox_heads"


def outbox_head(uow: UnitOfWork, party: str) -> OutboxHead | None:
    """The key and outbox head of a linked peer, read once a writer transaction; None if
    ``party`` is not linked (a removed peer's outbox is kept, and goes on from its head when the
    party is linked again)."""
    heads = _kept_heads(uow)
    head = heads.get(party)
    if head is None:
        head = _read_head(uow.conn, party)
        if head is not None:
            _keep(uow, heads, party, head)
    return head


def insert_outgoing(uow: UnitOfWork, envelope: Envelope, queued_at: str) -> None:
    """Queue ``envelope`` in its peer's outbox: the outbox head the transaction keeps for the
    peer moves to it."""
    _INSERT_OUT.send(
        uow.conn,
        {
            "peer": envelope.to,
            "link_seq": envelope.link_seq,
            "id": envelope.id,
            "kind": envelope.kind,
            "hash": envelope.hash,
            "envelope": envelope.text,
            "queued_at": queued_at,
            "receipt": None,
            "delivered_at": None,
        },
    )
    heads = _kept_heads(uow)
    head = heads.get(envelope.to)
    if head is not None:  # the outbox's last row now; the peer's key the same
        moved = OutboxHead(head.public_key, envelope.link_seq, envelope.hash)
        _keep(uow, heads, envelope.to, moved)


def forget_head(uow: UnitOfWork, party: str) -> None:
    """Drop the outbox head kept for ``party``: for a write that changes its key or outbox."""
    _kept_heads(uow).pop(party, None)


def _kept_heads(uow: UnitOfWork) -> dict[str, OutboxHead]:
    heads: dict[str, OutboxHead] | None = uow.kept.get(_KEPT_HEADS)
    if heads is None:
        heads = uow.kept[_KEPT_HEADS] = {}
    return heads


def _keep(uow: UnitOfWork, heads: dict[str, OutboxHead], party: str, head: OutboxHead) -> None:
    heads[party] = head
    # Rolled back, the head may be one the database no longer holds: read it again.
    uow.on_rollback(lambda: forget_head(uow, party))


# Read by each sender as it wakes, once or twice a message when the line is quiet: built per
# call, SQLAlchemy took a seventh of the sending node's event loop (docs/performance.md).
_WAITING_FOR = Prepared(
    select(*_OUTGOING)
    .where((envelopes_out.c.peer == bindparam("peer")) & _WAITING)
    .order_by(envelopes_out.c.link_seq)
    .limit(bindparam("limit"))
)


def waiting(conn: Connection, peer: str, *, limit: int) -> list[Outgoing]:
    """Envelopes for ``peer`` without a receipt, oldest first."""
    return [Outgoing(*row) for row in _WAITING_FOR.all(conn, {"peer": peer, "limit": limit})]


def last_receipted(conn: Connection, peer: str) -> Outgoing | None:
    """The last envelope for ``peer`` that has its receipt: what a path is checked with."""
    row = conn.execute(
        select(*_OUTGOING)
        .where((envelopes_out.c.peer == peer) & envelopes_out.c.receipt.is_not(None))
        .order_by(envelopes_out.c.link_seq.desc())
        .limit(1)
    ).first()
    return Outgoing(*row) if row else None


def oldest_waiting(conn: Connection, peer: str) -> str | None:
    """When the oldest envelope still waiting for ``peer`` was queued."""
    row = conn.execute(
        select(envelopes_out.c.queued_at)
        .where((envelopes_out.c.peer == peer) & _WAITING)
        .order_by(envelopes_out.c.link_seq)
        .limit(1)
    ).first()
    return row.queued_at if row else None


def count_waiting(conn: Connection, peer: str) -> int:
    return int(
        conn.execute(
            select(func.count()).where((envelopes_out.c.peer == peer) & _WAITING)
        ).scalar_one()
    )


# The envelopes of a batch are consecutive on their link: one read, by range, says which of
# them still wait for a receipt.
_WAITING_BETWEEN = Prepared(
    select(envelopes_out.c.link_seq).where(
        (envelopes_out.c.peer == bindparam("peer"))
        & (envelopes_out.c.link_seq >= bindparam("first"))
        & (envelopes_out.c.link_seq <= bindparam("last"))
        & _WAITING
    )
)


def still_waiting(conn: Connection, peer: str, link_seqs: Sequence[int]) -> set[int]:
    """Which of the envelopes ``link_seqs`` for ``peer`` have no receipt yet: one read for a
    batch of receipts."""
    if not link_seqs:
        return set()
    params = {"peer": peer, "first": min(link_seqs), "last": max(link_seqs)}
    wanted = set(link_seqs)
    return {row[0] for row in _WAITING_BETWEEN.all(conn, params) if row[0] in wanted}


def record_receipt(
    conn: Connection, peer: str, link_seq: int, receipt: str, delivered_at: str
) -> None:
    """Store the receipt of an envelope ``still_waiting`` found without one, in one statement
    sent without waiting for its answer (store/pipeline.py)."""
    _RECEIPT.send(
        conn,
        {"key_peer": peer, "key_seq": link_seq, "receipt": receipt, "delivered_at": delivered_at},
    )


# --- envelopes applied from peers ---------------------------------------------------------


def last_applied(conn: Connection, sender: str) -> tuple[int, str]:
    """The link_seq and hash of the last envelope applied from ``sender``."""
    row = _LAST_IN.first(conn, {"sender": sender})
    return (row[0], row[1]) if row else (0, first_prev())


def applied(conn: Connection, sender: str, link_seq: int) -> tuple[str, str] | None:
    """The hash of an envelope already applied, and the receipt this node gave for it."""
    row = conn.execute(
        select(envelopes_in.c.hash, envelopes_in.c.receipt).where(
            (envelopes_in.c.sender == sender) & (envelopes_in.c.link_seq == link_seq)
        )
    ).first()
    return (row.hash, row.receipt) if row else None


def insert_applied(conn: Connection, envelope: Envelope, receipt: str, received_at: str) -> None:
    _INSERT_IN.send(
        conn,
        {
            "sender": envelope.sender,
            "link_seq": envelope.link_seq,
            "id": envelope.id,
            "kind": envelope.kind,
            "hash": envelope.hash,
            "envelope": envelope.text,
            "receipt": receipt,
            "received_at": received_at,
        },
    )


def has_waiting(conn: Connection, peer: str, kind: str) -> bool:
    """Whether an envelope of ``kind`` for ``peer`` still waits for its receipt."""
    row = conn.execute(
        select(envelopes_out.c.link_seq)
        .where((envelopes_out.c.peer == peer) & _WAITING & (envelopes_out.c.kind == kind))
        .limit(1)
    ).first()
    return row is not None
