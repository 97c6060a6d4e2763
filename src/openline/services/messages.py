"""Sending, listing and acknowledging messages on this node."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openline.domain import messages as rules
from openline.domain.bodies import read_ack, read_message
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.messages import Draft, Message, State
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc
from openline.i18n import render_message
from openline.node.assembly import Node
from openline.services.outbox import arrived_on, line_to, seal_for
from openline.store import messages as store
from openline.store.writer import Operation, UnitOfWork

MAX_PAGE = 1000


def send_message(node: Node, draft: Draft, operator: str) -> Message:
    """Check the draft, store the message durably, deliver at once to our own party.

    For every other party, the message is sealed into the outbox in the same transaction and
    stays queued until the peer's receipt comes back over the line.
    """
    return node.write(new_message(node, draft, operator).store)


@dataclass(frozen=True)
class NewMessage:
    """A message checked and ready to be stored: the operation that stores it, and its
    rendering in the node's language, made before anything is committed."""

    store: Operation[Message]
    rendering: dict[str, Any]


def new_message(node: Node, draft: Draft, operator: str) -> NewMessage:
    """Check the draft now (bad input never reaches the writer); the returned operation stores
    it. The API awaits it with ``Node.write_async`` and answers with the rendering made here;
    ``send_message`` runs it and waits.
    """
    now = node.clock()
    message = rules.compose(
        draft,
        message_id=node.new_id("msg", now),
        sender=node.party,
        created_by=operator,
        now=now,
        deadlines=node.settings.ack_deadlines,
        max_text_bytes=node.settings.max_text_bytes,
    )
    # The API answers with the message rendered, after the commit: render it once now, so
    # that a message whose answer cannot be written is refused before anything is committed
    # (a 4xx after the commit left a message sent that its sender was told was refused).
    rendering = render_message(message, node.settings.lang)
    return NewMessage(lambda uow: _store_new(uow, node, message), rendering)


def _store_new(uow: UnitOfWork, node: Node, message: Message) -> Message:
    # Each peer's key and outbox head read before anything is written (and kept for sealing):
    # a message to a party this node has no line to is refused with nothing to undo.
    peers = [party for party in message.to if party != node.party]
    for party in peers:
        line_to(uow, party)
    if message.in_reply_to and not store.message_exists(uow, message.in_reply_to):
        raise InvalidInput(
            f"in_reply_to: no message {quote(message.in_reply_to)} on this node",
            field="in_reply_to",
        )
    store.insert_message(uow, message)
    uow.record(JournalKind.MESSAGE_CREATED, message.to_json())
    if message.recipient(node.party) is not None:
        message = rules.deliver(message, node.party, node.clock())
        _save_recipient(uow, message, node.party, JournalKind.MESSAGE_DELIVERED)
    record = message.to_json()
    for party in peers:
        seal_for(uow, node, party, "message", record)
    return message


def acknowledgement(node: Node, message_id: str, operator: str) -> Operation[Message]:
    def acknowledge(uow: UnitOfWork) -> Message:
        message = _require(store.get_message(uow.conn, message_id), message_id)
        updated = rules.acknowledge(message, node.party, operator, node.clock())
        if updated is not message:
            _save_recipient(uow, updated, node.party, JournalKind.MESSAGE_ACKNOWLEDGED)
            if updated.sender != node.party:  # the acknowledgement crosses back to the sender
                recipient = updated.recipient(node.party)
                assert recipient is not None
                assert recipient.acknowledged_at is not None
                seal_for(
                    uow,
                    node,
                    updated.sender,
                    "ack",
                    {
                        "message_id": updated.id,
                        "by": operator,
                        "at": format_utc(recipient.acknowledged_at),
                    },
                )
        return updated

    return acknowledge


def get_message(node: Node, message_id: str) -> Message:
    message = node.read(lambda conn: store.get_message(conn, message_id))
    message = _require(message, message_id)
    if message.sender != node.party and message.recipient(node.party) is None:
        raise NotFound(f"no message {quote(message_id)} on this node")
    return message


def list_messages(node: Node, box: str | None, limit: int, before: str | None) -> list[Message]:
    return node.read(
        lambda conn: store.list_messages(
            conn, party=node.party, box=box, limit=min(limit, MAX_PAGE), before=before
        )
    )


def state_seen_by(node: Node, message: Message) -> State:
    """The sender sees the message's overall state; a recipient sees its own."""
    now = node.clock()
    recipient = message.recipient(node.party)
    if message.sender == node.party or recipient is None:
        return rules.message_state(message, now)
    return rules.recipient_state(recipient, message.deadline, now)


def _save_recipient(uow: UnitOfWork, message: Message, party: str, kind: JournalKind) -> None:
    recipient = message.recipient(party)
    assert recipient is not None
    store.save_recipient(uow.conn, message.id, recipient)
    at = (
        recipient.acknowledged_at
        if kind == JournalKind.MESSAGE_ACKNOWLEDGED
        else recipient.delivered_at
    )
    assert at is not None
    data: dict[str, Any] = {"message_id": message.id, "party": party, "at": format_utc(at)}
    if kind == JournalKind.MESSAGE_ACKNOWLEDGED:
        data["by"] = recipient.acknowledged_by
    uow.record(kind, data)


def _require(message: Message | None, message_id: str) -> Message:
    if message is None:
        raise NotFound(f"no message {quote(message_id)} on this node")
    return message


# --- what the line brings in ---------------------------------------------------------------


def look_for_incoming(uow: UnitOfWork, envelopes: Iterable[object]) -> None:
    """Whether the messages ``envelopes`` carry are on this node, read at once for a peer's
    batch and kept for the transaction (store/messages.py): ``apply_incoming_message`` then
    reads nothing more. What is not a message envelope, or carries no id, is passed over (its
    own checks refuse it)."""
    ids = (
        envelope.body.get("id")
        for envelope in envelopes
        if isinstance(envelope, Envelope) and envelope.kind == "message"
    )
    store.look_for(uow, [message_id for message_id in ids if isinstance(message_id, str)])


def apply_incoming_message(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's message arrives: stored as delivered to this party, journaled as received."""
    message = read_message(envelope.body, arrived_on(node, envelope))
    if store.message_exists(uow, message.id):
        raise InvalidInput(f"message {message.id} is already on this node")
    now = node.clock()
    message = rules.deliver(message, node.party, now)
    store.insert_message(uow, message)
    uow.record(
        JournalKind.MESSAGE_RECEIVED,
        {
            "id": message.id,
            "from": message.sender,
            "precedence": message.precedence.value,
            "template": message.template,
            "deadline": format_utc(message.deadline),
            "envelope": envelope.id,
            "at": format_utc(now),
        },
    )


def apply_incoming_ack(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's operator acknowledged one of our messages.

    The acknowledgement can overtake the receipt of the message it acknowledges (it crosses
    on the other link); it proves delivery, so a still-queued recipient is delivered first.
    """
    ack = read_ack(envelope.body, arrived_on(node, envelope))
    party, at = envelope.sender, ack.at
    message = store.get_message(uow.conn, ack.message_id)
    if message is None or message.sender != node.party or message.recipient(party) is None:
        raise InvalidInput(f"no message {quote(ack.message_id)} from {node.party} to {party}")
    delivered = rules.deliver(message, party, at)
    if delivered is not message:
        _save_recipient(uow, delivered, party, JournalKind.MESSAGE_DELIVERED)
    updated = rules.acknowledge(delivered, party, ack.by, at)
    if updated is not delivered:
        _save_recipient(uow, updated, party, JournalKind.MESSAGE_ACKNOWLEDGED)


def record_delivery(
    uow: UnitOfWork, node: Node, party: str, message_id: str, *, queued: bool | None = None
) -> None:
    """The peer's receipt for a message came back: delivered (unless an ack got here first).
    ``queued``: whether the caller found it still queued for ``party`` in this operation (one
    read for a batch of receipts: ``store.still_queued``); read here when not given."""
    if queued is None:
        queued = message_id in store.still_queued(uow.conn, party, [message_id])
    if queued:
        at = format_utc(node.clock())
        store.mark_delivered(uow.conn, message_id, party, at)
        uow.record(
            JournalKind.MESSAGE_DELIVERED, {"message_id": message_id, "party": party, "at": at}
        )
