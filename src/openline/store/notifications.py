"""Notification rows and conflict rows.

A notification is kept as its record (the JSON the journal and the line carry) beside the few
columns lists filter on; a conflict as its record, with whether it is open or cleared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from openline.domain.conflicts import ConflictState, DetectedConflict, StoredConflict
from openline.domain.notifications import Notification, Status
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits
from openline.store.tables import conflicts, notifications

LIVE = (Status.PLANNED.value, Status.ACTIVE.value)


def _row(notification: Notification) -> dict[str, Any]:
    return {
        "owner": notification.owner,
        "kind": notification.kind.value,
        "status": notification.status.value,
        "version": notification.version,
        "record": json.dumps(notification.to_json(), ensure_ascii=False),
        "created_at": format_utc(notification.created_at),
        "updated_at": format_utc(notification.updated_at),
        "reference": notification.reference,
    }


def insert_notification(conn: Connection, notification: Notification) -> None:
    conn.execute(insert(notifications).values(id=notification.id, **_row(notification)))


def save_notification(conn: Connection, notification: Notification) -> None:
    conn.execute(
        update(notifications)
        .where(notifications.c.id == notification.id)
        .values(**_row(notification))
    )


def read_record(record: str) -> Notification:
    """A notification from its record as stored."""
    # What this node stored was checked when it came in; read it back with no limits of
    # today's settings, so a lowered limit never makes a stored notification unreadable.
    return Notification.from_json(json.loads(record), limits=_NO_LIMITS)


_NO_LIMITS = Limits(
    max_vertices=10**9,
    max_volumes=10**9,
    max_area_km2=1e12,
    max_radius_m=1e9,
    max_edge_km=1e9,
    max_half_width_m=1e9,
)


def get_notification(conn: Connection, notification_id: str) -> Notification | None:
    record = conn.execute(
        select(notifications.c.record).where(notifications.c.id == notification_id)
    ).scalar()
    return None if record is None else read_record(record)


def list_notifications(
    conn: Connection, *, live_only: bool, owner: str | None, limit: int, after: str | None
) -> list[Notification]:
    query = select(notifications.c.record).order_by(notifications.c.id).limit(limit)
    if live_only:
        query = query.where(notifications.c.status.in_(LIVE))
    if owner is not None:
        query = query.where(notifications.c.owner == owner)
    if after is not None:
        query = query.where(notifications.c.id > after)
    return [read_record(record) for record in conn.execute(query).scalars()]


def by_reference(conn: Connection, reference: str, *, owner: str) -> list[Notification]:
    """``owner``'s notifications made from the outside document ``reference`` (a NOTAM has
    several when its volumes fill more than one notification), in id order."""
    query = (
        select(notifications.c.record)
        .where((notifications.c.reference == reference) & (notifications.c.owner == owner))
        .order_by(notifications.c.id)
    )
    return [read_record(record) for record in conn.execute(query).scalars()]


def live_notifications(conn: Connection) -> Iterator[Notification]:
    """Every planned or active notification."""
    query = select(notifications.c.record).where(notifications.c.status.in_(LIVE))
    for record in conn.execute(query).scalars():
        yield read_record(record)


def live_records(conn: Connection) -> Iterator[tuple[str, str]]:
    """Every planned or active notification's id and record, for the conflict finder to load
    at start (it reads each record when it needs the notification: geo/stored.py)."""
    query = select(notifications.c.id, notifications.c.record)
    for row in conn.execute(query.where(notifications.c.status.in_(LIVE))):
        yield row[0], row[1]


# --- conflicts -------------------------------------------------------------------------------


def _conflict(row: Row[Any]) -> StoredConflict:
    return StoredConflict(
        DetectedConflict.from_json(json.loads(row.record)),
        row.state,
        row.opened_at,
        row.updated_at,
        row.cleared_at,
    )


def open_conflicts_of(conn: Connection, notification_id: str) -> dict[str, StoredConflict]:
    rows = conn.execute(
        select(conflicts).where(
            (conflicts.c.state == "open")
            & or_(conflicts.c.a_id == notification_id, conflicts.c.b_id == notification_id)
        )
    )
    return {row.key: _conflict(row) for row in rows}


def get_conflict(conn: Connection, key: str) -> StoredConflict | None:
    row = conn.execute(select(conflicts).where(conflicts.c.key == key)).first()
    return None if row is None else _conflict(row)


def list_conflicts(
    conn: Connection, *, state: ConflictState | None, notification_id: str | None, limit: int
) -> list[StoredConflict]:
    query = select(conflicts).order_by(conflicts.c.key).limit(limit)
    if state is not None:
        query = query.where(conflicts.c.state == state)
    if notification_id is not None:
        query = query.where(
            or_(conflicts.c.a_id == notification_id, conflicts.c.b_id == notification_id)
        )
    return [_conflict(row) for row in conn.execute(query)]


def open_conflict(conn: Connection, conflict: DetectedConflict, at: str) -> None:
    """Open a conflict, or open again one that was cleared, under its key."""
    values = _opened(conflict, "open", at)
    done = conn.execute(update(conflicts).where(conflicts.c.key == conflict.key).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(conflicts).values(key=conflict.key, **values))


def insert_reported_conflict(conn: Connection, conflict: DetectedConflict, at: str) -> None:
    """A conflict this node never found, which the other owner's node opened at ``at``: kept
    cleared, its clearing not yet heard (``cleared_at`` null) until that node reports it."""
    conn.execute(insert(conflicts).values(key=conflict.key, **_opened(conflict, "cleared", at)))


def _opened(conflict: DetectedConflict, state: str, at: str) -> dict[str, Any]:
    """A conflicts row's values for a conflict opened at ``at``."""
    return {
        "a_id": conflict.a.notification,
        "b_id": conflict.b.notification,
        "rule": conflict.rule.value,
        "state": state,
        "record": _text(conflict),
        "opened_at": at,
        "updated_at": at,
        "cleared_at": None,
    }


def change_conflict(conn: Connection, conflict: DetectedConflict, at: str) -> None:
    conn.execute(
        update(conflicts)
        .where(conflicts.c.key == conflict.key)
        .values(record=_text(conflict), updated_at=at)
    )


def _text(conflict: DetectedConflict) -> str:
    return json.dumps(conflict.to_json(), ensure_ascii=False)


def clear_conflict(conn: Connection, key: str, at: str) -> None:
    conn.execute(
        update(conflicts)
        .where(conflicts.c.key == key)
        .values(state="cleared", updated_at=at, cleared_at=at)
    )
