"""Live tracks: reports from operators and peers, sharing them over the line, proximity warnings.

The latest report of every track is held **in memory**, by the node's ``Tracker``, not in a
table: positions are worth seconds, a node that restarts has nothing worth reloading (its
tracks would be stale by the time it answered), and a table would cost a write per report.
What must outlive the process is in the journal: every warning opened or cleared, and every
``track`` envelope sealed or received (the line's own record).

Everything here runs on the writer's thread, inside write operations, like the conflict finder:
so the tracks, the warnings and the journal entries about them change together, and each
change is undone if its transaction is rolled back. The API reads them through the writer too,
so it never sees what was not committed.

- **Reports** (``report``, and ``apply_incoming`` for a peer's ``track`` envelope) replace the
  held report of their track when they are newer; older ones are dropped.
- **Coalescing**: own tracks changed since the last envelope wait in ``unsent``; every
  ``track_interval`` seconds ``TrackLoop`` runs ``tick``, which seals one ``track`` envelope per
  peer they are shared with, holding the latest report of each, and forgets tracks whose
  latest report is older than ``track_stale_after``.
- **Warnings** are found again after every change, from the reports alone (docs/proximity.md),
  and compared with the open ones: a new one is journaled as ``proximity.opened``, one gone as
  ``proximity.cleared``; one that only changed its figures is updated in memory, not journaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from openline.domain import tracks as rules
from openline.domain.envelopes import Envelope
from openline.domain.errors import InvalidInput
from openline.domain.journal import JournalEntry
from openline.domain.notifications import Kind, Notification
from openline.domain.timeutil import format_utc
from openline.domain.tracks import TrackRef, TrackReport
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from openline.store import line as line_store
from openline.store.writer import Operation, UnitOfWork

if TYPE_CHECKING:
    from openline.geo.footprints import Shape

log = logging.getLogger(__name__)

MAX_AHEAD_S = 60.0  # how far ahead of the node's clock an operator's report may be
ENTRY_STEP_S = 10.0  # the predicted path is checked against volumes every this many seconds
# Added to a track's reach when looking for the volumes it may enter: covers the rounding of
# the reach's circle, as the entry checks' own reach test adds 1 m.
REACH_MARGIN_M = 10.0
MAX_TRACKS = 50_000  # held at once, all parties: memory stays bounded whatever peers send
# A report's canonical JSON is at most about 270 bytes (a 64-character track_id, 17-digit
# numbers); the envelope around the reports (addresses, hashes, signature) under 1 KiB.
REPORT_BYTES = 300
ENVELOPE_OVERHEAD_BYTES = 1024


@dataclass(frozen=True)
class _Volume:
    """A live notification's volume, made ready once for the entry checks."""

    notification: dict[str, Any]  # id, owner, kind
    index: int
    shape: Shape
    boxes: tuple[tuple[float, float, float, float], ...]
    t0_s: float
    t1_s: float
    lower_m: float
    upper_m: float


@dataclass
class Tracker:
    """A node's live tracks and open warnings; used on the writer's thread only."""

    reports: dict[TrackRef, TrackReport] = field(default_factory=dict)
    unsent: dict[str, TrackReport] = field(default_factory=dict)  # own tracks, by track_id
    warnings: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> current record
    opened_at: dict[str, str] = field(default_factory=dict)  # key -> when this node opened it
    # The notifications changed since the warnings were last found: find them again.
    notifications_changed: bool = True

    def on_commit(self, entries: list[JournalEntry]) -> None:
        """On the writer's thread, after a commit: note when a notification was created,
        changed or received."""
        if any(entry.kind.startswith("notification.") for entry in entries):
            self.notifications_changed = True

    def keep(self, uow: UnitOfWork) -> None:
        """Undo whatever this operation changes in the tracker if its transaction rolls back."""
        saved = (dict(self.reports), dict(self.unsent), dict(self.warnings), dict(self.opened_at))

        def undo() -> None:
            self.reports, self.unsent, self.warnings, self.opened_at = saved

        uow.on_rollback(undo)


def tracker(node: Node) -> Tracker:
    """The node's tracker, made the first time it is needed."""
    found = node.tracker
    if found is None:
        found = node.tracker = Tracker()
        node.bus.listen(found.on_commit)
    return found


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


def report(node: Node, reports: list[TrackReport]) -> Operation[dict[str, int]]:
    """Hold this party's reports, queue them for the peers, and bring the warnings up to date."""

    def take(uow: UnitOfWork) -> dict[str, int]:
        held = tracker(node)
        held.keep(uow)
        taken = _take(held, reports, refuse=True)
        for one in taken:
            held.unsent[one.track_id] = one
        if taken:
            _update_warnings(uow, node, held)
        return {"accepted": len(taken), "superseded": len(reports) - len(taken)}

    return take


def apply_incoming(uow: UnitOfWork, node: Node, envelope: Envelope) -> None:
    """A peer's ``track`` envelope: its reports, of the sender's party, held like ours.

    A malformed body is refused, as for every kind; reports older than the one held, or
    already stale (the line was down), are dropped: they are not wrong, only late."""
    body = envelope.body
    if set(body) != {"tracks"}:
        raise InvalidInput(f"track: the body holds {sorted(body)}, not ['tracks']")
    try:
        reports = rules.parse_reports(body["tracks"], party=envelope.sender)
    except InvalidInput as exc:
        raise InvalidInput(f"track: {exc.message}", field=exc.field) from None
    oldest = node.clock() - timedelta(seconds=node.settings.track_stale_after)
    fresh = [r for r in reports if r.instant >= oldest]
    held = tracker(node)
    held.keep(uow)
    if _take(held, fresh, refuse=False):
        _update_warnings(uow, node, held)


def _take(held: Tracker, reports: Iterable[TrackReport], *, refuse: bool) -> list[TrackReport]:
    """Hold each report newer than its track's; the ones taken.

    A new track over ``MAX_TRACKS`` is refused (``refuse``: an operator's report) or dropped
    and logged (a peer's: refusing its envelope would stop the whole line)."""
    taken = []
    for one in reports:
        current = held.reports.get(one.ref)
        if current is not None and current.time >= one.time:
            continue
        if current is None and len(held.reports) >= MAX_TRACKS:
            message = f"track {one.track_id}: this node already holds {MAX_TRACKS} tracks"
            if refuse:
                raise InvalidInput(f"{message}, its limit")
            log.warning("%s of %s dropped: %s, its limit", one.track_id, one.party, message)
            continue
        held.reports[one.ref] = one
        taken.append(one)
    return taken


def tick(node: Node) -> Operation[None]:
    """What ``TrackLoop`` does every ``track_interval``: forget stale tracks, seal the latest
    reports of our changed tracks for the peers, and find the warnings again if anything
    they depend on changed."""

    def run(uow: UnitOfWork) -> None:
        held = tracker(node)
        held.keep(uow)
        oldest = format_utc(node.clock() - timedelta(seconds=node.settings.track_stale_after))
        stale = [ref for ref, one in held.reports.items() if one.time < oldest]
        for ref in stale:
            del held.reports[ref]
            if ref[0] == node.party:
                held.unsent.pop(ref[1], None)
        if held.unsent:
            _seal(uow, node, sorted(held.unsent.values(), key=lambda r: r.track_id))
            held.unsent.clear()
        if stale or held.notifications_changed:
            _update_warnings(uow, node, held)

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
        body = {"tracks": [r.record() for r in reports[start : start + per_envelope]]}
        for peer in peers:
            seal_for(uow, node, peer, "track", body)


# --- warnings ------------------------------------------------------------------------------------


def _update_warnings(uow: UnitOfWork, node: Node, held: Tracker) -> None:
    """Find the warnings of the tracks held and journal those that opened or cleared."""
    held.notifications_changed = False
    reports, limits = list(held.reports.values()), proximity_rules(node)
    found = find_warnings(reports, _volumes_within_reach(uow, node, reports, limits), limits)
    now = format_utc(node.clock())
    for key in sorted(set(found) - set(held.warnings)):
        uow.record("proximity.opened", found[key])
        held.opened_at[key] = now
    for key in sorted(set(held.warnings) - set(found)):
        uow.record("proximity.cleared", rules.cleared_record(held.warnings[key]))
        del held.opened_at[key]
    held.warnings = found


def find_warnings(
    reports: list[TrackReport], volumes: list[_Volume], limits: rules.ProximityRules
) -> dict[str, dict[str, Any]]:
    """Every warning of these tracks against each other and against these volumes, by key."""
    found = {r["key"]: r for r in _approaches(reports, limits)}
    found.update((r["key"], r) for r in _entries(reports, volumes, limits))
    return found


def _approaches(reports: list[TrackReport], limits: rules.ProximityRules) -> list[dict[str, Any]]:
    """Pairs of tracks of different parties predicted within both minima in the look-ahead.

    Each pair's window starts at the later of its two reports, so that its figures depend on
    those two reports alone. The screen finds the candidates at once over a window that holds
    every pair's (from the oldest report to the newest's look-ahead end); the candidates are
    then measured each over its own window, in one vectorised call: each pair gets rows of its
    own, with the report times shifted so that its window starts at 0."""
    if len(reports) < 2 or len({r.party for r in reports}) < 2:
        return []
    # Imported here: numpy, pyproj and shapely load only on a node that holds tracks.
    import numpy as np

    from openline.geo.proximity import Tracks, approaches_of, screen

    columns = {name: np.asarray(values) for name, values in _columns(reports).items()}
    times = columns["time_s"]
    first, last = float(times.min()), float(times.max())
    lookahead, lateral, vertical = limits.lookahead_s, limits.lateral_m, limits.vertical_m
    candidates = screen(Tracks.of(**columns), first, lookahead + last - first, lateral, vertical)
    a, b = candidates.a, candidates.b
    if not len(a):
        return []
    start = np.maximum(times[a], times[b])
    rows = np.concatenate([a, b])
    shifted = {name: values[rows] for name, values in columns.items()}
    shifted["time_s"] = times[rows] - np.concatenate([start, start])
    m = len(a)
    found = approaches_of(
        Tracks.of(**shifted),
        (np.arange(m), np.arange(m, 2 * m)),
        0.0,
        (lookahead, lateral, vertical),
    )
    return [
        rules.approach_record(
            reports[int(a[i])],
            reports[int(b[i])],
            cpa_at=datetime.fromtimestamp(float(start[i]) + t_cpa, UTC),
            lateral_m=lateral_m,
            vertical_m=vertical_m,
            rules=limits,
        )
        for i, t_cpa, lateral_m, vertical_m in zip(
            found.a.tolist(),
            found.t_cpa_s.tolist(),
            found.lateral_m.tolist(),
            found.vertical_m.tolist(),
            strict=True,
        )
    ]


def _columns(reports: list[TrackReport]) -> dict[str, list[float]]:
    parties = {party: code for code, party in enumerate(sorted({r.party for r in reports}))}
    return {
        "party": [parties[r.party] for r in reports],
        "time_s": [r.time_s for r in reports],
        **{
            name: [getattr(r, name) for r in reports]
            for name in ("lat", "lon", "alt_m", "speed_mps", "heading_deg")
        },
    }


def _volumes_within_reach(
    uow: UnitOfWork, node: Node, reports: list[TrackReport], limits: rules.ProximityRules
) -> list[_Volume]:
    """The live volumes these tracks may reach within the look-ahead, found in the conflict
    finder's index (which already holds every live volume and its footprint) rather than by
    going through all of them: each track's reach (speed x look-ahead) as a circle, the window
    from the oldest report to the newest's look-ahead end, the band of the tracks' altitudes."""
    if not reports:
        return []
    from openline.domain.volumes import Circle
    from openline.geo.footprints import Shape
    from openline.services.notifications import finder

    boxes = [
        box
        for r in reports
        for box in Shape.of(
            Circle(r.lat, r.lon, r.speed_mps * limits.lookahead_s + REACH_MARGIN_M)
        ).boxes()
    ]
    times = [r.time_s for r in reports]
    altitudes = [r.alt_m for r in reports]
    near = finder(uow, node).volumes_near(
        boxes,
        (min(times), max(times) + limits.lookahead_s),
        (min(altitudes), max(altitudes)),
    )
    return [_volume(notification, index, shape) for notification, index, shape in near]


def volumes_of(notifications: Iterable[Notification]) -> list[_Volume]:
    """All the volumes of these (live) notifications, made ready for the entry checks."""
    from openline.geo.footprints import Shape

    return [
        _volume(notification, index, Shape.of(volume.footprint))
        for notification in notifications
        for index, volume in enumerate(notification.volumes)
    ]


def _volume(notification: Notification, index: int, shape: Shape) -> _Volume:
    volume = notification.volumes[index]
    return _Volume(
        {"id": notification.id, "owner": notification.owner, "kind": notification.kind.value},
        index,
        shape,
        tuple(shape.boxes()),
        volume.time_start.timestamp(),
        volume.time_end.timestamp(),
        volume.altitude_lower_m,
        volume.altitude_upper_m,
    )


def _entries(
    reports: list[TrackReport], volumes: list[_Volume], limits: rules.ProximityRules
) -> list[dict[str, Any]]:
    """Tracks inside, or predicted inside within the look-ahead, a protected site (anyone's)
    or a volume of another party's notification, in its time window and altitude band.

    The predicted path is followed along its geodesic and checked every ``ENTRY_STEP_S``
    seconds from the report's time; the first point inside gives the entry time."""
    if not reports or not volumes:
        return []
    import numpy as np

    from openline.domain.volumes import Circle
    from openline.geo.footprints import Shape, distances_m
    from openline.geo.geodesy import forward, inverse

    # Only tracks whose whole reach (speed x look-ahead) comes within a volume's bounding cap
    # are followed: no point of a path is further from its start than the path is long.
    start_lon = np.array([r.lon for r in reports])
    start_lat = np.array([r.lat for r in reports])
    reach = np.array([r.speed_mps for r in reports]) * limits.lookahead_s + 1.0
    reachable = []
    for volume in volumes:
        shape = volume.shape
        _, _, apart = inverse(
            start_lon,
            start_lat,
            np.full(len(reports), shape.cap_lon),
            np.full(len(reports), shape.cap_lat),
        )
        # A footprint too large for a cap (an infinite radius) is reachable from anywhere.
        reachable.append(np.isinf(shape.cap_radius_m) | (apart <= reach + shape.cap_radius_m))
    followed = np.flatnonzero(np.any(reachable, axis=0))
    if not len(followed):
        return []
    steps = np.arange(0.0, limits.lookahead_s + 1e-9, ENTRY_STEP_S)
    n, k = len(followed), len(steps)
    chosen = [reports[i] for i in followed.tolist()]
    lon, lat, _ = forward(
        np.repeat(start_lon[followed], k),
        np.repeat(start_lat[followed], k),
        np.repeat([r.heading_deg for r in chosen], k),
        np.repeat([r.speed_mps for r in chosen], k) * np.tile(steps, n),
    )
    at_s = np.repeat([r.time_s for r in chosen], k) + np.tile(steps, n)
    alt = np.repeat([r.alt_m for r in chosen], k)
    owner = np.repeat([r.party for r in chosen], k)
    entered: dict[tuple[int, str], tuple[float, int]] = {}  # (track, notification) -> (time, vol)
    for volume, reached in zip(volumes, reachable, strict=True):
        near = np.repeat(reached[followed], k)
        near &= (at_s >= volume.t0_s) & (at_s <= volume.t1_s)
        near &= (alt >= volume.lower_m) & (alt <= volume.upper_m)
        if volume.notification["kind"] != Kind.PROTECTED_SITE.value:
            near &= owner != volume.notification["owner"]
        in_box = np.zeros(len(near), bool)
        for lo_lon, lo_lat, hi_lon, hi_lat in volume.boxes:
            in_box |= (lon >= lo_lon) & (lon <= hi_lon) & (lat >= lo_lat) & (lat <= hi_lat)
        rows = np.flatnonzero(near & in_box)
        if not len(rows):
            continue
        points = [Shape.of(Circle(float(lat[i]), float(lon[i]), 0.0)) for i in rows]
        inside = rows[distances_m(points, [volume.shape] * len(points), 0.0) == 0.0]
        for i in inside.tolist():
            track, when = int(followed[i // k]), float(at_s[i])
            key = (track, volume.notification["id"])
            if key not in entered or (when, volume.index) < entered[key]:
                entered[key] = (when, volume.index)
    by_id = {v.notification["id"]: v.notification for v in volumes}
    return [
        rules.entry_record(
            reports[track],
            by_id[notification_id],
            volume=index,
            entry_at=datetime.fromtimestamp(when, UTC),
            rules=limits,
        )
        for (track, notification_id), (when, index) in sorted(entered.items())
    ]


# --- reading -------------------------------------------------------------------------------------


def current_tracks(node: Node) -> Operation[list[dict[str, Any]]]:
    """Every track held (own and peers'), as committed; sorted by party and track."""

    def read(_uow: UnitOfWork) -> list[dict[str, Any]]:
        held = tracker(node)
        return [held.reports[ref].public() for ref in sorted(held.reports)]

    return read


def current_warnings(node: Node) -> Operation[list[dict[str, Any]]]:
    """Every open warning, with its latest figures and when this node opened it."""

    def read(_uow: UnitOfWork) -> list[dict[str, Any]]:
        held = tracker(node)
        return [
            {**held.warnings[key], "opened_at": held.opened_at[key]}
            for key in sorted(held.warnings)
        ]

    return read


# --- the loop ------------------------------------------------------------------------------------


class TrackLoop:
    """Runs ``tick`` every ``track_interval`` seconds while the node holds any track: the rate
    limit of ``track`` envelopes (one per peer per interval at most) and the staleness clock."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.node.settings.track_interval)
            held = self.node.tracker
            if held is None or not held.reports:
                continue
            try:
                await self.node.write_async(tick(self.node))
            except Exception:  # the next interval tries again; a fault must not end the loop
                log.exception("the track interval failed")
