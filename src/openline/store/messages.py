"""Message rows: a message and one row per recipient party."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, insert, select, text, update

from openline.domain.messages import Message, Recipient, State
from openline.domain.precedence import Precedence
from openline.domain.timeutil import format_utc, parse_utc
from openline.store.prepared import Prepared
from openline.store.tables import escalations, message_recipients, messages
from openline.store.writer import UnitOfWork

# Built once and executed with each row as parameters: SQLAlchemy then reuses its compiled
# form instead of building and caching a new statement per row (docs/performance.md).
_INSERT_MESSAGE = Prepared(insert(messages))
_INSERT_RECIPIENT = Prepared(insert(message_recipients))
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


def insert_message(uow: UnitOfWork, message: Message) -> None:
    """Store ``message``: the only way a message is stored, so the transaction's messages
    kept (below) count it as on this node."""
    conn = uow.conn
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
    _keep(uow, _kept_messages(uow), {message.id: True})


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


# Compiled once for each power of two of messages asked about (up to the sender's batch of
# envelopes): a dozen forms at most, whatever the sizes of the batches.
_STILL_QUEUED: dict[int, Prepared] = {}
_ON_NODE: dict[int, Prepared] = {}


def _for_ids(
    cache: dict[int, Prepared],
    message_ids: Sequence[str],
    build: Callable[[list[Any]], Select[Any]],
) -> tuple[Prepared, dict[str, str]]:
    """The query ``build`` makes of parameters id_0, id_1..., compiled once for their count
    rounded up to a power of two, and its parameters: ``message_ids``, the last one repeated
    up to that count (the same ids asked about)."""
    count = 1 << (len(message_ids) - 1).bit_length()
    prepared = cache.get(count)
    if prepared is None:
        prepared = cache[count] = Prepared(build([bindparam(f"id_{n}") for n in range(count)]))
    last = len(message_ids) - 1
    return prepared, {f"id_{n}": message_ids[min(n, last)] for n in range(count)}


def still_queued(conn: Connection, party: str, message_ids: Sequence[str]) -> set[str]:
    """Which of ``message_ids`` are still queued for ``party`` (not delivered, nor
    acknowledged): one read for a batch of receipts."""
    if not message_ids:
        return set()
    prepared, params = _for_ids(
        _STILL_QUEUED,
        message_ids,
        lambda wanted: select(message_recipients.c.message_id).where(
            (message_recipients.c.party == bindparam("party"))
            & (message_recipients.c.state == State.QUEUED.value)
            & message_recipients.c.message_id.in_(wanted)
        ),
    )
    return {row[0] for row in prepared.all(conn, {"party": party, **params})}


def save_recipient(conn: Connection, message_id: str, recipient: Recipient) -> None:
    row = _recipient_row(recipient)
    _UPDATE_RECIPIENT.send(
        conn, {"key_message_id": message_id, "key_party": row.pop("party"), **row}
    )


def get_message(conn: Connection, message_id: str) -> Message | None:
    row = conn.execute(select(messages).where(messages.c.id == message_id)).first()
    return _assemble(conn, [row])[0] if row else None


# --- the messages a writer transaction keeps ----------------------------------------------
#
# A peer's batch of envelopes is applied in one writer operation, and each message in it was
# looked for among the node's messages by a read of its own: on PostgreSQL a sync of the
# pipeline each, a sixth of the receiving node's writer (issue 25). So the ids of a batch's
# messages are looked for in one read (``look_for``), and what a read found is kept in the
# transaction's ``uow.kept`` (new for each transaction, and for a batch run again): for each
# id, whether that message is on this node. It is never wrong, because whatever could make it
# so marks or forgets it, and an id not kept is read again: every message is stored through
# ``insert_message``, which marks its id as on this node (a message sent here, or received from
# a peer, a courier's bundle or a relay alike), and none is ever deleted; an operation or step
# rolled back forgets every id it kept or marked (``on_rollback``). Other processes write in
# transactions of their own, after this one holds the writer's lock.

_KEPT_MESSAGES = "store.messages.on_node"


def look_for(uow: UnitOfWork, message_ids: Collection[str]) -> None:
    """Read at once which of ``message_ids`` are on this node, and keep it for the
    transaction; ids already kept are not read again."""
    kept = _kept_messages(uow)
    wanted = sorted({message_id for message_id in message_ids if message_id not in kept})
    if not wanted:
        return
    prepared, params = _for_ids(
        _ON_NODE, wanted, lambda ids: select(messages.c.id).where(messages.c.id.in_(ids))
    )
    found = {row[0] for row in prepared.all(uow.conn, params)}
    _keep(uow, kept, {message_id: message_id in found for message_id in wanted})


def message_exists(uow: UnitOfWork, message_id: str) -> bool:
    """Whether message ``message_id`` is on this node: as the transaction keeps it, or read."""
    kept = _kept_messages(uow)
    if message_id not in kept:
        look_for(uow, [message_id])
    return kept[message_id]


def _kept_messages(uow: UnitOfWork) -> dict[str, bool]:
    kept: dict[str, bool] | None = uow.kept.get(_KEPT_MESSAGES)
    if kept is None:
        kept = uow.kept[_KEPT_MESSAGES] = {}
    return kept


def _keep(uow: UnitOfWork, kept: dict[str, bool], on_node: dict[str, bool]) -> None:
    kept.update(on_node)
    # Rolled back, a message stored may be gone again: what was kept of its id, read again.
    uow.on_rollback(partial(_forget, kept, list(on_node)))


def _forget(kept: dict[str, bool], message_ids: list[str]) -> None:
    for message_id in message_ids:
        kept.pop(message_id, None)


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
