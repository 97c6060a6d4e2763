"""Witnessing's rows: the peers' checkpoints this node cosigned, and the cosignatures of its own
checkpoints it received (docs/journal.md#witnessing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from openline.store.tables import cosignatures, journal_checkpoints, witnessed_checkpoints


@dataclass(frozen=True)
class Witnessed:
    """A peer's checkpoint this node cosigned: the signed note as offered, and our line."""

    peer: str
    origin: str
    size: int
    checkpoint: str
    cosignature: str
    cosigned_at: str


def latest_witnessed(conn: Connection, origin: str) -> Witnessed | None:
    """The largest checkpoint of ``origin`` this node cosigned, if any."""
    t = witnessed_checkpoints
    row = conn.execute(
        select(t).where(t.c.origin == origin).order_by(t.c.size.desc()).limit(1)
    ).one_or_none()
    return Witnessed(**row._mapping) if row is not None else None


def insert_witnessed(conn: Connection, witnessed: Witnessed) -> None:
    conn.execute(insert(witnessed_checkpoints).values(**witnessed.__dict__))


@dataclass(frozen=True)
class Held:
    """A cosignature of one of this node's checkpoints, as its witness sent it back."""

    size: int
    witness: str  # the witness's key name (openline/<party>/<key>/witness)
    peer: str
    checkpoint: str  # the checkpoint's note text (without signature lines)
    cosignature: str  # the cosignature/v1 signature line
    timestamp: int
    received_at: str


def insert_cosignature(conn: Connection, held: Held) -> bool:
    """Keep a cosignature unless one by the same witness for the same size is kept already."""
    t = cosignatures
    exists = conn.execute(
        select(t.c.size).where(t.c.size == held.size, t.c.witness == held.witness)
    ).first()
    if exists is None:
        conn.execute(insert(t).values(**held.__dict__))
    return exists is None


def holds_checkpoint(conn: Connection, size: int, text: str) -> bool:
    """Whether this node's checkpoint of ``size`` entries has the note text ``text``."""
    t = journal_checkpoints
    note = conn.execute(select(t.c.note).where(t.c.size == size)).scalar()
    return note is not None and note.startswith(text + "\n")


def cosigned_size(conn: Connection, peer: str) -> int:
    """The largest of this node's tree sizes that ``peer`` cosigned (0 if none)."""
    t = cosignatures
    size = conn.execute(select(func.max(t.c.size)).where(t.c.peer == peer)).scalar()
    return int(size or 0)


def cosignatures_at(conn: Connection, size: int) -> list[Held]:
    """Every cosignature held of this node's checkpoint of ``size`` entries, by witness."""
    t = cosignatures
    rows = conn.execute(select(t).where(t.c.size == size).order_by(t.c.witness))
    return [Held(**row._mapping) for row in rows]


def all_cosignatures(conn: Connection) -> list[Held]:
    """Every cosignature held, by size then witness (for ``openline journal verify``)."""
    t = cosignatures
    return [Held(**row._mapping) for row in conn.execute(select(t).order_by(t.c.size, t.c.witness))]
