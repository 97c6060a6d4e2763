"""The acknowledgements awaited of shared notifications, each version, each party."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, insert, select, update

from openline.domain.acknowledgements import Awaited
from openline.domain.timeutil import format_utc, parse_utc
from openline.store.tables import notification_acks, notifications

_ONE = (
    notification_acks.c.notification,
    notification_acks.c.version,
    notification_acks.c.party,
)


def _awaited(row: Row[Any]) -> Awaited:
    return Awaited(
        row.notification,
        row.version,
        row.owner,
        row.party,
        parse_utc(row.deadline),
        row.acknowledged_by,
        None if row.acknowledged_at is None else parse_utc(row.acknowledged_at),
    )


def await_ack(conn: Connection, awaited: Awaited) -> None:
    conn.execute(
        insert(notification_acks).values(
            notification=awaited.notification,
            version=awaited.version,
            party=awaited.party,
            owner=awaited.owner,
            deadline=format_utc(awaited.deadline),
        )
    )


def _is(notification: str, version: int, party: str) -> Any:
    return and_(
        *(
            column == value
            for column, value in zip(_ONE, (notification, version, party), strict=True)
        )
    )


def get(conn: Connection, notification: str, version: int, party: str) -> Awaited | None:
    row = conn.execute(select(notification_acks).where(_is(notification, version, party))).first()
    return None if row is None else _awaited(row)


def acknowledge(conn: Connection, awaited: Awaited, *, by: str, at: str) -> None:
    conn.execute(
        update(notification_acks)
        .where(_is(awaited.notification, awaited.version, awaited.party))
        .values(acknowledged_by=by, acknowledged_at=at)
    )


def of_notification(conn: Connection, notification: str) -> list[Awaited]:
    """Every version's acknowledgements of one notification, newest version first."""
    query = (
        select(notification_acks)
        .where(notification_acks.c.notification == notification)
        .order_by(notification_acks.c.version.desc(), notification_acks.c.party)
    )
    return [_awaited(row) for row in conn.execute(query)]


def _current_and_waiting() -> Any:
    """Unacknowledged rows of the version the node holds now, of a live notification: an
    older version's request lapses when a revision asks again."""
    return (
        notification_acks.c.acknowledged_at.is_(None)
        & (notifications.c.version == notification_acks.c.version)
        & notifications.c.status.in_(("planned", "active"))
    )


def waiting(conn: Connection, *, party: str, limit: int) -> list[Awaited]:
    """The current versions ``party`` has yet to acknowledge, soonest deadline first."""
    query = (
        select(notification_acks)
        .join(notifications, notifications.c.id == notification_acks.c.notification)
        .where(_current_and_waiting() & (notification_acks.c.party == party))
        .order_by(notification_acks.c.deadline, notification_acks.c.notification)
        .limit(limit)
    )
    return [_awaited(row) for row in conn.execute(query)]


def overdue(conn: Connection, *, now: str, alarm_before: str, limit: int = 100) -> list[Awaited]:
    """Current versions past their deadline, unacknowledged, whose last alarm (if any) was
    before ``alarm_before``; with ``alarms`` (so far) and ``last_alarm_at`` read by
    :func:`record_alarm`."""
    query = (
        select(notification_acks)
        .join(notifications, notifications.c.id == notification_acks.c.notification)
        .where(
            _current_and_waiting()
            & (notification_acks.c.deadline < now)
            & (
                notification_acks.c.last_alarm_at.is_(None)
                | (notification_acks.c.last_alarm_at < alarm_before)
            )
        )
        .order_by(notification_acks.c.deadline, notification_acks.c.notification)
        .limit(limit)
    )
    return [_awaited(row) for row in conn.execute(query)]


def record_alarm(conn: Connection, awaited: Awaited, at: str) -> int:
    """Count one more alarm for this awaited acknowledgement; how many it has had."""
    where = _is(awaited.notification, awaited.version, awaited.party)
    alarms = int(conn.execute(select(notification_acks.c.alarms).where(where)).scalar_one()) + 1
    conn.execute(update(notification_acks).where(where).values(alarms=alarms, last_alarm_at=at))
    return alarms
