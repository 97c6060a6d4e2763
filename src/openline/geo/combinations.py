"""The vertex-against-vertex passes of the distance engine (:mod:`openline.geo.footprints`).

The pairs of a batch are cut into blocks (the whole of two small shapes, or two runs of edges
of large ones); :class:`Combinations` lays every vertex of one side against every vertex of the
other, block by block, in one inverse geodesic problem, and reads from it which edges cross,
which vertices lie inside the other footprint, the vertex distances and, by iterating along the
edges, the feet of the perpendiculars.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from openline.geo.batch import Batch
from openline.geo.geodesy import (
    FloatArray,
    along_track_m,
    forward,
    inverse,
    wrap180,
)
from openline.geo.shapes import (
    FOOT_TOLERANCE_M,
    MAX_FOOT_ITERATIONS,
    TOUCHING_M,
    BoolArray,
    IntArray,
)

# Pairs with more vertex combinations than this compare runs of RUN_EDGES edges first (and
# test one vertex per ring inside), rather than every vertex with every vertex.
FULL_COMPARISON_MAX = 4_096


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


def small_pairs(g: Batch, sa: IntArray, sb: IntArray) -> BoolArray:
    """The pairs compared whole: few vertex combinations, or a single run each."""
    small = g.size[sa] * g.size[sb] <= FULL_COMPARISON_MAX
    return np.asarray(small | ((g.n_runs[sa] == 1) & (g.n_runs[sb] == 1)))


def first_blocks(g: Batch, sa: IntArray, sb: IntArray, small: BoolArray) -> _Blocks:
    """The whole of each small pair; for each large pair, the first vertex of each ring of
    one shape against the other's rings, with its runs far from those points cut short to
    chords (see _collapsed), both ways."""
    whole, large = small.nonzero()[0], (~small).nonzero()[0]
    kinds = [(whole, _whole(g, sa[whole]), _whole(g, sb[whole]), (True, True, True))]
    if large.size:
        a, b = sa[large], sb[large]
        kinds += [
            (large, _ring_starts(g, a), _collapsed(g, b, a), (True, False, False)),
            (large, _collapsed(g, a, b), _ring_starts(g, b), (False, True, False)),
        ]
    return _joined_blocks(sa, sb, *kinds)


def run_blocks(
    g: Batch, sa: IntArray, sb: IntArray, large: IntArray, limit: FloatArray
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
    measure), laid end to end (the usual batch has one kind: nothing to lay end to end)."""
    if len(kinds) == 1:
        pair, a, b, _ = kinds[0]
    else:
        pair = np.concatenate([kind[0] for kind in kinds])
        a, b = _joined([kind[1] for kind in kinds]), _joined([kind[2] for kind in kinds])
    counts = [len(kind[0]) for kind in kinds]
    flags = np.repeat(np.array([kind[3] for kind in kinds], bool), counts, axis=0)
    return _Blocks(pair, a, b, flags[:, 0], flags[:, 1], sa[pair], sb[pair], flags[:, 2])


def _near_runs(
    g: Batch, sa: IntArray, sb: IntArray, limit: FloatArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """For large pairs: the pairs of runs worth comparing (run numbers, their pair), and the
    least distance between run centres of each pair (an upper bound on its distance)."""
    na, nb = g.n_runs[sa], g.n_runs[sb]
    count = na * nb
    start = count.cumsum() - count
    pair, i, j = _grid(na, nb)
    ra, rb = g.runs.offset[sa][pair] + i, g.runs.offset[sb][pair] + j
    ca, cb = g.runs.centre[ra], g.runs.centre[rb]
    _, _, apart = inverse(g.lon[ca], g.lat[ca], g.lon[cb], g.lat[cb])
    upper = np.minimum.reduceat(apart, start) if len(sa) else np.zeros(0)
    bound = apart - g.runs.radius[ra] - g.runs.radius[rb]
    keep = bound <= np.minimum(upper, limit)[pair] + TOUCHING_M
    return ra[keep], rb[keep], pair[keep], upper


def _grid(rows: IntArray, columns: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Every (row, column) of each of several grids, laid end to end, row major: the grid
    of each, its row and its column."""
    count = rows * columns
    start = count.cumsum() - count
    grid = np.arange(len(rows)).repeat(count)
    local = np.arange(int(count.sum())) - start[grid]
    row = local // np.maximum(columns[grid], 1)
    return grid, row, local - row * columns[grid]


def _spread(size: IntArray) -> tuple[IntArray, IntArray]:
    """For blocks of these sizes laid end to end: each item's block and position in it."""
    block = np.arange(len(size)).repeat(size)
    return block, np.arange(int(size.sum())) - (size.cumsum() - size)[block]


def _whole(g: Batch, shapes: IntArray) -> _Side:
    """Every vertex of each shape, with its edges."""
    size = g.size[shapes]
    block, position = _spread(size)
    vertices = g.offset[shapes][block] + position
    has_edge = g.n_rings[shapes][block] > 0
    return _Side(vertices, np.where(has_edge, g.next[vertices] - g.offset[shapes][block], -1), size)


def _ring_starts(g: Batch, shapes: IntArray) -> _Side:
    """The first vertex of each ring of each shape (a circle: its centre), without edges."""
    size = g.n_ring_starts[shapes]
    block, position = _spread(size)
    vertices = g.runs.ring_starts[g.runs.ring_start_offset[shapes][block] + position]
    return _Side(vertices, np.full(len(vertices), -1), size)


def _runs_side(g: Batch, runs: IntArray) -> _Side:
    """The vertices of each run, with its edges."""
    size = g.runs.size[runs]
    block, position = _spread(size)
    vertices = g.runs.vertices[g.runs.start[runs][block] + position]
    return _Side(vertices, np.where(position + 1 < size[block], position + 1, -1), size)


def _collapsed(g: Batch, shapes: IntArray, seen_from: IntArray) -> _Side:
    """The rings of ``shapes`` for winding numbers seen from the ring starts of ``seen_from``:
    each run whose cap holds none of those points is cut short to its first vertex (then the
    next run's first), a chord. Seen from a point outside a cap, a run turns by exactly the
    angle between its ends (a cap is convex and subtends less than a half turn), so the
    winding numbers are unchanged while the work drops to the runs near the points."""
    pair, i, j = _grid(g.n_runs[shapes], g.n_ring_starts[seen_from])
    run = g.runs.offset[shapes][pair] + i
    point = g.runs.ring_starts[g.runs.ring_start_offset[seen_from][pair] + j]
    centre = g.runs.centre[run]
    _, _, apart = inverse(g.lon[point], g.lat[point], g.lon[centre], g.lat[centre])
    runs = g.n_runs[shapes]
    listed = (runs.cumsum() - runs)[pair] + i  # the run's place among all listed runs
    near = np.bincount(listed, weights=apart <= g.runs.radius[run], minlength=int(runs.sum())) > 0
    run_of, _ = _spread(runs)
    run = g.runs.offset[shapes][run_of] + (np.arange(len(run_of)) - (runs.cumsum() - runs)[run_of])
    kept = np.where(near, np.maximum(g.runs.size[run] - 1, 1), 1)
    which, position = _spread(kept)
    vertices = g.runs.vertices[g.runs.start[run][which] + position]
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


class Combinations:
    """Every vertex of each block's side a with every vertex of its side b: one inverse
    problem each, whose azimuths and lengths answer crossing, inside and nearness at once.

    Each combination is also read both ways, as a *directed* combination of a vertex and the
    edge from the other vertex: first every (vertex of side a, edge of side b), then every
    (vertex of side b, edge of side a), so that each test below is one pass over both."""

    def __init__(self, batch: Batch, blocks: _Blocks, n_pairs: int) -> None:
        g = self.batch = batch
        self.blocks, self.n_pairs = blocks, n_pairs
        la, lb = self.la, self.lb = blocks.a.size, blocks.b.size
        self.count = la * lb
        self.start = self.count.cumsum() - self.count
        self.block, self.i, self.j = _grid(la, lb)  # i, j: positions in the block's sides
        b = self.block
        self.row_a = (la.cumsum() - la)[b] + self.i  # into side a's arrays
        self.row_b = (lb.cumsum() - lb)[b] + self.j
        self.pair = blocks.pair[b]
        self.ga, self.gb = blocks.a.vertices[self.row_a], blocks.b.vertices[self.row_b]
        az_ab, az_ba, self.distance = inverse(
            g.lon[self.ga], g.lat[self.ga], g.lon[self.gb], g.lat[self.gb]
        )
        next_a, next_b = blocks.a.next_position[self.row_a], blocks.b.next_position[self.row_b]
        self.edges_a, self.edges_b = next_a >= 0, next_b >= 0
        k = len(b)
        here = np.arange(k)
        # The combinations with the next vertex along the side b's edge, and along side a's.
        k_jn = np.where(self.edges_b, self.start[b] + self.i * lb[b] + next_b, here)
        k_in = np.where(self.edges_a, self.start[b] + next_a * lb[b] + self.j, here)
        # The directed combinations (see the class docstring).
        self.point = np.concatenate([self.ga, self.gb])
        self.edge = np.concatenate([self.gb, self.ga])  # numbered by its first vertex
        self.has_edge = np.concatenate([self.edges_b, self.edges_a])
        self.at_point = np.concatenate([az_ab, az_ba])  # azimuth at the vertex to the edge's
        self.at_edge = np.concatenate([az_ba, az_ab])  # start, and at the edge's start to it
        self.to_end = np.concatenate([k_jn, k_in + k])  # the same vertex with the edge's end
        self.beside = np.concatenate([k_in, k_jn + k])  # the vertex's next, the same edge

    def touching(self) -> BoolArray:
        """The pairs whose edges cross, or with a vertex inside the other shape."""
        inside_a, inside_b = self.vertices_inside()
        flags = np.concatenate([self.crossing(), inside_a, inside_b])
        counts = np.concatenate([self.count, self.la, self.lb])
        pair = np.concatenate([self.blocks.pair] * 3).repeat(counts)
        return np.bincount(pair, weights=flags, minlength=self.n_pairs) > 0

    def least_per_block(self) -> FloatArray:
        """The least vertex-to-vertex distance of each block."""
        if not self.start.size:
            return np.zeros(0)
        return np.asarray(np.minimum.reduceat(self.distance, self.start))

    def crossing(self) -> BoolArray:
        """The combinations whose edges (from each side's vertex) properly cross: each edge
        has the ends of the other strictly on either side (the sign of the turn from the
        edge's azimuth to the azimuth of the point, at the edge's start)."""
        side = np.sign(wrap180(self.at_edge - self.batch.edge_az[self.edge]))
        apart = side * side[self.beside] < 0  # the vertex and its next on either side
        k = len(self.pair)
        crossed = apart[:k] & apart[k:] & self.blocks.measure[self.block]
        return np.asarray(self.edges_a & self.edges_b & crossed)

    def vertices_inside(self) -> tuple[BoolArray, BoolArray]:
        """Which vertices of the blocks' sides a lie inside their pair's second shape (tested
        in the blocks marked ``wind_a`` only), and which of sides b inside the first (blocks
        marked ``wind_b``).

        Winding numbers: the turns seen from each point along each ring add up to ±360°
        around the rings that hold it, 0 around the others. Rings neither cross nor touch and
        holes lie inside their shells, so a point is inside a footprint when an odd number of
        its rings hold it. Both ways are counted in one pass: the blocks seen from side a,
        then the same blocks seen from side b."""
        g, blocks, n = self.batch, self.blocks, len(self.blocks.pair)
        turn = wrap180(self.at_point[self.to_end] - self.at_point)
        position = np.concatenate([self.i, self.j])
        b = np.concatenate([self.block, self.block + n])
        size = np.concatenate([self.la, self.lb])
        tested = np.concatenate([blocks.wind_a, blocks.wind_b])
        n_rings = g.n_rings[np.concatenate([blocks.shape_b, blocks.shape_a])] * tested
        groups = size * n_rings
        group_start = groups.cumsum() - groups
        counted = self.has_edge & tested[b]
        group = (group_start[b] + position * n_rings[b] + g.ring[self.edge])[counted]
        total = np.bincount(group, weights=turn[counted], minlength=int(groups.sum()))
        group_block = np.arange(len(size)).repeat(groups)
        local = np.arange(len(total)) - group_start[group_block]
        row = (size.cumsum() - size)[group_block] + local // np.maximum(n_rings[group_block], 1)
        holding = np.bincount(row, weights=np.abs(total) > 180.0, minlength=int(size.sum()))
        inside = holding.astype(np.int64) % 2 == 1
        split = int(self.la.sum())
        return inside[:split], inside[split:]

    def feet(self, limit: FloatArray) -> _Feet:
        """Each vertex to the other side's edges (both ways), where the foot of the
        perpendicular falls inside the edge and the triangle inequality's bound beats
        ``limit`` (per pair): first the vertices of sides a, then those of sides b (see
        ``_Feet.from_a``)."""
        return _feet(self.batch, self._on_edges(limit))

    def _on_edges(self, limit: FloatArray) -> _Toward:
        """The directed combinations kept where the foot falls inside the edge (acute angles
        at both ends) and the triangle inequality's bound beats ``limit``."""
        g, edge = self.batch, self.edge
        p = np.concatenate([self.pair, self.pair])
        distance = np.concatenate([self.distance, self.distance])
        angle = self.at_edge - g.edge_az[edge]
        angle_at_end = self.at_edge[self.to_end] - g.edge_back_az[edge]
        bound = (distance + distance[self.to_end] - g.edge_m[edge]) / 2
        measured = self.blocks.measure[self.block]
        mask = self.has_edge & np.concatenate([measured, measured])
        mask &= (np.abs(wrap180(angle)) < 90.0) & (np.abs(wrap180(angle_at_end)) < 90.0)
        mask &= bound < limit[p]
        return _Toward(
            p[mask], edge[mask], self.point[mask], distance[mask], angle[mask],
            mask.nonzero()[0] < len(self.pair),
        )  # fmt: skip


class _Toward(NamedTuple):
    """Vertices to refine against edges: each one's pair, the edge (numbered by its first
    vertex), the vertex, its distance from the edge's start and the angle there between the
    edge and the vertex."""

    pair: IntArray
    edge: IntArray
    point: IntArray
    distance: FloatArray
    angle: FloatArray
    from_a: BoolArray  # whether the vertex is of side a (the pair's first shape)


class _Feet(NamedTuple):
    """Vertex-to-edge distances: for each, its pair, the distance, the edge (numbered by its
    first vertex), the vertex, how far along the edge its foot lies, and whether the vertex is
    of the pair's first shape."""

    pair: IntArray
    distance: FloatArray
    edge: IntArray
    point: IntArray
    along_m: FloatArray
    from_a: BoolArray


def _feet(g: Batch, toward: _Toward) -> _Feet:
    """The distance from each point to the geodesic edge (from vertex ``edge`` to the next),
    whose perpendicular foot falls inside it: the foot is found by moving along the edge by
    the along-track offset seen from the current foot (spherical triangle), on the exact
    geodesic, until it moves less than FOOT_TOLERANCE_M; the distance is then exact."""
    pair, edge, point, distance, angle, from_a = toward
    length = g.edge_m[edge]
    s = _within(along_track_m(distance, angle), length)
    out = distance.copy()
    todo = np.arange(len(edge))
    for _ in range(MAX_FOOT_ITERATIONS):
        if not todo.size:
            break
        e, q = edge[todo], point[todo]
        lon, lat, heading = forward(g.lon[e], g.lat[e], g.edge_az[e], s[todo])
        az, _, d = inverse(lon, lat, g.lon[q], g.lat[q])
        out[todo] = np.minimum(out[todo], d)
        moved = _within(s[todo] + along_track_m(d, az - heading), length[todo])
        still = np.abs(moved - s[todo]) > FOOT_TOLERANCE_M
        s[todo] = moved
        todo = todo[still]
    return _Feet(pair, out, edge, point, s, from_a)


def _within(along: FloatArray, length: FloatArray) -> FloatArray:
    """``along`` clamped to ``[0, length]`` (two ufuncs: ``np.clip`` costs several times more
    on the few elements of a check)."""
    return np.minimum(np.maximum(along, 0.0), length)
