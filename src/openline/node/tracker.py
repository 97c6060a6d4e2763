"""The node's live tracks and open proximity warnings, held in memory (docs/proximity.md).

Positions are worth seconds: a node that restarts has nothing worth reloading, and a table
would cost a write per report, so the latest report of every track lives here, not in the
database. The node builds one ``Tracker`` (``Node.tracker``) and has it listen to its commits;
the use cases (``services/tracks.py``) change it on the writer's thread only, inside write
operations, and :meth:`Tracker.keep` undoes an operation's changes if its transaction rolls back.
"""

from __future__ import annotations

from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.proximity_episodes import Episodes
from openline.domain.tracks import TrackRef, TrackReport
from openline.store.writer import UnitOfWork

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

    def keep(self, uow: UnitOfWork) -> None:
        """Undo whatever this operation changes in the tracker if its transaction rolls back."""
        reports, unsent, episodes = dict(self.reports), dict(self.unsent), self.episodes.copy()
        changed = self.tracks_changed, self.notifications_changed

        def undo() -> None:
            self.reports, self.unsent, self.episodes = reports, unsent, episodes
            self.tracks_changed, self.notifications_changed = changed

        uow.on_rollback(undo)
