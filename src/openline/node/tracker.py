"""The node's live tracks and open proximity warnings, held in memory (docs/proximity.md).

Positions are worth seconds: a node that restarts has nothing worth reloading, and a table
would cost a write per report, so the latest report of every track lives here, not in the
database. The node builds one ``Tracker`` (``Node.tracker``) and has it listen to its commits;
the use cases (``services/tracks.py``) change it on the writer's thread only, inside write
operations, and :meth:`Tracker.keep` undoes an operation's changes if its transaction rolls back.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from openline.domain.journal import JournalEntry, JournalKind
from openline.domain.tracks import OpenWarning, ProximityWarning, TrackRef, TrackReport
from openline.store.writer import UnitOfWork

# The entries after which the warnings are found again: a notification stored or changed.
NOTIFICATION_CHANGES = frozenset(
    {
        JournalKind.NOTIFICATION_CREATED,
        JournalKind.NOTIFICATION_UPDATED,
        JournalKind.NOTIFICATION_RECEIVED,
    }
)


class WarningChanges(NamedTuple):
    """What finding the warnings again changed: those that opened and those that cleared."""

    opened: list[ProximityWarning]
    cleared: list[ProximityWarning]


class Tracker:
    """A node's live tracks and open warnings; used on the writer's thread only."""

    def __init__(self) -> None:
        self.reports: dict[TrackRef, TrackReport] = {}
        self.unsent: dict[str, TrackReport] = {}  # own tracks changed since sealed, by track_id
        self.warnings: dict[str, OpenWarning] = {}  # by key
        # The notifications changed since the warnings were last found: find them again.
        self.notifications_changed = True

    def on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread, after a commit: note when a notification was created,
        changed or received."""
        if any(entry.kind in NOTIFICATION_CHANGES for entry in entries):
            self.notifications_changed = True

    def keep(self, uow: UnitOfWork) -> None:
        """Undo whatever this operation changes in the tracker if its transaction rolls back."""
        reports, unsent, warnings = dict(self.reports), dict(self.unsent), dict(self.warnings)

        def undo() -> None:
            self.reports, self.unsent, self.warnings = reports, unsent, warnings

        uow.on_rollback(undo)

    def update_warnings(self, found: dict[str, ProximityWarning], now: datetime) -> WarningChanges:
        """Hold the warnings just found, keeping when each open one was opened; those that
        opened (opened at ``now``) and those that cleared, each sorted by key."""
        opened = [found[key] for key in sorted(set(found) - set(self.warnings))]
        cleared = [self.warnings[key].warning for key in sorted(set(self.warnings) - set(found))]
        self.warnings = {
            key: OpenWarning(warning, self.warnings[key].opened_at if key in self.warnings else now)
            for key, warning in found.items()
        }
        return WarningChanges(opened, cleared)
