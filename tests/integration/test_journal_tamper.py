"""Tampering with a stopped node's journal, in its database (SQLite or PostgreSQL) or in the
SQLite file itself: `openline journal verify` must fail and name the first bad entry, whatever
was changed, removed, inserted or swapped.

The entries carry no signature of their own: each commit's checkpoint signs the Merkle tree
over them (docs/journal.md), so a forgery chained, hashed and placed in the tree exactly as the
node would place it is still caught. What the node's own key could rewrite is for its peers'
cosignatures; the journals from before checkpoints, whose entries are signed one by one, are
tested in test_journal_checkpoints.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import string
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from openline.domain.journal import GENESIS_HASH, make_entry, signing_bytes
from openline.domain.merkle import Frontier, leaf_hash
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.store.writer import UnitOfWork
from tests.support.backend import copy_node, node_engine, on_postgresql, sqlite_only
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import run_openline, start_node

COLUMNS = ("seq", "at", "kind", "data", "prev_hash", "hash", "sig", "tree")
B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
Row = dict[str, Any]
SELECT_ALL = "SELECT seq, at, kind, data, prev_hash, hash, sig, tree FROM journal ORDER BY seq"
# The entry's content: the columns swapped, replaced and replayed below (its tree nodes stay).
REPLACE_ROW = (
    "UPDATE journal SET at = :at, kind = :kind, data = :data, prev_hash = :prev_hash,"
    " hash = :hash, sig = :sig WHERE seq = :seq"
)
INSERT_ROW = (
    "INSERT INTO journal (seq, at, kind, data, prev_hash, hash, sig, tree)"
    " VALUES (:seq, :at, :kind, :data, :prev_hash, :hash, :sig, :tree)"
)


def verify(directory: Path) -> subprocess.CompletedProcess[str]:
    return run_openline("journal", "verify", directory, timeout=120)


def assert_names(result: subprocess.CompletedProcess[str], seq: int, verified: int) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"journal broken at entry {seq}: "), result.stderr
    assert f"({verified} entries before it verified)" in result.stderr


def database(directory: Path) -> Path:
    return directory / "openline.db"


def read_rows(directory: Path) -> list[Row]:
    engine = node_engine(directory)
    with engine.connect() as conn:
        rows = conn.execute(text(SELECT_ALL)).all()
    engine.dispose()
    return [{**dict(zip(COLUMNS, row, strict=True)), "tree": bytes(row[-1])} for row in rows]


def execute(directory: Path, sql: str, **parameters: Any) -> None:
    """Run ``sql`` on the node's database, as anyone with access to it could."""
    engine = node_engine(directory)
    with engine.begin() as conn:
        conn.execute(text(sql), parameters)
    engine.dispose()


def replace_row(directory: Path, seq: int, row: Row) -> None:
    """Overwrite every column of entry ``seq`` except seq itself."""
    execute(directory, REPLACE_ROW, **{**row, "seq": seq})


def insert_row(directory: Path, row: Row) -> None:
    execute(directory, INSERT_ROW, **row)


def make_room_at(directory: Path, seq: int) -> None:
    """Renumber entries seq, seq+1, ... one up, so that a forged entry can take seq's place."""
    execute(directory, "UPDATE journal SET seq = -seq WHERE seq >= :seq", seq=seq)
    execute(directory, "UPDATE journal SET seq = 1 - seq WHERE seq < 0")


def forged(
    rows: list[Row],
    seq: int,
    data: dict[str, Any],
    key: SigningKey | None = None,
    kind: str = "message.acknowledged",
) -> Row:
    """An entry made as the node would make it after ``rows[:seq - 1]``: chained, hashed and
    with its Merkle tree nodes; signed with ``key`` (as entries were before checkpoints) if
    given."""
    before = [r for r in rows if r["seq"] < seq]
    entry = make_entry(
        seq=seq,
        at="2024-12-03T12:00:00.000Z",
        kind=kind,
        data=data,
        prev_hash=before[-1]["hash"] if before else GENESIS_HASH,
        sign=key.sign if key else None,
    )
    frontier = Frontier()
    for row in before:
        body = signing_bytes(row["seq"], row["at"], row["kind"], row["data"], row["prev_hash"])
        frontier, _completed = frontier.append(leaf_hash(body))
    _frontier, completed = frontier.append(leaf_hash(entry.body()))
    return {**{c: getattr(entry, c) for c in COLUMNS[:-1]}, "tree": b"".join(completed)}


def seq_of(rows: list[Row], kind: str, text: str) -> int:
    """The one entry of ``kind`` whose data holds ``text``."""
    (seq,) = [r["seq"] for r in rows if r["kind"] == kind and text in r["data"]]
    return int(seq)


# --- a stopped node with a journal of real events --------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node that ran as a real process, took messages, an acknowledgement and a bad token,
    and was stopped cleanly. Made once; each test tampers with its own copy.
    """
    created = make_node_dir(tmp_path_factory.mktemp("pristine") / "blue", port=free_port())
    link(created.directory, silent_card())
    running = start_node(created.directory, created.token)
    try:
        with running.client() as client:
            ids = []
            for n in range(1, 5):
                body = {
                    "to": ["BLUE"],
                    "precedence": "flash",
                    "text": f"tamper-target-{n}",
                    "lang": "en",
                }
                sent = client.post("/api/v1/messages", json=body)
                assert sent.status_code == 201, sent.text
                ids.append(sent.json()["id"])
            assert client.post(f"/api/v1/messages/{ids[0]}/ack").status_code == 200
            body = {"to": ["RED"], "precedence": "routine", "text": "for red", "lang": "en"}
            assert client.post("/api/v1/messages", json=body).status_code == 201
            stranger = {"Authorization": "Bearer olt_not-a-token"}
            assert client.get("/api/v1/node", headers=stranger).status_code == 401
    finally:
        running.stop()
    assert running.process.returncode is not None
    return created.directory


@pytest.fixture
def node(pristine: Path, tmp_path: Path) -> Path:
    copy = copy_node(pristine, tmp_path / "blue")
    # The journal is all in the main file: no write-ahead log still holds part of it.
    assert on_postgresql() or not database(copy).with_name("openline.db-wal").exists()
    return copy


def test_the_journal_of_a_cleanly_stopped_node_verifies_and_counts_its_entries(node: Path):
    rows = read_rows(node)
    result = verify(node)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"journal intact: {len(rows)} entries verified\n"
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert {
        "node.initialized",
        "node.started",
        "message.acknowledged",
        "security.unauthenticated",
        "node.stopped",
    } <= {r["kind"] for r in rows}


# --- one byte changed in the SQLite file itself ----------------------------------------------


def row(rows: list[Row], seq: int) -> Row:
    (found,) = [r for r in rows if r["seq"] == seq]
    return found


def _in_free_text(rows: list[Row]) -> tuple[int, bytes, int]:
    seq = seq_of(rows, "message.created", "tamper-target-2")
    return seq, b'"text":"tamper-target-2"', len(b'"text":"tamper-')


def _in_a_message_id(rows: list[Row]) -> tuple[int, bytes, int]:
    created = json.loads(row(rows, seq_of(rows, "message.created", "tamper-target-3"))["data"])
    needle = f'"message_id":"{created["id"]}"'.encode()
    return seq_of(rows, "message.delivered", created["id"]), needle, len(needle) - 3


def _in_a_tree_node(rows: list[Row]) -> tuple[int, bytes, int]:
    (acknowledged,) = [r for r in rows if r["kind"] == "message.acknowledged"]
    return acknowledged["seq"], acknowledged["tree"], 17


def _in_a_hash(rows: list[Row]) -> tuple[int, bytes, int]:
    last = rows[-1]  # the hash of any other is also the prev_hash of the one after it
    return last["seq"], last["hash"].encode(), 20


ONE_BYTE = {
    "in a message's free text": (_in_free_text, 0x01),
    "in the message id of a delivery": (_in_a_message_id, 0x01),
    "in its leaf in the Merkle tree": (_in_a_tree_node, 0x01),
    "in its hash (a letter's case)": (_in_a_hash, 0x20),
    # The high bit set on an ASCII byte leaves bytes that are not UTF-8 at all.
    "in a message's free text, leaving invalid UTF-8": (_in_free_text, 0x80),
    "in its hash, leaving invalid UTF-8": (_in_a_hash, 0x80),
}


@sqlite_only("bytes are changed in the database file itself")
@pytest.mark.parametrize(("locate", "mask"), ONE_BYTE.values(), ids=ONE_BYTE.keys())
def test_one_byte_changed_in_the_sqlite_file_names_its_entry(
    node: Path, locate: Callable[[list[Row]], tuple[int, bytes, int]], mask: int
):
    seq, needle, offset = locate(read_rows(node))
    content = bytearray(database(node).read_bytes())
    assert content.count(needle) == 1, "the byte to change must belong to this entry alone"
    content[content.index(needle) + offset] ^= mask
    database(node).write_bytes(bytes(content))

    assert_names(verify(node), seq, verified=seq - 1)


# --- entries removed, swapped, altered or inserted through SQL -------------------------------


def _first(rows: list[Row]) -> int:
    return 1


def _a_message(rows: list[Row]) -> int:
    return seq_of(rows, "message.created", "tamper-target-2")


def _the_acknowledgement(rows: list[Row]) -> int:
    (acknowledged,) = [r for r in rows if r["kind"] == "message.acknowledged"]
    return int(acknowledged["seq"])


@pytest.mark.parametrize("count", [1, 2], ids=["one entry", "two entries"])
@pytest.mark.parametrize("choose", [_first, _a_message, _the_acknowledgement])
def test_a_deleted_entry_is_named_by_the_entry_after_it(
    node: Path, choose: Callable[[list[Row]], int], count: int
):
    seq = choose(read_rows(node))

    execute(node, "DELETE FROM journal WHERE seq >= :a AND seq < :b", a=seq, b=seq + count)

    assert_names(verify(node), seq + count, verified=seq - 1)


@pytest.mark.parametrize(
    "pick",
    [
        lambda rows, last: (2, 3),
        lambda rows, last: (_a_message(rows), _a_message(rows) + 5),
        lambda rows, last: (1, last),
        lambda rows, last: (last - 1, last),
    ],
    ids=["adjacent", "five apart", "first and last", "the last two"],
)
def test_two_entries_with_their_contents_swapped_are_named_by_the_first(
    node: Path, pick: Callable[[list[Row], int], tuple[int, int]]
):
    rows = read_rows(node)
    first, second = pick(rows, len(rows))

    replace_row(node, first, row(rows, second))
    replace_row(node, second, row(rows, first))

    assert_names(verify(node), first, verified=first - 1)


def _later_millisecond(at: str) -> str:
    millis = int(at[20:23])
    return f"{at[:20]}{(millis + 1) % 1000:03d}Z"


ALTERATIONS: dict[str, tuple[str, Callable[[Row, list[Row]], Any]]] = {
    "at: one millisecond later": ("at", lambda r, rows: _later_millisecond(r["at"])),
    "kind: delivered becomes acknowledged": ("kind", lambda r, rows: "message.acknowledged"),
    "data: flash becomes routine": (
        "data",
        lambda r, rows: r["data"].replace('"flash"', '"routine"'),
    ),
    "data: a number instead of text": ("data", lambda r, rows: 7),
    "prev_hash: an older entry's hash": ("prev_hash", lambda r, rows: rows[0]["hash"]),
    "hash: the same hash in capitals": ("hash", lambda r, rows: r["hash"].upper()),
    "sig: a signature of its own, by another key": ("sig", lambda r, rows: _signed_by_another(r)),
    "sig: not base64": ("sig", lambda r, rows: "!" * 88),
    "sig: bytes instead of text": ("sig", lambda r, rows: bytes(64)),
    "tree: its leaf's first bit": (
        "tree",
        lambda r, rows: bytes([r["tree"][0] ^ 1]) + r["tree"][1:],
    ),
    "tree: one node hash more": ("tree", lambda r, rows: r["tree"] + r["tree"][:32]),
    "tree: another entry's nodes": ("tree", lambda r, rows: rows[0]["tree"]),
    "tree: text instead of bytes": ("tree", lambda r, rows: r["tree"].hex()),
}


def _signed_by_another(row: Row) -> str:
    body = signing_bytes(row["seq"], row["at"], row["kind"], row["data"], row["prev_hash"])
    return base64.b64encode(SigningKey.generate().sign(body)).decode("ascii")


@pytest.mark.parametrize(("column", "alter"), ALTERATIONS.values(), ids=ALTERATIONS.keys())
def test_an_altered_column_of_an_entry_is_named(
    node: Path, column: str, alter: Callable[[Row, list[Row]], Any]
):
    rows = read_rows(node)
    created = seq_of(rows, "message.created", "tamper-target-3")
    # + 1: its delivery
    target = row(rows, created if column == "data" else created + 1)
    changed = alter(target, rows)
    assert changed != target[column]
    if on_postgresql() and isinstance(changed, bytes) != (column == "tree"):
        pytest.skip("SQLite only: PostgreSQL keeps no bytes in a text column, nor text in bytes")

    update = f"UPDATE journal SET {column} = :value WHERE seq = :seq"  # noqa: S608 - ours
    execute(node, update, value=changed, seq=target["seq"])

    assert_names(verify(node), target["seq"], verified=target["seq"] - 1)


def test_an_entry_moved_to_the_end_by_its_seq_is_missed_where_it_was(node: Path):
    rows = read_rows(node)
    seq = _a_message(rows)

    execute(node, "UPDATE journal SET seq = :new WHERE seq = :old", new=len(rows) + 1, old=seq)

    assert_names(verify(node), seq + 1, verified=seq - 1)


# --- forgeries ------------------------------------------------------------------------------


def test_a_forged_entry_inserted_in_the_middle_is_named(node: Path):
    rows = read_rows(node)
    seq = _a_message(rows)
    # Chained, hashed and put in the tree exactly as the node would: only its signature, or
    # none, gives it away.
    forgery = forged(rows, seq, {"by": "intruder"}, SigningKey.generate())

    make_room_at(node, seq)
    insert_row(node, forgery)

    assert len(read_rows(node)) == len(rows) + 1
    assert_names(verify(node), seq, verified=seq - 1)


def test_a_forged_entry_appended_after_the_last_is_named(node: Path):
    rows = read_rows(node)
    head = rows[-1]
    forgery = forged(rows, head["seq"] + 1, {"by": "intruder"}, SigningKey.generate())

    insert_row(node, forgery)

    assert_names(verify(node), head["seq"] + 1, verified=head["seq"])


def test_an_unsigned_entry_appended_after_the_last_checkpoint_is_named(node: Path):
    rows = read_rows(node)
    head = rows[-1]

    insert_row(node, forged(rows, head["seq"] + 1, {"by": "intruder"}))

    result = verify(node)
    assert_names(result, head["seq"] + 1, verified=head["seq"])
    assert "no checkpoint signs it" in result.stderr


def test_a_genuine_entry_replayed_in_another_place_is_named(node: Path):
    rows = read_rows(node)
    seq = _a_message(rows)
    replayed = {**row(rows, _the_acknowledgement(rows)), "seq": seq}

    make_room_at(node, seq)
    insert_row(node, replayed)

    assert_names(verify(node), seq, verified=seq - 1)


def test_a_journal_rewritten_from_an_entry_on_with_fresh_hashes_fails_at_its_signature(
    node: Path,
):
    rows = read_rows(node)
    seq = _a_message(rows)
    prev_hash = row(rows, seq - 1)["hash"]
    for original in rows[seq - 1 :]:
        data = original["data"].replace("tamper-target-2", "nothing to see")
        body = signing_bytes(original["seq"], original["at"], original["kind"], data, prev_hash)
        rewritten = {**original, "data": data, "prev_hash": prev_hash}
        rewritten["hash"] = prev_hash = hashlib.sha256(body).hexdigest()
        replace_row(node, original["seq"], rewritten)  # the old tree nodes stay

    result = verify(node)

    assert_names(result, seq, verified=seq - 1)
    assert "signature" in result.stderr


def test_a_journal_signed_by_another_key_fails_at_its_first_entry(node: Path):
    rows = read_rows(node)
    other = SigningKey.generate()
    rewritten: list[Row] = []
    for original in rows:
        data = json.loads(original["data"])
        again = forged(rewritten, original["seq"], data, other, kind=original["kind"])
        execute(node, REPLACE_ROW.replace(" WHERE", ", tree = :tree WHERE"), **again)
        rewritten.append(again)

    assert_names(verify(node), 1, verified=0)


# --- a journal longer than one verification chunk --------------------------------------------

LONG_HEAD = 3005  # node.initialized, two tokens, node.started, 3,000 records, node.stopped


@pytest.fixture(scope="module")
def long_pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stopped node whose journal holds 3,005 entries, written through the node's writer."""
    created = make_node_dir(tmp_path_factory.mktemp("long") / "blue")
    opened = Node.open(created.directory, environ={})
    opened.start()
    try:
        for batch in range(3):

            def record(uow: UnitOfWork, batch: int = batch) -> None:
                for n in range(1000):
                    uow.record("test.filler", {"batch": batch, "n": n})

            opened.write(record)
    finally:
        opened.stop()
    assert len(read_rows(created.directory)) == LONG_HEAD
    return created.directory


@pytest.fixture
def long_node(long_pristine: Path, tmp_path: Path) -> Path:
    return copy_node(long_pristine, tmp_path / "blue")


def _break_signature(directory: Path, seq: int) -> None:
    (target,) = [r for r in read_rows(directory) if r["seq"] == seq]
    forged_sig = _signed_by_another(target)
    execute(directory, "UPDATE journal SET sig = :sig WHERE seq = :seq", sig=forged_sig, seq=seq)


def _delete(directory: Path, seq: int) -> None:
    execute(directory, "DELETE FROM journal WHERE seq = :seq", seq=seq)


Tampering = tuple[Callable[[Path, int], None], int]
LONG_CASES: dict[str, tuple[list[Tampering], int, int]] = {
    "bad signature in a later chunk, deletion further on": (
        [(_break_signature, 1500), (_delete, 2500)],
        1500,
        1499,
    ),
    "deletion in a later chunk, bad signature further on": (
        [(_delete, 1100), (_break_signature, 2000)],
        1101,
        1099,
    ),
    "bad signature just before a deletion": (
        [(_break_signature, 1030), (_delete, 1040)],
        1030,
        1029,
    ),
    "bad signatures in the first and the third chunk": (
        [(_break_signature, 10), (_break_signature, 2100)],
        10,
        9,
    ),
    "bad signature in the very last entry": (
        [(_break_signature, LONG_HEAD)],
        LONG_HEAD,
        LONG_HEAD - 1,
    ),
}


@pytest.mark.parametrize(
    ("tamperings", "named", "verified"), LONG_CASES.values(), ids=LONG_CASES.keys()
)
def test_a_long_journal_names_the_first_bad_entry_in_stored_order(
    long_node: Path, tamperings: list[Tampering], named: int, verified: int
):
    for tamper, seq in tamperings:
        tamper(long_node, seq)

    assert_names(verify(long_node), named, verified)
