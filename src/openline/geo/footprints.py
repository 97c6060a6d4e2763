"""Exact geodesic distance between footprints, on the WGS84 ellipsoid.

A :class:`Shape` is a footprint made ready once: its rings as vertex arrays (the closing and
repeated positions dropped), its geodesic edges (azimuths, lengths), a bounding cap, the
latitude reached by each edge, and runs of up to 32 edges with their own caps.
:func:`distances_m` then answers many pairs at once with a few vectorised calls of
GeographicLib's geodesics (:mod:`openline.geo.geodesy`):

1. a cap test drops the pairs that are plainly farther apart than asked;
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
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from openline.domain.volumes import Circle, MultiPolygon, Polygon
from openline.geo.geodesy import (
    MIN_METRES_PER_DEGREE_LAT,
    FloatArray,
    along_track_m,
    forward,
    geodetic_latitude,
    inverse,
    parallel_radius_m,
    reduced_latitude,
    wrap180,
)

Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat, lon in [-180, 180]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TOUCHING_M = 0.001  # closer than this is touching: reported as 0.0
FOOT_TOLERANCE_M = 1e-5  # the foot of a perpendicular is found to 10 µm along its edge
MAX_FOOT_ITERATIONS = 12  # 1 to 3 are needed; the cap only guards against a pathological case
BOX_EPSILON_DEG = 1e-9  # about 0.1 mm, over the rounding of the box's own arithmetic
# Below this, the distance from a point along a geodesic is convex (the Gaussian curvature of
# WGS84 is below 1/6,335 km², so up to a quarter of a great circle of that radius, 9,950 km).
# A footprint reaching farther from its cap's centre gets no cap (it is never prefiltered).
MAX_CAP_RADIUS_M = 9_000_000.0
# Pairs with more vertex combinations than this compare runs of RUN_EDGES edges first (and
# test one vertex per ring inside), rather than every vertex with every vertex.
FULL_COMPARISON_MAX = 4_096
RUN_EDGES = 32


@dataclass(frozen=True, eq=False)
class Shape:
    """A footprint ready for the distance engine; immutable, built once with :meth:`of`.

    A polygon footprint is its vertices (every ring of every polygon, one array) with the
    geodesic edge from each vertex to the next of its ring. A circle is its centre, a single
    vertex with no edge, widened by ``radius_m``: a geodesic disc is every point within its
    radius of the centre, so its distance to anything is the centre's minus the radius.
    """

    lon: FloatArray  # vertices, degrees, as given
    lat: FloatArray
    next: IntArray  # the index of the next vertex of the same ring (itself for a circle)
    ring: IntArray  # the ring of each vertex, numbered across the whole footprint
    n_rings: int  # 0 for a circle
    edge_az: FloatArray  # the edge from each vertex: azimuth at its start
    edge_back_az: FloatArray  # azimuth at its end, pointing back to its start
    edge_m: FloatArray  # its length
    radius_m: float  # a circle's radius, 0 for polygons
    cap_lon: float  # a geodesic disc holding the whole footprint
    cap_lat: float
    cap_radius_m: float  # infinite when the footprint is too large for a cap
    parts: tuple[tuple[float, float, float, float], ...]  # per polygon: lon range (unwrapped),
    # lat range (including the latitude each geodesic edge reaches between its vertices)
    key: bytes  # orders the shapes of a pair, so that distance(a, b) is distance(b, a) exactly
    runs: _Runs  # runs of consecutive edges with their caps, for large footprints

    @classmethod
    def of(cls, footprint: Polygon | MultiPolygon | Circle) -> Shape:
        """The shape of a footprint of :mod:`openline.domain.volumes` (already validated)."""
        if isinstance(footprint, Circle):
            return _circle_shape(footprint)
        polygons = footprint.polygons if isinstance(footprint, MultiPolygon) else (footprint,)
        return _polygon_shape([[_clean(ring) for ring in p.rings] for p in polygons])

    @cached_property
    def _packed(self) -> _Packed:
        """The shape's arrays as a few tables, so that many shapes are laid end to end fast."""
        runs = self.runs
        return _Packed(
            np.column_stack([self.lon, self.lat, self.edge_az, self.edge_back_az, self.edge_m]),
            np.column_stack([self.next, self.ring]),
            np.column_stack([runs.start, runs.size, runs.centre]),
            (len(self.lon), self.n_rings, len(runs.size), len(runs.vertices),
             len(runs.ring_starts)),
            (self.radius_m, self.cap_lon, self.cap_lat, self.cap_radius_m),
        )  # fmt: skip

    def boxes(self, pad_m: float = 0.0) -> list[Box]:
        """Lon/lat boxes holding every point within ``pad_m`` geodesic metres of the footprint.

        Never too small: latitudes are padded by ``pad_m`` over the shortest degree of latitude
        (110,574 m), longitudes by the same distance over the parallel's radius at the most
        poleward latitude reached, and each edge's own poleward bulge is included. One box per
        polygon, split in two at the antimeridian; the full longitude range when a pole is
        reached.
        """
        pad = max(pad_m, 0.0) + self.radius_m
        out: list[Box] = []
        for lon_lo, lon_hi, lat_lo, lat_hi in self.parts:
            out += _padded_boxes(lon_lo, lon_hi, lat_lo, lat_hi, pad)
        return out


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
    within = np.broadcast_to(np.asarray(within_m, dtype=np.float64), (len(a),)).copy()
    if len(a) != len(b):
        raise ValueError(f"{len(a)} shapes against {len(b)}: give one b for each a")
    if not a:
        return np.zeros(0)
    swap = np.fromiter((x.key > y.key for x, y in zip(a, b, strict=True)), bool, len(a))
    firsts = [y if s else x for x, y, s in zip(a, b, swap, strict=True)]
    seconds = [x if s else y for x, y, s in zip(a, b, swap, strict=True)]
    return _Batch(firsts, seconds).distances(within)


# --- building shapes ------------------------------------------------------------------------


def _clean(ring: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The ring's distinct vertices in order: no closing position, no consecutive repeats."""
    out: list[tuple[float, float]] = []
    for lon, lat in ring:
        if not out or (lon, lat) != out[-1]:
            out.append((float(lon), float(lat)))
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def _circle_shape(circle: Circle) -> Shape:
    lon, lat = np.array([float(circle.lon)]), np.array([float(circle.lat)])
    zero, radius, first = np.zeros(1), float(circle.radius_m), np.zeros(1, np.int64)
    part = (float(lon[0]), float(lon[0]), float(lat[0]), float(lat[0]))
    runs = _Runs(first, np.ones(1, np.int64), first, first, np.full(1, TOUCHING_M), first)
    return Shape(
        lon, lat, first, first, 0, zero, zero, zero, radius,
        part[0], part[2], radius + TOUCHING_M, (part,), _key(lon, lat, radius), runs,
    )  # fmt: skip


def _polygon_shape(polygons: list[list[list[tuple[float, float]]]]) -> Shape:
    rings = [ring for polygon in polygons for ring in polygon]
    lon = np.array([p[0] for ring in rings for p in ring])
    lat = np.array([p[1] for ring in rings for p in ring])
    sizes = np.array([len(ring) for ring in rings])
    starts = np.cumsum(sizes) - sizes
    ring = np.repeat(np.arange(len(rings)), sizes)
    index = np.arange(len(lon))
    nxt = np.where(index + 1 == (starts + sizes)[ring], starts[ring], index + 1)
    edge_az, edge_back_az, edge_m = inverse(lon, lat, lon[nxt], lat[nxt])
    reached = _edge_extreme_latitudes(lat, lat[nxt], edge_az, edge_back_az)
    parts, first = [], 0
    for polygon in polygons:  # the exterior ring bounds its holes
        shell = slice(first, first + len(polygon[0]))
        lons = _unwrapped(lon[shell])
        lats = np.concatenate([lat[shell], *(extreme[shell] for extreme in reached)])
        parts.append((float(lons.min()), float(lons.max()), float(lats.min()), float(lats.max())))
        first += sum(len(r) for r in polygon)
    cap_lon, cap_lat, cap_radius = _cap(lon, lat)
    return Shape(
        lon, lat, nxt, ring, len(rings), edge_az, edge_back_az, edge_m, 0.0,
        cap_lon, cap_lat, cap_radius, tuple(parts), _key(lon, lat, 0.0),
        _runs(lon, lat, starts, sizes),
    )  # fmt: skip


class _Packed(NamedTuple):
    """A shape's arrays as tables: per vertex (lon, lat, edge azimuth, edge back azimuth,
    edge length) and (next, ring); per run (start, size, centre); its counts (vertices,
    rings, runs, run vertices, ring starts) and scalars (radius, cap lon, lat, radius)."""

    vertices: FloatArray
    links: IntArray
    runs: IntArray
    counts: tuple[int, int, int, int, int]
    scalars: tuple[float, float, float, float]


def _starts(sizes: IntArray) -> IntArray:
    """Where each of consecutive blocks of these sizes starts."""
    return np.asarray(np.cumsum(sizes) - sizes)


class _Runs(NamedTuple):
    """Runs of up to RUN_EDGES consecutive edges of each ring, each with a cap (a vertex of the
    run and the distance to its farthest vertex, plus 1 mm, which holds its edges), so that two
    large footprints only compare the runs that come near each other. A circle has one run of
    its centre."""

    start: IntArray  # where each run's vertices start in ``vertices``
    size: IntArray  # how many: its edges and one more (the end of its last edge)
    vertices: IntArray  # the runs' vertices in order (indices into the shape's vertices)
    centre: IntArray  # the vertex at the centre of each run's cap
    radius_m: FloatArray
    ring_starts: IntArray  # the first vertex of each ring (a circle: its centre)


def _runs(lon: FloatArray, lat: FloatArray, starts: IntArray, sizes: IntArray) -> _Runs:
    """The runs of rings given by their first vertex and size, each run's cap centred on its
    middle vertex."""
    firsts = np.concatenate([np.arange(0, n, RUN_EDGES) for n in sizes])
    ring_of = np.concatenate([np.full(len(range(0, n, RUN_EDGES)), k) for k, n in enumerate(sizes)])
    edges = np.minimum(firsts + RUN_EDGES, sizes[ring_of]) - firsts
    size = edges + 1
    start = np.cumsum(size) - size
    run = np.repeat(np.arange(len(size)), size)
    step = np.arange(int(size.sum())) - start[run]
    vertices = starts[ring_of][run] + (firsts[run] + step) % sizes[ring_of][run]
    centre = vertices[start + size // 2]
    _, _, reach = inverse(lon[centre][run], lat[centre][run], lon[vertices], lat[vertices])
    radius = np.maximum.reduceat(reach, start) + TOUCHING_M
    return _Runs(start, size, vertices, centre, radius, np.asarray(starts, np.int64))


def _unwrapped(lon: FloatArray) -> FloatArray:
    """A ring's longitudes made continuous (each step the short way) from its first one."""
    steps = wrap180(np.diff(lon))
    return np.concatenate([[lon[0]], lon[0] + np.cumsum(steps)])


def _edge_extreme_latitudes(
    lat1: FloatArray, lat2: FloatArray, az1: FloatArray, back_az2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """The northernmost and southernmost latitudes each geodesic edge reaches between its ends:
    its vertex, where Clairaut's constant cos(beta) sin(azimuth) (beta the reduced latitude) is
    cos(beta) alone, when the edge turns there; otherwise its start's latitude."""
    az2 = back_az2 + 180.0  # the direction of travel at the end
    clairaut = np.abs(np.cos(np.radians(reduced_latitude(lat1))) * np.sin(np.radians(az1)))
    vertex = geodetic_latitude(np.degrees(np.arccos(np.minimum(clairaut, 1.0))))
    north = (np.cos(np.radians(az1)) > 0) & (np.cos(np.radians(az2)) < 0)
    south = (np.cos(np.radians(az1)) < 0) & (np.cos(np.radians(az2)) > 0)
    return np.where(north, vertex, lat1), np.where(south, -vertex, lat1)


def _cap(lon: FloatArray, lat: FloatArray) -> tuple[float, float, float]:
    """A centre (the normalised mean of the vertices' directions) and the geodesic radius
    around it that holds every vertex, hence every edge (the distance from a point is convex
    along a geodesic at these ranges) and the inside of every ring."""
    phi, lam = np.radians(lat), np.radians(lon)
    x, y, z = (np.mean(np.cos(phi) * np.cos(lam)), np.mean(np.cos(phi) * np.sin(lam)),
               np.mean(np.sin(phi)))  # fmt: skip
    cap_lon = math.degrees(math.atan2(y, x))
    cap_lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    _, _, reach = inverse(np.full(len(lon), cap_lon), np.full(len(lon), cap_lat), lon, lat)
    radius = float(reach.max()) + TOUCHING_M
    return cap_lon, cap_lat, radius if radius <= MAX_CAP_RADIUS_M else math.inf


def _key(lon: FloatArray, lat: FloatArray, radius: float) -> bytes:
    return np.concatenate([[radius, len(lon)], lon, lat]).tobytes()


def _padded_boxes(
    lon_lo: float, lon_hi: float, lat_lo: float, lat_hi: float, pad: float
) -> list[Box]:
    dlat = pad / MIN_METRES_PER_DEGREE_LAT + BOX_EPSILON_DEG
    south, north = lat_lo - dlat, lat_hi + dlat
    if north >= 90.0 or south <= -90.0:  # a pole is reached: every longitude
        return [(-180.0, max(south, -90.0), 180.0, min(north, 90.0))]
    dlon = math.degrees(pad / parallel_radius_m(max(-south, north))) + BOX_EPSILON_DEG
    west, east = lon_lo - dlon, lon_hi + dlon
    if east - west >= 360.0:
        return [(-180.0, south, 180.0, north)]
    turns = math.floor((west + 180.0) / 360.0)
    west, east = west - 360.0 * turns, east - 360.0 * turns
    if east <= 180.0:
        return [(west, south, east, north)]
    return [(west, south, 180.0, north), (-180.0, south, east - 360.0, north)]


# --- many pairs at once ---------------------------------------------------------------------


class _Batch:
    """The shapes of many pairs laid end to end, so that each step is one array operation.

    Vertices, runs and ring starts of every shape are numbered across the batch.
    """

    def __init__(self, firsts: Sequence[Shape], seconds: Sequence[Shape]) -> None:
        slots: dict[int, int] = {}
        shapes: list[Shape] = []
        for shape in (*firsts, *seconds):
            if slots.setdefault(id(shape), len(shapes)) == len(shapes):
                shapes.append(shape)
        self.a = np.array([slots[id(s)] for s in firsts], np.int64)
        self.b = np.array([slots[id(s)] for s in seconds], np.int64)
        packs = [s._packed for s in shapes]
        counts = np.array([p.counts for p in packs], np.int64).reshape(-1, 5).T
        self.size, self.n_rings, self.n_runs, n_run_vertices, self.n_ring_starts = counts
        self.radius, *cap = np.array([p.scalars for p in packs]).reshape(-1, 4).T
        self.cap = np.array(cap)
        self.offset = _starts(self.size)
        self.run_offset = _starts(self.n_runs)
        self.ring_start_offset = _starts(self.n_ring_starts)
        self.lon, self.lat, self.edge_az, self.edge_back_az, self.edge_m = np.concatenate(
            [p.vertices for p in packs]
        ).T
        self.next, self.ring = np.concatenate([p.links for p in packs]).T
        self.next = self.next + np.repeat(self.offset, self.size)
        self.run_start, self.run_size, self.run_centre = np.concatenate([p.runs for p in packs]).T
        self.run_start = self.run_start + np.repeat(_starts(n_run_vertices), self.n_runs)
        self.run_centre = self.run_centre + np.repeat(self.offset, self.n_runs)
        self.run_radius = np.concatenate([s.runs.radius_m for s in shapes])
        self.run_vertices = np.concatenate([s.runs.vertices for s in shapes])
        self.run_vertices += np.repeat(self.offset, n_run_vertices)
        self.ring_starts = np.concatenate([s.runs.ring_starts for s in shapes])
        self.ring_starts += np.repeat(self.offset, self.n_ring_starts)

    def distances(self, within: FloatArray) -> FloatArray:
        """Each pair's distance, exact where it is at most ``within``: see distances_m."""
        a, b = self.a, self.b
        _, _, centres = inverse(self.cap[0][a], self.cap[1][a], self.cap[0][b], self.cap[1][b])
        bound = centres - self.cap[2][a] - self.cap[2][b]
        far = bound > within + TOUCHING_M
        out = np.where(far, bound, 0.0)
        near = np.flatnonzero(~far)
        if near.size:
            widening = self.radius[a[near]] + self.radius[b[near]]
            core = self._core_distances(a[near], b[near], within[near] + widening)
            apart = core - widening
            out[near] = np.where(apart < TOUCHING_M, 0.0, apart)
        return out

    def _core_distances(self, sa: IntArray, sb: IntArray, limit: FloatArray) -> FloatArray:
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
        n = len(sa)
        small = _small(self, sa, sb)
        best, touching = np.full(n, math.inf), np.zeros(n, bool)
        passes = [_Combinations(self, _first_blocks(self, sa, sb, small), n)]
        touching |= passes[0].touching()
        large = np.flatnonzero(~small & ~touching)
        runs, best[large] = _run_blocks(self, sa, sb, large, limit)
        passes.append(_Combinations(self, runs, n))
        touching |= passes[1].touching()
        for c in passes:
            np.minimum.at(best, c.blocks.pair, c.least_per_block())
        best[touching] = 0.0
        for c in passes:
            for feet in (c.first_on_second_edges(np.minimum(best, limit)),
                         c.second_on_first_edges(np.minimum(best, limit))):  # fmt: skip
                np.minimum.at(best, feet.pair, feet.distance)
        return best


class _Side(NamedTuple):
    """One side of each block: its vertices (batch numbering) laid end to end, the position
    in the block of each one's next vertex along its edge (-1: no edge from it here), and how
    many each block has."""

    vertices: IntArray
    next_position: IntArray
    size: IntArray


class _Blocks(NamedTuple):
    """What to compare: each block is every vertex of side ``a`` with every vertex of side
    ``b``, for pair ``pair``. ``wind_a``: side b holds whole rings, and side a's vertices are
    tested inside them; ``wind_b`` the other way."""

    pair: IntArray
    a: _Side
    b: _Side
    wind_a: BoolArray
    wind_b: BoolArray
    shape_a: IntArray  # the pair's first shape
    shape_b: IntArray
    measure: BoolArray  # whether its edges are measured (False: a ring's far runs are chords)


def _small(g: _Batch, sa: IntArray, sb: IntArray) -> BoolArray:
    """The pairs compared whole: few vertex combinations, or a single run each."""
    small = g.size[sa] * g.size[sb] <= FULL_COMPARISON_MAX
    return np.asarray(small | ((g.n_runs[sa] == 1) & (g.n_runs[sb] == 1)))


def _first_blocks(g: _Batch, sa: IntArray, sb: IntArray, small: BoolArray) -> _Blocks:
    """The whole of each small pair; for each large pair, the first vertex of each ring of
    one shape against the other's rings, with its runs far from those points cut short to
    chords (see _collapsed), both ways."""
    whole, large = np.flatnonzero(small), np.flatnonzero(~small)
    a, b = sa[large], sb[large]
    return _joined_blocks(
        sa, sb,
        (whole, _whole(g, sa[whole]), _whole(g, sb[whole]), (True, True, True)),
        (large, _ring_starts(g, a), _collapsed(g, b, a), (True, False, False)),
        (large, _collapsed(g, a, b), _ring_starts(g, b), (False, True, False)),
    )  # fmt: skip


def _run_blocks(
    g: _Batch, sa: IntArray, sb: IntArray, large: IntArray, limit: FloatArray
) -> tuple[_Blocks, FloatArray]:
    """For the large pairs, the pairs of runs worth comparing, and an upper bound on each
    pair's distance."""
    ra, rb, keep, upper = _near_runs(g, sa[large], sb[large], limit[large])
    blocks = (large[keep], _runs_side(g, ra), _runs_side(g, rb), (False, False, True))
    return _joined_blocks(sa, sb, blocks), upper


def _joined_blocks(
    sa: IntArray, sb: IntArray, *kinds: tuple[IntArray, _Side, _Side, tuple[bool, bool, bool]]
) -> _Blocks:
    """Blocks of several kinds, each its pairs, its two sides and its flags (wind_a, wind_b,
    measure), laid end to end."""
    pair = np.concatenate([kind[0] for kind in kinds])
    counts = [len(kind[0]) for kind in kinds]
    flags = np.repeat(np.array([kind[3] for kind in kinds], bool), counts, axis=0)
    a, b = _joined([kind[1] for kind in kinds]), _joined([kind[2] for kind in kinds])
    return _Blocks(pair, a, b, flags[:, 0], flags[:, 1], sa[pair], sb[pair], flags[:, 2])


def _near_runs(
    g: _Batch, sa: IntArray, sb: IntArray, limit: FloatArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """For large pairs: the pairs of runs worth comparing (run numbers, their pair), and the
    least distance between run centres of each pair (an upper bound on its distance)."""
    na, nb = g.n_runs[sa], g.n_runs[sb]
    count = na * nb
    start = np.cumsum(count) - count
    pair, i, j = _grid(na, nb)
    ra, rb = g.run_offset[sa][pair] + i, g.run_offset[sb][pair] + j
    ca, cb = g.run_centre[ra], g.run_centre[rb]
    _, _, apart = inverse(g.lon[ca], g.lat[ca], g.lon[cb], g.lat[cb])
    upper = np.minimum.reduceat(apart, start) if len(sa) else np.zeros(0)
    bound = apart - g.run_radius[ra] - g.run_radius[rb]
    keep = bound <= np.minimum(upper, limit)[pair] + TOUCHING_M
    return ra[keep], rb[keep], pair[keep], upper


def _grid(rows: IntArray, columns: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Every (row, column) of each of several grids, laid end to end, row major: the grid
    of each, its row and its column."""
    count = rows * columns
    start = np.cumsum(count) - count
    grid = np.repeat(np.arange(len(rows)), count)
    local = np.arange(int(count.sum())) - start[grid]
    row = local // np.maximum(columns[grid], 1)
    return grid, row, local - row * columns[grid]


def _spread(size: IntArray) -> tuple[IntArray, IntArray]:
    """For blocks of these sizes laid end to end: each item's block and position in it."""
    block = np.repeat(np.arange(len(size)), size)
    return block, np.arange(int(size.sum())) - (np.cumsum(size) - size)[block]


def _whole(g: _Batch, shapes: IntArray) -> _Side:
    """Every vertex of each shape, with its edges."""
    size = g.size[shapes]
    block, position = _spread(size)
    vertices = g.offset[shapes][block] + position
    has_edge = g.n_rings[shapes][block] > 0
    return _Side(vertices, np.where(has_edge, g.next[vertices] - g.offset[shapes][block], -1), size)


def _ring_starts(g: _Batch, shapes: IntArray) -> _Side:
    """The first vertex of each ring of each shape (a circle: its centre), without edges."""
    size = g.n_ring_starts[shapes]
    block, position = _spread(size)
    vertices = g.ring_starts[g.ring_start_offset[shapes][block] + position]
    return _Side(vertices, np.full(len(vertices), -1), size)


def _runs_side(g: _Batch, runs: IntArray) -> _Side:
    """The vertices of each run, with its edges."""
    size = g.run_size[runs]
    block, position = _spread(size)
    vertices = g.run_vertices[g.run_start[runs][block] + position]
    return _Side(vertices, np.where(position + 1 < size[block], position + 1, -1), size)


def _collapsed(g: _Batch, shapes: IntArray, seen_from: IntArray) -> _Side:
    """The rings of ``shapes`` for winding numbers seen from the ring starts of ``seen_from``:
    each run whose cap holds none of those points is cut short to its first vertex (then the
    next run's first), a chord. Seen from a point outside a cap, a run turns by exactly the
    angle between its ends (a cap is convex and subtends less than a half turn), so the
    winding numbers are unchanged while the work drops to the runs near the points."""
    pair, i, j = _grid(g.n_runs[shapes], g.n_ring_starts[seen_from])
    run = g.run_offset[shapes][pair] + i
    point = g.ring_starts[g.ring_start_offset[seen_from][pair] + j]
    centre = g.run_centre[run]
    _, _, apart = inverse(g.lon[point], g.lat[point], g.lon[centre], g.lat[centre])
    runs = g.n_runs[shapes]
    listed = (np.cumsum(runs) - runs)[pair] + i  # the run's place among all listed runs
    near = np.bincount(listed, weights=apart <= g.run_radius[run], minlength=int(runs.sum())) > 0
    run_of, _ = _spread(runs)
    run = g.run_offset[shapes][run_of] + (np.arange(len(run_of)) - (np.cumsum(runs) - runs)[run_of])
    kept = np.where(near, np.maximum(g.run_size[run] - 1, 1), 1)
    which, position = _spread(kept)
    vertices = g.run_vertices[g.run_start[run][which] + position]
    size = np.bincount(run_of, weights=kept, minlength=len(shapes)).astype(np.int64)
    block, here = _spread(size)
    ring = g.ring[vertices]
    starts_ring = np.r_[True, (np.diff(ring) != 0) | (np.diff(block) != 0)]
    index = np.arange(len(vertices))
    first = np.maximum.accumulate(np.where(starts_ring, index, 0)) - (index - here)
    following = np.r_[~starts_ring[1:], False]
    has_edge = g.n_rings[shapes][block] > 0
    return _Side(vertices, np.where(has_edge, np.where(following, here + 1, first), -1), size)


def _joined(sides: list[_Side]) -> _Side:
    return _Side(*(np.concatenate([getattr(s, f) for s in sides]) for f in _Side._fields))


class _Combinations:
    """Every vertex of each block's side a with every vertex of its side b: one inverse
    problem each, whose azimuths and lengths answer crossing, inside and nearness at once."""

    def __init__(self, batch: _Batch, blocks: _Blocks, n_pairs: int) -> None:
        g = self.batch = batch
        self.blocks, self.n_pairs = blocks, n_pairs
        la, lb = self.la, self.lb = blocks.a.size, blocks.b.size
        self.count = la * lb
        self.start = np.cumsum(self.count) - self.count
        self.block, self.i, self.j = _grid(la, lb)  # i, j: positions in the block's sides
        b = self.block
        self.row_a = (np.cumsum(la) - la)[b] + self.i  # into side a's arrays
        self.row_b = (np.cumsum(lb) - lb)[b] + self.j
        self.pair = blocks.pair[b]
        self.ga, self.gb = blocks.a.vertices[self.row_a], blocks.b.vertices[self.row_b]
        self.az_ab, self.az_ba, self.distance = inverse(
            g.lon[self.ga], g.lat[self.ga], g.lon[self.gb], g.lat[self.gb]
        )
        next_a, next_b = blocks.a.next_position[self.row_a], blocks.b.next_position[self.row_b]
        self.edges_a, self.edges_b = next_a >= 0, next_b >= 0
        here = np.arange(len(b))
        # The combinations with the next vertex along the side b's edge, and along side a's.
        self.k_jn = np.where(self.edges_b, self.start[b] + self.i * lb[b] + next_b, here)
        self.k_in = np.where(self.edges_a, self.start[b] + next_a * lb[b] + self.j, here)

    def touching(self) -> BoolArray:
        """The pairs whose edges cross, or with a vertex inside the other shape."""
        touching = self.per_pair(self.crossing(), self.count)
        touching |= self.per_pair(self.first_vertices_inside_second(), self.la)
        return touching | self.per_pair(self.second_vertices_inside_first(), self.lb)

    def least_per_block(self) -> FloatArray:
        """The least vertex-to-vertex distance of each block."""
        if not self.start.size:
            return np.zeros(0)
        return np.asarray(np.minimum.reduceat(self.distance, self.start))

    def per_pair(self, flags: BoolArray, counts: IntArray) -> BoolArray:
        """Whether any flag of each pair is set, ``counts`` flags per block in order."""
        pair = np.repeat(self.blocks.pair, counts)
        return np.bincount(pair, weights=flags, minlength=self.n_pairs) > 0

    def crossing(self) -> BoolArray:
        """The combinations whose edges (from each side's vertex) properly cross: each edge
        has the ends of the other strictly on either side (the sign of the turn from the
        edge's azimuth to the azimuth of the point, at the edge's start)."""
        g = self.batch
        side_c = np.sign(wrap180(self.az_ab - g.edge_az[self.ga]))
        side_d = np.sign(wrap180(self.az_ab[self.k_jn] - g.edge_az[self.ga]))
        side_a = np.sign(wrap180(self.az_ba - g.edge_az[self.gb]))
        side_b = np.sign(wrap180(self.az_ba[self.k_in] - g.edge_az[self.gb]))
        crossed = (side_c * side_d < 0) & (side_a * side_b < 0) & self.blocks.measure[self.block]
        return np.asarray(self.edges_a & self.edges_b & crossed)

    def first_vertices_inside_second(self) -> BoolArray:
        """Which vertices of the blocks' sides a lie inside their pair's second shape (tested
        in the blocks marked ``wind_a`` only)."""
        turn = wrap180(self.az_ab[self.k_jn] - self.az_ab)
        points = (self.i, self.la, self.blocks.wind_a)
        rings = (self.batch.ring[self.gb], self.blocks.shape_b)
        return self._inside(points, rings, (turn, self.edges_b))

    def second_vertices_inside_first(self) -> BoolArray:
        """Which vertices of the blocks' sides b lie inside their pair's first shape (tested
        in the blocks marked ``wind_b`` only)."""
        turn = wrap180(self.az_ba[self.k_in] - self.az_ba)
        points = (self.j, self.lb, self.blocks.wind_b)
        rings = (self.batch.ring[self.ga], self.blocks.shape_a)
        return self._inside(points, rings, (turn, self.edges_a))

    def _inside(
        self,
        points: tuple[IntArray, IntArray, BoolArray],
        rings: tuple[IntArray, IntArray],
        turns: tuple[FloatArray, BoolArray],
    ) -> BoolArray:
        """Winding numbers: the turns seen from each point along each ring add up to ±360°
        around the rings that hold it, 0 around the others. Rings neither cross nor touch and
        holes lie inside their shells, so a point is inside a footprint when an odd number of
        its rings hold it. ``points``: each combination's position in its side, each block's
        side size, whether the block tests it; ``rings``: each combination's ring of the other
        shape, and each block's other shape; ``turns``: each combination's turn, and whether
        it is along an edge."""
        (position, size, tested), (ring, other), (turn, along_edge) = points, rings, turns
        n_rings = self.batch.n_rings[other] * tested
        groups = size * n_rings
        group_start = np.cumsum(groups) - groups
        b = self.block
        counted = along_edge & tested[b]
        group = (group_start[b] + position * n_rings[b] + ring)[counted]
        total = np.bincount(group, weights=turn[counted], minlength=int(groups.sum()))
        group_block = np.repeat(np.arange(len(size)), groups)
        local = np.arange(len(total)) - group_start[group_block]
        row = (np.cumsum(size) - size)[group_block] + local // np.maximum(n_rings[group_block], 1)
        holding = np.bincount(row, weights=np.abs(total) > 180.0, minlength=int(size.sum()))
        return np.asarray(holding.astype(np.int64) % 2 == 1)

    def first_on_second_edges(self, limit: FloatArray) -> _Feet:
        """Side a's vertices to side b's edges, where they may beat ``limit`` (per pair)."""
        edges = (self.gb, self.az_ba, self.k_jn, self.edges_b)
        return self._on_edges(limit, self.ga, edges)

    def second_on_first_edges(self, limit: FloatArray) -> _Feet:
        """Side b's vertices to side a's edges, where they may beat ``limit`` (per pair)."""
        edges = (self.ga, self.az_ab, self.k_in, self.edges_a)
        return self._on_edges(limit, self.gb, edges)

    def _on_edges(
        self,
        limit: FloatArray,
        point: IntArray,
        edges: tuple[IntArray, FloatArray, IntArray, BoolArray],
    ) -> _Feet:
        """Each combination's vertex ``point`` to the edge from the other vertex, refined where
        its foot falls inside the edge (acute angles at both ends) and the triangle
        inequality's bound beats ``limit``. ``edges``: the edge's first vertex, the azimuths
        from the edge's vertices to the points, the combination with the edge's end, and
        whether there is an edge."""
        g, p = self.batch, self.pair
        edge, azimuth, with_end, has_edge = edges
        angle = azimuth - g.edge_az[edge]
        angle_at_end = azimuth[with_end] - g.edge_back_az[edge]
        bound = (self.distance + self.distance[with_end] - g.edge_m[edge]) / 2
        mask = has_edge & self.blocks.measure[self.block] & (np.cos(np.radians(angle)) > 0)
        mask &= (np.cos(np.radians(angle_at_end)) > 0) & (bound < limit[p])
        return _feet(g, p[mask], edge[mask], point[mask],
                     distance=self.distance[mask], angle=angle[mask])  # fmt: skip


class _Feet(NamedTuple):
    """Vertex-to-edge distances: for each, its pair, the distance, the edge (numbered by its
    first vertex), the vertex, and how far along the edge its foot lies."""

    pair: IntArray
    distance: FloatArray
    edge: IntArray
    point: IntArray
    along_m: FloatArray


def _feet(
    g: _Batch, pair: IntArray, edge: IntArray, point: IntArray, *,
    distance: FloatArray, angle: FloatArray,
) -> _Feet:  # fmt: skip
    """The distance from each point to the geodesic edge (from vertex ``edge`` to the next),
    whose perpendicular foot falls inside it: the foot is found by moving along the edge by
    the along-track offset seen from the current foot (spherical triangle), on the exact
    geodesic, until it moves less than FOOT_TOLERANCE_M; the distance is then exact."""
    length = g.edge_m[edge]
    s = np.clip(along_track_m(distance, angle), 0.0, length)
    out = distance.copy()
    todo = np.arange(len(edge))
    for _ in range(MAX_FOOT_ITERATIONS):
        e, q = edge[todo], point[todo]
        lon, lat, heading = forward(g.lon[e], g.lat[e], g.edge_az[e], s[todo])
        az, _, d = inverse(lon, lat, g.lon[q], g.lat[q])
        out[todo] = np.minimum(out[todo], d)
        moved = np.clip(s[todo] + along_track_m(d, az - heading), 0.0, length[todo])
        still = np.abs(moved - s[todo]) > FOOT_TOLERANCE_M
        s[todo] = moved
        todo = todo[still]
        if not todo.size:
            break
    return _Feet(pair, out, edge, point, s)


# --- where the distance is reached ----------------------------------------------------------

LonLat = tuple[float, float]


def nearest_points(a: Shape, b: Shape) -> tuple[LonLat, LonLat]:
    """Where the distance between two footprints is reached, for the map: a point (lon, lat)
    of ``a`` and a point of ``b``, as far apart as :func:`distance_m` says (within 1 cm). When
    the footprints overlap, one point of both, twice; when they touch, two points less than
    1 mm apart."""
    batch = _Batch([a], [b])
    core_a, core_b = _nearest_core_points(batch)
    return _widened(core_a, core_b, a.radius_m, b.radius_m)


def _nearest_core_points(g: _Batch) -> tuple[LonLat, LonLat]:
    """As :func:`nearest_points`, for the cores of one pair (a circle's core is its centre):
    the same passes as :meth:`_Batch._core_distances`, keeping where each distance is."""
    small = _small(g, g.a, g.b)
    passes = [_Combinations(g, _first_blocks(g, g.a, g.b, small), 1)]
    if not small[0]:
        passes.append(
            _Combinations(
                g, _run_blocks(g, g.a, g.b, np.zeros(1, np.int64), np.array([math.inf]))[0], 1
            )
        )
    for c in passes:
        for inside, side in ((c.first_vertices_inside_second(), c.blocks.a),
                             (c.second_vertices_inside_first(), c.blocks.b)):  # fmt: skip
            if inside.any():
                vertex = _vertex(g, int(side.vertices[np.argmax(inside)]))
                return vertex, vertex
        crossing = c.crossing()
        if crossing.any():
            k = int(np.argmax(crossing))
            point = _crossing_point(g, int(c.ga[k]), int(c.gb[k]))
            return point, point
    best, nearest = math.inf, ((math.nan, math.nan), (math.nan, math.nan))
    for c in passes:
        k = int(np.argmin(c.distance))
        if c.distance[k] < best:
            best, nearest = c.distance[k], (_vertex(g, int(c.ga[k])), _vertex(g, int(c.gb[k])))
    for c in passes:
        for feet, first in ((c.first_on_second_edges(np.array([best])), True),
                            (c.second_on_first_edges(np.array([best])), False)):  # fmt: skip
            m = int(np.argmin(feet.distance)) if feet.distance.size else -1
            if m >= 0 and feet.distance[m] < best:
                e = feet.edge[m]
                lon, lat, _ = forward(g.lon[e], g.lat[e], g.edge_az[e], feet.along_m[m])
                foot, vertex = (float(lon[0]), float(lat[0])), _vertex(g, int(feet.point[m]))
                best, nearest = feet.distance[m], ((vertex, foot) if first else (foot, vertex))
    return nearest


def _vertex(g: _Batch, index: int) -> LonLat:
    return (float(g.lon[index]), float(g.lat[index]))


def _crossing_point(g: _Batch, edge_a: int, edge_b: int) -> LonLat:
    """Where two properly crossing edges meet: bisection along the first on the side of the
    second, to 0.1 mm."""
    (start_side,), _, _ = inverse(g.lon[edge_b], g.lat[edge_b], g.lon[edge_a], g.lat[edge_a])
    side = np.sign(wrap180(start_side - g.edge_az[edge_b]))
    lo, hi = 0.0, float(g.edge_m[edge_a])
    while hi - lo > FOOT_TOLERANCE_M * 10:
        mid = (lo + hi) / 2
        lon, lat, _ = forward(g.lon[edge_a], g.lat[edge_a], g.edge_az[edge_a], mid)
        (azimuth,), _, _ = inverse(g.lon[edge_b], g.lat[edge_b], lon, lat)
        lo, hi = (mid, hi) if np.sign(wrap180(azimuth - g.edge_az[edge_b])) == side else (lo, mid)
    lon, lat, _ = forward(g.lon[edge_a], g.lat[edge_a], g.edge_az[edge_a], lo)
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
