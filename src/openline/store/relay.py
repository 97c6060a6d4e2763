"""Rows of a relay: the pairs of parties this node relays between, and what it holds for them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, insert, select, update

from openline.domain.envelopes import Envelope
from openline.store.tables import relay_pairs, relayed


def _pair(a: str, b: str) -> tuple[str, str]:
    first, second = sorted((a, b))
    return first, second


def allow_pair(conn: Connection, a: str, b: str, allowed_at: str) -> bool:
    """Allow relaying between ``a`` and ``b`` (both ways); False if it was allowed already."""
    if pair_allowed(conn, a, b):
        return False
    party_a, party_b = _pair(a, b)
    conn.execute(
        insert(relay_pairs).values(party_a=party_a, party_b=party_b, allowed_at=allowed_at)
    )
    return True


def pair_allowed(conn: Connection, a: str, b: str) -> bool:
    party_a, party_b = _pair(a, b)
    row = conn.execute(
        select(relay_pairs.c.party_a).where(
            (relay_pairs.c.party_a == party_a) & (relay_pairs.c.party_b == party_b)
        )
    ).first()
    return row is not None


def allowed_pairs(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        select(relay_pairs.c.party_a, relay_pairs.c.party_b).order_by(
            relay_pairs.c.party_a, relay_pairs.c.party_b
        )
    )
    return [(row.party_a, row.party_b) for row in rows]


@dataclass(frozen=True)
class Held:
    """One envelope held for relaying, as stored."""

    sender: str
    addressee: str
    link_seq: int
    id: str
    hash: str
    envelope: str
    receipt: str | None
    refused: str | None

    @classmethod
    def of(cls, envelope: Envelope) -> Held:
        """``envelope`` as it is held, before any answer from its addressee."""
        return cls(
            envelope.sender,
            envelope.to,
            envelope.link_seq,
            envelope.id,
            envelope.hash,
            envelope.text,
            None,
            None,
        )


_HELD_COLUMNS = (
    relayed.c.sender,
    relayed.c.addressee,
    relayed.c.link_seq,
    relayed.c.id,
    relayed.c.hash,
    relayed.c.envelope,
    relayed.c.receipt,
    relayed.c.refused,
)


def _place(sender: str, addressee: str, link_seq: int) -> ColumnElement[bool]:
    return (
        (relayed.c.sender == sender)
        & (relayed.c.addressee == addressee)
        & (relayed.c.link_seq == link_seq)
    )


def held(conn: Connection, sender: str, addressee: str, link_seq: int) -> Held | None:
    row = conn.execute(select(*_HELD_COLUMNS).where(_place(sender, addressee, link_seq))).first()
    return Held(*row) if row is not None else None


def hold(conn: Connection, envelope: Envelope, held_at: str) -> None:
    conn.execute(
        insert(relayed).values(
            sender=envelope.sender,
            addressee=envelope.to,
            link_seq=envelope.link_seq,
            id=envelope.id,
            hash=envelope.hash,
            envelope=envelope.text,
            held_at=held_at,
        )
    )


def hold_again(conn: Connection, envelope: Envelope, held_at: str) -> None:
    """Hold again, as its sender sent it now, an envelope its addressee refused as held."""
    conn.execute(
        update(relayed)
        .where(_place(envelope.sender, envelope.to, envelope.link_seq))
        .values(envelope=envelope.text, held_at=held_at, refused=None)
    )


def links_waiting(conn: Connection) -> list[tuple[str, str]]:
    """The (sender, addressee) links with envelopes held and not yet receipted."""
    rows = conn.execute(
        select(relayed.c.sender, relayed.c.addressee)
        .where(relayed.c.receipt.is_(None) & relayed.c.refused.is_(None))
        .distinct()
        .order_by(relayed.c.addressee, relayed.c.sender)
    )
    return [(row.sender, row.addressee) for row in rows]


def waiting(conn: Connection, sender: str, addressee: str, *, limit: int) -> list[Held]:
    """The envelopes of a link held without a receipt, in link order, up to the first its
    addressee refused (those behind it wait for it)."""
    rows = conn.execute(
        select(*_HELD_COLUMNS)
        .where(
            (relayed.c.sender == sender)
            & (relayed.c.addressee == addressee)
            & relayed.c.receipt.is_(None)
        )
        .order_by(relayed.c.link_seq)
        .limit(limit)
    )
    batch: list[Held] = []
    for row in rows:
        if row.refused is not None:
            break
        batch.append(Held(*row))
    return batch


def record_receipt(conn: Connection, item: Held, receipt: str, forwarded_at: str) -> bool:
    """Store the addressee's receipt; False if it was stored already."""
    done = conn.execute(
        update(relayed)
        .where(_place(item.sender, item.addressee, item.link_seq) & relayed.c.receipt.is_(None))
        .values(receipt=receipt, forwarded_at=forwarded_at)
    )
    return done.rowcount == 1


def record_refusal(conn: Connection, item: Held, reason: str) -> None:
    conn.execute(
        update(relayed)
        .where(_place(item.sender, item.addressee, item.link_seq))
        .values(refused=reason)
    )
