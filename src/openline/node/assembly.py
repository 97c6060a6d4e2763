"""The running node's parts, wired together once: settings, key, database, writer, events,
the live tracks and, once the node starts, the conflict finder.

The API and the CLI both work through a ``Node``; clock and id factory are injected so that
rules depending on time are tested deterministically. The use cases (``services/``) take the
parts they need from it; nothing in it is filled in by them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from contextvars import ContextVar
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import ArgumentError, DatabaseError

from openline import __version__
from openline.domain.errors import Unavailable
from openline.domain.ids import IdFactory, new_id
from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.parties import Card
from openline.domain.timeutil import Clock, system_clock
from openline.domain.tracks import TrackReport
from openline.keys.rotation import KeyHistory, read_key_history
from openline.keys.signing import SigningKey, read_private_key
from openline.node import shared_tracks
from openline.node.commits import CommitFollower, CommitStream
from openline.node.directory import NodeDirectory
from openline.node.events import EventBus
from openline.node.live_finder import LiveFinder
from openline.node.not_applied import NotAppliedEnvelopes
from openline.node.settings import ConfigError, Settings, load_settings
from openline.node.tracker import Tracker
from openline.store.database import (
    announce_commit,
    database_url,
    has_schema,
    make_engine,
    migrate,
    one_line,
    shown,
    sqlite_path,
)
from openline.store.journal import JournalAppender, checkpoint_signer, read_head
from openline.store.writer import Operation, UnitOfWork, Writer

if TYPE_CHECKING:  # imported when the node starts (node/live_finder.py), not before
    from openline.geo.conflict_finder import ConflictFinder

T = TypeVar("T")
log = logging.getLogger(__name__)

# While this process leads the node's line (line/leadership.py), the check that each write of
# the leader's duties makes first, in its own transaction: it raises if the lead is lost (read
# once a transaction, for all its writes). Set in the context the duties' tasks are started
# in; None (nothing checked) everywhere else.
leader_fence: ContextVar[Operation[None] | None] = ContextVar("leader_fence", default=None)

# How long closing a node waits for reads still running in worker threads (see Node.close).
READS_DRAIN_S = 10.0


class Node:
    def __init__(
        self,
        directory: Path,
        settings: Settings,
        key: SigningKey,
        *,
        clock: Clock = system_clock,
        ids: IdFactory = new_id,
        key_history: KeyHistory | None = None,
    ) -> None:
        self.directory = NodeDirectory(directory)
        self.settings = settings
        self.key = key
        # The keys this node signed with before (openline key rotate): keys/rotation.py.
        self.key_history = key_history or KeyHistory()
        self.clock = clock
        self.new_id = ids
        self.bus = EventBus()
        # Every commit, this process's or another's, handed to the bus once, in journal order.
        self.commits = CommitStream(self.bus.publish)
        # Loaded from the database in the background as the node starts (see start); used on
        # the writer's thread only, inside write operations.
        self.live_finder = LiveFinder(settings.separation)
        # The live tracks and proximity warnings, in memory; changed on the writer's thread
        # only (services.tracks), told of new notifications by the commits.
        self.tracker = Tracker()
        self.bus.listen(self.tracker.on_commit)
        # The envelopes received but not applied on the links, either way: loaded as the node
        # starts (see start), then kept by the commits.
        self.not_applied = NotAppliedEnvelopes()
        self.bus.listen(self.not_applied.on_commit)
        self.database_url = database_url(settings.database_url, directory)
        busy = settings.database_busy_timeout
        self.read_engine: Engine = make_engine(self.database_url, writer=False, busy_timeout_s=busy)
        self._reads_running = 0  # reads in progress, on any thread (see close)
        self._reads_done = threading.Condition()
        self._write_engine = make_engine(self.database_url, writer=True, busy_timeout_s=busy)
        several = self._write_engine.dialect.name == "postgresql"  # processes may share it
        self.writer = Writer(
            self._write_engine,
            JournalAppender(checkpoint_signer(settings.party, key), clock),
            max_batch=settings.group_commit_max_batch,
            on_commit=self._committed,
            on_begin=self._catch_up,
            announce=self._announce_commit if several else None,
        )
        # This process, as the track reports it sends the node's other processes name it.
        self._tracks_sender = secrets.token_hex(8)
        # How many processes serve this node, as this one's last heartbeat read them
        # (line/leadership.py; None until then): track reports go to the others only when
        # there are others.
        self.processes_serving: int | None = None
        self._follower = (
            CommitFollower(self.database_url, self.commits, self.read, self._tracks_heard)
            if several
            else None
        )

    @classmethod
    def open(
        cls,
        directory: Path,
        environ: Mapping[str, str] | None = None,
        *,
        clock: Clock = system_clock,
        ids: IdFactory = new_id,
        upgrade: bool = False,
    ) -> Node:
        """Open an existing node directory; with ``upgrade``, apply pending migrations."""
        settings = load_settings(directory, os.environ if environ is None else environ)
        key = read_private_key(NodeDirectory(directory).key_file)
        url = database_url(settings.database_url, directory)
        sqlite_file = sqlite_path(url)
        if sqlite_file is not None and not sqlite_file.exists():
            # Never start a new, empty journal in place of one that went missing.
            raise ConfigError(f"{sqlite_file} is missing: this node has lost its database")
        try:
            history = read_key_history(directory)
            node = cls(directory, settings, key, clock=clock, ids=ids, key_history=history)
        except (ArgumentError, ImportError) as exc:  # not a URL, or a driver not installed
            raise ConfigError(f"database_url {shown(url)}: {exc}") from None
        try:
            schema = has_schema(node.read_engine)
        except DatabaseError as exc:  # a file that is not SQLite at all, a server not reached
            node.close()
            raise ConfigError(f"{shown(url)} cannot be read: {one_line(exc.orig)}") from None
        if not schema:
            node.close()
            raise ConfigError(f"{shown(url)}: the database has no Openline schema")
        if upgrade:
            migrate(node.database_url)
        return node

    @property
    def party(self) -> str:
        return self.settings.party

    def card(self) -> Card:
        return Card(
            party=self.settings.party,
            name=self.settings.name,
            lang=self.settings.lang,
            urls=(self.settings.public_url, *self.settings.backup_urls),
            public_key=self.key.public_key.to_base64(),
        )

    @property
    def conflict_finder(self) -> ConflictFinder:
        """The live notifications in the geometry engine (``openline.geo.conflict_finder``),
        on the writer's thread; ``Unavailable`` (503) while it is loading after the start. The
        use cases keep it in step with their changes, the commits with everyone else's."""
        return self.live_finder.finder()

    @property
    def ready(self) -> bool:
        """Whether the conflict finder is loaded: until then, conflict checks answer 503."""
        return self.live_finder.ready

    def start(self, *, wait_for_engines: bool = True) -> None:
        """Follow the commits from the journal's head; start loading the conflict finder (and,
        with ``wait_for_engines``, wait until it is loaded) and the writer thread; in its
        first write, load the envelopes not applied and journal the start, with the version."""
        self.commits.follow_from(self.read(read_head)[0])
        if self._follower is not None:
            self._follower.start()
        self.live_finder.start_loading(self.read_engine)
        self.writer.start()
        self.write(self._starting)
        if wait_for_engines:
            self.live_finder.wait()

    def _starting(self, uow: UnitOfWork) -> None:
        self.not_applied.load(uow.conn)
        uow.record(JournalKind.NODE_STARTED, {"version": __version__})

    def _catch_up(self, conn: Connection, head_seq: int) -> None:
        """At the start of each transaction, the journal's head read under the write lock:
        what other processes committed meanwhile, handed over first."""
        if self.commits.behind(head_seq):
            self.commits.catch_up(conn, head_seq)
        self.live_finder.catch_up(conn, head_seq)

    def _announce_commit(self, conn: Connection, seq: int) -> None:
        self.commits.expect(seq)  # this process's writer hands these over (node/commits.py)
        announce_commit(conn, seq)

    def _committed(self, entries: list[JournalEntry]) -> None:
        self.live_finder.committed(entries[-1].seq)
        self.commits.hand_over(entries)

    def share_tracks(self, uow: UnitOfWork, taken: list[TrackReport]) -> None:
        """Track reports this process took in ``uow``: to the node's other processes, at its
        commit (PostgreSQL: node/shared_tracks.py). On SQLite no other process serves the node;
        on PostgreSQL, nothing is sent while this process is the only one."""
        if self._follower is not None and taken and self.processes_serving != 1:
            shared_tracks.announce(uow.conn, self._tracks_sender, taken)

    def _tracks_heard(self, payloads: list[str]) -> None:
        """On the follower's thread: take the reports another process took, on the writer's
        thread, without waiting for it."""
        reports = shared_tracks.heard(payloads, self._tracks_sender)
        if reports:
            taking = self.writer.submit(
                partial(self.tracker.take_shared, reports=reports, party=self.party)
            )
            taking.add_done_callback(_log_failure)

    def stop(self) -> None:
        """Journal a clean stop, then stop writing."""
        self.write(lambda uow: uow.record(JournalKind.NODE_STOPPED, {"version": __version__}))
        self.close()

    def close(self) -> None:
        """Stop the writer, then close the connections, once the reads still running in worker
        threads are done (at most READS_DRAIN_S): a read whose async caller was cancelled (a
        client gone from the event stream) runs on, and a connection it returned to a pool
        already disposed would stay open until the garbage collector found it."""
        self.live_finder.stop()
        if self._follower is not None:
            self._follower.stop()
        self.writer.stop()
        with self._reads_done:
            self._reads_done.wait_for(lambda: not self._reads_running, timeout=READS_DRAIN_S)
        self.read_engine.dispose()
        self._write_engine.dispose()

    def read(self, query: Callable[[Connection], T]) -> T:
        with self._reads_done:
            self._reads_running += 1
        try:
            with self.read_engine.connect() as conn:
                return query(conn)
        finally:
            with self._reads_done:
                self._reads_running -= 1
                self._reads_done.notify_all()

    def write(self, operation: Operation[T]) -> T:
        """Run a write through the group-commit writer; returns once it is durable."""
        return self.writer.run(_fenced(operation))

    async def write_async(self, operation: Operation[T]) -> T:
        return await asyncio.wrap_future(self.writer.submit(_fenced(operation)))

    async def read_async(self, query: Callable[[Connection], T]) -> T:
        return await asyncio.to_thread(self.read, query)


def _log_failure(done: Future[None]) -> None:
    exc = done.exception()
    if exc is not None and not isinstance(exc, Unavailable):  # Unavailable: the node stops
        log.warning("track reports from another process not taken: %s", exc)


def _fenced(operation: Operation[T]) -> Operation[T]:
    """``operation``, after the leader's fence if the caller runs in the leader's context."""
    fence = leader_fence.get()
    if fence is None:
        return operation

    def fenced(uow: UnitOfWork) -> T:
        fence(uow)
        return operation(uow)

    return fenced
