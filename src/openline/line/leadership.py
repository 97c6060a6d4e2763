"""Which process of a node leads its line (docs/deployment.md).

On PostgreSQL, several ``openline serve`` processes may serve one node: each serves the API,
the console, the events and the federation endpoint, and exactly one, the leader, runs what
must run once (``Duties``: the senders to each peer, line and path checks, escalation, the
journal's offers to witnesses, the relay's forwarding, the track interval's sharing, the TAK
bridge).
The lead is a session-level advisory lock on a connection of the process's own
(``store.processes``): the database frees it when that session ends, so a leader killed or cut
off loses it within seconds, and grants it at once to another process waiting for it on a
connection of its own; that process, at its next beat (every ``period`` seconds), journals
``line.leader`` and resumes every outbox where the database says it stands. No clocks are
compared: heartbeats and the lead's start are stamped by the database.

A leader whose connection fails stops its duties at once; and every write its duties make
checks, in its own transaction, that its session still holds the lock (the fence,
``node.assembly.leader_fence``; read once a transaction, however many writes of the duties it
commits), so a leader that lost the lead without knowing it yet writes nothing as leader. What
it may still post to a peer meanwhile is harmless: a peer applies each envelope once, in link
order, and answers one posted again with the receipt it gave.

On SQLite one process serves the node (the serve lock, ``node.directory.served``): it leads
from its start, and nothing is journaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine

from openline.domain.errors import Unavailable
from openline.domain.journal import JournalKind
from openline.domain.timeutil import format_utc
from openline.line.loops import kept_running
from openline.line.runner import Line
from openline.line.tak import TakBridge
from openline.line.tracks import TrackLoop
from openline.node.assembly import Node, leader_fence
from openline.store import processes as store
from openline.store.database import sqlite_path
from openline.store.writer import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")


class LeadLost(Unavailable):
    """A write of the leader's duties found that this process no longer leads."""


class Duties(Protocol):
    """What the leader runs, and what it tells the other processes of it."""

    async def lead(self) -> None: ...

    async def follow(self) -> None: ...

    def report(self) -> str | None: ...

    def leader_reported(self, report: str | None) -> None: ...


@dataclass(frozen=True)
class ProcessSeen:
    """A process of this node as its last heartbeat says."""

    process: str
    url: str
    started_at: str
    heartbeat_age_s: float
    leader_since: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "url": self.url,
            "started_at": self.started_at,
            "heartbeat_age_s": round(self.heartbeat_age_s, 3),
            "leader": self.leader_since is not None,
            "leader_since": self.leader_since,
        }


def process_name(node: Node) -> str:
    """This process as the node's others see it: ``host:pid:start``."""
    return f"{socket.gethostname()}:{os.getpid()}:{format_utc(node.clock())}"


class Leadership:
    def __init__(self, node: Node, duties: Duties) -> None:
        self.node = node
        self.duties = duties
        self.process = process_name(node)
        self.started_at = format_utc(node.clock())
        self.shared = sqlite_path(node.database_url) is None
        self.leading = False
        self.leader_since: str | None = None
        self.seen: list[ProcessSeen] = []
        interval = node.settings.line_check_interval
        # How often a process beats and tries for the lead: the lead changes hands within
        # this, once the database has freed it (a tenth of an interval, within 50 ms to 1 s).
        self.period = min(1.0, max(0.05, interval / 10))
        # How long a beat may take before the leader gives up its duties (and the bound on
        # connecting and on each statement of the lead's connection): two intervals, within
        # 2 s to 5 s (a loaded machine's slow beat is no reason to hand the lead over).
        self.timeout_s = min(5.0, max(2.0, 2 * interval))
        self._engine: Engine | None = None
        # The heartbeat's connection lives on a thread of its own, used by nothing else: a
        # beat never waits behind the node's reads, and never runs beside another beat.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openline-beat")
        self._beating: asyncio.Future[_Beat] | None = None
        self._conn: Connection | None = None  # on that thread only
        # The lead's connection: on a thread of its own, it waits until the database grants
        # it the lock, the instant the holder's session ends; then holds it, idle.
        self._waiting: Future[_Granted] | None = None
        self._wait_session = 0  # the waiting connection's server process (to cancel its wait)
        self._lead_conn: Connection | None = None
        self._session = 0  # the lead connection's server process, for the fence
        self._task: asyncio.Task[None] | None = None

    @property
    def leader(self) -> str | None:
        if self.leading:
            return self.process
        return next((seen.process for seen in self.seen if seen.leader_since), None)

    async def start(self) -> None:
        """Lead at once on SQLite; on PostgreSQL, beat (and lead, if no one does) once before
        the API answers, then every ``period``."""
        if not self.shared:
            self.leading, self.leader_since = True, self.started_at
            await self.duties.lead()
            return
        self._engine = store.session_engine(self.node.database_url, timeout_s=self.timeout_s)
        self._wait_for_lead()
        with contextlib.suppress(TimeoutError):  # the lead free: taken before the API answers
            assert self._waiting is not None
            async with asyncio.timeout(1.0):  # not wait_for: line/loops.py's woken says why
                await asyncio.shield(asyncio.wrap_future(self._waiting))
        await self._step()
        self._task = asyncio.create_task(
            kept_running(self._run, what="the leadership", pause_s=self.period)
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            await self._give_up()
        if self._engine is not None:  # frees the lead at once, and says goodbye if it can
            self._release()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.timeout_s):
                    await self._on_thread(self._goodbye)
            self._engine.dispose()
        self._thread.shutdown(wait=False)

    def view(self) -> dict[str, Any]:
        """This process, the leader and every process heard from: GET /api/v1/node."""
        seen = self.seen or [self._self_seen()]
        return {
            "process": self.process,
            "leader": self.leader,
            "processes": [process.to_json() for process in seen],
        }

    def _self_seen(self) -> ProcessSeen:
        return ProcessSeen(
            self.process, self.node.settings.public_url, self.started_at, 0.0, self.leader_since
        )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            await self._step()

    async def _step(self) -> None:
        if not self.leading and self._waiting is not None and self._waiting.done():
            await self._granted(self._waiting)
        if not self.leading:
            self._wait_for_lead()
        if self._beating is not None and not self._beating.done():
            return  # the last beat still waits for the database: it was given up already
        report = self.duties.report() if self.leading else None
        self._beating = self._on_thread(
            partial(self._beat, self.leader_since, self._session, report)
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                beat = await asyncio.shield(self._beating)
        except Exception as exc:  # the database unreachable, or too slow to answer in time
            await self._lost(exc)
            return
        self.seen = [
            ProcessSeen(row.process, row.url, row.started_at, row.age_s, row.leader_since)
            for row in beat.rows
        ]
        self.node.processes_serving = len(beat.rows)
        if not self.leading:
            leading = next((row for row in beat.rows if row.leader_since), None)
            self.duties.leader_reported(leading.line if leading else None)

    def _on_thread(self, work: Callable[[], T]) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._thread, work)

    def _beat(self, since: str | None, session: int, report: str | None) -> _Beat:
        """On the heartbeat's thread: beat and read every process. ``since``: since when this
        process leads, if it does, by the lock its session ``session`` holds, which the beat
        checks first."""
        conn = self._connected()
        if since is not None and not store.leads(conn, session):
            raise LeadLost(f"{self.process}'s session no longer holds the lead")
        store.beat(
            conn,
            process=self.process,
            url=self.node.settings.public_url,
            started_at=self.started_at,
            leader_since=since,
            line=report,
        )
        return _Beat(store.read_processes(conn))

    def _connected(self) -> Connection:
        if self._conn is None:
            assert self._engine is not None
            self._conn = self._engine.connect()
        return self._conn

    def _wait_for_lead(self) -> None:
        """Start waiting for the lead, on a thread of its own (a daemon: a process that stops
        while it waits is not held up by it), unless already waiting."""
        if self._waiting is not None:
            return
        granted: Future[_Granted] = Future()
        self._waiting = granted
        thread = threading.Thread(
            target=self._wait, args=(granted,), name="openline-lead", daemon=True
        )
        thread.start()

    def _wait(self, granted: Future[_Granted]) -> None:
        assert self._engine is not None
        conn = None
        try:
            conn = self._engine.connect()
            self._wait_session = store.session_id(conn)
            since = store.wait_for_lead(conn)
            was = store.last_leader(conn, self.process)
            granted.set_result(_Granted(conn, self._wait_session, since, was))
        except Exception as exc:  # the database lost, or the wait cancelled: tried again
            if conn is not None:
                _close_quietly(conn)
            granted.set_exception(exc)

    async def _granted(self, waiting: Future[_Granted]) -> None:
        self._waiting = None
        try:
            granted = waiting.result()
        except Exception as exc:
            log.debug("%s: no wait for the lead: %s", self.process, exc)
            return
        self._lead_conn, self._session = granted.conn, granted.session
        self.leader_since = granted.since
        await self._take_lead(granted.was)

    def _release(self) -> None:
        """Give the lock back (the lead's connection closed), and stop waiting for it."""
        conn, self._lead_conn = self._lead_conn, None
        if conn is not None:
            threading.Thread(target=_close_quietly, args=(conn,), daemon=True).start()
        if self._waiting is not None and not self._waiting.done() and self._conn is not None:
            with contextlib.suppress(Exception):  # on the heartbeat's thread, its connection
                self._thread.submit(store.stop_waiting, self._conn, self._wait_session)

    def _disconnect(self) -> None:
        """On the heartbeat's thread: close its connection; the next beat connects again."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _goodbye(self) -> None:
        if self._conn is not None:
            store.forget(self._conn, self.process)
        self._disconnect()

    async def _lost(self, why: object) -> None:
        """A beat failed or hung, or found the lead lost: give up the lead (if held), its
        connection and the heartbeat's (closed once the beat still waiting on it is done)."""
        self.leader_since = None
        if self.leading:
            self._release()
        self._on_thread(self._disconnect)
        if self.leading:
            log.warning("%s gives up the lead: %s", self.process, why)
            await self._give_up()
        else:
            log.debug("%s: no heartbeat: %s", self.process, why)

    async def _take_lead(self, was: str | None) -> None:
        entry = {"process": self.process, "since": self.leader_since, "was": was}
        token = leader_fence.set(self._fence)
        try:
            # A takeover from another process is journaled; the first lead a node's processes
            # ever take is not (node.started says which process started, and when), so that a
            # node of one process journals the same on PostgreSQL as on SQLite.
            if was is not None:
                await self.node.write_async(lambda uow: uow.record(JournalKind.LINE_LEADER, entry))
            self.leading = True
            log.warning("%s leads the line since %s", self.process, self.leader_since)
            await self.duties.lead()  # its tasks keep the fence (asyncio copies the context)
        except Exception as exc:  # the next beat tries again
            log.exception("%s could not take the lead", self.process)
            await self._lost(exc)
        finally:
            leader_fence.reset(token)

    async def _give_up(self) -> None:
        self.leading = False
        await self.duties.follow()

    def _fence(self, uow: UnitOfWork) -> None:
        """Refuse the write unless this process's session holds the lead. The lead is read
        once a writer transaction for all the fenced operations in it (``uow.kept`` is new for
        each transaction, a redo included), always before its commit; when that read finds the
        lead lost, every fenced operation of the transaction is refused."""
        key = f"leads:{self._session}"
        held = uow.kept.get(key)
        if held is None:
            held = uow.kept[key] = store.leads(uow.conn, self._session)
            uow.on_rollback(partial(uow.kept.pop, key, None))
        if not held:
            raise LeadLost(f"{self.process} no longer leads this node's line")


@dataclass(frozen=True)
class _Beat:
    rows: list[store.ProcessRow]


@dataclass(frozen=True)
class _Granted:
    """The lead, granted: the connection holding it, its session, when, and who led before."""

    conn: Connection
    session: int
    since: str
    was: str | None


class LeaderDuties:
    """The leader's duties on this node: the line's (``Line.lead``), the track interval's
    sharing and journaling (its loop runs on every process) and the TAK bridge; and the line
    as the leader reports it to the other processes."""

    def __init__(self, line: Line, track_loop: TrackLoop, tak_bridge: TakBridge) -> None:
        self.line = line
        self.track_loop = track_loop
        self.tak_bridge = tak_bridge

    async def lead(self) -> None:
        await self.line.lead()
        self.track_loop.leading.set()
        self.tak_bridge.start()

    async def follow(self) -> None:
        await self.tak_bridge.stop()
        self.track_loop.leading.clear()
        await self.line.follow()

    def report(self) -> str | None:
        return json.dumps(self.line.report(), separators=(",", ":"))

    def leader_reported(self, report: str | None) -> None:
        self.line.leader_reported(json.loads(report) if report else None)


def _close_quietly(conn: Connection) -> None:
    with contextlib.suppress(Exception):
        conn.close()
