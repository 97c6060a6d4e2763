"""Footprints made ready for the distance engine (:mod:`openline.geo.footprints`).

A :class:`Shape` is built once per footprint: its rings as vertex arrays (the closing and
repeated positions dropped), its geodesic edges (azimuths, lengths), a bounding cap, the
latitude reached by each edge, and runs of up to 32 edges with their own caps; and it gives the
lon/lat boxes the spatio-temporal index stores. The engine's tolerances are defined here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from openline.domain.volumes import Circle, Corridor, Footprint, MultiPolygon
from openline.geo.arrays import FloatArray, IntArray
from openline.geo.geodesy import (
    MIN_METRES_PER_DEGREE_LAT,
    geodetic_latitude,
    inverse,
    parallel_radius_m,
    reduced_latitude,
    wrap180,
)

Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat, lon in [-180, 180]

TOUCHING_M = 0.001  # closer than this is touching: reported as 0.0
FOOT_TOLERANCE_M = 1e-5  # the foot of a perpendicular is found to 10 µm along its edge
MAX_FOOT_ITERATIONS = 12  # 1 to 3 are needed; the cap only guards against a pathological case
BOX_EPSILON_DEG = 1e-9  # about 0.1 mm, over the rounding of the box's own arithmetic
# Below this, the distance from a point along a geodesic is convex (the Gaussian curvature of
# WGS84 is below 1/6,335 km², so up to a quarter of a great circle of that radius, 9,950 km).
# A footprint reaching farther from its cap's centre gets no cap (it is never prefiltered).
MAX_CAP_RADIUS_M = 9_000_000.0
# Each ring is also cut into runs of this many edges, each with a cap of its own.
RUN_EDGES = 32


@dataclass(frozen=True, eq=False)
class Shape:
    """A footprint ready for the distance engine; immutable, built once with :meth:`of`.

    A polygon footprint is its vertices (every ring of every polygon, one array) with the
    geodesic edge from each vertex to the next of its ring. A circle is its centre, a single
    vertex with no edge, widened by ``radius_m``: a geodesic disc is every point within its
    radius of the centre, so its distance to anything is the centre's minus the radius. A
    corridor is its path, widened by its half width the same way; the path is laid out as a
    ring that goes along it and comes back (each leg twice, once each way), whose turns seen
    from any point add up to nothing: it holds no point inside, and its edges are the legs.
    """

    lon: FloatArray  # vertices, degrees, as given
    lat: FloatArray
    next: IntArray  # the index of the next vertex of the same ring (itself for a circle)
    ring: IntArray  # the ring of each vertex, numbered across the whole footprint
    n_rings: int  # 0 for a circle
    edge_az: FloatArray  # the edge from each vertex: azimuth at its start
    edge_back_az: FloatArray  # azimuth at its end, pointing back to its start
    edge_m: FloatArray  # its length
    radius_m: float  # a circle's radius, a corridor's half width, 0 for polygons
    cap_lon: float  # a geodesic disc holding the whole footprint
    cap_lat: float
    cap_radius_m: float  # infinite when the footprint is too large for a cap
    parts: tuple[tuple[float, float, float, float], ...]  # per polygon: lon range (unwrapped),
    # lat range (including the latitude each geodesic edge reaches between its vertices)
    key: bytes  # orders the shapes of a pair, so that distance(a, b) is distance(b, a) exactly
    runs: _Runs  # runs of consecutive edges with their caps, for large footprints

    @classmethod
    def of(cls, footprint: Footprint) -> Shape:
        """The shape of a footprint of :mod:`openline.domain.volumes` (already validated)."""
        if isinstance(footprint, Circle):
            return _circle_shape(footprint)
        if isinstance(footprint, Corridor):
            path = clean_ring(footprint.path)
            there_and_back = path + path[-2:0:-1]
            return _polygon_shape([[there_and_back]], radius=footprint.half_width_m)
        polygons = footprint.polygons if isinstance(footprint, MultiPolygon) else (footprint,)
        return _polygon_shape([[clean_ring(ring) for ring in p.rings] for p in polygons])

    packed: _Packed  # the same arrays as a few tables, so that a batch lays shapes end to end

    def boxes(self, pad_m: float = 0.0) -> list[Box]:
        """Lon/lat boxes holding every point within ``pad_m`` geodesic metres of the footprint.

        Never too small: latitudes are padded by ``pad_m`` over the shortest degree of latitude
        (110,574 m), longitudes by the same distance over the parallel's radius at the most
        poleward latitude reached, and each edge's own poleward bulge is included. One box per
        polygon, split in two at the antimeridian; the full longitude range when a pole is
        reached.
        """
        return padded_boxes(self.parts, max(pad_m, 0.0) + self.radius_m)


# --- building shapes ------------------------------------------------------------------------


def clean_ring(ring: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
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
    return _assembled(
        (lon, lat, zero, zero, zero), (first, first), n_rings=0, radius=radius,
        cap=(part[0], part[2], radius + TOUCHING_M), parts=(part,), runs=runs,
    )  # fmt: skip


def _polygon_shape(polygons: list[list[list[tuple[float, float]]]], radius: float = 0.0) -> Shape:
    """The shape of polygons' rings, widened by ``radius`` (a corridor's path and width)."""
    rings = [ring for polygon in polygons for ring in polygon]
    lon = np.array([p[0] for ring in rings for p in ring])
    lat = np.array([p[1] for ring in rings for p in ring])
    sizes = np.array([len(ring) for ring in rings])
    starts = np.cumsum(sizes) - sizes
    ring = np.repeat(np.arange(len(rings)), sizes)
    index = np.arange(len(lon))
    nxt = np.where(index + 1 == (starts + sizes)[ring], starts[ring], index + 1)
    edge_az, edge_back_az, edge_m = inverse(lon, lat, lon[nxt], lat[nxt])
    reached = edge_extreme_latitudes(lat, lat[nxt], edge_az, edge_back_az)
    parts, first = [], 0
    for polygon in polygons:  # the exterior ring bounds its holes
        shell = slice(first, first + len(polygon[0]))
        lons = _unwrapped(lon[shell])
        lats = np.concatenate([lat[shell], *(extreme[shell] for extreme in reached)])
        parts.append((float(lons.min()), float(lons.max()), float(lats.min()), float(lats.max())))
        first += sum(len(r) for r in polygon)
    cap_lon, cap_lat, cap_radius = _cap(lon, lat)
    return _assembled(
        (lon, lat, edge_az, edge_back_az, edge_m), (nxt, ring), n_rings=len(rings),
        radius=radius, cap=(cap_lon, cap_lat, cap_radius + radius), parts=tuple(parts),
        runs=_runs(lon, lat, starts, sizes),
    )  # fmt: skip


def _assembled(
    vertices: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
    links: tuple[IntArray, IntArray],
    *,
    n_rings: int,
    radius: float,
    cap: tuple[float, float, float],
    parts: tuple[tuple[float, float, float, float], ...],
    runs: _Runs,
) -> Shape:
    """A shape whose per-vertex arrays are columns of its packed tables (one copy of each)."""
    table = np.column_stack(vertices)
    link_table = np.column_stack(links)
    packed = _Packed(
        table,
        link_table,
        np.column_stack([runs.start, runs.size, runs.centre]),
        np.array(
            [len(table), n_rings, len(runs.size), len(runs.vertices), len(runs.ring_starts),
             radius, *cap]
        ),
    )  # fmt: skip
    lon, lat, edge_az, edge_back_az, edge_m = table.T
    nxt, ring = link_table.T
    return Shape(
        lon, lat, nxt, ring, n_rings, edge_az, edge_back_az, edge_m, radius, *cap,
        parts, _key(vertices[0], vertices[1], radius), runs, packed,
    )  # fmt: skip


class _Packed(NamedTuple):
    """A shape's arrays as tables: per vertex (lon, lat, edge azimuth, edge back azimuth,
    edge length) and (next, ring); per run (start, size, centre); and one row of its counts
    (vertices, rings, runs, run vertices, ring starts, as floats) and scalars (radius, cap
    lon, lat, radius), which a batch reads for all its shapes in one step."""

    vertices: FloatArray
    links: IntArray
    runs: IntArray
    header: FloatArray


def starts_of(sizes: IntArray) -> IntArray:
    """Where each of consecutive blocks of these sizes starts (an exclusive prefix sum)."""
    return sizes.cumsum() - sizes


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


def edge_extreme_latitudes(
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


def padded_boxes(parts: Sequence[tuple[float, float, float, float]], pad: float) -> list[Box]:
    """The boxes of a footprint's parts (see ``Shape.boxes``) padded by ``pad`` metres."""
    out: list[Box] = []
    for lon_lo, lon_hi, lat_lo, lat_hi in parts:
        out += _padded_boxes(lon_lo, lon_hi, lat_lo, lat_hi, pad)
    return out


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
