"""Acknowledging the notifications peers share with us, and seeing who acknowledged ours.

Each live version of a notification shared with a party is awaited of that party, on the
owner's node and on the party's, from the moment it is stored there (``ask``). A person of the
party acknowledges it (``acknowledge``): journaled, and sealed to the owner as a
``notification_ack`` envelope, which the owner's node journals too (``apply_ack``). A version
past its deadline is escalated by the line's escalation (``line/escalation.py``, through
``raise_overdue``): an alarm on both nodes, and from the owner a ``notification_reminder``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openline.domain.acknowledgements import Awaited, NotificationAck, asks, deadline_of
from openline.domain.bodies import read_notification_ack, read_notification_reminder
from openline.domain.envelopes import Envelope
from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.journal import JournalKind
from openline.domain.notifications import Notification
from openline.domain.quoting import quote
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.services.outbox import arrived_on, seal_for
from openline.store import acknowledgements as store
from openline.store import notifications as notifications_store
from openline.store.writer import Operation, UnitOfWork

MAX_WAITING = 500


def ask(uow: UnitOfWork, node: Node, notification: Notification) -> None:
    """A version was stored: await its acknowledgement of each party it asks (the owner's node:
    every party it is shared with; a party's node: its own)."""
    if not asks(notification):
        return
    deadline = deadline_of(notification, node.settings.notification_deadlines)
    ours = notification.owner == node.party
    for party in notification.share_with if ours else (node.party,):
        awaited = Awaited(
            notification.id, notification.version, notification.owner, party, deadline
        )
        store.await_ack(uow.conn, awaited)


def acknowledge(node: Node, notification_id: str, operator: str) -> Operation[Awaited]:
    """A person of this party acknowledges the current version of a peer's notification; a
    second acknowledgement of the same version changes nothing."""

    def run(uow: UnitOfWork) -> Awaited:
        notification = notifications_store.get_notification(uow.conn, notification_id)
        if notification is None:
            raise NotFound(f"no notification {quote(notification_id)} on this node", field="id")
        if notification.owner == node.party:
            raise Conflict(
                f"notification {notification_id} is {node.party}'s own: the parties it is "
                "shared with acknowledge it, not its owner",
                field="id",
            )
        awaited = store.get(uow.conn, notification.id, notification.version, node.party)
        if awaited is None or not asks(notification):
            raise Conflict(
                f"notification {notification_id} version {notification.version} is "
                f"{notification.status}: it asks for no acknowledgement",
                field="id",
            )
        if awaited.acknowledged_at is not None:
            return awaited
        at = node.clock()
        store.acknowledge(uow.conn, awaited, by=operator, at=format_utc(at))
        ack = NotificationAck(notification.id, notification.version, operator, at)
        _journal(uow, awaited, ack)
        seal_for(uow, node, notification.owner, "notification_ack", ack.to_json())
        return store.get(uow.conn, notification.id, notification.version, node.party) or awaited

    return run


def _journal(uow: UnitOfWork, awaited: Awaited, ack: NotificationAck) -> None:
    uow.record(
        JournalKind.NOTIFICATION_ACKNOWLEDGED,
        {**ack.to_json(), "owner": awaited.owner, "party": awaited.party},
    )


def apply_ack(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A person of a peer acknowledged a version of one of our notifications."""
    ack = read_notification_ack(envelope.body, arrived_on(node, envelope))
    awaited = store.get(uow.conn, ack.notification, ack.version, envelope.sender)
    if awaited is None or awaited.owner != node.party:
        raise InvalidInput(
            f"no version {ack.version} of a notification {quote(ack.notification)} of "
            f"{node.party} awaits {envelope.sender}'s acknowledgement here"
        )
    if awaited.acknowledged_at is None:
        store.acknowledge(uow.conn, awaited, by=ack.by, at=format_utc(ack.at))
        _journal(uow, awaited, ack)


def apply_reminder(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer reminds us that a version of its notification waits for our acknowledgement."""
    notification, version = read_notification_reminder(envelope.body, arrived_on(node, envelope))
    awaited = store.get(uow.conn, notification, version, node.party)
    if awaited is None or awaited.owner != envelope.sender:
        raise InvalidInput(
            f"no version {version} of a notification {quote(notification)} of "
            f"{envelope.sender} awaits {node.party}'s acknowledgement here"
        )
    uow.record(
        JournalKind.NOTIFICATION_ACK_REMINDER,
        {
            "notification": notification,
            "version": version,
            "from": envelope.sender,
            "deadline": envelope.body["deadline"],
            "alarm": envelope.body["alarm"],
            "acknowledged": awaited.acknowledged_at is not None,
        },
    )


# --- escalation (run by line/escalation.py) --------------------------------------------------


def any_overdue(node: Node, now: datetime, alarm_before: datetime) -> bool:
    return bool(
        node.read(
            lambda conn: store.overdue(
                conn, now=format_utc(now), alarm_before=format_utc(alarm_before), limit=1
            )
        )
    )


def raise_overdue(uow: UnitOfWork, node: Node, now: datetime, alarm_before: datetime) -> int:
    """An alarm for each version overdue (again): journaled; from the owner, a reminder too."""
    at = format_utc(now)
    due = store.overdue(uow.conn, now=at, alarm_before=format_utc(alarm_before))
    for awaited in due:
        alarms = store.record_alarm(uow.conn, awaited, at)
        reference = {
            "notification": awaited.notification,
            "version": awaited.version,
            "deadline": format_utc(awaited.deadline),
            "alarm": alarms,
        }
        uow.record(
            JournalKind.NOTIFICATION_ACK_OVERDUE,
            {**reference, "owner": awaited.owner, "party": awaited.party, "at": at},
        )
        if awaited.owner == node.party:
            seal_for(uow, node, awaited.party, "notification_reminder", reference)
    return len(due)


# --- reading -------------------------------------------------------------------------------


def waiting_for_us(node: Node) -> list[dict[str, Any]]:
    """The current versions of peers' notifications this party has yet to acknowledge, soonest
    deadline first, each with the notification's kind and title."""
    now = node.clock()

    def read(conn: Any) -> list[dict[str, Any]]:
        found = []
        for awaited in store.waiting(conn, party=node.party, limit=MAX_WAITING):
            notification = notifications_store.get_notification(conn, awaited.notification)
            assert notification is not None  # joined in the query
            found.append(
                {
                    **awaited.to_json(now),
                    "kind": notification.kind.value,
                    "title": notification.title,
                }
            )
        return found

    return node.read(read)


def of_notification(node: Node, notification_id: str) -> list[dict[str, Any]]:
    """Who was asked to acknowledge which version of a notification, who did and when."""
    now = node.clock()
    return [a.to_json(now) for a in node.read(lambda c: store.of_notification(c, notification_id))]
