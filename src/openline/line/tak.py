"""The TAK bridge: this node's notifications, conflicts, tracks and proximity warnings on a TAK
server's map as Cursor-on-Target, and the position reports of its devices as this party's
tracks (docs/tak.md).

Started and stopped with the node's API (``api/app.py``), beside the line's other loops, when
``tak_url`` is set. The connection is pytak's (TCP, UDP, or TLS with a client certificate);
the events are built and read by ``interop/cot.py``. Every ``track_interval`` the bridge works
out what the map should show and sends only what changed since it last sent it (a revision
replaces its shape under the same uid; what is gone is withdrawn); after a reconnection it
sends everything again, since the server may have forgotten it. What comes in is read one
event at a time: a friendly position report (``a-f-*``) becomes a report of this party's track
through the track use case (``services/tracks.py``) and crosses the line by the track rules;
anything that cannot be taken is dropped, logged and counted in the journal, and the bridge
reads on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import warnings
from collections.abc import Iterator
from configparser import ConfigParser, SectionProxy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from openline.domain.conflicts import StoredConflict
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.notifications import Notification
from openline.domain.timeutil import system_clock
from openline.domain.tracks import Approach, OpenWarning, TrackReport
from openline.interop import cot, cot_in
from openline.line.loops import kept_running
from openline.node.assembly import Node
from openline.node.settings import Settings
from openline.services import tracks
from openline.store import notifications as store
from openline.store.writer import UnitOfWork

with warnings.catch_warnings():
    # pytak warns as it loads that aiohttp is missing: it needs it only to enrol for a
    # certificate with a user name and password, which Openline never asks of it.
    warnings.filterwarnings("ignore", "The 'aiohttp' package is required", UserWarning)
    import pytak

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
ANSWER_WAIT_S = 5.0  # openline tak test: how long the TAK server has to answer its ping
RECONNECT_S = 5.0  # between attempts while the TAK server cannot be reached
MAX_CONFLICTS = 10_000  # open conflicts drawn at once
DROPS_PERIOD_S = 10.0  # drops are journaled at most once a period, counted
DROPS_LOGGED = 10  # drops logged one by one in a period; the rest only counted
# The entries after which the notifications and conflicts are read again.
PLAN_CHANGES = frozenset(
    {
        JournalKind.NOTIFICATION_CREATED,
        JournalKind.NOTIFICATION_UPDATED,
        JournalKind.NOTIFICATION_RECEIVED,
        JournalKind.CONFLICT_OPENED,
        JournalKind.CONFLICT_UPDATED,
        JournalKind.CONFLICT_CLEARED,
    }
)


def pytak_config(settings: Settings, directory: Path) -> SectionProxy:
    """pytak's configuration for this node's ``tak_url`` (relative certificate paths are in
    the node directory)."""

    def path(value: str) -> str:
        return str(directory / value) if value else ""

    parser = ConfigParser(interpolation=None)
    # UDP sends only: pytak would otherwise bind a reader to the server's own address.
    url = settings.tak_url.replace("udp://", "udp+wo://", 1)
    parser["openline"] = {
        "COT_URL": url,
        "PYTAK_TLS_CLIENT_CERT": path(settings.tak_client_cert),
        "PYTAK_TLS_CLIENT_KEY": path(settings.tak_client_key),
        "PYTAK_TLS_CLIENT_CAFILE": path(settings.tak_ca_file),
    }
    return parser["openline"]


async def connect(settings: Settings, directory: Path) -> tuple[pytak.TXWorker, pytak.RXWorker]:
    """A connection to the TAK server: pytak's sender and receiver over it. Raises
    ``ConnectionError`` naming the server and why it could not be reached."""
    config = pytak_config(settings, directory)
    if settings.tak_url.startswith("tls://") and not settings.tak_client_cert:
        raise ConnectionError(
            f"TAK server {settings.tak_url}: tak_client_cert is not set, and a tls:// TAK "
            "server needs a client certificate"
        )
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):  # not wait_for: see loops.py's woken
            reader, writer = await pytak.protocol_factory(config)
    except (OSError, TimeoutError, SyntaxError, ValueError) as exc:
        raise ConnectionError(f"TAK server {settings.tak_url}: {_why(exc)}") from None
    return pytak.TXWorker(asyncio.Queue(), config, writer), pytak.RXWorker(
        asyncio.Queue(), config, reader
    )


def _why(exc: BaseException) -> str:
    """Why pytak could not connect, in Openline's settings' terms (pytak names its own)."""
    cause = exc.__cause__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"its certificate is not trusted ({cause.verify_message}): set tak_ca_file to the "
            "CA that signed it"
        )
    if isinstance(exc, ValueError) and cause is not None:  # pytak: a certificate file unread
        return f"the client certificate or key cannot be used ({cause})"
    return str(exc) or type(exc).__name__


async def check(settings: Settings, directory: Path) -> str:
    """What ``openline tak test`` says: connect as the bridge does, send a TAK ping and, over
    TCP or TLS, wait for the server to send something back. Raises ``ConnectionError`` when
    it cannot connect, or closes the connection (as a TLS server does with a certificate it
    refuses)."""
    sender, receiver = await connect(settings, directory)
    try:
        await sender.send_data(cot.ping(now=system_clock()).xml)
        if settings.tak_url.startswith("udp://"):
            return "connected, and a ping sent (UDP: nothing comes back to confirm it arrived)"
        async with asyncio.timeout(ANSWER_WAIT_S):
            answer = await receiver.readcot()
    except TimeoutError:
        return (
            f"connected, and a ping sent; nothing came back within {ANSWER_WAIT_S:g} s "
            "(not every TAK server answers a ping)"
        )
    except OSError as exc:  # ConnectionError, ssl.SSLError
        raise _closed(settings, f" ({exc})") from None
    finally:
        await close(sender)
    if answer is None:
        raise _closed(settings, "")
    return "connected, and it answered a ping"


def _closed(settings: Settings, detail: str) -> ConnectionError:
    return ConnectionError(
        f"TAK server {settings.tak_url}: it closed the connection after the ping{detail}; "
        "does it accept this node's client certificate?"
    )


async def close(sender: pytak.TXWorker) -> None:
    """Close the connection and wait until it is (a UDP socket closes at once)."""
    with contextlib.suppress(Exception):  # already closed by the server: nothing to undo
        sender.writer.close()
        if hasattr(sender.writer, "wait_closed"):
            await sender.writer.wait_closed()


@dataclass
class Drops:
    """What CoT in dropped: counted, logged one by one up to ``DROPS_LOGGED`` a period, and
    journaled once a period with the first reasons."""

    total: int = 0
    pending: int = 0
    reasons: list[str] = field(default_factory=list)
    period_started: float = 0.0

    def add(self, reason: str) -> None:
        self.total += 1
        self.pending += 1
        if len(self.reasons) < 3:
            self.reasons.append(reason[:200])
        if self.pending <= DROPS_LOGGED:
            log.warning("CoT from the TAK server dropped: %s", reason[:200])

    def due(self) -> dict[str, Any] | None:
        """The journal entry's data when drops wait and a period has passed since the last."""
        if not self.pending or time.monotonic() - self.period_started < DROPS_PERIOD_S:
            return None
        data = {"count": self.pending, "total": self.total, "reasons": self.reasons}
        self.pending, self.reasons, self.period_started = 0, [], time.monotonic()
        return data


class TakBridge:
    """One node's connection to its TAK server, kept up while the node runs."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.sent: dict[str, tuple[str, bytes, datetime]] = {}  # uid: type, XML, stale
        # Own tracks reported by TAK devices, already on the map: never sent back; with when
        # each was last reported (time.monotonic()), to forget them once stale.
        self.from_tak: dict[str, float] = {}
        self.drops = Drops()
        self._plans: list[cot.Event] = []
        self._plans_changed = True
        self._task: asyncio.Task[None] | None = None
        self._unreachable = False  # the last attempt to connect failed

    def start(self) -> None:
        if not self.node.settings.tak_url:
            return
        self.node.bus.listen(self._on_commit)
        work = kept_running(self._session, what="the TAK bridge", pause_s=RECONNECT_S)
        self._task = asyncio.create_task(work)

    async def stop(self) -> None:
        self.node.bus.unlisten(self._on_commit)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread: read the notifications and conflicts again at the next
        interval when one changed."""
        if any(entry.kind in PLAN_CHANGES for entry in entries):
            self._plans_changed = True

    async def _session(self) -> None:
        """One connection, from connecting until it is lost: everything is sent anew."""
        try:
            sender, receiver = await connect(self.node.settings, self.node.directory.path)
        except ConnectionError as exc:
            # Said once while the server stays out of reach, then at debug every attempt.
            level = logging.DEBUG if self._unreachable else logging.WARNING
            log.log(level, "%s; trying again every %g s", exc, RECONNECT_S)
            self._unreachable = True
            return
        log.info("connected to the TAK server %s", self.node.settings.tak_url)
        self._unreachable = False
        self.sent.clear()
        receiving = asyncio.create_task(self._receive(receiver))
        try:
            while not receiving.done():
                await self._mirror(sender)
                await self._journal_drops()
                await asyncio.wait({receiving}, timeout=self.node.settings.track_interval)
            receiving.result()
        except (OSError, EOFError) as exc:
            log.warning("TAK server %s lost: %s", self.node.settings.tak_url, exc or "closed")
        finally:
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, EOFError):
                await receiving
            await close(sender)

    # --- out ------------------------------------------------------------------------------------

    async def _mirror(self, sender: pytak.TXWorker) -> None:
        """Send what is new or changed since last sent; withdraw what is gone."""
        now = self.node.clock()
        wanted = {event.uid: event for event in await self._wanted() if event.stale > now}
        for uid, event in wanted.items():
            held = self.sent.get(uid)
            if held is None or held[1] != event.xml:
                await sender.send_data(event.xml)
                self.sent[uid] = (event.type, event.xml, event.stale)
        for uid in [uid for uid in self.sent if uid not in wanted]:
            cot_type, _, stale = self.sent.pop(uid)
            if stale > now:  # a stale one is gone from the map already
                await sender.send_data(cot.withdrawal(uid, cot_type, now=now).xml)

    async def _wanted(self) -> list[cot.Event]:
        if self._plans_changed:
            self._plans_changed = False
            self._plans = await self.node.read_async(self._plan_events)
        held = await self.node.write_async(tracks.current_tracks(self.node))
        page = await self.node.write_async(tracks.current_warnings(self.node))
        return [*self._plans, *self._track_events(held, page.warnings)]

    def _plan_events(self, conn: Connection) -> list[cot.Event]:
        party = self.node.party
        live = {n.id: n for n in store.live_notifications(conn)}
        events = [
            shape
            for notification in live.values()
            for shape in cot.notification_shapes(notification, own=notification.owner == party)
        ]
        open_conflicts = store.list_conflicts(
            conn, state="open", notification_id=None, limit=MAX_CONFLICTS
        )
        events.extend(_conflict_alerts(open_conflicts, live))
        return events

    def _track_events(
        self, held: list[TrackReport], warnings: list[OpenWarning]
    ) -> Iterator[cot.Event]:
        party, stale_after = self.node.party, self.node.settings.track_stale_after
        forgotten = time.monotonic() - stale_after - RECONNECT_S
        self.from_tak = {uid: at for uid, at in self.from_tak.items() if at > forgotten}
        reports = {(r.party, r.track_id): r for r in held}
        for report in held:
            own = report.party == party
            if not (own and report.track_id in self.from_tak):
                yield cot.track_unit(report, own=own, stale_after_s=stale_after)
        for warning in warnings:
            found = warning.warning
            track = found.a if isinstance(found, Approach) else found.track
            at = reports.get((track.party, track.track_id))
            if at is not None:  # its track is held (a warning outlives it by a grace)
                yield cot.warning_alert(warning, at=at, stale_after_s=stale_after)

    # --- in -------------------------------------------------------------------------------------

    async def _receive(self, receiver: pytak.RXWorker) -> None:
        if receiver.reader is None:  # UDP: nothing comes in
            await asyncio.Event().wait()
        while True:
            try:
                data = await receiver.readcot()
            except asyncio.LimitOverrunError as exc:  # over the reader's 64 KiB: skip it
                await _skip_event(receiver.reader, exc.consumed)
                self.drops.add(f"an event over {cot_in.MAX_EVENT_BYTES} bytes")
                continue
            if data is None:
                raise EOFError("the TAK server closed the connection")
            await self.take(data)

    async def take(self, data: bytes) -> None:
        """One event from the TAK server: a position report becomes a report of this party's
        track; anything that cannot be taken is dropped and counted."""
        try:
            body = cot_in.position_report(data)
            if body is None:
                return
            reports = tracks.parse(self.node, [body])
            await self.node.write_async(tracks.report(self.node, reports))
        except (cot_in.BadCot, InvalidInput) as exc:
            self.drops.add(str(exc))
            return
        self.from_tak[body["track_id"]] = time.monotonic()

    async def _journal_drops(self) -> None:
        data = self.drops.due()
        if data is not None:

            def record(uow: UnitOfWork) -> None:
                uow.record(
                    JournalKind.TAK_COT_DROPPED, {"server": self.node.settings.tak_url, **data}
                )

            await self.node.write_async(record)


def _conflict_alerts(
    open_conflicts: list[StoredConflict], live: dict[str, Notification]
) -> Iterator[cot.Event]:
    """An alert for each open conflict whose first notification this node holds live."""
    for stored in open_conflicts:
        first = live.get(stored.conflict.a.notification)
        if first is not None:
            yield cot.conflict_alert(stored, first)


async def _skip_event(reader: asyncio.StreamReader, consumed: int) -> None:
    """Read past an event too large to hold: ``consumed`` bytes at a time, up to its end."""
    while True:
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"</event>")
            return
        except asyncio.LimitOverrunError as exc:
            consumed = exc.consumed
