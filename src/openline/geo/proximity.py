"""Closest point of approach between moving tracks, screened for many tracks at once.

A track is a position (latitude, longitude, altitude), a ground speed and a heading at a report
time; it is predicted to go on at that speed and heading, at that altitude (reports carry no
climb rate). For every pair of tracks of different parties, :func:`screen` predicts over a
look-ahead window the time and the lateral distance of their closest approach, and warns when
the lateral distance falls to the lateral minimum while the altitudes differ by no more than the
vertical minimum.

How: every track's position and velocity become vectors of the Earth-centred frame (WGS84
ECEF, on the ellipsoid's surface: the altitude is kept apart), the velocity along the east and
north directions at its position. For a pair, the relative position and velocity are projected
on the plane square to the mean of the two tracks' vertical directions (their local horizon),
where the relative position is linear in time: the closest approach on ``[0, T]`` is the closed
form ``t* = clamp(-r·v / |v|², 0, T)``, at distance ``|r + v t*|``, the flat-earth relative
motion that collision avoidance uses, with the Earth's curvature taken out by the projection.
The tests measure how far this is from densely sampled geodesic trajectories (docs/proximity.md).

Only pairs that can come near are computed: each track's path over the window is a segment of
the Earth-centred frame (no seam at the antimeridian, none at the poles), whose box is padded by
half the lateral minimum and by how far the track's straight path rises off the curved surface,
so that two tracks that come within the minimum in the horizon plane always have overlapping
boxes; an STR tree (shapely) of the boxes' shadows on a plane finds the overlapping ones.
:func:`screen_all_pairs` computes every pair instead (the reference the
tests compare the index against, and the benchmark's naive alternative).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from openline.domain.tracks import ProximityRules
from openline.domain.wgs84 import ECCENTRICITY_SQUARED, SEMI_MAJOR_AXIS_M
from openline.geo.arrays import FloatArray, IntArray

# The least radius of curvature of WGS84 (meridional, at the equator): a straight path of s
# metres leaves the surface by at most s² / 2R.
MIN_RADIUS_M = 6_335_439.0
ALL_PAIRS_BLOCK = 2_000_000  # pairs computed at once by screen_all_pairs


class Tracks(NamedTuple):
    """Tracks as columns: each one's party (a small int), position and motion at the report
    time ``time_s`` (seconds, on any fixed scale, the same as :func:`screen`'s ``now_s``)."""

    party: IntArray
    time_s: FloatArray
    lat: FloatArray
    lon: FloatArray
    alt_m: FloatArray
    speed_mps: FloatArray
    heading_deg: FloatArray

    @classmethod
    def of(cls, **columns: npt.ArrayLike) -> Tracks:
        """Tracks from columns given by name, all of the same length."""
        party = np.asarray(columns.pop("party"), np.int64)
        floats = {k: np.asarray(v, np.float64) for k, v in columns.items()}
        made = cls(party=party, **floats)
        if any(len(column) != len(party) for column in made):
            raise ValueError("every column must give one value per track")
        return made


class Approaches(NamedTuple):
    """Pairs of tracks (``a < b``, indices into the tracks) and their predicted closest
    approach: seconds from ``now`` until it, the lateral distance then (metres), and the
    altitude difference (metres, constant)."""

    a: IntArray
    b: IntArray
    t_cpa_s: FloatArray
    lateral_m: FloatArray
    vertical_m: FloatArray


def screen(
    tracks: Tracks, now_s: float, lookahead_s: float, lateral_m: float, vertical_m: float
) -> Approaches:
    """The pairs of tracks of different parties predicted to come within ``lateral_m`` of each
    other at some time in ``[now_s, now_s + lookahead_s]`` while their altitudes differ by at
    most ``vertical_m``; sorted by ``(a, b)``."""
    position, velocity = _motion(tracks, now_s)
    travelled = tracks.speed_mps * (np.abs(now_s - tracks.time_s) + lookahead_s)
    a, b = _candidates(tracks, (position, velocity, travelled), lookahead_s, lateral_m, vertical_m)
    rules = ProximityRules(lookahead_s, lateral_m, vertical_m)
    return _approaches(tracks, (position, velocity), (a, b), rules)


def screen_all_pairs(
    tracks: Tracks, now_s: float, lookahead_s: float, lateral_m: float, vertical_m: float
) -> Approaches:
    """What :func:`screen` returns, found by computing every pair (no index)."""
    motion = _motion(tracks, now_s)
    rules = ProximityRules(lookahead_s, lateral_m, vertical_m)
    first, second = np.triu_indices(len(tracks.party), 1)
    blocks = range(0, max(len(first), 1), ALL_PAIRS_BLOCK)
    found = [
        _approaches(
            tracks,
            motion,
            (first[k : k + ALL_PAIRS_BLOCK], second[k : k + ALL_PAIRS_BLOCK]),
            rules,
        )
        for k in blocks
    ]
    return Approaches(*(np.concatenate(column) for column in zip(*found, strict=True)))


def approaches_of(
    tracks: Tracks,
    pairs: tuple[IntArray, IntArray],
    now_s: float,
    rules: ProximityRules,
) -> Approaches:
    """What :func:`screen` finds among the given pairs only, with no index: for callers that
    know their candidates."""
    return _approaches(tracks, _motion(tracks, now_s), pairs, rules)


def closest_approach(
    position: FloatArray, velocity: FloatArray, lookahead_s: float
) -> tuple[FloatArray, FloatArray]:
    """For relative positions and velocities (rows of vectors): the time in
    ``[0, lookahead_s]`` at which their length is least, and that length."""
    speed2 = np.einsum("ij,ij->i", velocity, velocity)
    toward = -np.einsum("ij,ij->i", position, velocity)
    moving = speed2 > 0
    t = np.zeros(len(position))
    t[moving] = np.clip(toward[moving] / speed2[moving], 0.0, lookahead_s)
    return t, np.linalg.norm(position + velocity * t[:, None], axis=1)


def ecef(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points of the WGS84 ellipsoid's surface in the Earth-centred frame (rows of x, y, z)."""
    phi, lam = np.radians(lat), np.radians(lon)
    n = SEMI_MAJOR_AXIS_M / np.sqrt(1 - ECCENTRICITY_SQUARED * np.sin(phi) ** 2)
    return np.column_stack(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam),
         n * (1 - ECCENTRICITY_SQUARED) * np.sin(phi)]
    )  # fmt: skip


def normals(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """The ellipsoid's outward normal at each position (rows of unit x, y, z)."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _motion(tracks: Tracks, now_s: float) -> tuple[FloatArray, FloatArray]:
    """Each track's position at ``now_s`` and its velocity, in the Earth-centred frame."""
    phi, lam, heading = (np.radians(x) for x in (tracks.lat, tracks.lon, tracks.heading_deg))
    east = np.column_stack([-np.sin(lam), np.cos(lam), np.zeros(len(lam))])
    north = np.column_stack([-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)])
    velocity = tracks.speed_mps[:, None] * (
        np.sin(heading)[:, None] * east + np.cos(heading)[:, None] * north
    )
    since = (now_s - tracks.time_s)[:, None]
    return ecef(tracks.lat, tracks.lon) + velocity * since, velocity


def _approaches(
    tracks: Tracks,
    motion: tuple[FloatArray, FloatArray],
    pairs: tuple[IntArray, IntArray],
    rules: ProximityRules,
) -> Approaches:
    """The pairs (a[i], b[i]) of different parties, within the vertical minimum, whose closest
    approach in their horizon plane is within the lateral minimum."""
    (position, velocity), (a, b) = motion, pairs
    lookahead_s, lateral_m, vertical_m = rules.lookahead_s, rules.lateral_m, rules.vertical_m
    height = np.abs(tracks.alt_m[a] - tracks.alt_m[b])
    keep = (tracks.party[a] != tracks.party[b]) & (height <= vertical_m)
    a, b, height = a[keep], b[keep], height[keep]
    up = normals(tracks.lat[a], tracks.lon[a]) + normals(tracks.lat[b], tracks.lon[b])
    up /= np.linalg.norm(up, axis=1)[:, None]
    r, v = position[a] - position[b], velocity[a] - velocity[b]
    r -= np.einsum("ij,ij->i", r, up)[:, None] * up
    v -= np.einsum("ij,ij->i", v, up)[:, None] * up
    t, lateral = closest_approach(r, v, lookahead_s)
    near = lateral <= lateral_m
    return Approaches(a[near], b[near], t[near], lateral[near], height[near])


def _candidates(
    tracks: Tracks,
    paths: tuple[FloatArray, FloatArray, FloatArray],
    lookahead_s: float,
    lateral_m: float,
    vertical_m: float,
) -> tuple[IntArray, IntArray]:
    """The pairs (``a < b``) of tracks of different parties, close enough in altitude, whose
    padded path boxes overlap; sorted, each once. ``paths``: each track's position now, its
    velocity, and how far it goes from its report to the window's end.

    Two tracks within ``lateral_m`` in their horizon plane are within ``lateral_m +
    lateral_m² / 2R + rise_a + rise_b`` in space (a path of s metres rises s² / 2R off the
    surface), so boxes padded by half the first two terms and by their own rise overlap. The
    boxes are found by an STR tree of their shadows on one plane (a box's shadow holds the
    shadow of everything in it, so boxes that overlap have overlapping shadows)."""
    position, velocity, travelled = paths
    n = len(position)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    end = position + velocity * lookahead_s
    half = lateral_m / 2 + lateral_m**2 / (4 * MIN_RADIUS_M) + 1.0  # 1 m over the rounding
    pad = (half + travelled**2 / (2 * MIN_RADIUS_M))[:, None]
    low, high = np.minimum(position, end) - pad, np.maximum(position, end) + pad
    u, w = _plane(normals(tracks.lat, tracks.lon).sum(axis=0))
    (u0, u1), (w0, w1) = _shadow(low, high, u), _shadow(low, high, w)
    shadows = shapely.box(u0, w0, u1, w1)
    found = []
    for party in np.unique(tracks.party)[:-1]:  # each party's tree, queried by later parties
        mine, later = np.flatnonzero(tracks.party == party), np.flatnonzero(tracks.party > party)
        theirs, ours = shapely.STRtree(shadows[mine]).query(shadows[later])
        found.append((mine[ours], later[theirs]))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b = (np.concatenate(side) for side in zip(*found, strict=True))
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = np.abs(tracks.alt_m[a] - tracks.alt_m[b]) <= vertical_m
    a, b = a[keep], b[keep]
    keep = np.all((low[a] <= high[b]) & (low[b] <= high[a]), axis=1)
    code = np.unique(a[keep] * n + b[keep])
    return code // n, code % n


def _plane(up: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors square to ``up`` and to each other (any two, if ``up`` is nil)."""
    length = float(np.linalg.norm(up))
    up = up / length if length > 1e-9 else np.array([0.0, 0.0, 1.0])
    helper = np.array([0.0, 0.0, 1.0]) if abs(up[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(up, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(up, u)


def _shadow(low: FloatArray, high: FloatArray, axis: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each box's extent along a unit vector: its least and greatest projection."""
    return np.where(axis > 0, low, high) @ axis, np.where(axis > 0, high, low) @ axis
