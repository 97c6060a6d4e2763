"""Exact geodesic distance between footprints, on the WGS84 ellipsoid.

A :class:`Shape` is a footprint made ready once: its rings as vertex arrays (the closing and
repeated positions dropped), its geodesic edges (azimuths, lengths), a bounding cap, the
latitude reached by each edge, and runs of up to 32 edges with their own caps.
:func:`distances_m` then answers many pairs at once with a few vectorised calls of
GeographicLib's geodesics (:mod:`openline.geo.geodesy`):

1. a cap test drops the pairs that are plainly farther apart than asked, and the same call
   measures two circles exactly (their caps' centres are their centres);
2. one inverse problem between every vertex of one footprint and every vertex of the other
   gives, from the same azimuths, the vertex distances, which edges cross (orientation signs)
   and which vertices lie inside the other footprint (winding numbers); for large footprints,
   only the runs that may come near each other are compared, and one vertex per ring is
   tested inside, with the runs far from it cut short to chords;
3. for the vertex-edge pairs whose perpendicular foot falls inside the edge and that may beat
   the best distance so far, the foot is found by iterating along the edge (direct problem).

:func:`nearest_points` says where the distance is reached, for the map.

Footprints are closed sets: touching footprints are at distance 0.0, and any distance below
:data:`TOUCHING_M` (1 mm) is reported as exactly 0.0. Why the result is within 1 cm of the
true geodesic distance is written down in docs/deconfliction.md ("The geometry engine and its
error budget").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from openline.geo.arrays import FloatArray, IntArray
from openline.geo.batch import Batch
from openline.geo.blocks import first_blocks, run_blocks
from openline.geo.combinations import Combinations, small_pairs
from openline.geo.geodesy import (
    forward,
    inverse,
    wrap180,
)
from openline.geo.shapes import (
    FOOT_TOLERANCE_M,
    TOUCHING_M,
    Box,
    Shape,
)

__all__ = ["Box", "Shape", "distance_m", "distances_m", "nearest_points"]


def distance_m(a: Shape, b: Shape) -> float:
    """The geodesic distance on WGS84 between two footprints, in metres, within 1 cm: 0.0 when
    they touch or overlap (any distance below 1 mm counts as touching and is 0.0)."""
    return float(distances_m([a], [b], [math.inf])[0])


def distances_m(
    a: Sequence[Shape], b: Sequence[Shape], within_m: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """The distances between ``a[i]`` and ``b[i]`` for every i, in metres.

    Exact (within 1 cm, 0.0 when touching or overlapping, as :func:`distance_m`) wherever the
    true distance is at most ``within_m[i]``; elsewhere a value above ``within_m[i]`` (a lower
    bound from the bounding caps, or the distance itself). All pairs go through the same few
    vectorised geodesic calls.
    """
    within = np.empty(len(a))
    within[:] = within_m  # a number for every pair, or one each
    if len(a) != len(b):
        raise ValueError(f"{len(a)} shapes against {len(b)}: give one b for each a")
    if not a:
        return np.zeros(0)
    firsts, seconds = [], []
    for x, y in zip(a, b, strict=True):  # each pair in the order of its keys
        first, second = (y, x) if x.key > y.key else (x, y)
        firsts.append(first)
        seconds.append(second)
    return _distances(Batch(firsts, seconds), within)


# --- many pairs at once ---------------------------------------------------------------------


def _distances(batch: Batch, within: FloatArray) -> FloatArray:
    """Each pair's distance, exact where it is at most ``within``: see distances_m."""
    a, b = batch.a, batch.b
    cap_a, cap_b = batch.cap[:, a], batch.cap[:, b]  # (lon, lat, radius) of each pair's caps
    _, _, centres = inverse(cap_a[0], cap_a[1], cap_b[0], cap_b[1])
    out: FloatArray = centres - cap_a[2] - cap_b[2]  # the far pairs' bound; near ones below
    near = (~(out > within + TOUCHING_M)).nonzero()[0]
    if near.size:
        widening = batch.radius[a[near]] + batch.radius[b[near]]
        core = centres[near]  # two circles: their cores are their centres, the caps' centres
        measured = (batch.n_rings[a[near]] > 0) | (batch.n_rings[b[near]] > 0)
        if measured.any():
            pick = near[measured]
            limit = within[pick] + widening[measured]
            core[measured] = _core_distances(batch, a[pick], b[pick], limit)
        apart = core - widening
        out[near] = np.where(apart < TOUCHING_M, 0.0, apart)
    return out


def _core_distances(
    batch: Batch, firsts: IntArray, seconds: IntArray, limit: FloatArray
) -> FloatArray:
    """The distances between the cores (polygons, or circles' centres) of pairs of shapes:
    0 when they cross or one holds a vertex of the other, else the least vertex-to-edge
    distance either way; exact where it is at most ``limit``.

    A small pair is one block, the whole of both shapes. A large pair first tests the first
    vertex of each ring inside the other shape (with no edges crossing or touching, a ring
    lies wholly inside or wholly outside the other footprint); then, unless it is inside,
    compares the caps of its runs: only pairs of runs whose caps may come closer than the
    least distance between their centres (vertices), and than ``limit``, are compared
    vertex by vertex (crossing runs always are).
    """
    n = len(firsts)
    small = small_pairs(batch, firsts, seconds)
    best, touching = np.full(n, math.inf), np.zeros(n, bool)
    passes = [Combinations(batch, first_blocks(batch, firsts, seconds, small), n)]
    touching |= passes[0].touching()
    large = (~small & ~touching).nonzero()[0]
    if large.size:
        runs, best[large] = run_blocks(batch, firsts, seconds, large, limit)
        passes.append(Combinations(batch, runs, n))
        touching |= passes[1].touching()
    if large.size or not small.all():
        for c in passes:
            np.minimum.at(best, c.blocks.pair, c.least_per_block())
    else:  # the usual check: small pairs only, each one block, in the order of the pairs
        best = passes[0].least_per_block()
    best[touching] = 0.0
    if touching.all():  # every pair at 0: no foot can come nearer
        return best
    for c in passes:
        feet = c.feet(np.minimum(best, limit))
        if feet.pair.size:
            np.minimum.at(best, feet.pair, feet.distance)
    return best


# --- where the distance is reached ----------------------------------------------------------

LonLat = tuple[float, float]


def nearest_points(a: Shape, b: Shape) -> tuple[LonLat, LonLat]:
    """Where the distance between two footprints is reached, for the map: a point (lon, lat)
    of ``a`` and a point of ``b``, as far apart as :func:`distance_m` says (within 1 cm). When
    the footprints overlap, one point of both, twice; when they touch, two points less than
    1 mm apart."""
    batch = Batch([a], [b])
    core_a, core_b = _nearest_core_points(batch)
    return _widened(core_a, core_b, a.radius_m, b.radius_m)


def _nearest_core_points(batch: Batch) -> tuple[LonLat, LonLat]:
    """As :func:`nearest_points`, for the cores of one pair (a circle's core is its centre):
    the same passes as :func:`_core_distances`, keeping where each distance is."""
    small = small_pairs(batch, batch.a, batch.b)
    passes = [Combinations(batch, first_blocks(batch, batch.a, batch.b, small), 1)]
    if not small[0]:
        passes.append(
            Combinations(
                batch,
                run_blocks(batch, batch.a, batch.b, np.zeros(1, np.int64), np.array([math.inf]))[0],
                1,
            )
        )
    for c in passes:
        for inside, side in zip(c.vertices_inside(), (c.blocks.a, c.blocks.b), strict=True):
            if inside.any():
                vertex = _vertex(batch, int(side.vertices[np.argmax(inside)]))
                return vertex, vertex
        crossing = c.crossing()
        if crossing.any():
            k = int(np.argmax(crossing))
            point = _crossing_point(batch, int(c.vertex_a[k]), int(c.vertex_b[k]))
            return point, point
    best, nearest = math.inf, ((math.nan, math.nan), (math.nan, math.nan))
    for c in passes:
        k = int(np.argmin(c.distance))
        if c.distance[k] < best:
            best, nearest = (
                c.distance[k],
                (_vertex(batch, int(c.vertex_a[k])), _vertex(batch, int(c.vertex_b[k]))),
            )
    for c in passes:
        feet = c.feet(np.array([best]))
        m = int(np.argmin(feet.distance)) if feet.distance.size else -1
        if m >= 0 and feet.distance[m] < best:
            e = feet.edge[m]
            lon, lat, _ = forward(batch.lon[e], batch.lat[e], batch.edge_az[e], feet.along_m[m])
            foot, vertex = (float(lon[0]), float(lat[0])), _vertex(batch, int(feet.point[m]))
            best, nearest = feet.distance[m], ((vertex, foot) if feet.from_a[m] else (foot, vertex))
    return nearest


def _vertex(batch: Batch, index: int) -> LonLat:
    return (float(batch.lon[index]), float(batch.lat[index]))


def _crossing_point(batch: Batch, edge_a: int, edge_b: int) -> LonLat:
    """Where two properly crossing edges meet: bisection along the first on the side of the
    second, to 0.1 mm."""
    (start_side,), _, _ = inverse(
        batch.lon[edge_b], batch.lat[edge_b], batch.lon[edge_a], batch.lat[edge_a]
    )
    side = np.sign(wrap180(start_side - batch.edge_az[edge_b]))
    lo, hi = 0.0, float(batch.edge_m[edge_a])
    while hi - lo > FOOT_TOLERANCE_M * 10:
        mid = (lo + hi) / 2
        lon, lat, _ = forward(batch.lon[edge_a], batch.lat[edge_a], batch.edge_az[edge_a], mid)
        (azimuth,), _, _ = inverse(batch.lon[edge_b], batch.lat[edge_b], lon, lat)
        lo, hi = (
            (mid, hi) if np.sign(wrap180(azimuth - batch.edge_az[edge_b])) == side else (lo, mid)
        )
    lon, lat, _ = forward(batch.lon[edge_a], batch.lat[edge_a], batch.edge_az[edge_a], lo)
    return (float(lon[0]), float(lat[0]))


def _widened(p: LonLat, q: LonLat, radius_p: float, radius_q: float) -> tuple[LonLat, LonLat]:
    """The nearest points of circles from those of their centres: each moved towards the other
    by its radius, or one point of both when the radii overlap."""
    if radius_p == 0.0 and radius_q == 0.0:
        return p, q
    (az_pq,), (az_qp,), (apart,) = inverse(p[0], p[1], q[0], q[1])
    lon, lat, _ = forward(p[0], p[1], az_pq, min(radius_p, apart))
    moved_p = (float(lon[0]), float(lat[0]))
    if apart - radius_p - radius_q < TOUCHING_M:
        return moved_p, moved_p
    lon, lat, _ = forward(q[0], q[1], az_qp, radius_q)
    return moved_p, (float(lon[0]), float(lat[0]))
