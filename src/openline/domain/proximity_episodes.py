"""Proximity warnings as episodes, and what of them the journal keeps each cycle.

An **episode** is one warning from its opening until it clears. A warning no longer found does
not clear at once: it *lapses*, and clears only once it has stayed unfound for ``GRACE_S``.
Found again before then (its tracks went stale and came back, or its distance flickered about
the minimum), it is the same episode: its ``opened_at`` is kept and nothing is journaled.

The journal hears of episodes once per **cycle** (at most one that writes every
``JOURNAL_CYCLE_S``; at once when the last was longer ago),
coalesced: those opened and cleared since the last cycle, each sorted by key, opened first,
one entry each (``proximity.opened`` with the warning as it was when it opened,
``proximity.cleared``) while they fit in ``ENTRIES_PER_CYCLE`` entries and
``RECORD_BYTES_PER_CYCLE`` bytes of records; the rest are only counted, in one
``proximity.summary`` entry. The full set of open warnings is the API's to list, not the
journal's. docs/proximity.md explains the choice; everything here is given the time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, NamedTuple

from openline.domain.canonical import canonical_json
from openline.domain.journal import JournalKind
from openline.domain.tracks import OpenWarning, ProximityWarning

GRACE_S = 60.0  # a warning unfound for less than this and found again is the same episode
JOURNAL_CYCLE_S = 1.0  # the journal hears of opened and cleared warnings at most this often
ENTRIES_PER_CYCLE = 20  # proximity.opened and .cleared entries per cycle, the summary apart
RECORD_BYTES_PER_CYCLE = 16_384  # of those entries' data (canonical JSON), per cycle


class Lapsed(NamedTuple):
    """An open warning no longer found, and since when."""

    warning: OpenWarning
    since: datetime


@dataclass
class Episodes:
    """The open warnings of a node (by key), those lapsed, and those opened since the last
    cycle, as they were when they opened."""

    open: dict[str, OpenWarning] = field(default_factory=dict)
    lapsed: dict[str, Lapsed] = field(default_factory=dict)
    unjournaled: dict[str, ProximityWarning] = field(default_factory=dict)
    last_cycle: datetime | None = None

    def copy(self) -> Episodes:
        return Episodes(dict(self.open), dict(self.lapsed), dict(self.unjournaled), self.last_cycle)

    @property
    def idle(self) -> bool:
        """Nothing open, lapsed or waiting for the journal: no cycle has anything to do."""
        return not (self.open or self.lapsed or self.unjournaled)

    def update(self, found: Mapping[str, ProximityWarning], now: datetime) -> None:
        """Hold the warnings just found: an open or lapsed one goes on (its latest figures, its
        first ``opened_at``), a new one opens at ``now``; an open one not found lapses."""
        held: dict[str, OpenWarning] = {}
        for key, warning in found.items():
            if key in self.open:
                opened_at = self.open[key].opened_at
            elif key in self.lapsed:
                opened_at = self.lapsed.pop(key).warning.opened_at
            else:
                opened_at = now
                self.unjournaled[key] = warning
            held[key] = OpenWarning(warning, opened_at)
        for key in self.open.keys() - found.keys():
            self.lapsed[key] = Lapsed(self.open[key], now)
        self.open = held

    def cycle(self, now: datetime) -> list[tuple[JournalKind, dict[str, Any]]]:
        """The journal entries of this cycle, or none if the last cycle that wrote any was
        less than ``JOURNAL_CYCLE_S`` ago: lapsed warnings past their grace clear, and the
        episodes opened and cleared since the last cycle are told, coalesced."""
        last = self.last_cycle
        if last is not None and last <= now < last + timedelta(seconds=JOURNAL_CYCLE_S):
            return []
        grace = timedelta(seconds=GRACE_S)
        cleared: list[ProximityWarning] = []
        for key in sorted(k for k, lapsed in self.lapsed.items() if now - lapsed.since >= grace):
            ended = self.lapsed.pop(key)
            # Opened and ended between two cycles: the journal never heard of it, nor will.
            if self.unjournaled.pop(key, None) is None:
                cleared.append(ended.warning.warning)
        opened = [self.unjournaled[key] for key in sorted(self.unjournaled)]
        self.unjournaled.clear()
        entries = coalesced(opened, cleared, still_open=len(self.open))
        if entries:  # a quiet node tells at once; a busy one at most once per cycle
            self.last_cycle = now
        return entries


def coalesced(
    opened: list[ProximityWarning], cleared: list[ProximityWarning], *, still_open: int
) -> list[tuple[JournalKind, dict[str, Any]]]:
    """One entry per warning while within the cycle's bounds (opened first), then, if any are
    left, one ``proximity.summary`` counting them: ``{"opened": N, "cleared": M, "open": K}``,
    N and M those not listed one by one, K the warnings open after the cycle."""
    entries: list[tuple[JournalKind, dict[str, Any]]] = []
    size = 0
    for kind, data in _records(opened, cleared):
        size += len(canonical_json(data))
        if len(entries) == ENTRIES_PER_CYCLE or size > RECORD_BYTES_PER_CYCLE:
            break
        entries.append((kind, data))
    listed_opened = sum(kind is JournalKind.PROXIMITY_OPENED for kind, _ in entries)
    left = (len(opened) - listed_opened, len(cleared) - (len(entries) - listed_opened))
    if any(left):
        summary = {"opened": left[0], "cleared": left[1], "open": still_open}
        entries.append((JournalKind.PROXIMITY_SUMMARY, summary))
    return entries


def _records(
    opened: list[ProximityWarning], cleared: list[ProximityWarning]
) -> Iterator[tuple[JournalKind, dict[str, Any]]]:
    """Each warning's entry, made only when asked for (a busy cycle lists few of them)."""
    return chain(
        ((JournalKind.PROXIMITY_OPENED, w.to_json()) for w in opened),
        ((JournalKind.PROXIMITY_CLEARED, w.cleared()) for w in cleared),
    )
