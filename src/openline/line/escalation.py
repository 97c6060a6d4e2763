"""Escalation: a message past its deadline that a recipient has not acknowledged raises an
alarm, on the sender's node and on the recipient's, repeated until it is acknowledged.

On the sender's node each alarm is a ``message.overdue`` journal entry (so an event on the
stream) and a ``reminder`` envelope to every peer that holds the message and has not
acknowledged it, which the peer's node journals as ``message.reminder``. On a recipient's
node an unacknowledged message in the inbox raises its own ``message.overdue``, line or no
line. The alarm repeats every ``escalation_repeat_interval`` seconds until every recipient
has acknowledged.

A version of a notification shared with a party and not acknowledged by its deadline is
escalated by the same loop, at the same repeat interval: ``notification.ack_overdue`` on the
owner's node and the party's, and a ``notification_reminder`` envelope from the owner
(services/acknowledgements.py).
"""

from __future__ import annotations

from datetime import timedelta

from openline.domain.bodies import read_reminder
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalKind
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.services import acknowledgements
from openline.services.outbox import arrived_on, seal_for
from openline.store import messages as store
from openline.store.writer import Operation, UnitOfWork

Due = list[tuple[str, str, str, list[str]]]


def due_alarms(node: Node) -> bool:
    """Whether anything must be escalated now (a read: most ticks find nothing to write)."""
    now = node.clock()
    repeat = timedelta(seconds=node.settings.escalation_repeat_interval)
    messages: Due = node.read(
        lambda conn: store.overdue_unacknowledged(
            conn, party=node.party, now=format_utc(now), alarm_before=format_utc(now - repeat)
        )
    )
    return bool(messages) or acknowledgements.any_overdue(node, now, now - repeat)


def escalate(node: Node) -> Operation[int]:
    """Raise the alarms that are due, in the writer (the due list is read again there)."""

    def run(uow: UnitOfWork) -> int:
        now = node.clock()
        at = format_utc(now)
        repeat = timedelta(seconds=node.settings.escalation_repeat_interval)
        due = store.overdue_unacknowledged(
            uow.conn, party=node.party, now=at, alarm_before=format_utc(now - repeat)
        )
        for message_id, sender, deadline, waiting_for in due:
            alarms = store.record_alarm(uow.conn, message_id, at)
            uow.record(
                JournalKind.MESSAGE_OVERDUE,
                {
                    "message_id": message_id,
                    "from": sender,
                    "deadline": deadline,
                    "waiting_for": waiting_for,
                    "alarm": alarms,
                    "at": at,
                },
            )
            if sender != node.party:
                continue
            for party in _holding(uow, message_id, waiting_for, node.party):
                body = {"message_id": message_id, "deadline": deadline, "alarm": alarms}
                seal_for(uow, node, party, "reminder", body)
        return len(due) + acknowledgements.raise_overdue(uow, node, now, now - repeat)

    return run


def _holding(uow: UnitOfWork, message_id: str, waiting_for: list[str], us: str) -> list[str]:
    """The peers among ``waiting_for`` that hold the message (its receipt came back). One it
    has not reached, with its line down or its envelope not applied there, has nothing to be
    reminded of, and its own node raises its alarm once the message is there."""
    message = store.get_message(uow.conn, message_id)
    assert message is not None
    return [
        party
        for party in waiting_for
        if party != us
        and (recipient := message.recipient(party)) is not None
        and recipient.delivered_at is not None
    ]


def apply_reminder(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer reminds us that one of its messages waits for our acknowledgement."""
    message_id = read_reminder(envelope.body, arrived_on(node, envelope))
    message = store.get_message(uow.conn, message_id)
    if message is None or message.sender != envelope.sender:
        raise InvalidInput(f"no message {message_id!r} from {envelope.sender} here")
    recipient = message.recipient(node.party)
    uow.record(
        JournalKind.MESSAGE_REMINDER,
        {
            "message_id": message.id,
            "from": envelope.sender,
            "deadline": format_utc(message.deadline),
            "alarm": envelope.body["alarm"],
            "acknowledged": recipient is not None and recipient.acknowledged_at is not None,
        },
    )
