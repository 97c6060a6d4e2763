"""Live tracks: reports from operators and peers, sharing them over the line, proximity warnings.

The latest report of every track is held **in memory**, by the node's ``Tracker``
(``node/tracker.py``), not in a table: positions are worth seconds, a node that restarts has
nothing worth reloading (its tracks would be stale by the time it answered), and a table would
cost a write per report. What must outlive the process is in the journal: every warning opened
or cleared, and every ``track`` envelope sealed or received (the line's own record). The
geometry of the warnings is in ``geo/track_warnings.py``; the loop that runs :func:`tick`, in
``line/tracks.py``.

Everything here runs on the writer's thread, inside write operations, like the conflict finder
(but the finding of the warnings, on a snapshot, in :func:`tick`):
so the tracks, the warnings and the journal entries about them change together, and each
change is undone if its transaction is rolled back. The API reads them through the writer too,
so it never sees what was not committed.

- **Reports** (``report``, and ``apply_incoming`` for a peer's ``track`` envelope) replace the
  held report of their track when they are newer; older ones are dropped. Taking a batch costs
  only its own reports: the warnings are found at the next interval, not per batch.
- **Coalescing**: own tracks changed since the last envelope wait in ``unsent``; every
  ``track_interval`` seconds ``TrackLoop`` runs :func:`tick`, which seals one ``track`` envelope per
  peer they are shared with, holding the latest report of each, and forgets tracks whose
  latest report is older than ``track_stale_after``.
- **Warnings** are found again in that tick when the tracks or the notifications changed, from
  the reports alone (docs/proximity.md), outside the writer's thread (a saturated sky takes
  seconds), and held as episodes (``domain/proximity_episodes.py``):
  the journal hears of those opened and cleared once per cycle, coalesced and bounded; one that
  only changed its figures is updated in memory, not journaled.
- **Several processes** (PostgreSQL): every process of a node holds the same tracks, each
  taking those the others took (``node/shared_tracks.py``), and each ticks, ageing them and
  finding the warnings; only the one that leads the line seals and journals.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from openline.domain import tracks as rules
from openline.domain.bodies import read_tracks
from openline.domain.envelopes import Envelope
from openline.domain.tracks import OpenWarning, ProximityWarning, TrackReport
from openline.geo.track_warnings import Volume, find_warnings, reach_of, volume_of
from openline.node.assembly import Node
from openline.services.outbox import arrived_on, seal_for
from openline.store import line as line_store
from openline.store.writer import Operation, UnitOfWork

log = logging.getLogger(__name__)

MAX_AHEAD_S = 60.0  # how far ahead of the node's clock an operator's report may be
# A report's canonical JSON is at most about 270 bytes (a 64-character track_id, 17-digit
# numbers); the envelope around the reports (addresses, hashes, signature) under 1 KiB.
REPORT_BYTES = 300
ENVELOPE_OVERHEAD_BYTES = 1024
# In a saturated sky, finding the warnings takes at most this share of the time: after a
# finding longer than FINDING_FREE_S, the next waits (docs/proximity.md).
FINDING_SHARE = 0.25
FINDING_FREE_S = 0.1
MAX_PAGE = 1000  # open warnings in one answer of the API (docs/proximity.md)
DEFAULT_PAGE = 100


def proximity_rules(node: Node) -> rules.ProximityRules:
    s = node.settings
    return rules.ProximityRules(
        s.proximity_lookahead, s.proximity_lateral_minimum, s.proximity_vertical_minimum
    )


# --- reports -------------------------------------------------------------------------------------


def parse(node: Node, body: object) -> list[TrackReport]:
    """An operator's reports, checked: of this node's party, and neither stale nor ahead of
    the node's clock."""
    now = node.clock()
    return rules.parse_reports(
        body,
        party=node.party,
        not_before=now - timedelta(seconds=node.settings.track_stale_after),
        not_after=now + timedelta(seconds=MAX_AHEAD_S),
    )


class Taken(NamedTuple):
    """What became of an operator's reports: how many became their track's latest, and how
    many were older than the report held."""

    accepted: int
    superseded: int


def report(node: Node, reports: list[TrackReport]) -> Operation[Taken]:
    """Hold this party's reports, queue them for the peers, and bring the warnings up to date."""

    def take(uow: UnitOfWork) -> Taken:
        held = node.tracker
        held.keep(uow)
        taken = held.take(reports, refuse=True)
        held.queue_own(taken, node.party)
        node.share_tracks(uow, taken)
        return Taken(accepted=len(taken), superseded=len(reports) - len(taken))

    return take


def apply_incoming(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's ``track`` envelope: its reports, of the sender's party, held like ours.

    A malformed body is refused, as for every kind; reports older than the one held, or
    already stale (the line was down), are dropped: they are not wrong, only late."""
    reports = read_tracks(envelope.body, arrived_on(node, envelope))
    oldest = node.clock() - timedelta(seconds=node.settings.track_stale_after)
    fresh = [r for r in reports if r.time >= oldest]
    node.tracker.keep(uow)
    node.share_tracks(uow, node.tracker.take(fresh, refuse=False))


class Finding(NamedTuple):
    """What finding the warnings takes, read on the writer's thread and used off it: the
    reports held, the live volumes within their reach, and the rules."""

    reports: list[TrackReport]
    volumes: list[Volume]
    limits: rules.ProximityRules


def tick(
    node: Node,
    stopping: threading.Event | None = None,
    leading: Callable[[], bool] | None = None,
) -> None:
    """What ``TrackLoop`` does every ``track_interval`` (from a thread of its own: it waits on
    the writer). In one operation, forget stale tracks and seal the latest reports of our
    changed tracks for the peers; then, if anything the warnings depend on changed, find them
    again **outside the writer** (a saturated sky takes seconds, during which the line goes
    on); in a second operation, hold them and journal the cycle's opened and cleared warnings
    (unless the node began ``stopping`` meanwhile: it holds nothing more).

    Each process of a node ticks, so that each ages the same tracks and finds the same
    warnings; only the one ``leading`` the node's line (as each operation begins: the only
    process of a node on SQLite, and whenever ``leading`` is None) seals and journals."""
    finding = node.write(_age_and_seal(node, leading))
    found, took = None, 0.0
    if finding is not None:
        started = time.monotonic()
        found = find_warnings(*finding)
        took = time.monotonic() - started
    if stopping is not None and stopping.is_set():
        return
    node.write(_hold_warnings(node, found, took, leading))


def _age_and_seal(node: Node, leading: Callable[[], bool] | None) -> Operation[Finding | None]:
    def run(uow: UnitOfWork) -> Finding | None:
        held = node.tracker
        held.keep(uow)
        oldest = node.clock() - timedelta(seconds=node.settings.track_stale_after)
        stale = [ref for ref, one in held.reports.items() if one.time < oldest]
        held.tracks_changed |= bool(stale)
        for ref in stale:
            del held.reports[ref]
            if ref.party == node.party:
                held.unsent.pop(ref.track_id, None)
        # A process that does not lead keeps its own tracks unsent: should it take the lead,
        # it seals their latest reports (a peer drops those it holds already).
        if held.unsent and _leads(leading):
            _seal(uow, node, sorted(held.unsent.values(), key=lambda r: r.track_id))
            held.unsent.clear()
        changed = held.tracks_changed or held.notifications_changed
        if not changed or time.monotonic() < held.find_not_before:
            return None
        held.tracks_changed = held.notifications_changed = False
        reports, limits = list(held.reports.values()), proximity_rules(node)
        return Finding(reports, _volumes_within_reach(node, reports, limits), limits)

    return run


def _leads(leading: Callable[[], bool] | None) -> bool:
    return leading is None or leading()


def _hold_warnings(
    node: Node,
    found: dict[str, ProximityWarning] | None,
    took: float,
    leading: Callable[[], bool] | None,
) -> Operation[None]:
    """Hold the warnings just found (if any) as episodes, and journal the cycle when one is
    due. A finding longer than ``FINDING_FREE_S`` (a saturated sky) puts the next one off, so
    that finding takes at most ``FINDING_SHARE`` of the machine's time."""

    def run(uow: UnitOfWork) -> None:
        held = node.tracker
        held.keep(uow)
        now = node.clock()
        if found is not None:
            held.episodes.update(found, now)
        if took > FINDING_FREE_S:
            held.find_not_before = time.monotonic() + took * (1 / FINDING_SHARE - 1)
        cycle = held.episodes.cycle(now)  # the warnings' clock runs on every process
        if _leads(leading):
            for kind, data in cycle:
                uow.record(kind, data)

    return run


def shared_with(uow: UnitOfWork, node: Node) -> list[str]:
    """The peers this node's tracks cross to: the ``track_share_with`` setting."""
    setting = node.settings.track_share_with.strip()
    linked = sorted(peer.card.party for peer in line_store.list_peers(uow.conn))
    if setting == "all":
        return linked
    if setting == "none":
        return []
    named = {party.strip() for party in setting.split(",")}
    return [party for party in linked if party in named]


def _seal(uow: UnitOfWork, node: Node, reports: list[TrackReport]) -> None:
    """One envelope per peer, or several when the reports would not fit in one: at most
    ``MAX_REPORTS`` each, and few enough to stay under ``max_envelope_bytes`` (a report takes
    at most ``REPORT_BYTES`` of canonical JSON)."""
    peers = shared_with(uow, node)
    room = (node.settings.max_envelope_bytes - ENVELOPE_OVERHEAD_BYTES) // REPORT_BYTES
    per_envelope = max(1, min(rules.MAX_REPORTS, room))
    for start in range(0, len(reports), per_envelope):
        chunk = reports[start : start + per_envelope]
        body = {"tracks": [r.to_json(with_party=False) for r in chunk]}
        for peer in peers:
            seal_for(uow, node, peer, "track", body)


# --- warnings ------------------------------------------------------------------------------------


def _volumes_within_reach(
    node: Node, reports: list[TrackReport], limits: rules.ProximityRules
) -> list[Volume]:
    """The live volumes these tracks may reach within the look-ahead, found in the conflict
    finder's index (which already holds every live volume and its footprint) rather than by
    going through all of them."""
    if not reports:
        return []
    reach = reach_of(reports, limits)
    near = node.conflict_finder.volumes_near(reach.boxes, reach.window_s, reach.band_m)
    return [volume_of(notification, index, shape) for notification, index, shape in near]


# --- reading -------------------------------------------------------------------------------------


def current_tracks(node: Node) -> Operation[list[TrackReport]]:
    """Every track held (own and peers'), as committed; sorted by party and track."""

    def read(_uow: UnitOfWork) -> list[TrackReport]:
        held = node.tracker.reports
        return [held[ref] for ref in sorted(held)]

    return read


class WarningPage(NamedTuple):
    """A page of the open warnings, sorted by key, and how many are open in all."""

    warnings: list[OpenWarning]
    total: int


def current_warnings(
    node: Node, *, after: str | None = None, limit: int = MAX_PAGE
) -> Operation[WarningPage]:
    """The open warnings with their latest figures and when this node opened them: the first
    ``limit`` (at most ``MAX_PAGE``) whose key sorts after ``after``."""

    def read(_uow: UnitOfWork) -> WarningPage:
        held = node.tracker.episodes.open
        keys = heapq.nsmallest(
            min(limit, MAX_PAGE), (key for key in held if after is None or key > after)
        )
        return WarningPage([held[key] for key in keys], len(held))

    return read
