"""The one write path: a thread that commits queued operations together (group commit).

Every change to a node's database goes through ``Writer``: an operation is a function of a
``UnitOfWork`` that writes rows and journal entries. The writer takes whatever operations are
waiting, runs them, commits them in one transaction, which costs one fsync and one checkpoint
signature for the whole batch, and only then answers each caller. So nothing is acknowledged
before it is durable, and neither durability nor the journal's signature costs one fsync or one
signature per message.

An operation that fails is undone alone: its caller gets its error, the rest of the batch
commits. The writer first runs a batch with no savepoint, and so does ``UnitOfWork.attempt``
for a step of an operation. On SQLite one that fails having changed no row, and not by a
database error (most refusals: a check that raises), is undone by dropping its journal entries
and running its undo callbacks. Any other failure, and on PostgreSQL every one (a statement
that fails there spoils the whole transaction, and its error may come only at a later read or
at the seal, statements being sent without waiting: ``store/pipeline.py``), has the batch
rolled back and run again with a savepoint for each operation and each attempt, which undoes
exactly what fails. So an operation may run twice before it commits once, and what it keeps
beside the database it must undo through ``UnitOfWork.on_rollback``. Two statements an
operation (the savepoint and its release) were a fifth of the writer's CPU on SQLite: each lets
the other threads take the GIL (docs/performance.md, issue 20); on PostgreSQL the pipeline's
sync at the end of each savepoint is a lot of psycopg's Python (issue 25).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, InvalidStateError
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from openline.domain.errors import Unavailable
from openline.domain.journal import JournalEntry, JournalKind
from openline.store.database import take_writer_lock
from openline.store.journal import EntryListener, JournalAppender
from openline.store.pipeline import answered, pipelined, spoilt

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class UnitOfWork:
    """What an operation sees: the transaction's connection and the journal.

    ``kept``: what the operations of one transaction keep for each other, by name (the
    same dict for all of them; a new one for each transaction, a batch run again included).
    Whatever an operation puts there it must take back through ``on_rollback``: an operation
    undone alone leaves the dict to the operations after it."""

    conn: Connection
    _journal: JournalAppender
    kept: dict[str, Any] = field(default_factory=dict)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    # A savepoint for each operation and attempt (the batch run again), or none; then, on
    # SQLite, its count of the rows the connection changed (None on PostgreSQL).
    _savepoints: bool = True
    _changed_rows: Callable[[], int] | None = None

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Call ``undo`` if what this operation wrote is rolled back (the operation or a step of
        it raised, or the whole batch failed to commit): for state kept beside the database,
        such as the conflict detector's index, which must never hold what the database lost."""
        self._undo.append(undo)

    def undo(self, since: int = 0) -> None:
        """Run the undo callbacks registered after the first ``since``, newest first."""
        while len(self._undo) > since:
            callback = self._undo.pop()
            try:
                callback()
            except Exception:  # undo what else can be undone; the error is logged
                log.exception("an undo callback failed")

    def record(self, kind: JournalKind, data: Mapping[str, Any]) -> JournalEntry:
        """Append a journal entry in the same transaction as the rows it speaks of."""
        return self._journal.append(kind, data)

    def attempt(self, step: Callable[[], T]) -> T:
        """Run ``step`` so that, if it raises, its rows and journal entries are undone and the
        error is raised, and the rest of the operation goes on (see the module docstring: in
        a savepoint of its own, or with none, when the batch may be run again for it)."""
        result, error = self._undoable("openline_step", step, len(self._undo))
        if error is not None:
            raise error
        return cast(T, result)

    def _undoable(
        self, name: str, run: Callable[[], T], undo_mark: int
    ) -> tuple[T | None, Exception | None]:
        """``run``'s result, or, if it raised, its error once what it did is undone: by its
        savepoint; or, with none, by dropping its journal entries and running its undo
        callbacks where that is all there is to undo (on SQLite, no changed row and no database
        error); otherwise by running the batch again with savepoints (``_RedoWithSavepoints``)."""
        if self._savepoints:
            return _in_savepoint(self.conn, self._journal, name, run, lambda: self.undo(undo_mark))
        mark = self._journal.mark()
        changed_rows = self._changed_rows
        before = changed_rows() if changed_rows is not None else 0
        try:
            return run(), None
        except Exception as exc:
            if (
                changed_rows is None
                or changed_rows() != before
                or isinstance(exc, DBAPIError | sqlite3.Error)
            ):
                raise _RedoWithSavepoints from exc
            self.undo(undo_mark)
            self._journal.rollback_to(mark)
            return None, exc


def _in_savepoint(
    conn: Connection,
    journal: JournalAppender,
    name: str,
    run: Callable[[], T],
    undo: Callable[[], None],
) -> tuple[T | None, Exception | None]:
    """Run ``run`` in a savepoint: its result, or, if it raised, its error, once ``undo`` has
    run and its rows and journal entries are rolled back. If the rollback itself fails (the
    connection is gone), that error is raised. Issued on the driver's connection: the same
    SQL on SQLite and PostgreSQL, and 50 times cheaper than SQLAlchemy's begin_nested(),
    which cost a tenth of a message's write. On PostgreSQL they are pipelined with the
    operation's statements (``store/pipeline.py``): any error among them is raised by the end
    of the block, and undone here."""
    driver = conn.connection.driver_connection
    assert driver is not None
    mark = journal.mark()
    answered(conn)  # what the caller sent before: an error there is the caller's
    try:
        with pipelined(conn):
            driver.execute(f"SAVEPOINT {name}")
            result = run()
            driver.execute(f"RELEASE SAVEPOINT {name}")
    except Exception as exc:
        undo()
        driver.execute(f"ROLLBACK TO SAVEPOINT {name}")
        driver.execute(f"RELEASE SAVEPOINT {name}")
        journal.rollback_to(mark)
        return None, exc
    return result, None


class _Reply:
    """What a caller of ``Writer.run`` waits on: a lock held until the writer answers. A
    Future, which ``submit`` gives for callers that do more with it, takes a Condition and a
    few more locks to make, answer and wait on (about 3 against 0.7 µs of CPU an operation
    with no other thread; more with the bench's 64, issue 20)."""

    __slots__ = ("_answered", "_error", "_result")

    def __init__(self) -> None:
        self._answered = threading.Lock()
        self._answered.acquire()  # released once, by set_result or set_exception
        self._result: Any = None
        self._error: BaseException | None = None

    def set_result(self, result: Any) -> None:
        self._result = result
        self._answered.release()

    def set_exception(self, error: BaseException) -> None:
        self._error = error
        self._answered.release()

    def result(self) -> Any:
        with self._answered:  # until the writer answers
            pass
        if self._error is not None:
            raise self._error
        return self._result


Operation = Callable[[UnitOfWork], T]
_Answer = Future[Any] | _Reply
_Job = tuple[Callable[[UnitOfWork], Any], _Answer]
_Outcome = tuple[_Answer, Any, BaseException | None]  # a caller, its result or its error
_STOP = object()


class Writer:
    """Serialises and groups all writes to one database."""

    def __init__(
        self,
        engine: Engine,
        journal: JournalAppender,
        *,
        max_batch: int = 512,
        on_commit: EntryListener | None = None,
        on_begin: Callable[[Connection, int], None] | None = None,
        announce: Callable[[Connection, int], None] | None = None,
    ) -> None:
        self._engine = engine
        self._journal = journal
        self._max_batch = max_batch
        self._on_commit = on_commit
        # on_begin: called with the journal's head seq, read under the write lock, before the
        # batch runs (the node catches up there with what other processes committed);
        # announce: called in the transaction with its last seq when it appended entries
        # (PostgreSQL's NOTIFY to the node's other processes: node/commits.py).
        self._on_begin = on_begin
        self._announce = announce
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # Once told to stop, nothing more is queued (it would wait for ever behind the stop).
        self._accepting = threading.Lock()
        self._stopped = False
        # The writer thread keeps one connection open: checking one out of the pool for each
        # commit cost a fifth of a millisecond on every hop of the line.
        self._conn: Connection | None = None
        self.batches = 0

    def start(self) -> None:
        if self._thread is None:
            self._stopped = False
            self._thread = threading.Thread(target=self._loop, name="openline-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finish what is queued, then stop: a write submitted from now on is refused."""
        if self._thread is not None:
            with self._accepting:
                self._stopped = True
                self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def submit(self, operation: Operation[T]) -> Future[T]:
        future: Future[T] = Future()
        self._enqueue(operation, future)
        return future

    def run(self, operation: Operation[T]) -> T:
        """Run ``operation`` and wait until it is committed."""
        reply = _Reply()
        self._enqueue(operation, reply)
        return cast(T, reply.result())

    def _enqueue(self, operation: Operation[Any], answer: _Answer) -> None:
        with self._accepting:
            if self._stopped:
                answer.set_exception(Unavailable("the node is stopping: this write was not kept"))
                return
            if self._thread is not None:
                self._queue.put((operation, answer))
                return
        # Not started (one-shot commands such as `openline token create`): run it now.
        self._commit([(operation, answer)], self._engine.connect)

    def _loop(self) -> None:
        try:
            self._serve()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _kept_connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            batch: list[_Job] = [job]
            stop_after = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop_after = True
                    break
                batch.append(more)
            self._commit(batch, self._kept_connection)
            if stop_after:
                return

    def _commit(
        self, batch: list[_Job], connect: Callable[[], Connection], *, savepoints: bool = False
    ) -> None:
        done: list[UnitOfWork] = []
        conn = None
        try:
            conn = connect()
            outcomes = self._transact(conn, batch, done, savepoints=savepoints)
        except _RedoWithSavepoints as redo:  # the transaction is rolled back: run it again
            log.debug("batch of %d run again with savepoints: %r", len(batch), redo.__cause__)
            for uow in reversed(done):
                uow.undo()
            assert conn is not None
            _forget_prepared(conn)
            outcomes = None
        except Exception as exc:  # the thread must survive anything, and answer every caller
            log.error("database commit failed: %s", exc)
            for uow in reversed(done):
                uow.undo()
            if conn is not None:  # start the next batch on a fresh connection
                _forget_prepared(conn)
                conn.close()
            failure: BaseException = exc
            # The driver's own errors come raw from the statements run on its cursor
            # (store/prepared.py), SQLAlchemy's wrapped from the others.
            if isinstance(exc, DBAPIError | self._engine.dialect.loaded_dbapi.Error):
                cause = exc.orig if isinstance(exc, DBAPIError) else exc
                failure = Unavailable(f"the database could not keep this write: {cause}")
            for _operation, future in batch:
                _settle(future, None, failure)
            return
        finally:
            if conn is not None and conn is not self._conn:
                conn.close()
        if outcomes is None:
            self._commit(batch, connect, savepoints=True)
            return
        self.batches += 1
        self._journal.committed()
        entries = self._journal.pending
        if entries and self._on_commit is not None:
            self._on_commit(list(entries))
        for future, result, error in outcomes:
            _settle(future, result, error)

    def _transact(
        self, conn: Connection, batch: list[_Job], done: list[UnitOfWork], *, savepoints: bool
    ) -> list[_Outcome]:
        """Run the batch in one transaction and commit it: each caller's outcome."""
        if savepoints:
            with _preparing_nothing(conn), conn.begin():
                return self._transact_with_savepoints(conn, batch, done)
        with conn.begin():
            # With no savepoint, on PostgreSQL the whole transaction's statements go in one
            # pipeline: the lock and the head's read, the operations', the seal's. An error may
            # come at any later read or at the pipeline's end, and says only that something
            # failed: the batch run again with savepoints tells what.
            try:
                with pipelined(conn):
                    self._begin(conn)
                    outcomes = self._run_all(conn, batch, done, savepoints=False)
                    self._seal(conn)
            except Exception as exc:
                raise _RedoWithSavepoints from exc
            if spoilt(conn):  # an operation caught a database error and went on
                raise _RedoWithSavepoints
        return outcomes

    def _transact_with_savepoints(
        self, conn: Connection, batch: list[_Job], done: list[UnitOfWork]
    ) -> list[_Outcome]:
        with pipelined(conn):  # on PostgreSQL, the lock and the head in one round trip
            self._begin(conn)
        outcomes = self._run_all(conn, batch, done, savepoints=True)
        # Each operation's errors were raised by its end: one now is the seal's own, and fails
        # the batch.
        with pipelined(conn):
            self._seal(conn)
        return outcomes

    def _begin(self, conn: Connection) -> None:
        """Take the writer's lock, read the journal's head under it, and hand the node what
        other processes committed up to there."""
        take_writer_lock(conn)
        self._journal.begin(conn)
        if self._on_begin is not None:
            self._on_begin(conn, self._journal.head_seq)

    def _run_all(
        self, conn: Connection, batch: list[_Job], done: list[UnitOfWork], *, savepoints: bool
    ) -> list[_Outcome]:
        changed_rows = None if savepoints else _changed_rows(conn)
        kept: dict[str, Any] = {}
        outcomes: list[_Outcome] = []
        for operation, future in batch:
            uow = UnitOfWork(
                conn, self._journal, kept, _savepoints=savepoints, _changed_rows=changed_rows
            )
            done.append(uow)  # undone if the batch fails, even half-way through this operation
            result, error = uow._undoable("openline_operation", partial(operation, uow), 0)
            if isinstance(error, OperationalError):
                error = Unavailable(f"the database could not keep this write: {error.orig}")
            outcomes.append((future, result, error))
        return outcomes

    def _seal(self, conn: Connection) -> None:
        """One signature for the whole commit: the checkpoint of the tree it leaves. On
        PostgreSQL the entries, the checkpoint and the announcement to the node's other
        processes go in one round trip (store/pipeline.py)."""
        self._journal.seal(conn)
        if self._announce is not None and self._journal.pending:
            self._announce(conn, self._journal.head_seq)


# psycopg (3.3.9) prepares a statement on the server at its fifth use on a connection, and in
# pipeline mode counts it as prepared as it sends it, never checking: skipped by the server
# after a statement it refused in the same pipeline, it is not prepared, and each later use of
# it on that connection fails ("prepared statement _pg3_N does not exist"). So on PostgreSQL no
# connection that prepares ever runs what follows a refusal, and none whose count may be wrong
# is used again. Where a statement of the writer can be refused:
# - in a batch run with no savepoint, in its one pipeline: the lock or the journal head's read
#   (the lock's timeout), an operation's statement (its error raised at a later read, at the
#   pipeline's end, or caught by the operation: ``spoilt``), the seal's or the announcement's.
#   All of them have the batch run again (``_RedoWithSavepoints``), and the connection is
#   closed for good (``_forget_prepared``), not handed back to the pool;
# - at COMMIT, or anywhere when the connection is lost: the batch fails, and so does the
#   connection, closed for good too (every statement was answered by then: closed anyway);
# - in the batch run again with savepoints, where refusals are expected: it runs on a new
#   connection told to prepare nothing (``_preparing_nothing``), so that psycopg counts
#   nothing there; once it is over, the connection prepares again from a clean count.
# SQLite prepares its statements in the process: none of this concerns it.


def _forget_prepared(conn: Connection) -> None:
    """On PostgreSQL, ``conn``'s connection closed for good (the pool makes a new one): psycopg's
    count of the statements it prepared there may be wrong. On SQLite, nothing."""
    if conn.dialect.name == "postgresql" and not conn.closed:
        conn.invalidate()


@contextmanager
def _preparing_nothing(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, no statement prepared on the server by psycopg on ``conn`` within the
    block, nor counted towards it (``prepare_threshold``, psycopg's public setting); as it was
    once the block ends."""
    if conn.dialect.name != "postgresql":
        yield
        return
    driver: Any = conn.connection.driver_connection
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


class _RedoWithSavepoints(BaseException):
    """An operation or a step run without a savepoint failed, and only rolling the whole
    transaction back undoes it: the batch is run again, with a savepoint for each operation and
    each attempt. A BaseException, as GeneratorExit is: no error of the step for whoever called
    ``attempt`` to handle (the receiver turns any Exception of a step into a "received but not
    applied" receipt, and an operation may catch Exception round its steps), but the writer's
    own signal, which must get through them to it."""


def _changed_rows(conn: Connection) -> Callable[[], int] | None:
    """The count of rows the connection has changed so far, where the driver keeps one that
    any statement moves (SQLite's ``total_changes``); None on PostgreSQL, where a statement
    that fails spoils the transaction, so any failure has the batch run again."""
    driver = conn.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        return lambda: driver.total_changes
    return None


def _settle(future: _Answer, result: Any, error: BaseException | None) -> None:
    """Answer a caller. One that gave up waiting (its future cancelled: an API client that
    went away) gets nothing: the operation stands, as committed, and the writer goes on."""
    try:
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass
