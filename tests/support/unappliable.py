"""An envelope its peer cannot apply, sealed by a node's own code into its outbox: an
acknowledgement of a message the peer never sent. Its shape is right, so the sender's check
before sealing lets it through, as a peer of another version (or a fault) would send it; only
the peer's records show it cannot be applied."""

from __future__ import annotations

from pathlib import Path

from openline.domain.envelopes import Envelope, seal
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from tests.support.boxes import ANY_BOX

UNKNOWN_ACK = {"message_id": "msg_never_sent", "by": "duty", "at": "2026-12-03T12:00:00.000Z"}


def seal_unappliable(directory: Path, peer: str) -> Envelope:
    """Seal it in the node at ``directory`` (running or not: a second process writes through
    the same writer code, under the database's lock) for ``peer``."""
    (envelope,) = seal_unappliables(directory, peer, 1)
    return envelope


def seal_unappliables(directory: Path, peer: str, count: int) -> list[Envelope]:
    """``count`` of them, one after another on the link, as :func:`seal_unappliable` seals one."""
    node = Node.open(directory, environ={})
    try:
        return node.write(
            lambda uow: [seal_for(uow, node, peer, "ack", UNKNOWN_ACK) for _ in range(count)]
        )
    finally:
        node.close()


def unappliable_from_red(link_seq: int, prev: str) -> Envelope:
    """The same acknowledgement as RED's envelope ``link_seq`` to BLUE, for a test that hands
    it to BLUE's receiver itself (``receiver.apply_batch`` comes after the signature check)."""
    return seal(
        envelope_id=f"env_red_{link_seq}",
        sender="RED",
        to="BLUE",
        link_seq=link_seq,
        prev=prev,
        sent_at="2026-12-03T12:00:00.000Z",
        kind="ack",
        body=UNKNOWN_ACK,
        sign=SigningKey.generate().sign,
        box=ANY_BOX,
    )
