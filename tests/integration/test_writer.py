"""The one write path (store/writer.py) on a real SQLite node: group commit, isolation, one chain.

To compose a batch deterministically, a test first submits an operation that holds the writer
inside its transaction until the test releases it; everything submitted meanwhile is queued
and is taken together as the next batch.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from openline.domain.journal import JournalEntry
from openline.domain.roles import Role
from openline.node.assembly import Node
from openline.services.journal import verify_journal
from openline.services.operators import Operator, operator_for_token
from openline.services.setup import NewNode
from openline.store.journal import iter_all_entries
from openline.store.prepared import Prepared
from openline.store.tables import operator_tokens
from openline.store.tokens import insert_token
from openline.store.writer import UnitOfWork

ENTRIES_AFTER_START = 4  # node.initialized, two operator.token_created, node.started


@contextmanager
def started(node_dir: NewNode, environ: dict[str, str] | None = None) -> Iterator[Node]:
    node = Node.open(node_dir.directory, environ=environ or {})
    node.start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture
def node(node_dir: NewNode) -> Iterator[Node]:
    with started(node_dir) as running:
        yield running


def all_entries(node: Node) -> list[JournalEntry]:
    return node.read(lambda conn: list(iter_all_entries(conn)))


def token_hashes(conn: Connection) -> set[str]:
    return set(conn.execute(select(operator_tokens.c.token_hash)).scalars())


def assert_one_intact_chain(node: Node) -> list[JournalEntry]:
    entries = all_entries(node)
    report = verify_journal(node)
    assert report.intact, report
    assert report.verified == len(entries)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    return entries


def record(kind: str, **data: Any) -> Callable[[UnitOfWork], JournalEntry]:
    return lambda uow: uow.record(kind, data)


def token_and_record(name: str) -> Callable[[UnitOfWork], JournalEntry]:
    """A row and the journal entry that speaks of it, in one operation."""

    def operation(uow: UnitOfWork) -> JournalEntry:
        insert_token(uow.conn, f"hash-{name}", name, "2024-12-03T12:00:00.000Z", role="planner")
        return uow.record("test.token", {"name": name})

    return operation


class Hold:
    """An operation that keeps the writer inside its transaction until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, uow: UnitOfWork) -> JournalEntry:
        self.entered.set()
        assert self.release.wait(30), "the test never released the writer"
        return uow.record("test.hold", {})


@contextmanager
def writer_held(node: Node) -> Iterator[Future[JournalEntry]]:
    """While inside, the writer is busy: what is submitted queues up for the next batch."""
    hold = Hold()
    held = node.writer.submit(hold)
    try:
        assert hold.entered.wait(10)
        yield held
    finally:
        hold.release.set()


def test_concurrent_writes_from_many_threads_all_commit_into_one_chain(node: Node):
    threads, per_thread = 8, 200
    start = threading.Barrier(threads)
    returned: list[list[JournalEntry]] = [[] for _ in range(threads)]

    def write(t: int) -> None:
        start.wait()
        for n in range(per_thread):
            returned[t].append(node.write(record("test.write", thread=t, n=n)))

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers)

    entries = assert_one_intact_chain(node)
    writes = threads * per_thread
    assert len(entries) == ENTRIES_AFTER_START + writes
    stored = {e.seq: e for e in entries}
    for t in range(threads):
        # Each thread waited for every write, so its entries are stored in its own order.
        assert [stored[e.seq] for e in returned[t]] == returned[t]
        assert [e.data for e in returned[t]] == [f'{{"n":{n},"thread":{t}}}' for n in range(200)]
    assert node.writer.batches < writes  # some writes shared a commit


@pytest.mark.parametrize(("max_batch", "batches"), [(1, 50), (8, 7), (50, 1), (512, 1)])
def test_writes_queued_while_the_writer_is_busy_commit_in_batches_of_at_most_max_batch(
    node_dir: NewNode, max_batch: int, batches: int
):
    with started(node_dir, {"OPENLINE_GROUP_COMMIT_MAX_BATCH": str(max_batch)}) as node:
        with writer_held(node) as held:
            before = node.writer.batches
            queued = [node.writer.submit(record("test.queued", n=n)) for n in range(50)]
        held.result(timeout=10)
        results = [future.result(timeout=10) for future in queued]

        assert node.writer.batches - before == 1 + batches
        assert [e.seq for e in results] == list(range(results[0].seq, results[0].seq + 50))
        assert_one_intact_chain(node)


def refused_before_writing(uow: UnitOfWork) -> None:
    uow.record("test.refused", {"name": "doomed"})
    raise RuntimeError("refused by a check, before writing any row")


def failing_after_writing(uow: UnitOfWork) -> None:
    token_and_record("doomed")(uow)
    raise RuntimeError("refused after writing a row and a journal entry")


def duplicate_key_after_writing(uow: UnitOfWork) -> None:
    token_and_record("doomed")(uow)
    token_and_record("first")(uow)  # the token row of an operation earlier in the batch


_TOKEN = Prepared(insert(operator_tokens))


def sent_twice(uow: UnitOfWork) -> None:
    """Two rows with one key, each sent without waiting for the answer (store/pipeline.py): the
    database refuses the second, which on PostgreSQL it says only as the operation ends."""
    row: dict[str, Any] = {column.name: None for column in operator_tokens.c}
    row |= {"token_hash": "hash-doomed", "operator": "doomed", "role": "planner"}
    row["created_at"] = "2024-12-03T12:00:00.000Z"
    _TOKEN.send(uow.conn, row)
    uow.record("test.token", {"name": "doomed"})
    _TOKEN.send(uow.conn, row)


# The database's refusal of a statement the writer did not wait for, as the driver raises it.
REFUSED_WHEN_SENT = (sqlite3.IntegrityError, psycopg.IntegrityError)


Runs = dict[str, int]  # how many times each operation of a batch ran
ONCE = {"first": 1, "doomed": 1, "last": 1}
REDONE = {"first": 2, "doomed": 2, "last": 1}  # the last one not reached before the redo
# On PostgreSQL the refusal of what was sent comes at the next wait: in the last operation's
# insert, or at the seal if it is the last of the batch. The redo with savepoints tells whose.
REDONE_LATE = {"first": 2, "doomed": 2, "last": 2}


def runs_on(node: Node, sqlite: Runs, postgresql: Runs) -> Runs:
    """What the test expects on its store."""
    return postgresql if node.settings.database_url else sqlite


def one_batch(node: Node, **operations: Callable[[UnitOfWork], Any]) -> dict[str, Future[Any]]:
    """Submit ``operations`` so that the writer takes them as one batch, and wait for it."""
    with writer_held(node) as held:
        before = node.writer.batches
        futures = {name: node.writer.submit(operation) for name, operation in operations.items()}
    held.result(timeout=10)
    for future in futures.values():
        future.exception(timeout=10)
    assert node.writer.batches - before == 2  # the hold's batch, and theirs
    return futures


def counted(
    name: str, runs: Runs, operation: Callable[[UnitOfWork], Any]
) -> Callable[[UnitOfWork], Any]:
    def run(uow: UnitOfWork) -> Any:
        runs[name] = runs.get(name, 0) + 1
        return operation(uow)

    return run


def kept_beside(name: str, kept: list[str]) -> Callable[[UnitOfWork], None]:
    """An operation that keeps ``name`` beside the database, undone with its rollback."""

    def keep(uow: UnitOfWork) -> None:
        kept.append(name)
        uow.on_rollback(lambda: kept.remove(name))

    return keep


def first_operation(runs: Runs, kept: list[str]) -> Callable[[UnitOfWork], JournalEntry]:
    def first(uow: UnitOfWork) -> JournalEntry:
        kept_beside("first", kept)(uow)
        return token_and_record("first")(uow)

    return counted("first", runs, first)


def assert_first_and_last_committed_once(
    node: Node, first: Future[JournalEntry], last: Future[JournalEntry]
) -> list[JournalEntry]:
    first_entry, last_entry = first.result(), last.result()
    hashes = node.read(token_hashes)
    assert {"hash-first", "hash-last"} <= hashes
    assert "hash-doomed" not in hashes
    entries = assert_one_intact_chain(node)
    assert "doomed" not in "".join(e.data for e in entries)
    assert first_entry in entries
    assert entries[-1] == last_entry
    return entries


@pytest.mark.parametrize(
    ("operation", "error", "on_sqlite", "on_postgresql"),
    [
        (refused_before_writing, RuntimeError, ONCE, REDONE),
        (failing_after_writing, RuntimeError, REDONE, REDONE),
        (duplicate_key_after_writing, IntegrityError, REDONE, REDONE),
        (sent_twice, REFUSED_WHEN_SENT, REDONE, REDONE_LATE),
    ],
    ids=["refused", "raises-after-writing", "database-refuses", "database-refuses-what-was-sent"],
)
def test_an_operation_that_fails_inside_a_batch_is_rolled_back_alone(
    node: Node,
    operation: Callable[[UnitOfWork], None],
    error: type[Exception] | tuple[type[Exception], ...],
    on_sqlite: Runs,
    on_postgresql: Runs,
):
    """Operations run without a savepoint. On SQLite one that fails having changed no row is
    undone alone; on PostgreSQL any failure, and on SQLite one that changed rows or met a
    database error, has the batch run again with a savepoint for each operation (so the others
    run twice, and commit once, with what they kept beside the database undone in between)."""
    runs: Runs = {}
    kept: list[str] = []

    done = one_batch(
        node,
        first=first_operation(runs, kept),
        doomed=counted("doomed", runs, operation),
        last=counted("last", runs, token_and_record("last")),
    )

    with pytest.raises(error):
        done["doomed"].result()
    assert runs == runs_on(node, sqlite=on_sqlite, postgresql=on_postgresql)
    assert kept == ["first"]
    entries = assert_first_and_last_committed_once(node, done["first"], done["last"])
    assert [e.kind for e in entries[-3:]] == ["test.hold", "test.token", "test.token"]
    first_entry, last_entry = done["first"].result(), done["last"].result()
    assert last_entry.seq == first_entry.seq + 1
    assert last_entry.prev_hash == first_entry.hash


def test_a_refusal_the_database_sends_at_the_seal_fails_its_operation_alone(node: Node):
    """On PostgreSQL the refusal of what the batch's last operation sent comes only at the
    seal: the batch is run again with savepoints, and that operation alone fails."""
    runs: Runs = {}
    kept: list[str] = []

    done = one_batch(
        node,
        first=first_operation(runs, kept),
        last=counted("last", runs, token_and_record("last")),
        doomed=counted("doomed", runs, sent_twice),
    )

    with pytest.raises(REFUSED_WHEN_SENT):
        done["doomed"].result()
    redone = {"first": 2, "last": 2, "doomed": 2}
    assert runs == runs_on(node, sqlite=redone, postgresql=redone)
    assert kept == ["first"]
    assert_first_and_last_committed_once(node, done["first"], done["last"])


Step = Callable[[UnitOfWork, list[str]], None]  # a step of an operation, and what it keeps


def keeping(operation: Callable[[UnitOfWork], None]) -> Step:
    """``operation`` as a step that first keeps "step" beside the database."""

    def step(uow: UnitOfWork, kept: list[str]) -> None:
        kept_beside("step", kept)(uow)
        operation(uow)

    return step


@pytest.mark.parametrize(
    ("step", "on_sqlite", "on_postgresql"),
    [
        (keeping(refused_before_writing), ONCE, REDONE),
        (keeping(failing_after_writing), REDONE, REDONE),
        (keeping(sent_twice), REDONE, REDONE_LATE),
    ],
    ids=["refused", "raises-after-writing", "database-refuses-what-was-sent"],
)
def test_a_step_that_fails_is_undone_alone_and_its_operation_goes_on(
    node: Node, step: Step, on_sqlite: Runs, on_postgresql: Runs
):
    """As the receiver applies an envelope: an attempt whose step fails is answered, by the
    operation that catches any error of it, with a receipt that it was not applied. Whatever
    the step did is undone, the rest of its operation commits; where that takes the batch run
    again, the signal to do so gets through the operation's ``except Exception``."""
    runs: Runs = {}
    kept: list[str] = []

    def apply(uow: UnitOfWork) -> JournalEntry:
        kept_beside("operation", kept)(uow)
        uow.record("test.received", {})
        try:
            uow.attempt(lambda: step(uow, kept))
        except Exception as exc:  # the receiver's: not applied, and the link goes on
            return uow.record("test.not_applied", {"why": type(exc).__name__})
        return uow.record("test.applied", {})

    done = one_batch(
        node,
        first=first_operation(runs, kept),
        doomed=counted("doomed", runs, apply),
        last=counted("last", runs, token_and_record("last")),
    )

    receipt = done["doomed"].result()
    assert receipt.kind == "test.not_applied"
    assert runs == runs_on(node, sqlite=on_sqlite, postgresql=on_postgresql)
    assert kept == ["first", "operation"]
    entries = assert_first_and_last_committed_once(node, done["first"], done["last"])
    assert [e.kind for e in entries[-5:]] == [
        "test.hold",
        "test.token",
        "test.received",
        "test.not_applied",
        "test.token",
    ]


def test_an_operation_that_catches_a_database_error_is_never_answered_kept_and_lost(node: Node):
    """On PostgreSQL a statement the database refused spoils the transaction, and its COMMIT
    then keeps nothing without an error: an operation that caught the refusal and went on, in
    a batch with no journal entry to seal, must not be answered as kept (on SQLite, where the
    refused statement alone is undone, it is kept)."""

    def catches(uow: UnitOfWork) -> str:
        insert_token(uow.conn, "hash-kept", "kept", "2024-12-03T12:00:00.000Z", role="planner")
        with contextlib.suppress(IntegrityError):
            insert_token(uow.conn, "hash-kept", "kept", "2024-12-03T12:00:00.000Z", role="planner")
        return "answered kept"

    try:
        answer = node.write(catches)
    except psycopg.errors.InFailedSqlTransaction:  # its savepoint's release, once run again
        answer = "refused"

    kept = "hash-kept" in node.read(token_hashes)
    on_postgresql = bool(node.settings.database_url)
    assert (answer, kept) == (("refused", False) if on_postgresql else ("answered kept", True))


_UNCHANGED = Prepared(
    update(operator_tokens).where(operator_tokens.c.operator == "nobody").values(role="planner")
)


def test_statements_sent_after_one_the_database_refused_run_in_later_operations(node: Node):
    """On PostgreSQL a step's statements go in a pipeline: after one the server refused, it
    skips the rest until the step ends, and they must still run in later operations. psycopg
    counted a statement as prepared on the server as it sent it (at its fifth use): skipped,
    it was never prepared, and every later use failed ("prepared statement ... does not
    exist", seen on CI): the writer runs what may be refused on connections that prepare
    nothing (store/writer.py)."""

    def refused_then_more(uow: UnitOfWork) -> None:
        sent_twice(uow)  # refused by the database, not waited for
        for _ in range(3):
            _UNCHANGED.send(uow.conn, {})  # skipped by PostgreSQL's aborted pipeline

    def operation(uow: UnitOfWork) -> JournalEntry:
        # With no savepoint, on PostgreSQL, the refusal comes only at the seal, and the batch
        # is run again with savepoints: what the step did in the run that commits is recorded.
        try:
            uow.attempt(lambda: refused_then_more(uow))
        except REFUSED_WHEN_SENT:
            step = "refused"
        else:
            step = "went through"
        _UNCHANGED.send(uow.conn, {})
        return uow.record("test.after", {"step": step})

    written = [node.write(operation) for _ in range(6)]

    assert [entry.kind for entry in written] == ["test.after"] * 6
    assert [entry.data for entry in written] == ['{"step":"refused"}'] * 6
    assert "hash-doomed" not in node.read(token_hashes)
    assert_one_intact_chain(node)


def unchanged_then_recorded(n: int) -> Callable[[UnitOfWork], JournalEntry]:
    def operation(uow: UnitOfWork) -> JournalEntry:
        _UNCHANGED.send(uow.conn, {})
        return uow.record("test.after", {"n": n})

    return operation


def refused_then_unchanged(uow: UnitOfWork) -> None:
    sent_twice(uow)  # refused by the database, not waited for
    _UNCHANGED.send(uow.conn, {})  # skipped by PostgreSQL's aborted pipeline


def test_a_statement_skipped_after_a_refusal_at_its_fifth_use_runs_in_every_later_operation(
    node: Node,
):
    """psycopg counts a statement as prepared on the server as it sends it at its fifth use,
    and does not check it in a pipeline: skipped after a statement the server refused, it is
    never prepared, and each later use of it on that connection fails. In one batch, run again
    with savepoints, operations that send a refused statement then that one, among operations
    that only use it: each refused one fails alone, every other commits, in that batch and in
    the writes after it."""
    refused_at = {1, 4, 6, 8, 10}
    with writer_held(node) as held:
        futures = [
            node.writer.submit(
                refused_then_unchanged if n in refused_at else unchanged_then_recorded(n)
            )
            for n in range(12)
        ]
    held.result(timeout=10)
    after = [node.write(unchanged_then_recorded(n)) for n in range(12, 24)]

    for n, future in enumerate(futures):
        if n in refused_at:
            assert isinstance(future.exception(timeout=10), REFUSED_WHEN_SENT)
        else:
            assert future.result(timeout=10).data == f'{{"n":{n}}}'
    assert [entry.data for entry in after] == [f'{{"n":{n}}}' for n in range(12, 24)]
    assert "hash-doomed" not in node.read(token_hashes)
    assert_one_intact_chain(node)


def test_a_write_after_a_failed_operation_continues_the_chain(node: Node):
    with pytest.raises(RuntimeError):
        node.write(failing_after_writing)

    entry = node.write(record("test.after"))

    entries = assert_one_intact_chain(node)
    assert entries[-1] == entry
    assert entry.seq == ENTRIES_AFTER_START + 1


def test_stopping_the_writer_commits_everything_already_queued(node_dir: NewNode):
    node = Node.open(node_dir.directory, environ={})
    node.start()
    with writer_held(node):
        queued = [node.writer.submit(record("test.queued", n=n)) for n in range(100)]
    node.close()

    assert all(future.done() for future in queued)
    assert [future.result().data for future in queued] == [f'{{"n":{n}}}' for n in range(100)]
    reopened = Node.open(node_dir.directory, environ={})
    try:
        assert len(assert_one_intact_chain(reopened)) == ENTRIES_AFTER_START + 1 + 100
    finally:
        reopened.close()


def test_a_second_process_writing_while_the_node_runs_does_not_fork_the_chain(
    node: Node, node_dir: NewNode
):
    stop = threading.Event()
    written: list[JournalEntry] = []
    token_create = [sys.executable, "-m", "openline", "token", "create", str(node_dir.directory)]

    def keep_writing() -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            written.append(node.write(record("test.busy", n=n)))

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(written) < count and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(written) >= count

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_for(20)  # the node is writing before the other process starts
        created = subprocess.run(
            [*token_create, "--operator", "x"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        wait_for(len(written) + 20)  # and goes on writing after it
    finally:
        stop.set()
        writer.join(timeout=30)

    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert operator_for_token(node, token) == Operator("x", Role.DUTY_OFFICER)
    entries = assert_one_intact_chain(node)
    by_other = [e for e in entries if e.kind == "operator.token_created" and '"x"' in e.data]
    assert len(by_other) == 1
    ours = {e.seq for e in written}
    assert min(ours) < by_other[0].seq < max(ours)
    assert by_other[0].seq not in ours
    assert {e.seq for e in entries if e.kind == "test.busy"} == ours


def test_a_caller_that_gave_up_waiting_does_not_stop_the_writer(node: Node):
    with writer_held(node):
        abandoned = node.writer.submit(record("test.abandoned"))
        assert abandoned.cancel()  # an API client that went away
    kept = node.write(record("test.after"))

    kinds = [e.kind for e in assert_one_intact_chain(node)]
    assert kinds[-2:] == ["test.abandoned", "test.after"]  # the abandoned write still stands
    assert kept.kind == "test.after"


def test_a_listener_that_fails_does_not_stop_the_writer(node: Node):
    def broken(_entries: list[JournalEntry]) -> None:
        raise RuntimeError("listener fault")

    node.bus.listen(broken)
    node.write(record("test.first"))
    node.write(record("test.second"))

    assert [e.kind for e in all_entries(node)][-2:] == ["test.first", "test.second"]


def test_what_an_operation_keeps_beside_the_database_is_undone_with_its_rollback(node: Node):
    kept: list[str] = []

    def keep(name: str, *, fail: bool = False) -> Callable[[UnitOfWork], None]:
        def operation(uow: UnitOfWork) -> None:
            kept.append(name)
            uow.on_rollback(lambda: kept.remove(name))
            uow.record("test.kept", {"name": name})
            if fail:
                raise RuntimeError(f"{name} fails after keeping")

        return operation

    def step_fails(uow: UnitOfWork) -> None:
        keep("outer")(uow)
        with pytest.raises(RuntimeError):
            uow.attempt(lambda: keep("inner", fail=True)(uow))

    node.write(keep("good"))
    with pytest.raises(RuntimeError):
        node.write(keep("bad", fail=True))
    node.write(step_fails)

    assert kept == ["good", "outer"]
    assert [e.kind for e in all_entries(node)[-2:]] == ["test.kept", "test.kept"]


def test_a_batch_that_cannot_commit_undoes_what_each_of_its_operations_kept(node: Node):
    kept: list[str] = []

    def keep(name: str) -> Callable[[UnitOfWork], None]:
        def operation(uow: UnitOfWork) -> None:
            kept.append(name)
            uow.on_rollback(lambda: kept.remove(name))

        return operation

    def break_the_transaction(uow: UnitOfWork) -> None:
        # Closing the connection under the writer makes the batch's commit fail as a whole.
        uow.conn.connection.driver_connection.close()  # type: ignore[union-attr]

    with writer_held(node) as held:  # so that the two are taken as one batch
        first = node.writer.submit(keep("first"))
        breaker = node.writer.submit(break_the_transaction)
    held.result(timeout=10)
    for future in (first, breaker):
        with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own error
            future.result(timeout=10)

    assert kept == []
    node.write(record("test.after"))  # the writer recovers on a fresh connection
    assert_one_intact_chain(node)


def test_closing_waits_for_a_read_still_running_in_another_thread(node_dir: NewNode):
    # As when a client leaves the event stream while its backlog is being read: the read runs
    # on in a worker thread. Closing the node must let it return its connection first, or the
    # connection would go back to a pool already disposed and stay open.
    node = Node.open(node_dir.directory, environ={})
    reading, release = threading.Event(), threading.Event()

    def slow_read(conn: Connection) -> int:
        reading.set()
        release.wait(10)
        return len(list(iter_all_entries(conn)))

    results: list[int] = []
    reader = threading.Thread(target=lambda: results.append(node.read(slow_read)))
    reader.start()
    assert reading.wait(10)
    closer = threading.Thread(target=node.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive(), "close() returned while a read still held a connection"

    release.set()
    reader.join(10)
    closer.join(10)
    assert not closer.is_alive()
    assert len(results) == 1
    assert results[0] >= 1
    assert node.read_engine.pool.checkedout() == 0
