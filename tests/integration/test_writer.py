"""The one write path (store/writer.py) on a real SQLite node: group commit, isolation, one chain.

To compose a batch deterministically, a test first submits an operation that holds the writer
inside its transaction until the test releases it; everything submitted meanwhile is queued
and is taken together as the next batch.
"""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("operation", "error", "runs_on_sqlite"),
    [
        (refused_before_writing, RuntimeError, 1),
        (failing_after_writing, RuntimeError, 2),
        (duplicate_key_after_writing, IntegrityError, 2),
        (sent_twice, REFUSED_WHEN_SENT, 2),
    ],
    ids=["refused", "raises-after-writing", "database-refuses", "database-refuses-what-was-sent"],
)
def test_an_operation_that_fails_inside_a_batch_is_rolled_back_alone(
    node: Node,
    operation: Callable[[UnitOfWork], None],
    error: type[Exception] | tuple[type[Exception], ...],
    runs_on_sqlite: int,
):
    """On PostgreSQL every operation runs in a savepoint. On SQLite operations run without:
    one that fails having changed no row is undone alone, one that changed rows or met a
    database error has the batch run again, a savepoint for each operation (so the others
    run twice, and commit once, with what they kept beside the database undone in between)."""
    runs: list[str] = []
    kept: list[str] = []

    def first_operation(uow: UnitOfWork) -> JournalEntry:
        runs.append("first")
        kept.append("first")
        uow.on_rollback(lambda: kept.remove("first"))
        return token_and_record("first")(uow)

    with writer_held(node) as held:
        before = node.writer.batches
        first = node.writer.submit(first_operation)
        doomed = node.writer.submit(operation)
        last = node.writer.submit(token_and_record("last"))
    held.result(timeout=10)

    with pytest.raises(error):
        doomed.result(timeout=10)
    first_entry, last_entry = first.result(timeout=10), last.result(timeout=10)
    assert node.writer.batches - before == 2  # the three were one batch
    assert len(runs) == (1 if node.settings.database_url else runs_on_sqlite)
    assert kept == ["first"]
    assert last_entry.seq == first_entry.seq + 1
    assert last_entry.prev_hash == first_entry.hash
    hashes = node.read(token_hashes)
    assert {"hash-first", "hash-last"} <= hashes
    assert "hash-doomed" not in hashes
    entries = assert_one_intact_chain(node)
    assert "doomed" not in "".join(e.data for e in entries)
    assert [e.kind for e in entries[-3:]] == ["test.hold", "test.token", "test.token"]


_UNCHANGED = Prepared(
    update(operator_tokens).where(operator_tokens.c.operator == "nobody").values(role="planner")
)


def test_statements_sent_after_one_the_database_refused_run_in_later_operations(node: Node):
    """On PostgreSQL a step's statements go in a pipeline: after one the server refused, it
    skips the rest until the step ends, and they must still run in later operations. psycopg
    counted a statement as prepared on the server as it sent it (at its fifth use): skipped,
    it was never prepared, and every later use failed ("prepared statement ... does not
    exist", seen on CI) until the writer's connections stopped psycopg preparing them."""

    def refused_then_more(uow: UnitOfWork) -> None:
        sent_twice(uow)  # refused by the database, not waited for
        for _ in range(3):
            _UNCHANGED.send(uow.conn, {})  # skipped by PostgreSQL's aborted pipeline

    def operation(uow: UnitOfWork) -> JournalEntry:
        with pytest.raises(REFUSED_WHEN_SENT):
            uow.attempt(lambda: refused_then_more(uow))
        _UNCHANGED.send(uow.conn, {})
        return uow.record("test.after", {})

    written = [node.write(operation) for _ in range(6)]

    assert [entry.kind for entry in written] == ["test.after"] * 6
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
