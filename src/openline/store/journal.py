"""Journal rows and checkpoints: appending entries with their Merkle tree nodes, signing one
checkpoint per commit, and reading them back (entries, tree nodes, checkpoints)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    Select,
    bindparam,
    cast,
    func,
    insert,
    not_,
    or_,
    select,
)

from openline.domain.journal import (
    EVERY_ENTRY,
    GENESIS_HASH,
    EntryFilter,
    EntryRow,
    JournalEntry,
    next_entry,
)
from openline.domain.merkle import (
    HASH_SIZE,
    Frontier,
    NodeId,
    NodeReader,
    fold,
    last_leaf,
)
from openline.domain.signed_note import Checkpoint, checkpoint_origin
from openline.domain.timeutil import Clock, UtcTexts, format_utc
from openline.keys.notes import sign_checkpoint
from openline.keys.signing import SigningKey
from openline.store.prepared import Prepared
from openline.store.tables import cosignatures, journal, journal_checkpoints

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
    """Every entry in stored order, read in chunks so memory stays flat on a long journal."""
    for rows in _chunks_of_rows(conn, _ALL_AFTER, chunk):
        yield from (JournalEntry(*row) for row in rows)


def iter_entry_rows(conn: Connection, *, chunk: int = 10_000) -> Iterator[EntryRow]:
    """Every entry's row with its tree nodes, in stored order, as the database gives it (what
    verification walks: no object per entry, and no Python frame between the cursor's rows
    and the walk), read in chunks so memory stays flat."""
    return chain.from_iterable(_chunks_of_rows(conn, _ALL_AFTER_WITH_TREE, chunk))


def _chunks_of_rows(conn: Connection, prepared: Prepared, chunk: int) -> Iterator[Sequence[Any]]:
    """The rows ``prepared`` reads after each chunk's last seq, a chunk at a time.

    Ordered by the table's primary key, not by trusting ``seq`` continuity: a removed entry
    must show up as a gap (and one given a seq below 1, out of order).
    """
    after = -(2**31)  # the smallest seq the column holds (32 bits on PostgreSQL)
    while rows := _read_rows(conn, prepared, after, chunk):
        yield rows
        after = rows[-1][0]


def _after(columns: tuple[Any, ...]) -> Select[Any]:
    query = select(*columns).where(journal.c.seq > bindparam("after"))
    return query.order_by(journal.c.seq).limit(bindparam("chunk", type_=Integer))


# Read on the driver's cursor: SQLAlchemy's rows took a third of verification's time.
_ALL_AFTER = Prepared(_after(_COLUMNS))
_ALL_AFTER_WITH_TREE = Prepared(_after((*_COLUMNS, journal.c.tree)))


def _read_rows(conn: Connection, prepared: Prepared, after: int, chunk: int) -> Sequence[Any]:
    """A chunk of rows, with every text as stored: SQLite keeps whatever bytes it is given in a
    text column, and a byte changed on disk can leave invalid UTF-8, which SQLite's driver
    refuses to read at all. Then the chunk is read again as bytes, and the undecodable ones are
    kept as they are, so that the entry reaches the verifier and is named as altered."""
    params = {"after": after, "chunk": chunk}
    if conn.dialect.name != "sqlite":
        return prepared.all(conn, params)
    try:
        return prepared.all(conn, params)
    except conn.dialect.loaded_dbapi.OperationalError:
        pass
    raw = prepared.statement.with_only_columns(  # type: ignore[attr-defined]
        *(
            c if c.name in ("seq", "tree") else cast(c, LargeBinary)
            for c in prepared.statement.selected_columns  # type: ignore[attr-defined]
        )
    )
    return [
        (row[0], *(_lenient(value) for value in row[1:7]), *row[7:])
        for row in conn.execute(raw, params).all()
    ]


def _lenient(value: Any) -> Any:
    # SQLite keeps whatever bytes it is given in a text column: a byte changed on disk can leave
    # invalid UTF-8, which SQLite's driver refuses to read at all. Read the bytes and keep the
    # undecodable ones as they are, so the entry reaches the verifier and is named as altered.
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


CheckpointSigner = Callable[[int, bytes], str]
"""Signs the checkpoint of a tree size and root: its signed-note text."""


def checkpoint_signer(party: str, key: SigningKey) -> CheckpointSigner:
    """The node's checkpoints: origin ``openline/<party>/<node key, hex>``, signed by its key."""
    origin = checkpoint_origin(party, key.public_key.to_bytes())

    def sign(size: int, root: bytes) -> str:
        return sign_checkpoint(Checkpoint(origin, size, root), key).to_text()

    return sign


class JournalAppender:
    """Appends entries inside the writer's transaction, grows the Merkle tree with them, and
    signs one checkpoint for the commit (``seal``).

    The head (last seq and hash) is read at the start of every transaction, under the
    database's write lock, so another process writing the same journal (``openline token
    create`` on a running node) never forks the chain. The tree's right edge (its frontier) is
    kept from the last commit while the head is the one it left, and read from the rows
    otherwise. The commit's entries are inserted together as it is sealed, in one statement
    executed for all of them: no statement runs per entry, and an entry whose operation is
    rolled back is simply dropped.
    """

    def __init__(self, sign_checkpoint: CheckpointSigner, clock: Clock) -> None:
        self._sign_checkpoint = sign_checkpoint
        self._clock = clock
        self._at = UtcTexts()  # each entry's time as text (kept by the second)
        self._head: tuple[int, str] = (0, GENESIS_HASH)
        self._edge: list[bytes] = []  # the tree's right edge, grown in place (merkle.grow)
        self._committed: tuple[tuple[int, str], tuple[bytes, ...]] | None = None
        self.pending: list[JournalEntry] = []
        self._trees: list[bytes] = []  # each pending entry's tree nodes, for its row

    def begin(self, conn: Connection) -> None:
        self._head = read_head(conn)
        if self._committed is not None and self._committed[0] == self._head:
            self._edge = list(self._committed[1])
        else:
            self._edge = list(Frontier.read(self._head[0], node_reader(conn)).hashes)
        self.pending = []
        self._trees = []

    @property
    def head_seq(self) -> int:
        """The last entry's seq, as read when the transaction began or appended since."""
        return self._head[0]

    def mark(self) -> _Mark:
        return self._head, tuple(self._edge), len(self.pending)

    def rollback_to(self, mark: _Mark) -> None:
        self._head, edge, kept = mark
        self._edge = list(edge)
        del self.pending[kept:]
        del self._trees[kept:]

    def append(self, kind: str, data: Mapping[str, Any]) -> JournalEntry:
        """A new entry, in the commit being written (its row is inserted by ``seal``)."""
        seq, prev_hash = self._head
        at = self._at(self._clock())
        entry, tree = next_entry(
            self._edge, seq=seq + 1, at=at, kind=kind, data=data, prev_hash=prev_hash
        )
        self._head = (entry.seq, entry.hash)
        self.pending.append(entry)
        self._trees.append(tree)
        return entry

    def seal(self, conn: Connection) -> None:
        """Insert the commit's entries and sign the checkpoint of the tree as it leaves it, if
        it appended any."""
        if not self.pending:
            return
        rows = [_row(e, tree) for e, tree in zip(self.pending, self._trees, strict=True)]
        _INSERT.run_many(conn, rows)
        size, root = self._head[0], fold(self._edge)
        note = self._sign_checkpoint(size, root)
        _INSERT_CHECKPOINT.send(conn, {"size": size, "at": format_utc(self._clock()), "note": note})

    def committed(self) -> None:
        """The transaction committed: its head and tree edge are the next one's start."""
        self._committed = (self._head, tuple(self._edge))


_Mark = tuple[tuple[int, str], tuple[bytes, ...], int]
_INSERT_CHECKPOINT = Prepared(insert(journal_checkpoints))


def _row(entry: JournalEntry, tree: bytes) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "kind": entry.kind,
        "data": entry.data,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "sig": entry.sig,
        "tree": tree,
    }


def node_reader(conn: Connection) -> NodeReader:
    """Reads stored Merkle tree nodes: node ``(level, index)`` is the ``level``-th hash in the
    ``tree`` column of its last leaf's entry (seq = that leaf's index + 1)."""

    def read(nodes: Sequence[NodeId]) -> dict[NodeId, bytes]:
        if not nodes:
            return {}
        seqs = sorted({last_leaf(node) + 1 for node in nodes})
        trees = {seq: bytes(tree) for seq, tree in _rows_at(conn, _TREE_COLUMNS, seqs)}
        found = {}
        for node in nodes:
            level = node[0]
            hashes = trees.get(last_leaf(node) + 1, b"")
            found[node] = hashes[level * HASH_SIZE : (level + 1) * HASH_SIZE]
            if len(found[node]) != HASH_SIZE:
                raise KeyError(f"the journal holds no tree node {node}")
        return found

    return read


_TREE_COLUMNS = (journal.c.seq, journal.c.tree)
# Rows by seq, a statement compiled once for each number of seqs asked for (a proof asks for
# a few dozen): built per call, SQLAlchemy took most of a proof's time.
_AT_SEQS: dict[tuple[tuple[Any, ...], int], Prepared] = {}


def _rows_at(conn: Connection, columns: tuple[Any, ...], seqs: Sequence[int]) -> list[Any]:
    if not seqs:
        return []
    key = (columns, len(seqs))
    prepared = _AT_SEQS.get(key)
    if prepared is None:
        wanted: list[Any] = [bindparam(f"seq_{n}") for n in range(len(seqs))]
        query = select(*columns).where(journal.c.seq.in_(wanted)).order_by(journal.c.seq)
        prepared = _AT_SEQS[key] = Prepared(query)
    return prepared.all(conn, {f"seq_{n}": seq for n, seq in enumerate(seqs)})


_CHECKPOINT_COLUMNS = (journal_checkpoints.c.size, journal_checkpoints.c.note)


def iter_checkpoints(conn: Connection, *, chunk: int = 10_000) -> Iterator[tuple[int, str]]:
    """Every checkpoint (tree size, note), smallest first, read in chunks."""
    after = -1
    while True:
        query = select(*_CHECKPOINT_COLUMNS).where(journal_checkpoints.c.size > after)
        rows = conn.execute(query.order_by(journal_checkpoints.c.size).limit(chunk)).all()
        yield from ((size, _lenient(note)) for size, note in rows)
        if len(rows) < chunk:
            return
        after = rows[-1][0]


_NEWEST_CHECKPOINT = Prepared(
    select(*_CHECKPOINT_COLUMNS).order_by(journal_checkpoints.c.size.desc()).limit(1)
)
_CHECKPOINT_AT = Prepared(
    select(*_CHECKPOINT_COLUMNS).where(journal_checkpoints.c.size == bindparam("size"))
)
_LARGEST_COSIGNED = Prepared(select(func.max(cosignatures.c.size)))


def read_checkpoint_covering(conn: Connection, seq: int) -> tuple[int, str] | None:
    """The newest checkpoint (tree size, note), if it covers entry ``seq``."""
    row = _NEWEST_CHECKPOINT.first(conn, {})
    return (row[0], row[1]) if row is not None and row[0] >= seq else None


def read_cosigned_checkpoint(conn: Connection, seq: int) -> tuple[int, str] | None:
    """The largest checkpoint (tree size, note) a witness cosigned, if it covers entry ``seq``."""
    largest = _LARGEST_COSIGNED.first(conn, {})
    if largest is None or largest[0] is None or largest[0] < seq:
        return None
    row = _CHECKPOINT_AT.first(conn, {"size": largest[0]})
    return (row[0], row[1]) if row is not None else None


def read_entries_at(conn: Connection, seqs: Sequence[int]) -> list[JournalEntry]:
    """The entries of these sequence numbers that exist, in order."""
    return [JournalEntry(*row) for row in _rows_at(conn, _COLUMNS, sorted(set(seqs)))]


EntryListener = Callable[[list[JournalEntry]], None]
