"""The running line of a node: a sender per peer, line checks, and the status of each line
and of each path to a peer (docs/line.md#paths).

Started and stopped with the node's API (``api/app.py``). It learns of new envelopes from the
journal's commits (``EventBus.listen``) and of peers added by ``openline peer add`` from the
database, so a peer linked while the node runs is served within a second.

Of the processes serving one node, only the leader (``line/leadership.py``) sends, checks and
escalates (``lead``); the others read the peers and their keys, for the federation endpoint,
and show each line as the leader last reported it (``follow``, ``leader_reported``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import ssl
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import aiohttp
from sqlalchemy import Connection

from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.line import LineReading, LineStatus, line_status
from openline.domain.parties import Peer
from openline.domain.paths import DirectPath, PathStatus, PeerPath, paths_at
from openline.domain.timeutil import format_utc, parse_utc
from openline.keys.signing import PublicKey
from openline.keys.tls import peer_verification
from openline.line.escalation import due_alarms, escalate
from openline.line.forwarder import Forwarder
from openline.line.loops import kept_running
from openline.line.paths import Carrier, DirectCarrier
from openline.line.relay import relay_carrier
from openline.line.sender import PeerLink
from openline.line.witnessing import offer_under_load
from openline.node.assembly import Node
from openline.services.keys import keys_after_changes, keys_differ, peer_keys
from openline.services.outbox import seal_for
from openline.services.witness import offer_checkpoint
from openline.store import line as store
from openline.store.writer import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeerState:
    """A peer as operators see it: its card, the line's status and when it was last heard."""

    peer: Peer
    status: LineStatus
    reason: str
    last_heard_at: str | None
    waiting: int
    paths: tuple[dict[str, Any], ...] = ()  # each path and its status, the preferred first
    carrying: str | None = None  # the via of the path the last batch went by

    def to_json(self) -> dict[str, Any]:
        return {
            **self.peer.card.model_dump(),
            "status": self.status.value,
            "reason": self.reason,
            "last_heard_at": self.last_heard_at,
            "waiting": self.waiting,
            "paths": list(self.paths),
            "carrying": self.carrying,
        }


@dataclass(frozen=True)
class _Observed:
    peer: Peer
    oldest_waiting: str | None
    waiting: int


class Line:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.interval = node.settings.line_check_interval
        self.links: dict[str, PeerLink] = {}
        self.states: dict[str, PeerState] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._leader_tasks: list[asyncio.Task[None]] = []
        self._leading = False
        # The context the leader's tasks run in: the fence its writes check (leadership.py).
        self._leader_context: contextvars.Context | None = None
        self._reported: dict[str, dict[str, Any]] = {}  # each line as the leader reported it
        self._told = False  # whether this leader journaled each line's status once
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: aiohttp.ClientSession | None = None
        self._pinned_http: dict[str, aiohttp.ClientSession] = {}  # by pin (docs/security.md)
        self._keys: dict[str, PublicKey] = {}
        self._peers: dict[str, Peer] = {}  # as last read: a relay path goes by its relay's paths
        # What this node holds as a relay for others, forwarded (line/forwarder.py).
        self.forwarder = Forwarder(node, self._client_for)

    @property
    def keys(self) -> Mapping[str, PublicKey]:
        """The peers' keys as last read, for the federation endpoint: no database read per
        batch. Replaced whole when the peers are read again, never changed in place."""
        return self._keys

    @property
    def tick_s(self) -> float:
        """How often statuses are judged: a tenth of an interval, within 0.05 s to 1 s."""
        return min(1.0, max(0.05, self.interval / 10))

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        ca_file = self.node.settings.tls_ca_file  # a relative path is in the node directory
        ca_path = str(self.node.directory.path / ca_file) if ca_file else ""
        self._http = self._client(peer_verification(ca_file=ca_path))
        self.node.bus.listen(self._on_commit)
        await self._judge(as_leader=False)  # peers and a first status before the API answers
        self._spawn(partial(self._watch, as_leader=False))

    async def lead(self) -> None:
        """Run what only the leader runs: links to the peers (senders), line and path checks,
        escalation, offers to witnesses, the relay's forwarding. Called in the context whose
        fence the leader's writes check, which every task started for it keeps."""
        self._leader_context = contextvars.copy_context()
        self._leading = True
        self._told = False  # the first judgement journals each line's status, as at a start
        await self._judge(as_leader=True)  # links and a first status before the lead is told
        self._spawn(partial(self._watch, as_leader=True), leading=True)
        self._spawn(self._check_lines, leading=True)
        self._spawn(self._check_paths, leading=True)
        self._spawn(self._escalate, leading=True)
        self._spawn(partial(offer_under_load, self.node, lambda: list(self.links)), leading=True)
        self._spawn(self.forwarder.run, leading=True)

    async def follow(self) -> None:
        """Stop at once all that only the leader runs (the lead is lost, or the node stops)."""
        self._leading = False
        await _cancelled(self._leader_tasks)
        self.links.clear()

    def report(self) -> dict[str, dict[str, Any]]:
        """Each line as this leader judges it, for the other processes to show."""
        return {
            party: {
                "status": state.status.value,
                "reason": state.reason,
                "paths": list(state.paths),
                "carrying": state.carrying,
            }
            for party, state in self.states.items()
        }

    def leader_reported(self, report: dict[str, dict[str, Any]] | None) -> None:
        self._reported = report or {}

    async def stop(self) -> None:
        self.node.bus.unlisten(self._on_commit)
        await self.follow()
        await _cancelled(self._tasks)
        for http in [self._http, *self._pinned_http.values()]:
            if http is not None:
                await http.close()
        self._pinned_http.clear()

    @staticmethod
    def _client(verify: ssl.SSLContext) -> aiohttp.ClientSession:
        # 30 s for a whole exchange, 2 s of it to connect (TCP and TLS); a post's own timeout
        # (a path check's) replaces both. No proxy or .netrc from the environment: aiohttp
        # would look for them on a thread at every post. An idle connection is let go after
        # 4 s, before a peer's uvicorn closes it (5 s): a post never goes out on one the peer
        # is closing at that moment.
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=verify, keepalive_timeout=4.0),
            timeout=aiohttp.ClientTimeout(total=30.0, sock_connect=2.0),
        )

    def _client_for(self, path: DirectPath) -> aiohttp.ClientSession:
        """The shared client, or for a pinned path a client of its pins' that trusts only the
        certificates they match (two while a rotation's overlap lasts: its end makes the path
        another, with a client of its own, so no connection made before outlives it)."""
        assert self._http is not None
        pins = path.pins()
        if not pins:
            return self._http
        key = " ".join(pins)
        if key not in self._pinned_http:
            self._pinned_http[key] = self._client(peer_verification(pins))
        return self._pinned_http[key]

    def _carriers(self, peer: Peer) -> list[Carrier]:
        """A carrier for each path of ``peer`` this node can use, in order."""
        return [c for c in (self._carrier(peer, path) for path in peer.paths) if c is not None]

    def _carrier(self, peer: Peer, path: PeerPath) -> Carrier | None:
        if isinstance(path, DirectPath):
            return DirectCarrier(path, peer.party, self._client_for, clock=self.node.clock)
        relay = self._peers.get(path.relay)
        return relay_carrier(path, peer.party, relay, self._client_for)

    def snapshot(self) -> list[PeerState]:
        return [self.states[party] for party in sorted(self.states)]

    def _spawn(
        self, work: Callable[[], Coroutine[Any, Any, None]], *, leading: bool = False
    ) -> None:
        running = kept_running(work, what="the line")
        if not leading:
            self._tasks.append(asyncio.create_task(running))
            return
        assert self._leader_context is not None
        context = self._leader_context.copy()
        self._leader_tasks.append(asyncio.create_task(running, context=context))

    def _on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread: wake the senders when envelopes were queued."""
        if self._loop is not None and any(e.kind == JournalKind.ENVELOPE_QUEUED for e in entries):
            with contextlib.suppress(RuntimeError):  # the loop closed: the node is stopping
                self._loop.call_soon_threadsafe(self._wake_all)
        # A peer's key changed: its next envelopes are checked with the new key at once.
        self._keys = keys_after_changes(self._keys, entries)

    def _wake_all(self) -> None:
        for link in self.links.values():
            link.wake.set()

    async def _watch(self, *, as_leader: bool) -> None:
        """Judge the lines every tick: as the leader (in its context: its writes are fenced)
        while this process leads, else as a follower; one loop of each, the other idle."""
        while True:
            await asyncio.sleep(self.tick_s)
            if self._leading is as_leader:
                await self._judge(as_leader=as_leader)

    async def _judge(self, *, as_leader: bool) -> None:
        """Read every peer's state; as the leader, start links for new peers and journal
        changes of status; as a follower, show each line as the leader reported it."""
        observed = await self.node.read_async(partial(_observe, now=format_utc(self.node.clock())))
        self._peers = {seen.peer.party: seen.peer for seen in observed}
        if keys_differ(self._keys, [seen.peer for seen in observed]):  # added, or rotated
            self._keys = await self.node.read_async(peer_keys)
        now = self.node.clock()
        if self._leading is not as_leader:
            return  # the lead changed hands during the read: the other loop judges
        if not as_leader:
            self.states = {seen.peer.party: self._as_reported(seen, now) for seen in observed}
            return
        changes = []
        for seen in observed:
            link = self.links.get(seen.peer.party)
            if link is None:
                carriers = self._carriers(seen.peer)
                link = self.links[seen.peer.party] = PeerLink(self.node, seen.peer, carriers)
                self._spawn(link.run, leading=True)
            elif link.peer.paths != seen.peer.paths or link.peer.card != seen.peer.card:
                link.use(seen.peer, self._carriers(seen.peer))
            carrying = link.carrying.via if link.carrying is not None else None
            status, reason = line_status(
                LineReading(
                    now=now,
                    interval_s=self.interval,
                    last_heard=_instant(seen.peer.last_heard_at),
                    oldest_waiting=_instant(seen.oldest_waiting),
                    last_attempt_failed=link.last_attempt_failed,
                    paths=tuple(path.status for path in link.paths),
                    carrying=carrying,
                )
            )
            if link.problem is not None and status is not LineStatus.UP:
                reason = f"{reason}: {link.problem}"
            before = self.states.get(seen.peer.party) if self._told else None
            paths = tuple(path.to_json() for path in link.paths)
            state = PeerState(
                seen.peer, status, reason, seen.peer.last_heard_at, seen.waiting, paths, carrying
            )
            changes.extend(_path_changes(state, before))
            self.states[seen.peer.party] = state
            if before is None or before.status is not status:
                changes.append(_line_change(state, before, now))
        self._told = True
        for party in self.links.keys() - self._peers.keys():  # openline peer remove
            self.links.pop(party).stop()
            self.states.pop(party, None)
        if changes:
            await self.node.write_async(lambda uow: _journal_changes(uow, changes))

    def _as_reported(self, seen: _Observed, now: Any) -> PeerState:
        """A line as the leader last reported it; one it has not reported yet, as this
        process judges it from the database alone."""
        last_heard = seen.peer.last_heard_at
        told = self._reported.get(seen.peer.party)
        if told is not None:
            status, reason = LineStatus(told["status"]), told["reason"]
            paths, carrying = tuple(told["paths"]), told["carrying"]
            return PeerState(seen.peer, status, reason, last_heard, seen.waiting, paths, carrying)
        reading = LineReading(
            now=now,
            interval_s=self.interval,
            last_heard=_instant(last_heard),
            oldest_waiting=_instant(seen.oldest_waiting),
            last_attempt_failed=False,
        )
        status, reason = line_status(reading)
        return PeerState(seen.peer, status, reason, last_heard, seen.waiting)

    async def _check_lines(self) -> None:
        """Every interval, a line check to each peer (one at a time: never a pile of them)."""
        while True:
            for party in list(self.links):
                await self.node.write_async(partial(self._line_check, party=party))
            await asyncio.sleep(self.interval)

    async def _check_paths(self) -> None:
        """Every interval, a check of each path to each peer that carried nothing meanwhile,
        all peers at once (a path that does not answer holds up no other)."""
        while True:
            await asyncio.sleep(self.interval)
            links = list(self.links.values())
            await asyncio.gather(*(link.check_paths(self.interval) for link in links))

    async def _escalate(self) -> None:
        """Overdue messages: alarms and reminders, checked every tick."""
        while True:
            if await asyncio.to_thread(due_alarms, self.node):
                await self.node.write_async(escalate(self.node))
            await asyncio.sleep(self.tick_s)

    def _line_check(self, uow: UnitOfWork, *, party: str) -> None:
        if not store.has_waiting(uow.conn, party, "line_check"):
            seal_for(uow, self.node, party, "line_check", {"interval_s": self.interval})
        offer_checkpoint(uow, self.node, party)  # the peer as witness: docs/journal.md


async def _cancelled(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait until each has ended; the list is left empty."""
    running = list(tasks)
    tasks.clear()
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _observe(conn: Connection, *, now: str) -> list[_Observed]:
    """Each peer, its paths as they stand ``now`` (a pin rotation's overlap over or not)."""
    return [
        _Observed(
            replace(peer, paths=paths_at(peer.paths, now)),
            store.oldest_waiting(conn, peer.party),
            store.count_waiting(conn, peer.party),
        )
        for peer in store.list_peers(conn)
    ]


_Change = tuple[JournalKind, dict[str, Any]]


def _line_change(state: PeerState, before: PeerState | None, now: Any) -> _Change:
    return JournalKind.LINE_STATUS, {
        "peer": state.peer.party,
        "status": state.status.value,
        "was": before.status.value if before else None,
        "reason": state.reason,
        "last_heard_at": state.last_heard_at,
        "carrying": state.carrying,
        "at": format_utc(now),
    }


def _path_changes(state: PeerState, before: PeerState | None) -> list[_Change]:
    """A ``line.path_status`` for each path whose status changed from one known status to
    another (a path not yet checked has nothing to say)."""
    was = {path["via"]: path["status"] for path in before.paths} if before else {}
    return [
        (
            JournalKind.LINE_PATH_STATUS,
            {
                "peer": state.peer.party,
                "via": path["via"],
                "status": path["status"],
                "was": was.get(path["via"], PathStatus.UNKNOWN.value),
                "problem": path["problem"],
                "at": path["last_check_at"],
            },
        )
        for path in state.paths
        if path["status"] != was.get(path["via"], PathStatus.UNKNOWN.value)
    ]


def _journal_changes(uow: UnitOfWork, changes: list[_Change]) -> None:
    for kind, data in changes:
        uow.record(kind, data)


def _instant(text: str | None) -> Any:
    return parse_utc(text) if text else None
