"""The conflict finder of a running process: loaded from the database in the background as the
process starts, then kept in step with every commit, its own process's or another's.

A node holding a million live volumes takes seconds to load them, and the process answers
meanwhile: ``GET /api/v1/node`` says it is not ready, and whatever needs the finder (a
notification stored, changed or received, the tracks' warnings against volumes) is refused
with 503 and ``Retry-After``, never answered from a finder that lacks volumes. The load reads
one snapshot of the database, noting the journal's head in it; the finder is installed on the
writer's thread, at the start of a transaction, and catches up there, under the write lock,
with the notifications changed after that head. Every later transaction does the same, so the
finder holds every live notification committed by any process before its operations run.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

from openline.domain.errors import Unavailable
from openline.domain.journal import EntryFilter, JournalKind
from openline.domain.notifications import Notification, Status
from openline.domain.separation import SeparationRules
from openline.store.database import one_snapshot
from openline.store.journal import read_entries, read_head
from openline.store.notifications import get_notification, live_records, read_record

if TYPE_CHECKING:  # imported when the node starts (see build_finder), not before
    from openline.geo.conflict_finder import ConflictFinder

log = logging.getLogger(__name__)

# The entries after which a notification's row may have changed.
NOTIFICATION_CHANGES = EntryFilter(
    kinds=(
        JournalKind.NOTIFICATION_CREATED,
        JournalKind.NOTIFICATION_UPDATED,
        JournalKind.NOTIFICATION_RECEIVED,
    )
)
LIVE = (Status.PLANNED, Status.ACTIVE)
PAGE = 1000
RETRY_S = 1.0  # the pause before loading again after the database failed
Records = Iterable[tuple[str, str]]  # each live notification's id and record, as stored
Build = Callable[[SeparationRules, Records], "ConflictFinder"]


class LiveFinder:
    """The process's conflict finder, once loaded; see the module docstring."""

    def __init__(self, rules: SeparationRules, build: Build | None = None) -> None:
        """``build``: how the finder is built from the stored notifications (build_finder)."""
        self._rules = rules
        self._build = build or build_finder
        self._loaded: tuple[ConflictFinder, int] | None = None  # set by the loading thread
        self._ready = threading.Event()
        self._stopping = threading.Event()
        # Used on the writer's thread only: the finder installed, and the last journal entry
        # it holds the notifications of.
        self._finder: ConflictFinder | None = None
        self._seq = 0

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start_loading(self, engine: Engine) -> None:
        threading.Thread(
            target=self._load, args=(engine,), name="openline-finder-load", daemon=True
        ).start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until loaded; whether it is."""
        return self._ready.wait(timeout_s)

    def stop(self) -> None:
        self._stopping.set()

    def finder(self) -> ConflictFinder:
        """The finder (on the writer's thread), or 503 while it is loading."""
        if self._finder is None and not self._installed():
            raise Unavailable(
                "this node process is still loading its live notifications into the conflict "
                "finder after its start: try again in a few seconds (GET /api/v1/node says "
                "when it is ready)"
            )
        assert self._finder is not None
        return self._finder

    def catch_up(self, conn: Connection, head_seq: int) -> None:
        """On the writer's thread, at the start of a transaction (under the write lock):
        install the finder once loaded, and bring it up to the journal's head."""
        if self._finder is None and not self._installed():
            return
        if self._seq >= head_seq:
            return
        changed: set[str] = set()
        while page := read_entries(conn, after=self._seq, limit=PAGE, only=NOTIFICATION_CHANGES):
            changed.update(json.loads(entry.data)["id"] for entry in page)
            self._seq = page[-1].seq
        for notification_id in sorted(changed):
            self._refresh(get_notification(conn, notification_id), notification_id)
        self._seq = head_seq

    def _installed(self) -> bool:
        """Install the finder once loaded (it catches up at the next transaction's start)."""
        if self._loaded is None:
            return False
        self._finder, self._seq = self._loaded
        self._loaded = None
        return True

    def committed(self, seq: int) -> None:
        """On the writer's thread, after its own commit: the finder holds it already."""
        if self._finder is not None:
            self._seq = seq

    def _refresh(self, notification: Notification | None, notification_id: str) -> None:
        assert self._finder is not None
        if notification is not None and notification.status in LIVE:
            self._finder.put(notification)
        else:
            self._finder.drop(notification_id)

    def _load(self, engine: Engine) -> None:
        while not self._stopping.is_set():
            try:
                with engine.connect() as conn, one_snapshot(conn).begin():
                    head_seq, _ = read_head(conn)
                    finder = self._build(self._rules, live_records(conn))
                self._loaded = (finder, head_seq)
                self._ready.set()
                return
            except Exception as exc:  # the database not reached yet: the process waits for it
                log.warning("loading the conflict finder: %s; trying again", exc)
                self._stopping.wait(RETRY_S)


def build_finder(rules: SeparationRules, records: Records) -> ConflictFinder:
    """A conflict finder holding these stored notifications, under the node's rules."""
    # Imported here, for start-up time: numpy, pyproj and shapely load only on a node that
    # starts, never for one-shot commands such as `openline journal verify` (not a circle:
    # geo/ imports nothing of node/).
    from openline.geo.conflict_finder import ConflictFinder

    finder = ConflictFinder(rules)
    # The collector, left on, would walk the millions of objects made here again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        finder.load_records(records, read_record)
    finally:
        if collecting:
            gc.enable()
    # The held volumes live as long as the node. Frozen out of the collector's generations,
    # they are never walked again by a full collection, which at 10^6 held volumes would
    # pause a conflict check for tens of milliseconds (docs/performance.md).
    gc.freeze()
    return finder
