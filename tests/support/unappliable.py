"""An envelope its peer cannot apply, sealed by a node's own code into its outbox: an
acknowledgement of a message the peer never sent. Its shape is right, so the sender's check
before sealing lets it through, as a peer of another version (or a fault) would send it; only
the peer's records show it cannot be applied."""

from __future__ import annotations

from pathlib import Path

from openline.domain.envelopes import Envelope
from openline.node.assembly import Node
from openline.services.outbox import seal_for

UNKNOWN_ACK = {"message_id": "msg_never_sent", "by": "duty", "at": "2026-12-03T12:00:00.000Z"}


def seal_unappliable(directory: Path, peer: str) -> Envelope:
    """Seal it in the node at ``directory`` (running or not: a second process writes through
    the same writer code, under the database's lock) for ``peer``."""
    node = Node.open(directory, environ={})
    try:
        return node.write(lambda uow: seal_for(uow, node, peer, "ack", UNKNOWN_ACK))
    finally:
        node.close()
