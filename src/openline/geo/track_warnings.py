"""The proximity warnings of track reports: approaches between tracks, entries into volumes.

Pure geometry on the reports and volumes given (docs/proximity.md): nothing here reads the
database or keeps state. Approaches are measured by the closest-approach engine
(:mod:`openline.geo.proximity`); entries follow each track's predicted path along its geodesic
and test it against the volumes' footprints (:mod:`openline.geo.footprints`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from openline.domain.notifications import Kind, Notification
from openline.domain.tracks import (
    Approach,
    Entry,
    NotifiedVolume,
    ProximityRules,
    ProximityWarning,
    TrackReport,
    WarnedTrack,
)
from openline.domain.volumes import Circle
from openline.geo.arrays import FloatArray
from openline.geo.footprints import distances_m
from openline.geo.geodesy import forward, inverse
from openline.geo.proximity import Approaches, Tracks, approaches_of, screen
from openline.geo.shapes import Box, Shape

# Approach warnings held at most: of more, the closest (by lateral distance). A sky of 300
# tracks of each of two parties in one area gives 90,000; each warning costs some 10 µs to
# find again at every interval, and 1 KB of memory.
MAX_APPROACHES = 100_000
ENTRY_STEP_S = 10.0  # the predicted path is checked against volumes every this many seconds
# Added to a track's reach when looking for the volumes it may enter: covers the rounding of
# the reach's circle, as the entry checks' own reach test adds 1 m.
REACH_MARGIN_M = 10.0


@dataclass(frozen=True)
class Volume:
    """A live notification's volume, made ready once for the entry checks."""

    named: NotifiedVolume  # what a warning says of it
    shape: Shape
    boxes: tuple[Box, ...]
    t0_s: float
    t1_s: float
    lower_m: float
    upper_m: float


def volume_of(notification: Notification, index: int, shape: Shape) -> Volume:
    """The ``index``-th volume of ``notification``, whose footprint is ``shape``."""
    volume = notification.volumes[index]
    return Volume(
        NotifiedVolume(notification.id, notification.owner, notification.kind.value, index),
        shape,
        tuple(shape.boxes()),
        volume.time_start.timestamp(),
        volume.time_end.timestamp(),
        volume.altitude_lower_m,
        volume.altitude_upper_m,
    )


def volumes_of(notifications: Iterable[Notification]) -> list[Volume]:
    """All the volumes of these (live) notifications, made ready for the entry checks."""
    return [
        volume_of(notification, index, Shape.of(volume.footprint))
        for notification in notifications
        for index, volume in enumerate(notification.volumes)
    ]


class Reach(NamedTuple):
    """Where these tracks may be within the look-ahead: each one's reach (speed x look-ahead)
    as the boxes of a circle, the window from the oldest report to the newest's look-ahead end
    (seconds of the epoch), and the band of their altitudes."""

    boxes: list[Box]
    window_s: tuple[float, float]
    band_m: tuple[float, float]


def reach_of(reports: list[TrackReport], rules: ProximityRules) -> Reach:
    """What to look for the volumes these (one or more) tracks may enter with."""
    boxes = [
        box
        for r in reports
        for box in Shape.of(
            Circle(r.lat, r.lon, r.speed_mps * rules.lookahead_s + REACH_MARGIN_M)
        ).boxes()
    ]
    times = [r.time_s for r in reports]
    altitudes = [r.alt_m for r in reports]
    return Reach(
        boxes,
        (min(times), max(times) + rules.lookahead_s),
        (min(altitudes), max(altitudes)),
    )


def find_warnings(
    reports: list[TrackReport], volumes: list[Volume], rules: ProximityRules
) -> dict[str, ProximityWarning]:
    """Every warning of these tracks against each other and against these volumes, by key."""
    found: dict[str, ProximityWarning] = {w.key: w for w in approaches(reports, rules)}
    found.update((w.key, w) for w in entries(reports, volumes, rules))
    return found


def approaches(reports: list[TrackReport], rules: ProximityRules) -> list[Approach]:
    """Pairs of tracks of different parties predicted within both minima in the look-ahead.

    Each pair's window starts at the later of its two reports, so that its figures depend on
    those two reports alone. The screen finds the candidates at once over a window that holds
    every pair's (from the oldest report to the newest's look-ahead end); the candidates are
    then measured each over its own window, in one vectorised call: each pair gets rows of its
    own, with the report times shifted so that its window starts at 0. Of more than
    ``MAX_APPROACHES``, the closest are kept: the cost of a busy sky stays bounded."""
    if len(reports) < 2 or len({r.party for r in reports}) < 2:
        return []
    tracks = _tracks(reports)
    times = tracks.time_s
    first, last = float(times.min()), float(times.max())
    window_s = rules.lookahead_s + last - first
    candidates = screen(tracks, first, window_s, rules.lateral_m, rules.vertical_m)
    a, b = candidates.a, candidates.b
    if not len(a):
        return []
    start = np.maximum(times[a], times[b])
    rows = np.concatenate([a, b])
    columns = {name: column[rows] for name, column in tracks._asdict().items()}
    columns["time_s"] = times[rows] - np.concatenate([start, start])
    shifted = Tracks.of(**columns)
    m = len(a)
    found = approaches_of(shifted, (np.arange(m), np.arange(m, 2 * m)), 0.0, rules)
    if len(found.a) > MAX_APPROACHES:  # the closest, in the order found
        closest = np.sort(np.argsort(found.lateral_m, kind="stable")[:MAX_APPROACHES])
        found = Approaches(
            found.a[closest],
            found.b[closest],
            found.t_cpa_s[closest],
            found.lateral_m[closest],
            found.vertical_m[closest],
        )
    warned = [WarnedTrack.of(r) for r in reports]  # once each, not once per pair
    return [
        Approach.of(
            warned[int(a[i])],
            warned[int(b[i])],
            cpa_at=datetime.fromtimestamp(float(start[i]) + t_cpa, UTC),
            lateral_m=lateral_m,
            vertical_m=vertical_m,
            rules=rules,
        )
        for i, t_cpa, lateral_m, vertical_m in zip(
            found.a.tolist(),
            found.t_cpa_s.tolist(),
            found.lateral_m.tolist(),
            found.vertical_m.tolist(),
            strict=True,
        )
    ]


def _tracks(reports: list[TrackReport]) -> Tracks:
    """The reports as the engine's columns; parties numbered in the order of their names."""
    parties = {party: code for code, party in enumerate(sorted({r.party for r in reports}))}
    return Tracks.of(
        party=[parties[r.party] for r in reports],
        time_s=[r.time_s for r in reports],
        lat=[r.lat for r in reports],
        lon=[r.lon for r in reports],
        alt_m=[r.alt_m for r in reports],
        speed_mps=[r.speed_mps for r in reports],
        heading_deg=[r.heading_deg for r in reports],
    )


class _Entered(NamedTuple):
    """The first point of a path found inside a notification: when, and in which volume (the
    earlier, then the lower-numbered volume, wins)."""

    at_s: float
    volume: int


def entries(
    reports: list[TrackReport], volumes: list[Volume], rules: ProximityRules
) -> list[Entry]:
    """Tracks inside, or predicted inside within the look-ahead, a protected site (anyone's)
    or a volume of another party's notification, in its time window and altitude band.

    The predicted path is followed along its geodesic and checked every ``ENTRY_STEP_S``
    seconds from the report's time; the first point inside gives the entry time."""
    if not reports or not volumes:
        return []
    start_lon = np.array([r.lon for r in reports])
    start_lat = np.array([r.lat for r in reports])
    reachable = _reachable(start_lon, start_lat, reports, volumes, rules)
    followed = np.flatnonzero(np.any(reachable, axis=0))
    if not len(followed):
        return []
    steps = np.arange(0.0, rules.lookahead_s + 1e-9, ENTRY_STEP_S)
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
    # By track (its place in ``reports``) and notification id: the first point inside.
    entered: dict[tuple[int, str], _Entered] = {}
    for volume, reached in zip(volumes, reachable, strict=True):
        near = np.repeat(reached[followed], k)
        near &= (at_s >= volume.t0_s) & (at_s <= volume.t1_s)
        near &= (alt >= volume.lower_m) & (alt <= volume.upper_m)
        if volume.named.kind != Kind.PROTECTED_SITE.value:
            near &= owner != volume.named.owner
        in_box = np.zeros(len(near), bool)
        for lo_lon, lo_lat, hi_lon, hi_lat in volume.boxes:
            in_box |= (lon >= lo_lon) & (lon <= hi_lon) & (lat >= lo_lat) & (lat <= hi_lat)
        rows = np.flatnonzero(near & in_box)
        if not len(rows):
            continue
        points = [Shape.of(Circle(float(lat[i]), float(lon[i]), 0.0)) for i in rows]
        inside = rows[distances_m(points, [volume.shape] * len(points), 0.0) == 0.0]
        for i in inside.tolist():
            key = (int(followed[i // k]), volume.named.id)
            found = _Entered(float(at_s[i]), volume.named.volume)
            if key not in entered or found < entered[key]:
                entered[key] = found
    named = {(v.named.id, v.named.volume): v.named for v in volumes}
    return [
        Entry.of(
            reports[track],
            named[notification_id, first.volume],
            entry_at=datetime.fromtimestamp(first.at_s, UTC),
            rules=rules,
        )
        for (track, notification_id), first in sorted(entered.items())
    ]


def _reachable(
    start_lon: FloatArray,
    start_lat: FloatArray,
    reports: list[TrackReport],
    volumes: list[Volume],
    rules: ProximityRules,
) -> list[npt.NDArray[np.bool_]]:
    """For each volume, which tracks' whole reach (speed x look-ahead) comes within its
    footprint's bounding cap: no point of a path is further from its start than the path is
    long, so only those tracks are followed."""
    reach = np.array([r.speed_mps for r in reports]) * rules.lookahead_s + 1.0
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
    return reachable
