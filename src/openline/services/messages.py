"""Sending, listing and acknowledging messages on this node."""

from __future__ import annotations

from typing import Any

from openline.domain import messages as rules
from openline.domain.errors import InvalidInput, NotFound
from openline.domain.messages import Draft, Message, State
from openline.domain.timeutil import format_utc
from openline.node import Node
from openline.store import messages as store
from openline.store.writer import Operation, UnitOfWork

MAX_PAGE = 1000


def send_message(node: Node, draft: Draft, operator: str) -> Message:
    """Check the draft, store the message durably, deliver at once to our own party.

    A message to another party stays queued until the line delivers it.
    """
    return node.write(new_message(node, draft, operator))


def new_message(node: Node, draft: Draft, operator: str) -> Operation[Message]:
    """Check the draft now (bad input never reaches the writer); the returned operation stores
    it. The API awaits it with ``Node.write_async``; ``send_message`` runs it and waits.
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
    return lambda uow: _store_new(uow, node, message)


def _store_new(uow: UnitOfWork, node: Node, message: Message) -> Message:
    if message.in_reply_to and not store.message_exists(uow.conn, message.in_reply_to):
        raise InvalidInput(
            f"in_reply_to: no message {message.in_reply_to!r} on this node", field="in_reply_to"
        )
    store.insert_message(uow.conn, message)
    uow.record("message.created", message_record(message))
    if message.recipient(node.party) is not None:
        message = rules.deliver(message, node.party, node.clock())
        _save_recipient(uow, message, node.party, "message.delivered")
    return message


def acknowledge_message(node: Node, message_id: str, operator: str) -> Message:
    """An operator of this party confirms the message was read and understood."""
    return node.write(acknowledgement(node, message_id, operator))


def acknowledgement(node: Node, message_id: str, operator: str) -> Operation[Message]:
    def acknowledge(uow: UnitOfWork) -> Message:
        message = _require(store.get_message(uow.conn, message_id), message_id)
        updated = rules.acknowledge(message, node.party, operator, node.clock())
        if updated is not message:
            _save_recipient(uow, updated, node.party, "message.acknowledged")
        return updated

    return acknowledge


def get_message(node: Node, message_id: str) -> Message:
    message = node.read(lambda conn: store.get_message(conn, message_id))
    message = _require(message, message_id)
    if message.sender != node.party and message.recipient(node.party) is None:
        raise NotFound(f"no message {message_id!r} on this node")
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


def message_record(message: Message) -> dict[str, Any]:
    """The message as the journal keeps it: everything needed to prove what was said."""
    return {
        "id": message.id,
        "from": message.sender,
        "to": list(message.to),
        "precedence": message.precedence.value,
        "template": message.template,
        "fields": dict(message.fields),
        "in_reply_to": message.in_reply_to,
        "created_at": format_utc(message.created_at),
        "deadline": format_utc(message.deadline),
        "created_by": message.created_by,
    }


def _save_recipient(uow: UnitOfWork, message: Message, party: str, kind: str) -> None:
    recipient = message.recipient(party)
    assert recipient is not None
    store.save_recipient(uow.conn, message.id, recipient)
    at = recipient.acknowledged_at if kind == "message.acknowledged" else recipient.delivered_at
    assert at is not None
    data: dict[str, Any] = {"message_id": message.id, "party": party, "at": format_utc(at)}
    if kind == "message.acknowledged":
        data["by"] = recipient.acknowledged_by
    uow.record(kind, data)


def _require(message: Message | None, message_id: str) -> Message:
    if message is None:
        raise NotFound(f"no message {message_id!r} on this node")
    return message
