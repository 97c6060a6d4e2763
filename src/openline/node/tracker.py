"""The node's live tracks and open proximity warnings, held in memory (docs/proximity.md).

Positions are worth seconds: a node that restarts has nothing worth reloading, and a table
would cost a write per report, so the latest report of every track lives here, not in the
database. The node builds one ``Tracker`` (``Node.tracker``) and has it listen to its commits;
the use cases (``services/tracks.py``) change it on the writer's thread only, inside write
operations, and :meth:`Tracker.keep` undoes an operation's changes if its transaction rolls back.
On PostgreSQL, every process serving the node holds the same tracks: each takes those the
others took too (``node/shared_tracks.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.proximity_episodes import Episodes
from openline.domain.tracks import TrackRef, TrackReport
from openline.store.writer import UnitOfWork

log = logging.getLogger(__name__)

MAX_TRACKS = 50_000  # held at once, all parties: memory stays bounded whatever peers send

# The entries after which the warnings are found again: a notification stored or changed.
NOTIFICATION_CHANGES = frozenset(
    {
        JournalKind.NOTIFICATION_CREATED,
        JournalKind.NOTIFICATION_UPDATED,
        JournalKind.NOTIFICATION_RECEIVED,
    }
)


class Tracker:
    """A node's live tracks and proximity warnings (their episodes); used on the writer's
    thread only."""

    def __init__(self) -> None:
        self.reports: dict[TrackRef, TrackReport] = {}
        self.unsent: dict[str, TrackReport] = {}  # own tracks changed since sealed, by track_id
        self.episodes = Episodes()
        # The tracks or notifications changed since the warnings were last found: find them
        # again at the next track interval.
        self.tracks_changed = False
        self.notifications_changed = True
        self.find_not_before = 0.0  # time.monotonic(): a saturated sky's findings spaced out

    @property
    def idle(self) -> bool:
        """No track held and no warning open, lapsed or waiting for the journal."""
        return not self.reports and self.episodes.idle

    def on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread, after a commit: note when a notification was created,
        changed or received."""
        if any(entry.kind in NOTIFICATION_CHANGES for entry in entries):
            self.notifications_changed = True

    def take(self, reports: Iterable[TrackReport], *, refuse: bool) -> list[TrackReport]:
        """Hold each report newer than its track's; the ones taken.

        A new track over ``MAX_TRACKS`` is refused (``refuse``: an operator's report) or dropped
        and logged (a peer's: refusing its envelope would stop the whole line)."""
        taken = []
        for one in reports:
            current = self.reports.get(one.ref)
            if current is not None and current.time >= one.time:
                continue
            if current is None and len(self.reports) >= MAX_TRACKS:
                message = f"track {one.track_id}: this node already holds {MAX_TRACKS} tracks"
                if refuse:
                    raise InvalidInput(f"{message}, its limit")
                log.warning("%s of %s dropped: %s, its limit", one.track_id, one.party, message)
                continue
            self.reports[one.ref] = one
            taken.append(one)
        self.tracks_changed |= bool(taken)
        return taken

    def queue_own(self, taken: Iterable[TrackReport], party: str) -> None:
        """Note ``party``'s reports among those taken as changed since sealed, for the peers."""
        for one in taken:
            if one.party == party:
                self.unsent[one.track_id] = one

    def take_shared(self, uow: UnitOfWork, reports: list[TrackReport], party: str) -> None:
        """Reports another process of the node took (on the writer's thread): held as that
        process holds them, and ``party``'s own queued for the peers, as that process did, so
        that whichever process leads seals them."""
        self.keep(uow)
        self.queue_own(self.take(reports, refuse=False), party)

    def keep(self, uow: UnitOfWork) -> None:
        """Undo whatever this operation changes in the tracker if its transaction rolls back."""
        reports, unsent, episodes = dict(self.reports), dict(self.unsent), self.episodes.copy()
        changed = self.tracks_changed, self.notifications_changed

        def undo() -> None:
            self.reports, self.unsent, self.episodes = reports, unsent, episodes
            self.tracks_changed, self.notifications_changed = changed

        uow.on_rollback(undo)
