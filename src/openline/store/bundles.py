"""Rows a courier bundle is made of: the receipts this node owes a peer."""

from __future__ import annotations

from sqlalchemy import Connection, select

from openline.store.tables import envelopes_in, peers


def receipts_owed(conn: Connection, sender: str) -> list[str]:
    """The receipts (canonical JSON text, in link order) of the envelopes from ``sender``
    taken since it was last heard over the network (all of them if it never was): those that
    came by another carrier, whose receipts the network did not carry back. (Any other it
    lacks, its next bundle asks for: the reply to a bundle holds the receipt of every
    envelope in it.)"""
    heard = conn.execute(select(peers.c.last_heard_at).where(peers.c.party == sender)).scalar()
    query = select(envelopes_in.c.receipt).where(envelopes_in.c.sender == sender)
    if heard is not None:
        query = query.where(envelopes_in.c.received_at >= heard)
    return list(conn.execute(query.order_by(envelopes_in.c.link_seq)).scalars())
