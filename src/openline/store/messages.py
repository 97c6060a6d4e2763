"""Message rows: a message and one row per recipient party."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, insert, select, text, update

from openline.domain.messages import Message, Recipient, State
from openline.domain.precedence import Precedence
from openline.domain.timeutil import format_utc, parse_utc
from openline.store.prepared import Prepared
from openline.store.tables import escalations, message_recipients, messages

# Built once and executed with each row as parameters: SQLAlchemy then reuses its compiled
# form instead of building and caching a new statement per row (docs/performance.md).
_INSERT_MESSAGE = Prepared(insert(messages))
_INSERT_RECIPIENT = Prepared(insert(message_recipients))
_MESSAGE_EXISTS = Prepared(select(messages.c.id).where(messages.c.id == bindparam("id")))
_ONE_RECIPIENT = and_(
    message_recipients.c.message_id == bindparam("key_message_id"),
    message_recipients.c.party == bindparam("key_party"),
)
_UPDATE_RECIPIENT = Prepared(
    update(message_recipients)
    .where(_ONE_RECIPIENT)
    .values(
        state=bindparam("state"),
        delivered_at=bindparam("delivered_at"),
        acknowledged_at=bindparam("acknowledged_at"),
        acknowledged_by=bindparam("acknowledged_by"),
    )
)


def insert_message(conn: Connection, message: Message) -> None:
    _INSERT_MESSAGE.send(
        conn,
        {
            "id": message.id,
            "sender": message.sender,
            "precedence": message.precedence.value,
            "template": message.template,
            "fields": json.dumps(message.fields, ensure_ascii=False, sort_keys=True),
            "in_reply_to": message.in_reply_to,
            "created_at": format_utc(message.created_at),
            "deadline": format_utc(message.deadline),
            "created_by": message.created_by,
        },
    )
    _INSERT_RECIPIENT.run_many(
        conn, [{"message_id": message.id, **_recipient_row(r)} for r in message.recipients]
    )


_MARK_DELIVERED = Prepared(
    update(message_recipients)
    .where(_ONE_RECIPIENT & (message_recipients.c.state == State.QUEUED.value))
    .values(state=State.DELIVERED.value, delivered_at=bindparam("delivered_at"))
)


def mark_delivered(conn: Connection, message_id: str, party: str, at: str) -> None:
    """Queued -> delivered for one recipient ``still_queued`` found queued, in one statement
    sent without waiting for its answer (store/pipeline.py)."""
    params = {"key_message_id": message_id, "key_party": party, "delivered_at": at}
    _MARK_DELIVERED.send(conn, params)


# Compiled once for each number of messages asked about (a batch of receipts: at most the
# sender's batch of envelopes).
_STILL_QUEUED: dict[int, Prepared] = {}


def still_queued(conn: Connection, party: str, message_ids: Sequence[str]) -> set[str]:
    """Which of ``message_ids`` are still queued for ``party`` (not delivered, nor
    acknowledged): one read for a batch of receipts."""
    if not message_ids:
        return set()
    prepared = _STILL_QUEUED.get(len(message_ids))
    if prepared is None:
        wanted: list[Any] = [bindparam(f"id_{n}") for n in range(len(message_ids))]
        query = select(message_recipients.c.message_id).where(
            (message_recipients.c.party == bindparam("party"))
            & (message_recipients.c.state == State.QUEUED.value)
            & message_recipients.c.message_id.in_(wanted)
        )
        prepared = _STILL_QUEUED[len(message_ids)] = Prepared(query)
    params = {f"id_{n}": message_id for n, message_id in enumerate(message_ids)}
    return {row[0] for row in prepared.all(conn, {"party": party, **params})}


def save_recipient(conn: Connection, message_id: str, recipient: Recipient) -> None:
    row = _recipient_row(recipient)
    _UPDATE_RECIPIENT.send(
        conn, {"key_message_id": message_id, "key_party": row.pop("party"), **row}
    )


def get_message(conn: Connection, message_id: str) -> Message | None:
    row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
    return _assemble(conn, [row])[0] if row else None


def message_exists(conn: Connection, message_id: str) -> bool:
    return _MESSAGE_EXISTS.first(conn, {"id": message_id}) is not None


def list_messages(
    conn: Connection, *, party: str, box: str | None, limit: int, before: str | None
) -> list[Message]:
    """Newest first. ``in``: addressed to ``party``; ``out``: sent by it; None: both."""
    query = select(messages).order_by(messages.c.id.desc()).limit(limit)
    inbox = select(message_recipients.c.message_id).where(message_recipients.c.party == party)
    if box == "in":
        query = query.where(messages.c.id.in_(inbox))
    elif box == "out":
        query = query.where(messages.c.sender == party)
    else:
        query = query.where((messages.c.sender == party) | messages.c.id.in_(inbox))
    if before is not None:
        query = query.where(messages.c.id < before)
    return _assemble(conn, list(conn.execute(query)))


def _assemble(conn: Connection, rows: Sequence[Row[Any]]) -> list[Message]:
    by_message: dict[str, list[Recipient]] = defaultdict(list)
    ids = [row.id for row in rows]
    if ids:
        recipient_rows = conn.execute(
            select(message_recipients)
            .where(message_recipients.c.message_id.in_(ids))
            .order_by(message_recipients.c.message_id, message_recipients.c.party)
        )
        for r in recipient_rows:
            by_message[r.message_id].append(
                Recipient(
                    party=r.party,
                    state=State(r.state),
                    delivered_at=_instant(r.delivered_at),
                    acknowledged_at=_instant(r.acknowledged_at),
                    acknowledged_by=r.acknowledged_by,
                )
            )
    return [
        Message(
            id=row.id,
            sender=row.sender,
            precedence=Precedence(row.precedence),
            template=row.template,
            fields=json.loads(row.fields),
            created_at=parse_utc(row.created_at),
            deadline=parse_utc(row.deadline),
            created_by=row.created_by,
            recipients=tuple(by_message[row.id]),
            in_reply_to=row.in_reply_to,
        )
        for row in rows
    ]


def _recipient_row(recipient: Recipient) -> dict[str, Any]:
    return {
        "party": recipient.party,
        "state": recipient.state.value,
        "delivered_at": _text(recipient.delivered_at),
        "acknowledged_at": _text(recipient.acknowledged_at),
        "acknowledged_by": recipient.acknowledged_by,
    }


def _text(instant: Any) -> str | None:
    return format_utc(instant) if instant is not None else None


def _instant(text: str | None) -> Any:
    return parse_utc(text) if text is not None else None


# Written as literal SQL, the same text as the partial index ix_message_recipients_waiting, so
# that SQLite and PostgreSQL use that index: the scan then covers only messages some recipient
# has not acknowledged, not the whole history.
_UNACKNOWLEDGED = text("message_recipients.state <> 'acknowledged'")


def overdue_unacknowledged(
    conn: Connection, *, party: str, now: str, alarm_before: str, limit: int = 100
) -> list[tuple[str, str, str, list[str]]]:
    """Messages past their deadline that a recipient has not acknowledged, sent by ``party``
    or addressed to it, whose last alarm (if any) was before ``alarm_before``.

    Each as (message id, sender, deadline, the parties that have not acknowledged).
    """
    waiting = (
        select(
            messages.c.id,
            messages.c.sender,
            messages.c.deadline,
            message_recipients.c.party,
        )
        .join(message_recipients, message_recipients.c.message_id == messages.c.id)
        .outerjoin(escalations, escalations.c.message_id == messages.c.id)
        .where(
            (messages.c.deadline < now)
            & _UNACKNOWLEDGED
            & ((messages.c.sender == party) | (message_recipients.c.party == party))
            & (escalations.c.last_alarm_at.is_(None) | (escalations.c.last_alarm_at < alarm_before))
        )
        .order_by(messages.c.deadline, messages.c.id)
    )
    found: dict[str, tuple[str, str, str, list[str]]] = {}
    for row in conn.execute(waiting):
        if row.id not in found:
            if len(found) == limit:
                break
            found[row.id] = (row.id, row.sender, row.deadline, [])
        found[row.id][3].append(row.party)
    return list(found.values())


def record_alarm(conn: Connection, message_id: str, at: str) -> int:
    """Count one more alarm for the message; returns how many it has had."""
    row = conn.execute(
        select(escalations.c.alarms).where(escalations.c.message_id == message_id)
    ).first()
    alarms = (row.alarms if row else 0) + 1
    if row:
        conn.execute(
            update(escalations)
            .where(escalations.c.message_id == message_id)
            .values(alarms=alarms, last_alarm_at=at)
        )
    else:
        conn.execute(insert(escalations).values(message_id=message_id, alarms=1, last_alarm_at=at))
    return alarms
