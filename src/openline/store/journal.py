"""Journal rows: appending signed entries and reading them back in order."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, LargeBinary, cast, func, insert, not_, or_, select

from openline.domain.journal import (
    EVERY_ENTRY,
    GENESIS_HASH,
    EntryFilter,
    JournalEntry,
    Signer,
    make_entry,
)
from openline.domain.timeutil import Clock, format_utc
from openline.store.prepared import Prepared
from openline.store.tables import journal

_COLUMNS = (
    journal.c.seq,
    journal.c.at,
    journal.c.kind,
    journal.c.data,
    journal.c.prev_hash,
    journal.c.hash,
    journal.c.sig,
)


# Built once: a statement made per row (insert(t).values(...)) costs SQLAlchemy six times as
# much as executing a prebuilt one with the row as parameters (docs/performance.md).
_INSERT = Prepared(insert(journal))


_HEAD = Prepared(select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1))


def read_head(conn: Connection) -> tuple[int, str]:
    """The last entry's sequence number and hash (0 and the genesis hash when empty)."""
    row = _HEAD.first(conn, {})
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


def count_entries(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(journal)).scalar_one())


def _wanted(only: EntryFilter) -> list[ColumnElement[bool]]:
    """The conditions on journal rows that select what ``only`` asks for."""
    conditions: list[ColumnElement[bool]] = []
    if only.kinds:
        conditions.append(or_(*(_kind_is(kind) for kind in only.kinds)))
    conditions.extend(not_(_kind_is(kind)) for kind in only.hidden)
    if only.text:
        # The text as JSON writes it inside a string (quotes and backslashes escaped).
        pattern = f"%{_like_escape(json.dumps(only.text, ensure_ascii=False)[1:-1])}%"
        conditions.append(
            or_(
                journal.c.data.ilike(pattern, escape=_LIKE_ESCAPE),
                journal.c.kind.ilike(pattern, escape=_LIKE_ESCAPE),
            )
        )
    return conditions


_LIKE_ESCAPE = "\\"


def _like_escape(text: str) -> str:
    """``text`` matched as it is by LIKE: its wildcards and the escape character escaped."""
    for special in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, _LIKE_ESCAPE + special)
    return text


def _kind_is(kind: str) -> ColumnElement[bool]:
    if kind.endswith("."):
        return journal.c.kind.like(f"{_like_escape(kind)}%", escape=_LIKE_ESCAPE)
    return journal.c.kind == kind


def read_entries(
    conn: Connection,
    *,
    after: int = 0,
    limit: int = 1000,
    before: int | None = None,
    only: EntryFilter = EVERY_ENTRY,
) -> list[JournalEntry]:
    """Entries after ``after`` that ``only`` wants, in stored order: the first ``limit`` of
    them, or with ``before``, the last ``limit`` before that entry (a page back)."""
    conditions = [journal.c.seq > after, *_wanted(only)]
    if before is None:
        query = select(*_COLUMNS).where(*conditions).order_by(journal.c.seq)
        return [JournalEntry(*row) for row in conn.execute(query.limit(limit))]
    query = select(*_COLUMNS).where(journal.c.seq < before, *conditions)
    rows = conn.execute(query.order_by(journal.c.seq.desc()).limit(limit)).all()
    return [JournalEntry(*row) for row in reversed(rows)]


def read_entries_about(
    conn: Connection, value: str, keys: tuple[str, ...], *, after: int, limit: int
) -> list[JournalEntry]:
    """The first ``limit`` entries after ``after`` whose data holds ``value`` under one of
    ``keys`` (a message's own entries, however old): the canonical JSON has no spaces, so
    ``"key":"value"`` is found as text, then each match is checked as JSON."""
    wanted = or_(*(journal.c.data.contains(f'"{key}":"{value}"') for key in keys))
    query = select(*_COLUMNS).where(journal.c.seq > after, wanted)
    rows = conn.execute(query.order_by(journal.c.seq).limit(limit))
    found = [JournalEntry(*row) for row in rows]
    return [e for e in found if any(json.loads(e.data).get(key) == value for key in keys)]


def iter_all_entries(conn: Connection, *, chunk: int = 10_000) -> Iterator[JournalEntry]:
    """Every entry in stored order, read in chunks so memory stays flat on a long journal.

    Ordered by the table's primary key, not by trusting ``seq`` continuity: a removed entry
    must show up as a gap.
    """
    raw = conn.dialect.name == "sqlite"
    columns = (journal.c.seq, *(cast(c, LargeBinary) for c in _COLUMNS[1:])) if raw else _COLUMNS
    after = None
    while True:
        query = select(*columns).order_by(journal.c.seq).limit(chunk)
        if after is not None:
            query = query.where(journal.c.seq > after)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield JournalEntry(row[0], *(_lenient(value) for value in row[1:]))
        after = rows[-1][0]


def _lenient(value: Any) -> Any:
    # SQLite keeps whatever bytes it is given in a text column: a byte changed on disk can leave
    # invalid UTF-8, which SQLite's driver refuses to read at all. Read the bytes and keep the
    # undecodable ones as they are, so the entry reaches the verifier and is named as altered.
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


class JournalAppender:
    """Appends signed entries inside the writer's transaction.

    The head (last seq and hash) is read at the start of every transaction, under the
    database's write lock, so another process writing the same journal (``openline token
    create`` on a running node) never forks the chain.
    """

    def __init__(self, sign: Signer, clock: Clock) -> None:
        self._sign = sign
        self._clock = clock
        self._head: tuple[int, str] = (0, GENESIS_HASH)
        self.pending: list[JournalEntry] = []

    def begin(self, conn: Connection) -> None:
        self._head = read_head(conn)
        self.pending = []

    def mark(self) -> tuple[tuple[int, str], int]:
        return self._head, len(self.pending)

    def rollback_to(self, mark: tuple[tuple[int, str], int]) -> None:
        self._head, kept = mark
        del self.pending[kept:]

    def append(self, conn: Connection, kind: str, data: Mapping[str, Any]) -> JournalEntry:
        seq, prev_hash = self._head
        entry = make_entry(
            seq=seq + 1,
            at=format_utc(self._clock()),
            kind=kind,
            data=data,
            prev_hash=prev_hash,
            sign=self._sign,
        )
        _INSERT.run(conn, _row(entry))
        self._head = (entry.seq, entry.hash)
        self.pending.append(entry)
        return entry


def _row(entry: JournalEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "kind": entry.kind,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "sig": entry.sig,
    }


EntryListener = Callable[[list[JournalEntry]], None]
