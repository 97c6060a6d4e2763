"""Geometry helpers for checking footprints: planar tests on lon/lat, and sizes on the sphere.

Pure functions of floats; no numpy or shapely (the geometry engine in ``openline.geo`` does the
exact geodesic work). Here the rings are checked as they are written, so that a bad footprint
is refused at the boundary with the edge or vertex that is wrong:

- :func:`unwrap` makes the longitudes of a ring continuous across the antimeridian;
- :func:`find_crossing` finds two edges of a set of rings that touch or cross, straight lines in
  the (unwrapped) lon/lat plane, with a sweep in O(n log n);
- :class:`PointIndex` tells which of many points lie inside a ring (even-odd, same plane);
- :func:`ring_area_m2` and :func:`cap_area_m2` measure areas on the authalic sphere of WGS84
  (the sphere with the ellipsoid's area; within 0.01 % of the ellipsoid for the footprints the
  limits allow), :func:`great_circle_m` lengths on the mean sphere (within 0.5 %); see
  docs/notifications.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise

from openline.domain.wgs84 import (
    AUTHALIC_RADIUS_M,
    ECCENTRICITY,
    ECCENTRICITY_SQUARED,
    MEAN_RADIUS_M,
)

Point = tuple[float, float]
# One edge: ring number, edge number in that ring, edges in that ring, then x1, y1, x2, y2.
_Edge = tuple[int, int, int, float, float, float, float]


def unwrap(lons: Sequence[float]) -> list[float]:
    """Longitudes made continuous: each step is taken the short way, so 179.5, -179.5 becomes
    179.5, 180.5. A closed ring comes back to its first longitude, or 360 degrees away from it
    when it goes round a pole."""
    out = [lons[0]]
    for prev, lon in pairwise(lons):
        step = lon - prev
        if step > 180.0:
            step -= 360.0
        elif step < -180.0:
            step += 360.0
        out.append(out[-1] + step)
    return out


def _cross(a: Point, b: Point, c: Point, d: Point) -> int:
    """The sign of the cross product of ``b - a`` and ``d - c``, exactly.

    Floats first; when the result is too near zero for their rounding to be trusted, again
    in rationals (every float is one), so that a vertex on an edge is on it, never beside it.
    """
    left = (b[0] - a[0]) * (d[1] - c[1])
    right = (b[1] - a[1]) * (d[0] - c[0])
    det = left - right
    if abs(det) > 1e-14 * (abs(left) + abs(right)):
        return 1 if det > 0 else -1
    if left == right == 0.0:  # a difference that rounds to zero is zero: the product is 0
        return 0
    ax, ay, bx, by, cx, cy, dx, dy = map(Fraction, (*a, *b, *c, *d))
    exact = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx)
    return (exact > 0) - (exact < 0)


def _orient(a: Point, b: Point, c: Point) -> int:
    """1 if ``c`` is left of the line ``a`` to ``b``, -1 if right, 0 if on it; exactly."""
    if c in (a, b):  # the common case of a shared vertex, without the rationals
        return 0
    return _cross(a, b, a, c)


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    """``p``, known to be collinear with ``a``-``b``, lies within the segment's box."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    """The closed segments ``a``-``b`` and ``c``-``d`` share a point (cross, touch or overlap)."""
    d1, d2 = _orient(c, d, a), _orient(c, d, b)
    d3, d4 = _orient(a, b, c), _orient(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(c, d, a))
        or (d2 == 0 and _on_segment(c, d, b))
        or (d3 == 0 and _on_segment(a, b, c))
        or (d4 == 0 and _on_segment(a, b, d))
    )


def _adjacent_overlap(e: _Edge, f: _Edge) -> bool:
    """Two consecutive edges of one ring share a vertex; they are bad only when the second
    folds back along the first (a spike)."""
    if f[1] == e[1] + 1:
        first, second = e, f
    elif e[1] == f[1] + 1:
        first, second = f, e
    else:  # edges 0 and m - 1 meet at the ring's first point
        first, second = (e, f) if e[1] > f[1] else (f, e)
    p, q, r = (first[3], first[4]), (first[5], first[6]), (second[5], second[6])  # q is shared
    if _orient(p, q, r) != 0:
        return False
    return (r[0] - q[0]) * (p[0] - q[0]) + (r[1] - q[1]) * (p[1] - q[1]) > 0


def _adjacent(e: _Edge, f: _Edge) -> bool:
    if e[0] != f[0]:
        return False
    i, j, m = min(e[1], f[1]), max(e[1], f[1]), e[2]
    return j - i == 1 or (i == 0 and j == m - 1)


def _edges(rings: Sequence[Sequence[Point]], closed: bool = True) -> list[_Edge]:
    edges: list[_Edge] = []
    for r, ring in enumerate(rings):
        # An open path's first and last edges do not meet: counting one edge more than it has
        # (the missing closing edge) keeps them from being taken as adjacent.
        m = len(ring) - 1 if closed else len(ring)
        for k in range(len(ring) - 1):
            (x1, y1), (x2, y2) = ring[k], ring[k + 1]
            edges.append((r, k, m, x1, y1, x2, y2))
    return edges


def _meet(e: _Edge, f: _Edge) -> bool:
    if _adjacent(e, f):
        return _adjacent_overlap(e, f)
    return segments_meet((e[3], e[4]), (e[5], e[6]), (f[3], f[4]), (f[5], f[6]))


def find_crossing(
    rings: Sequence[Sequence[Point]], *, closed: bool = True
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """A pair of edges, as ``((ring, edge), (ring, edge))``, that touch or cross; or None.

    Each ring is closed (first point = last) with no two consecutive points equal; edge ``k``
    of a ring goes from its point ``k`` to point ``k + 1``. Consecutive edges may share their
    vertex but must not fold back onto each other; any other contact is reported. With
    ``closed=False`` the rings are open paths (a corridor's axis): their first and last edges
    are not consecutive. This is the
    Shamos-Hoey sweep: a vertical line moves left to right over the edges' ends, keeps the
    edges it cuts in order of height, and tests each edge only against its neighbours in that
    order, in O(n log n) comparisons (plus a fast list shift per event). The answer is the same
    for the same rings; the tests check that it finds a pair exactly when testing every pair
    of edges does.
    """
    edges = _edges(rings, closed)
    hit = _sweep(edges)
    if hit is None:
        return None
    a, b = sorted(hit)
    return (edges[a][0], edges[a][1]), (edges[b][0], edges[b][1])


_Ends = tuple[Point, Point]


def _sweep(edges: list[_Edge]) -> tuple[int, int] | None:
    ends: list[_Ends] = []
    events: list[tuple[float, float, int, int]] = []
    for n, e in enumerate(edges):
        p, q = sorted(((e[3], e[4]), (e[5], e[6])))
        ends.append((p, q))
        events.append((p[0], p[1], 0, n))  # at one point, edges start before others end
        events.append((q[0], q[1], 1, n))
    events.sort()
    status: list[int] = []  # the edges the sweep line cuts, lowest first
    for _, _, end, n in events:
        if end:
            i = status.index(n)
            del status[i]
            pairs = [(status[i - 1], status[i])] if 0 < i < len(status) else []
        else:
            i = _rank(status, ends, n)
            status.insert(i, n)
            pairs = [(n, status[j]) for j in (i - 1, i + 1) if 0 <= j < len(status)]
        for a, b in pairs:
            if _meet(edges[a], edges[b]):
                return a, b
    return None


def _rank(status: list[int], ends: list[_Ends], n: int) -> int:
    """Where edge ``n``, at its left end, goes in the sweep's order."""
    start, end = ends[n]
    lo, hi = 0, len(status)
    while lo < hi:
        mid = (lo + hi) // 2
        if _below(ends[status[mid]], start, end):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _below(other: _Ends, start: Point, end: Point) -> bool:
    """Edge ``other`` is below the edge ``start``-``end`` where the sweep line at ``start``
    cuts both; at a tie, the one that rises less is below. A vertical edge counts at the
    point of it nearest to ``start``, and rises most."""
    p, q = other
    if p[0] == q[0]:
        return q[1] < start[1]
    side = _orient(p, q, start)
    if side:
        return side > 0
    return start[0] == end[0] or _cross(p, q, start, end) > 0


class PointIndex:
    """Points sorted by latitude, to find which of them lie inside a ring in about the time
    it takes to walk the ring: each edge looks only at the points level with it."""

    def __init__(self, points: Sequence[Point]) -> None:
        self.points = points
        self.order = sorted(range(len(points)), key=lambda i: points[i][1])
        self.ys = [points[i][1] for i in self.order]

    def inside(self, ring: Sequence[Point]) -> set[int]:
        """The numbers of the points inside the closed ring (even-odd rule, in the plane)."""
        odd: set[int] = set()
        for (x1, y1), (x2, y2) in pairwise(ring):
            if y1 == y2:
                continue
            low, high = (y1, y2) if y1 < y2 else (y2, y1)
            for k in range(bisect_left(self.ys, low), bisect_left(self.ys, high)):
                i = self.order[k]
                x, y = self.points[i]
                if x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                    odd ^= {i}
        return odd


def _authalic_latitude(lat_deg: float) -> float:
    """The latitude on the authalic sphere (radians) with the same area poleward of it."""
    s = math.sin(math.radians(lat_deg))

    def q(sin_phi: float) -> float:
        e, e2 = ECCENTRICITY, ECCENTRICITY_SQUARED
        return (1 - e2) * (
            sin_phi / (1 - e2 * sin_phi * sin_phi)
            - math.log((1 - e * sin_phi) / (1 + e * sin_phi)) / (2 * e)
        )

    ratio = q(s) / q(1.0)
    return math.asin(max(-1.0, min(1.0, ratio)))


def ring_area_m2(ring: Sequence[Point]) -> float:
    """Area enclosed by a closed lon/lat ring (degrees) whose edges are great circles on the
    authalic sphere, latitudes taken as authalic latitudes; unsigned, in square metres.

    Each edge adds the signed area of the quadrilateral between it and the equator; the
    longitude step is taken the short way, so rings across the antimeridian are measured
    right. A ring round a pole is refused before it gets here.
    """
    total = 0.0
    betas = [_authalic_latitude(lat) for _, lat in ring]
    for k in range(len(ring) - 1):
        step = ring[k + 1][0] - ring[k][0]
        if step > 180.0:
            step -= 360.0
        elif step < -180.0:
            step += 360.0
        t1 = math.tan(betas[k] / 2)
        t2 = math.tan(betas[k + 1] / 2)
        total += 2 * math.atan2(math.tan(math.radians(step) / 2) * (t1 + t2), 1 + t1 * t2)
    return abs(total) * AUTHALIC_RADIUS_M**2


def cap_area_m2(radius_m: float) -> float:
    """Area of a circle of ``radius_m`` (measured on the surface) on the authalic sphere."""
    return 2 * math.pi * AUTHALIC_RADIUS_M**2 * (1 - math.cos(radius_m / AUTHALIC_RADIUS_M))


def great_circle_m(a: Point, b: Point) -> float:
    """Distance in metres between two lon/lat points on the mean sphere (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
