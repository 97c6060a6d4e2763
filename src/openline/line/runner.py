"""The running line of a node: a sender per peer, line checks, and the status of each line.

Started and stopped with the node's API (``api/app.py``). It learns of new envelopes from the
journal's commits (``EventBus.listen``) and of peers added by ``openline peer add`` from the
database, so a peer linked while the node runs is served within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Connection

from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.line import LineReading, LineStatus, line_status
from openline.domain.parties import Peer
from openline.domain.timeutil import format_utc, parse_utc
from openline.keys.signing import PublicKey
from openline.keys.tls import peer_verification
from openline.line.escalation import due_alarms, escalate
from openline.line.loops import kept_running
from openline.line.sender import PeerLink
from openline.node.assembly import Node
from openline.services.outbox import seal_for
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

    def to_json(self) -> dict[str, Any]:
        return {
            **self.peer.card.model_dump(),
            "status": self.status.value,
            "reason": self.reason,
            "last_heard_at": self.last_heard_at,
            "waiting": self.waiting,
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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: httpx.AsyncClient | None = None
        self._pinned_http: list[httpx.AsyncClient] = []  # one per pinned peer (docs/security.md)
        self._keys: dict[str, PublicKey] = {}

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
        await self._judge()  # peers, links and a first status before the API answers
        self._spawn(self._watch)
        self._spawn(self._check_lines)
        self._spawn(self._escalate)

    async def stop(self) -> None:
        self.node.bus.unlisten(self._on_commit)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for http in [self._http, *self._pinned_http]:
            if http is not None:
                await http.aclose()
        self._pinned_http.clear()

    @staticmethod
    def _client(verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=2.0), verify=verify)

    def _client_for(self, peer: Peer) -> httpx.AsyncClient:
        """The shared client, or for a pinned peer a client of its own that trusts only the
        certificates its pin matches."""
        assert self._http is not None
        if peer.tls_pin is None:
            return self._http
        self._pinned_http.append(self._client(peer_verification(peer.tls_pin)))
        return self._pinned_http[-1]

    def snapshot(self) -> list[PeerState]:
        return [self.states[party] for party in sorted(self.states)]

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._tasks.append(asyncio.create_task(kept_running(work, what="the line")))

    def _on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread: wake the senders when envelopes were queued."""
        if self._loop is not None and any(e.kind == JournalKind.ENVELOPE_QUEUED for e in entries):
            with contextlib.suppress(RuntimeError):  # the loop closed: the node is stopping
                self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for link in self.links.values():
            link.wake.set()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            await self._judge()

    async def _judge(self) -> None:
        """Read every peer's state, start links for new peers, journal changes of status."""
        observed = await self.node.read_async(_observe)
        self._keys = {
            seen.peer.party: self._keys.get(seen.peer.party)
            or PublicKey.from_base64(seen.peer.card.public_key)
            for seen in observed
        }
        now = self.node.clock()
        changes = []
        for seen in observed:
            link = self.links.get(seen.peer.party)
            if link is None:
                http = self._client_for(seen.peer)
                link = self.links[seen.peer.party] = PeerLink(self.node, seen.peer, http)
                self._spawn(link.run)
            status, reason = line_status(
                LineReading(
                    now=now,
                    interval_s=self.interval,
                    last_heard=_instant(seen.peer.last_heard_at),
                    oldest_waiting=_instant(seen.oldest_waiting),
                    last_attempt_failed=link.last_attempt_failed,
                )
            )
            if link.problem is not None and status is not LineStatus.UP:
                reason = f"{reason}: {link.problem}"
            before = self.states.get(seen.peer.party)
            state = PeerState(seen.peer, status, reason, seen.peer.last_heard_at, seen.waiting)
            self.states[seen.peer.party] = state
            if before is None or before.status is not status:
                changes.append((state, before.status.value if before else None))
        if changes:
            await self.node.write_async(lambda uow: _journal_changes(uow, changes, now))

    async def _check_lines(self) -> None:
        """Every interval, a line check to each peer (one at a time: never a pile of them)."""
        while True:
            for party in list(self.links):
                await self.node.write_async(partial(self._line_check, party=party))
            await asyncio.sleep(self.interval)

    async def _escalate(self) -> None:
        """Overdue messages: alarms and reminders, checked every tick."""
        while True:
            if await asyncio.to_thread(due_alarms, self.node):
                await self.node.write_async(escalate(self.node))
            await asyncio.sleep(self.tick_s)

    def _line_check(self, uow: UnitOfWork, *, party: str) -> None:
        if not store.has_waiting(uow.conn, party, "line_check"):
            seal_for(uow, self.node, party, "line_check", {"interval_s": self.interval})


def _observe(conn: Connection) -> list[_Observed]:
    return [
        _Observed(
            peer,
            store.oldest_waiting(conn, peer.party),
            store.count_waiting(conn, peer.party),
        )
        for peer in store.list_peers(conn)
    ]


def _journal_changes(
    uow: UnitOfWork, changes: list[tuple[PeerState, str | None]], now: Any
) -> None:
    for state, was in changes:
        uow.record(
            JournalKind.LINE_STATUS,
            {
                "peer": state.peer.party,
                "status": state.status.value,
                "was": was,
                "reason": state.reason,
                "last_heard_at": state.last_heard_at,
                "at": format_utc(now),
            },
        )


def _instant(text: str | None) -> Any:
    return parse_utc(text) if text else None
