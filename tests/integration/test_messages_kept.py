"""Whether a message is already on this node, as a writer transaction keeps it for a peer's
batch (store/messages.py): read once a batch, marked by each message stored, forgotten by a
step undone. Each test applies RED's envelopes to a real BLUE and reads back the receipts, the
journal and the messages stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, func, select

from openline.domain.envelopes import Envelope, first_prev, seal
from openline.domain.errors import OpenlineError
from openline.domain.journal import JournalKind
from openline.keys.signing import SigningKey
from openline.line import receiver
from openline.node.assembly import Node
from openline.services.messages import apply_incoming_message
from openline.services.setup import NewNode
from openline.store.journal import read_entries
from openline.store.tables import messages
from openline.store.writer import UnitOfWork
from tests.integration.test_writer import started
from tests.support.boxes import ANY_BOX
from tests.support.nodes import link, silent_card
from tests.support.red import red_message

ALREADY = "message body refused: message msg_red_1 is already on this node"


@pytest.fixture
def node(node_dir: NewNode) -> Iterator[Node]:
    """BLUE, its writer running, linked to a RED that never answers (no line runs here)."""
    link(node_dir.directory, silent_card())
    with started(node_dir) as running:
        yield running


class Envelopes:
    """RED's link to BLUE: each envelope follows the one before, whatever message it carries."""

    def __init__(self) -> None:
        self.prev = first_prev()
        self.link_seq = 0

    def carrying(self, message: int) -> Envelope:
        self.link_seq += 1
        envelope = seal(
            envelope_id=f"env_red_{self.link_seq}",
            sender="RED",
            to="BLUE",
            link_seq=self.link_seq,
            prev=self.prev,
            sent_at="2024-12-03T12:00:00.000Z",
            kind="message",
            body=red_message(message).to_json(),
            sign=SigningKey.generate().sign,  # apply_batch comes after the signature check
            box=ANY_BOX,
        )
        self.prev = envelope.hash
        return envelope


def apply(node: Node, *envelopes: Envelope) -> list[str | None]:
    """Apply ``envelopes`` as one batch: each one's receipt's reason for not applying it."""
    outcomes = node.write(receiver.apply_batch(node, list(envelopes), "test"))
    receipts = [outcome.receipt for outcome in outcomes]
    assert all(receipt is not None for receipt in receipts), outcomes
    return [receipt.get("not_applied") for receipt in receipts if receipt is not None]


def journaled(node: Node) -> list[tuple[str, Any]]:
    """What the journal says of RED's envelopes and messages, in order."""
    kinds = {
        JournalKind.ENVELOPE_RECEIVED: lambda data: data["envelope"]["id"],
        JournalKind.ENVELOPE_NOT_APPLIED: lambda data: (data["envelope"]["id"], data["reason"]),
        JournalKind.MESSAGE_RECEIVED: lambda data: (data["id"], data["envelope"]),
    }
    entries = node.read(lambda conn: read_entries(conn, after=0, limit=10_000))
    return [(e.kind, kinds[e.kind](json.loads(e.data))) for e in entries if e.kind in kinds]


def stored(node: Node) -> int:
    def count(conn: Connection) -> int:
        return conn.execute(select(func.count()).select_from(messages)).scalar_one()

    return node.read(count)


def test_a_message_already_on_the_node_is_received_but_not_applied(node: Node):
    line = Envelopes()
    assert apply(node, line.carrying(1)) == [None]

    assert apply(node, line.carrying(1), line.carrying(3)) == [ALREADY, None]

    assert journaled(node) == [
        ("envelope.received", "env_red_1"),
        ("message.received", ("msg_red_1", "env_red_1")),
        ("envelope.not_applied", ("env_red_2", ALREADY)),
        ("envelope.received", "env_red_3"),
        ("message.received", ("msg_red_3", "env_red_3")),
    ]
    assert stored(node) == 2


def test_the_same_message_twice_in_one_batch_is_applied_once(node: Node):
    line = Envelopes()

    assert apply(node, line.carrying(1), line.carrying(1), line.carrying(2)) == [
        None,
        ALREADY,
        None,
    ]

    assert journaled(node) == [
        ("envelope.received", "env_red_1"),
        ("message.received", ("msg_red_1", "env_red_1")),
        ("envelope.not_applied", ("env_red_2", ALREADY)),
        ("envelope.received", "env_red_3"),
        ("message.received", ("msg_red_2", "env_red_3")),
    ]
    assert stored(node) == 2


def test_a_message_stored_by_a_step_undone_is_not_on_the_node(
    node: Node, monkeypatch: pytest.MonkeyPatch
):
    # The first envelope's message is stored, then its step fails and is undone: the same
    # message in the next envelope of the batch is not on the node, and is applied.
    def failing_after_storing(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
        apply_incoming_message(uow, node, envelope)
        if envelope.id == "env_red_1":
            raise OpenlineError("failed after storing")

    monkeypatch.setitem(receiver.HANDLERS, "message", failing_after_storing)
    line = Envelopes()

    assert apply(node, line.carrying(1), line.carrying(1)) == [
        "message body refused: failed after storing",
        None,
    ]

    assert journaled(node) == [
        ("envelope.not_applied", ("env_red_1", "message body refused: failed after storing")),
        ("envelope.received", "env_red_2"),
        ("message.received", ("msg_red_1", "env_red_2")),
    ]
    assert stored(node) == 1
