"""The exact footprint distance (openline.geo.footprints) against an independent reference.

The reference here is slow and simple: for every vertex of one footprint and every edge of
the other (both ways), a golden-section search along the edge with pyproj's scalar geodesics,
to a micrometre; the answer is 0 where the test builds an overlap. GeographicLib's own
GeodSolve is the reference of tests/reference/test_footprints_geodsolve.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from openline.domain.volumes import Circle, Corridor, Footprint, MultiPolygon, Polygon
from openline.geo import combinations, shapes
from openline.geo.footprints import Shape, distance_m, distances_m, nearest_points

GEOD = Geod(ellps="WGS84")
CM = 0.01
Point = tuple[float, float]


def at(point: Point, azimuth: float, metres: float) -> Point:
    lon, lat, _ = GEOD.fwd(point[0], point[1], azimuth, metres)
    return (float(lon), float(lat))


def metres(p: Point, q: Point) -> float:
    return float(GEOD.inv(p[0], p[1], q[0], q[1])[2])


def closed(*points: Point) -> tuple[Point, ...]:
    return (*points, points[0])


def square(lon: float, lat: float, size: float) -> Polygon:
    """A lon/lat square, counter-clockwise, its south-west corner at (lon, lat)."""
    return Polygon(
        (closed((lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)),)
    )


def star(centre: Point, radius_m: float, azimuths: Sequence[float]) -> Polygon:
    """A star-shaped (hence simple) ring: one vertex per azimuth, ``radius_m`` from a centre."""
    return Polygon((closed(*(at(centre, az, radius_m) for az in sorted(azimuths))),))


def segment_distance(p: Point, a: Point, b: Point) -> float:
    """From p to the geodesic segment ab: golden-section search along it (the distance is
    convex along a geodesic at these ranges), to a micrometre."""
    az, _, length = GEOD.inv(a[0], a[1], b[0], b[1])

    def along(s: float) -> float:
        return metres(p, at(a, az, s))

    lo, hi = 0.0, float(length)
    ratio = (math.sqrt(5) - 1) / 2
    while hi - lo > 1e-6:
        m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        lo, hi = (lo, m2) if along(m1) < along(m2) else (m1, hi)
    return min(along(lo), metres(p, a), metres(p, b))


def edges(footprint: Footprint) -> list[tuple[Point, Point]]:
    if isinstance(footprint, Circle):
        return []
    if isinstance(footprint, Corridor):
        return list(pairwise(footprint.path))
    polygons = footprint.polygons if isinstance(footprint, MultiPolygon) else (footprint,)
    return [(r[k], r[k + 1]) for p in polygons for r in p.rings for k in range(len(r) - 1)]


def vertices(footprint: Footprint) -> list[Point]:
    if isinstance(footprint, Circle):
        return [(footprint.lon, footprint.lat)]
    if isinstance(footprint, Corridor):
        return list(footprint.path)
    return [a for a, _ in edges(footprint)]


def radius(footprint: Footprint) -> float:
    if isinstance(footprint, Corridor):
        return footprint.half_width_m
    return footprint.radius_m if isinstance(footprint, Circle) else 0.0


def reference(a: Footprint, b: Footprint) -> float:
    """The distance between two footprints known not to overlap."""
    candidates = [metres(p, q) for p in vertices(a) for q in vertices(b)]
    candidates += [segment_distance(p, *e) for p in vertices(a) for e in edges(b)]
    candidates += [segment_distance(p, *e) for p in vertices(b) for e in edges(a)]
    return max(0.0, min(candidates) - radius(a) - radius(b))


def distance(a: Footprint, b: Footprint) -> float:
    return distance_m(Shape.of(a), Shape.of(b))


# --- touching and overlapping: exactly 0 ---------------------------------------------------

OUTER = Polygon(
    (
        closed((10.0, 40.0), (10.5, 40.0), (10.5, 40.5), (10.0, 40.5)),
        closed((10.1, 40.1), (10.1, 40.4), (10.4, 40.4), (10.4, 40.1)),  # a hole
    )
)

TOUCHING = {
    "a shared edge": (square(10, 40, 0.5), square(10.5, 40, 0.5)),
    "a shared vertex": (square(10, 40, 0.5), square(10.5, 40.5, 0.5)),
    "a vertex on an edge": (
        square(10, 40, 0.5),
        Polygon((closed((10.5, 40.25), (11.0, 40.0), (11.0, 40.5)),)),
    ),
    "crossing edges": (square(10, 40, 0.5), square(10.3, 40.3, 0.5)),
    "one inside the other": (square(10, 40, 0.5), square(10.2, 40.2, 0.1)),
    "the same footprint": (square(10, 40, 0.5), square(10, 40, 0.5)),
    "a polygon filling the hole": (
        OUTER,
        Polygon((closed((10.1, 40.1), (10.1, 40.4), (10.4, 40.4), (10.4, 40.1)),)),
    ),
    "a circle holding a polygon": (
        square(10, 40, 0.1),
        Circle(lat=40.05, lon=10.05, radius_m=50_000),
    ),
    "a polygon holding a circle": (square(10, 40, 0.5), Circle(lat=40.25, lon=10.05, radius_m=100)),
    "a circle touching an edge (not its chord)": (
        square(10, 40, 0.5),
        Circle(lat=GEOD.npts(10, 40, 10.5, 40, 1)[0][1], lon=10.25, radius_m=1e-4),
    ),
    "two overlapping circles": (
        Circle(lat=40.0, lon=10.0, radius_m=6000),
        Circle(lat=40.0, lon=10.1, radius_m=6000),
    ),
    "across the antimeridian": (square(179.5, -17, 0.5), square(-180.0, -17, 0.5)),
    "at the pole": (
        Polygon((closed((0.0, 89.9), (90.0, 90.0), (180.0, 89.9)),)),
        Polygon((closed((0.0, 89.95), (-90.0, 89.9), (180.0, 89.95)),)),
    ),
    "a circle on the pole": (
        Circle(lat=90.0, lon=0.0, radius_m=20_000),
        Polygon((closed((10.0, 89.85), (20.0, 89.85), (15.0, 89.5)),)),
    ),
}


@pytest.mark.parametrize(("a", "b"), TOUCHING.values(), ids=TOUCHING.keys())
def test_touching_or_overlapping_footprints_are_at_zero(a: Footprint, b: Footprint) -> None:
    assert distance(a, b) == 0.0
    assert distance(b, a) == 0.0


def test_a_distance_below_a_millimetre_counts_as_touching() -> None:
    a = square(10, 40, 0.5)
    gap = at((10.5, 40.25), 90, 0.0005)
    b = Polygon((closed(gap, at(gap, 45, 10_000), at(gap, 135, 10_000)),))
    assert distance(a, b) == 0.0
    further = Polygon((closed(at(gap, 90, 0.002), at(gap, 45, 10_000), at(gap, 135, 10_000)),))
    assert distance(a, further) == pytest.approx(0.0025, abs=1e-4)


# --- apart: the geodesic distance ----------------------------------------------------------

APART = {
    "side by side": (square(10, 40, 0.5), square(10.6, 40.1, 0.3)),
    "corner to corner": (square(10, 40, 0.5), square(10.6, 40.6, 0.3)),
    "in the hole": (OUTER, Polygon((closed((10.2, 40.2), (10.3, 40.2), (10.25, 40.3)),))),
    "around the hole's polygon": (
        Polygon(
            (
                closed((9.0, 39.0), (12.0, 39.0), (12.0, 42.0), (9.0, 42.0)),
                closed((9.5, 39.5), (9.5, 41.5), (11.5, 41.5), (11.5, 39.5)),
            )
        ),
        square(10, 40, 0.5),
    ),
    "multipolygons": (
        MultiPolygon((square(10, 40, 0.2), square(11, 40, 0.2))),
        MultiPolygon((square(10.3, 40.5, 0.2), square(10.5, 39.5, 0.2))),
    ),
    "across the antimeridian": (square(179.7, 65, 0.2), square(-179.9, 65.1, 0.3)),
    "near the pole": (
        Polygon((closed((0.0, 89.95), (60.0, 89.95), (30.0, 89.97)),)),
        Polygon((closed((170.0, 89.96), (-170.0, 89.96), (180.0, 89.93)),)),
    ),
    "near the south pole, a thin sliver": (
        Polygon((closed((0.0, -89.9), (1.0, -89.9), (0.5, -89.95)),)),
        Polygon((closed((2.0, -89.9), (3.0, -89.91), (2.5, -89.92)),)),
    ),
    "a circle and a polygon": (square(10, 40, 0.5), Circle(lat=40.2, lon=10.7, radius_m=3_000)),
    "a circle in the hole": (OUTER, Circle(lat=40.25, lon=10.3, radius_m=2_000)),
    "two circles": (
        Circle(lat=40.0, lon=10.0, radius_m=2_000),
        Circle(lat=40.5, lon=10.2, radius_m=1),
    ),
    "a circle on the pole and a polygon": (
        Circle(lat=-90.0, lon=0.0, radius_m=10_000),
        Polygon((closed((10.0, -89.8), (20.0, -89.8), (15.0, -89.5)),)),
    ),
}


@pytest.mark.parametrize(("a", "b"), APART.values(), ids=APART.keys())
def test_apart_footprints_are_at_the_geodesic_distance(a: Footprint, b: Footprint) -> None:
    expected = reference(a, b)
    assert expected > 1.0
    assert distance(a, b) == pytest.approx(expected, abs=CM)
    assert distance(a, b) == distance(b, a)


@pytest.mark.parametrize(("a", "b"), [*TOUCHING.values(), *APART.values()], ids=[*TOUCHING, *APART])
def test_large_footprints_compare_runs_of_edges_with_the_same_result(
    a: Footprint, b: Footprint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large pairs first compare the caps of runs of edges, and test one vertex per ring for
    inside; forced here on small footprints with runs of two edges."""
    whole = distance(a, b)
    monkeypatch.setattr(combinations, "FULL_COMPARISON_MAX", 0)
    monkeypatch.setattr(shapes, "RUN_EDGES", 2)
    assert distance(a, b) == pytest.approx(whole, abs=1e-6)
    assert (distance(a, b) == 0) == (whole == 0)
    p, q = nearest_points(Shape.of(a), Shape.of(b))
    assert metres(p, q) == pytest.approx(whole, abs=CM)


def test_two_large_polygons_side_by_side() -> None:
    """Two rings of 2,000 vertices 1 km apart: runs keep the work near the gap."""
    left = star((10.0, 45.0), 50_000, [k * 360 / 2_000 for k in range(2_000)])
    gap = at((10.0, 45.0), 90, 51_000)
    right = star(at(gap, 90, 50_000), 50_000, [k * 360 / 2_000 for k in range(2_000)])
    assert distance(left, right) == pytest.approx(reference_near(left, right), abs=CM)


def circle_ring(centre: Point, radius_m: float, n: int) -> tuple[Point, ...]:
    return closed(*(at(centre, k * 360 / n, radius_m) for k in range(n)))


@pytest.mark.parametrize(
    ("small", "overlaps"),
    [
        (star((20.0, 50.0), 2_000, [0, 120, 240]), False),  # in the hole
        (star(at((20.0, 50.0), 0, 40_000), 2_000, [0, 120, 240]), True),  # in the ring's body
        (star(at((20.0, 50.0), 0, 30_000), 2_000, [0, 120, 240]), True),  # across the hole's edge
        (star(at((20.0, 50.0), 90, 70_000), 5_000, [0, 120, 240]), False),  # outside
        (Circle(lat=50.0, lon=20.0, radius_m=29_999), False),  # the hole, nearly filled
    ],
)
def test_large_footprints_give_what_a_whole_comparison_gives(
    small: Footprint, overlaps: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3,000-vertex shell with a 1,000-vertex hole against small footprints: the runs and
    the chords of far runs give what comparing every vertex gives."""
    big = Polygon(
        (circle_ring((20.0, 50.0), 60_000, 3_000), circle_ring((20.0, 50.0), 30_000, 1_000))
    )
    by_runs = distance(big, small), distance(small, big)
    monkeypatch.setattr(combinations, "FULL_COMPARISON_MAX", 10**9)
    whole = distance(big, small)
    assert by_runs[0] == pytest.approx(whole, abs=1e-6)
    assert by_runs[1] == by_runs[0]
    assert (whole == 0) == overlaps


def test_one_batch_of_large_small_and_circle_pairs_gives_each_pair_its_own_distance() -> None:
    """A batch lays out runs only when it holds a large pair, and measures two circles from
    their caps alone: mixed in one call, every pair still gets what it gets on its own."""
    big = Polygon(
        (circle_ring((20.0, 50.0), 60_000, 3_000), circle_ring((20.0, 50.0), 30_000, 1_000))
    )
    near_big = star(at((20.0, 50.0), 90, 62_000), 1_000, [30, 150, 270])
    in_hole = Circle(lat=50.0, lon=20.0, radius_m=20_000)
    small_a, small_b = square(10, 40, 0.01), square(10.0105, 40, 0.01)
    circle_a = Circle(lat=-33.0, lon=151.0, radius_m=750.0)
    circle_b = Circle(lat=-33.01, lon=151.01, radius_m=500.0)
    pairs: list[tuple[Footprint, Footprint]] = [
        (big, near_big),
        (small_a, small_b),
        (circle_a, circle_b),
        (in_hole, big),
    ]
    a, b = [Shape.of(x) for x, _ in pairs], [Shape.of(y) for _, y in pairs]
    together = distances_m(a, b, np.full(len(pairs), math.inf))
    alone = [distance_m(x, y) for x, y in zip(a, b, strict=True)]
    assert together.tolist() == alone
    assert alone[0] == pytest.approx(1_000.0, abs=1.0)
    assert alone[1] == pytest.approx(reference(small_a, small_b), abs=CM)
    assert alone[2] == pytest.approx(metres((151.0, -33.0), (151.01, -33.01)) - 1_250, abs=1e-6)
    assert alone[3] == pytest.approx(10_000.0, abs=20.0)


def reference_near(a: Polygon, b: Polygon) -> float:
    """The reference distance between the arcs of 21 vertices of each ring facing the other
    (the rings are near circles: the chord closing each arc lies farther away)."""

    def facing(x: Polygon, y: Polygon) -> Polygon:
        ring, centre = x.rings[0][:-1], tuple(np.mean(np.array(y.rings[0][:-1]), axis=0))
        k = min(range(len(ring)), key=lambda n: metres(ring[n], centre))
        return Polygon((closed(*(ring[(k + n) % len(ring)] for n in range(-10, 11))),))

    return reference(facing(a, b), facing(b, a))


def test_two_circles_are_their_centres_distance_less_both_radii() -> None:
    a, b = (
        Circle(lat=-33.0, lon=151.0, radius_m=750.0),
        Circle(lat=-33.2, lon=151.3, radius_m=1_250.0),
    )
    assert distance(a, b) == pytest.approx(metres((151.0, -33.0), (151.3, -33.2)) - 2_000, abs=1e-6)


def test_the_nearest_points_may_both_lie_inside_edges_of_a_long_pair() -> None:
    """Two edges nearly parallel: the minimum is at an end of one of them (a vertex), found
    from the inside of the other; dense sampling of both agrees."""
    a = Polygon((closed((0.0, 60.0), (8.0, 60.0), (4.0, 59.0)),))
    b = Polygon((closed((1.0, 60.2), (7.0, 60.25), (4.0, 61.0)),))
    ours = distance(a, b)
    assert ours == pytest.approx(reference(a, b), abs=CM)
    lon_a, lat_a = np.array(GEOD.npts(0.0, 60.0, 8.0, 60.0, 1_000, initial_idx=0, terminus_idx=0)).T
    lon_b, lat_b = np.array(
        GEOD.npts(1.0, 60.2, 7.0, 60.25, 1_000, initial_idx=0, terminus_idx=0)
    ).T
    dense = min(
        float(GEOD.inv(lon_a, lat_a, np.full(len(lon_a), x), np.full(len(lon_a), y))[2].min())
        for x, y in zip(lon_b, lat_b, strict=True)
    )
    assert ours <= dense < ours + 2.0  # samples 450 m apart miss the minimum by at most ~1 m


def test_a_point_north_of_the_chord_but_south_of_a_long_geodesic_edge_is_inside() -> None:
    """A 490 km east-west edge at 60° N bows about 8 km north of the parallel (the straight
    lon/lat chord): a flat lon/lat method puts footprints in that bow outside."""
    west, east = (-4.4, 60.0), (4.4, 60.0)
    assert 485_000 < metres(west, east) < 495_000
    top = float(GEOD.npts(*west, *east, 1)[0][1])  # the geodesic's midpoint, its vertex
    assert metres((0.0, 60.0), (0.0, top)) > 7_000
    area = Polygon((closed((-4.4, 59.0), (4.4, 59.0), east, west),))
    in_the_bow = (0.0, (60.0 + top) / 2)
    assert distance(area, Circle(lat=in_the_bow[1], lon=0.0, radius_m=1.0)) == 0.0
    assert distance(area, star(in_the_bow, 500, [0, 120, 240])) == 0.0
    above = (0.0, top + 0.01)  # 1.1 km north of the geodesic's vertex
    assert distance(area, Circle(lat=above[1], lon=0.0, radius_m=1.0)) == pytest.approx(
        metres(above, (0.0, top)) - 1.0, abs=CM
    )


def test_repeated_and_closing_positions_are_dropped() -> None:
    ring = ((10.0, 40.0), (10.0, 40.0), (10.5, 40.0), (10.5, 40.5), (10.5, 40.5), (10.0, 40.0))
    shape = Shape.of(Polygon((ring,)))
    assert len(shape.lon) == 3
    assert distance_m(shape, Shape.of(square(10.6, 40.0, 0.1))) == pytest.approx(
        reference(Polygon((ring,)), square(10.6, 40.0, 0.1)), abs=CM
    )


# --- many pairs at once ----------------------------------------------------------------------

centres = st.tuples(st.floats(-180, 180), st.floats(-89.5, 89.5))


@st.composite
def star_azimuths(draw: st.DrawFn) -> list[float]:
    """Three to seven azimuths spread round the compass, so that a star's vertices are apart."""
    n = draw(st.integers(3, 7))
    turn = draw(st.floats(0, 360))
    return [turn + (k + draw(st.floats(-0.3, 0.3))) * 360 / n for k in range(n)]


@st.composite
def footprints_near(draw: st.DrawFn, centre: Point) -> Footprint:
    size = draw(st.floats(200, 30_000))
    figure = draw(st.sampled_from(["circle", "corridor", "star", "star"]))
    if figure == "circle":
        return Circle(lat=centre[1], lon=centre[0], radius_m=size)
    if figure == "corridor":  # a path through the centre, turning at it
        azimuths = draw(star_azimuths())
        ends = [at(centre, az, size) for az in azimuths[:2]]
        return Corridor((ends[0], centre, ends[1]), draw(st.floats(1, size)))
    return star(centre, size, draw(star_azimuths()))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Footprint, Footprint]:
    here = draw(centres)
    there = at(here, draw(st.floats(0, 360)), draw(st.floats(0, 80_000)))
    return draw(footprints_near(here)), draw(footprints_near(there))


@settings(max_examples=60, deadline=None)
@given(st.lists(pairs(), min_size=1, max_size=12), st.floats(0, 60_000))
def test_distances_m_agrees_with_distance_m(
    batch: list[tuple[Footprint, Footprint]], within: float
) -> None:
    a = [Shape.of(x) for x, _ in batch]
    b = [Shape.of(y) for _, y in batch]
    many = distances_m(a, b, np.full(len(batch), within))
    for x, y, got in zip(a, b, many, strict=True):
        exact = distance_m(x, y)
        if exact <= within:
            assert got == exact
        else:
            assert got > within
        assert exact == distance_m(y, x)


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_distance_m_agrees_with_the_reference_when_apart(pair: tuple[Footprint, Footprint]) -> None:
    a, b = pair
    ours = distance(a, b)
    if ours > 0:
        assert ours == pytest.approx(reference(a, b), abs=CM)


def test_distances_m_returns_a_lower_bound_above_within_for_far_pairs() -> None:
    a, b = Shape.of(square(10, 40, 0.1)), Shape.of(square(20, 40, 0.1))
    exact = distance_m(a, b)
    got = distances_m([a, a], [b, b], [1_000.0, exact + 1.0])
    assert 1_000.0 < got[0] <= exact
    assert got[1] == exact


def test_distances_m_takes_no_pairs() -> None:
    assert distances_m([], [], []).shape == (0,)


# --- where the distance is reached ----------------------------------------------------------


def on(point: Point, footprint: Footprint) -> bool:
    """Whether a point lies in a footprint (closed: within a millimetre of it)."""
    return distance(Circle(lat=point[1], lon=point[0], radius_m=1e-9), footprint) == 0.0


@pytest.mark.parametrize(("a", "b"), [*TOUCHING.values(), *APART.values()], ids=[*TOUCHING, *APART])
def test_nearest_points_lie_on_their_footprints_at_the_distance(a: Footprint, b: Footprint) -> None:
    p, q = nearest_points(Shape.of(a), Shape.of(b))
    assert on(p, a)
    assert on(q, b)
    assert metres(p, q) == pytest.approx(distance(a, b), abs=CM)


# Two corridors from one vertex, whose second legs part by a degree: their edges share that
# vertex, and were once taken for crossing edges (the azimuth between coincident points being
# GeographicLib's convention), the crossing sought along the whole edge, 2.5 m off the other.
SHARED_START = (
    Corridor(
        path=(
            (0.0, 0.001808738954094731),
            (0.0, 0.0),
            (0.0015559277134390332, -0.0009043694769377237),
        ),
        half_width_m=1.0,
    ),
    Corridor(
        path=(
            (3.1355526904898504e-05, 0.00180846347439111),
            (0.0, 0.0),
            (0.001540012974671157, -0.0009315694288211348),
        ),
        half_width_m=1.0,
    ),
)


@settings(max_examples=40, deadline=None)
@given(pairs())
@example(SHARED_START)
def test_nearest_points_agree_with_distance_m(pair: tuple[Footprint, Footprint]) -> None:
    a, b = pair
    p, q = nearest_points(Shape.of(a), Shape.of(b))
    assert on(p, a)
    assert on(q, b)
    assert metres(p, q) == pytest.approx(distance(a, b), abs=CM)


def test_crossing_edges_meet_at_the_nearest_point() -> None:
    """A cross: two bars over each other, no vertex of either inside the other."""
    a = Polygon((closed((10.0, 40.2), (10.5, 40.2), (10.5, 40.3), (10.0, 40.3)),))
    b = Polygon((closed((10.2, 40.0), (10.3, 40.0), (10.3, 40.5), (10.2, 40.5)),))
    p, q = nearest_points(Shape.of(a), Shape.of(b))
    assert p == q
    corners = [(10.2, 40.2), (10.3, 40.2), (10.2, 40.3), (10.3, 40.3)]
    assert min(metres(p, corner) for corner in corners) < 100  # where the edges cross
    assert on(p, a)
    assert on(p, b)


# --- boxes ---------------------------------------------------------------------------------


def inside(box_list: list[tuple[float, float, float, float]], point: Point) -> bool:
    lon, lat = point
    return any(w <= lon <= e and s <= lat <= n for w, s, e, n in box_list)


@settings(max_examples=80, deadline=None)
@given(
    footprint=st.one_of(
        centres.flatmap(footprints_near),
        st.builds(
            lambda lon, lat, az: star((lon, lat), 400_000, az),
            st.floats(-180, 180),
            st.floats(-80, 80),
            star_azimuths(),
        ),
    ),
    pad=st.sampled_from([0.0, 1.0, 1_000.0, 50_000.0]),
    draws=st.lists(
        st.tuples(st.floats(0, 1), st.floats(0, 360), st.floats(0, 1)), min_size=20, max_size=20
    ),
)
def test_boxes_hold_the_footprint_and_its_pad(
    footprint: Footprint, pad: float, draws: list[tuple[float, float, float]]
) -> None:
    boxes = Shape.of(footprint).boxes(pad)
    assert 1 <= len(boxes) <= 2
    for w, s, e, n in boxes:
        assert -180 <= w <= e <= 180
        assert -90 <= s <= n <= 90
    for along, azimuth, out in draws:
        if isinstance(footprint, Circle):
            edge_point = at((footprint.lon, footprint.lat), azimuth, footprint.radius_m)
        else:  # a point of an edge, or of a corridor's path widened by its half width
            (a, b) = edges(footprint)[int(along * 1e6) % len(edges(footprint))]
            az, _, length = GEOD.inv(a[0], a[1], b[0], b[1])
            edge_point = at(a, az, along * length)
        reach = out * (pad + (radius(footprint) if isinstance(footprint, Corridor) else 0.0))
        assert inside(boxes, at(edge_point, azimuth, reach)), (edge_point, azimuth, out)


def test_boxes_include_the_poleward_bow_of_a_long_edge() -> None:
    (box,) = Shape.of(
        Polygon((closed((-4.4, 59.0), (4.4, 59.0), (4.4, 60.0), (-4.4, 60.0)),))
    ).boxes()
    assert box[3] > 60.07  # 8 km north of the vertices


@pytest.mark.parametrize(
    ("footprint", "pad", "expected"),
    [
        (square(179.5, 10, 1.0), 0.0, [(179.5, 10.0, 180.0, 11.0), (-180.0, 10.0, -179.5, 11.0)]),
        (square(-179.9, 10, 1.0), 0.0, [(-179.9, 10.0, -178.9, 11.0)]),
        (Circle(lat=90.0, lon=0.0, radius_m=1_000), 0.0, [(-180.0, 89.99, 180.0, 90.0)]),
        (Circle(lat=89.99, lon=0.0, radius_m=100), 1_000.0, [(-180.0, 89.98, 180.0, 90.0)]),
        (
            MultiPolygon((square(10, 10, 1), square(20, 10, 1))),
            0.0,
            [(10, 10, 11, 11), (20, 10, 21, 11)],
        ),
    ],
)
def test_boxes_split_at_the_antimeridian_and_open_at_the_poles(
    footprint: Footprint, pad: float, expected: list[tuple[float, float, float, float]]
) -> None:
    got = Shape.of(footprint).boxes(pad)
    assert len(got) == len(expected)
    for box, want in zip(got, expected, strict=True):
        assert box == pytest.approx(want, abs=0.01)
