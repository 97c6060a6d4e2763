"""The vertex-against-vertex passes of the distance engine (:mod:`openline.geo.footprints`).

The pairs of a batch are cut into blocks (:mod:`openline.geo.blocks`: the whole of two small
shapes, or two runs of edges of large ones); :class:`Combinations` lays every vertex of one
side against every vertex of the other, block by block, in one inverse geodesic problem, and
reads from it which edges cross, which vertices lie inside the other footprint, the vertex
distances and, by iterating along the edges, the feet of the perpendiculars.

A block, its side a's vertices as rows and its side b's as columns, one cell (one inverse
problem: the azimuth at each end and the length) for each combination, numbered row by row;
the blocks of a pass are laid end to end, so that a block's cells follow the previous one's::

                  b0   b1   b2
            a0  [  0    1    2 ]     cell 1 holds a0 against the end of b's edge b0→b1,
            a1  [  3    4    5 ]     cell 3 holds the end of a's edge a0→a1 against b0:
            a2  [  6    7    8 ]     with cell 0, the turn seen from a0 along b0→b1, and on
                                     which side of b0→b1 each end of a0→a1 lies.

Each cell is read both ways (see :class:`_Directed`): as the vertex a0 and the edge of b that
starts at b0, and as the vertex b0 and the edge of a that starts at a0.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from openline.geo.arrays import BoolArray, FloatArray, IntArray
from openline.geo.batch import Batch
from openline.geo.blocks import Blocks, grid, inverse_between, spread
from openline.geo.geodesy import (
    along_track_m,
    forward,
    inverse,
    wrap180,
)
from openline.geo.shapes import (
    FOOT_TOLERANCE_M,
    MAX_FOOT_ITERATIONS,
    TOUCHING_M,
    starts_of,
)

# Pairs with more vertex combinations than this compare runs of RUN_EDGES edges first (and
# test one vertex per ring inside), rather than every vertex with every vertex.
FULL_COMPARISON_MAX = 4_096


def small_pairs(batch: Batch, firsts: IntArray, seconds: IntArray) -> BoolArray:
    """The pairs (shapes ``firsts[k]``, ``seconds[k]``) compared whole: few vertex
    combinations, or a single run each."""
    small = batch.size[firsts] * batch.size[seconds] <= FULL_COMPARISON_MAX
    single_runs = (batch.n_runs[firsts] == 1) & (batch.n_runs[seconds] == 1)
    return np.asarray(small | single_runs)


class _Directed(NamedTuple):
    """Every cell read both ways, as a vertex and the edge that starts at the other vertex:
    first each (vertex of side a, edge of side b), then each (vertex of side b, edge of side
    a), so that each test is one pass over both. ``to_end`` and ``beside`` index these arrays
    (the picture in the module's docstring: for cell 0 read as a0 and b0→b1, cell 1 and cell 3)."""

    point: IntArray  # the vertex (batch numbering)
    edge: IntArray  # the edge, numbered by its first vertex
    has_edge: BoolArray  # whether that vertex starts an edge in this block
    at_point: FloatArray  # the azimuth at the vertex towards the edge's start
    at_edge: FloatArray  # the azimuth at the edge's start towards the vertex
    to_end: IntArray  # the same vertex with the edge's end
    beside: IntArray  # the vertex's next along its own edge with the same edge's start


class Combinations:
    """Every vertex of each block's side a with every vertex of its side b: one inverse
    problem each (a cell, see the module's docstring), whose azimuths and lengths answer
    crossing, inside and nearness at once."""

    def __init__(self, batch: Batch, blocks: Blocks, n_pairs: int) -> None:
        self.batch, self.blocks, self.n_pairs = batch, blocks, n_pairs
        a, b = blocks.a, blocks.b
        # Each cell's block, and its vertices' positions in the block's sides a and b.
        self.start, self.block, self.position_a, self.position_b = grid(a.size, b.size)
        row_a = starts_of(a.size)[self.block] + self.position_a  # into side a's arrays
        row_b = starts_of(b.size)[self.block] + self.position_b
        self.vertex_a, self.vertex_b = a.vertices[row_a], b.vertices[row_b]
        at_a, at_b, self.distance = inverse_between(batch, self.vertex_a, self.vertex_b)
        self.directed = self._read_both_ways(
            at_a, at_b, a.next_position[row_a], b.next_position[row_b]
        )

    def _read_both_ways(
        self, at_a: FloatArray, at_b: FloatArray, next_a: IntArray, next_b: IntArray
    ) -> _Directed:
        """The cells as :class:`_Directed`, from each cell's azimuths (at its vertex of side
        a, at that of side b) and the positions of its vertices' next along their edges."""
        here = np.arange(len(self.block))
        block_start, width = self.start[self.block], self.blocks.b.size[self.block]
        # The cell of the same vertex of a with the end of b's edge (in the column of b's next
        # vertex: one on, or its ring's first); and of the end of a's edge with the same vertex
        # of b (in the row of a's next vertex). Where no edge starts, the cell itself.
        end_of_b = np.where(next_b >= 0, block_start + self.position_a * width + next_b, here)
        end_of_a = np.where(next_a >= 0, block_start + next_a * width + self.position_b, here)
        n = len(here)
        # Each pair of fields is one array read from two places: (a, b, a)[:2n] and [n:].
        vertices = np.concatenate([self.vertex_a, self.vertex_b, self.vertex_a])
        azimuths = np.concatenate([at_a, at_b, at_a])
        ends = np.concatenate([end_of_a, end_of_b + n, end_of_a + 2 * n])
        return _Directed(
            vertices[:-n],  # point
            vertices[n:],  # edge
            np.concatenate([next_b >= 0, next_a >= 0]),  # has_edge
            azimuths[:-n],  # at_point
            azimuths[n:],  # at_edge
            ends[n:] - n,  # to_end: end_of_b, then end_of_a + n
            ends[:-n],  # beside: end_of_a, then end_of_b + n
        )

    def touching(self) -> BoolArray:
        """The pairs whose edges cross, or with a vertex inside the other shape."""
        inside_a, inside_b = self.vertices_inside()
        a, b = self.blocks.a.size, self.blocks.b.size
        found = np.concatenate([self.crossing(), inside_a, inside_b])
        per_block = np.concatenate([a * b, a, b])
        pair = np.concatenate([self.blocks.pair] * 3).repeat(per_block)
        return np.bincount(pair, weights=found, minlength=self.n_pairs) > 0

    def least_per_block(self) -> FloatArray:
        """The least vertex-to-vertex distance of each block."""
        if not self.start.size:
            return np.zeros(0)
        return np.asarray(np.minimum.reduceat(self.distance, self.start))

    def crossing(self) -> BoolArray:
        """The cells whose edges (from each side's vertex) properly cross: each edge has the
        ends of the other strictly on either side (the sign of the turn from the edge's
        azimuth to the azimuth of the point, at the edge's start). A point at the edge's
        start (closer than TOUCHING_M) is on neither side: the azimuth between coincident
        points is only GeographicLib's convention, and edges that share a vertex touch there
        (their vertex distance says so) rather than cross."""
        directed = self.directed
        side = np.sign(wrap180(directed.at_edge - self.batch.edge_az[directed.edge]))
        side[np.tile(self.distance < TOUCHING_M, 2)] = 0.0
        splits = directed.has_edge & (side * side[directed.beside] < 0)
        n = len(self.block)
        return np.asarray(splits[:n] & splits[n:] & self.blocks.measure[self.block])

    def vertices_inside(self) -> tuple[BoolArray, BoolArray]:
        """Which vertices of the blocks' sides a lie inside their pair's second shape (tested
        in the blocks marked ``wind_a`` only), and which of sides b inside the first (blocks
        marked ``wind_b``).

        Winding numbers: the turns seen from each point along each ring add up to ±360°
        around the rings that hold it, 0 around the others. Rings neither cross nor touch and
        holes lie inside their shells, so a point is inside a footprint when an odd number of
        its rings hold it. Both ways are counted in one pass: the blocks seen from side a,
        then the same blocks seen from side b (the halves of :class:`_Directed`)."""
        batch, blocks, directed = self.batch, self.blocks, self.directed
        turn = wrap180(directed.at_point[directed.to_end] - directed.at_point)
        # The blocks seen from side a then from side b: each one's points and the rings of
        # the other shape they are tested against (none where not tested).
        seen = np.concatenate([self.block, self.block + len(blocks.pair)])
        position = np.concatenate([self.position_a, self.position_b])
        points = np.concatenate([blocks.a.size, blocks.b.size])
        tested = np.concatenate([blocks.wind_a, blocks.wind_b])
        rings = batch.n_rings[np.concatenate([blocks.shape_b, blocks.shape_a])] * tested
        counted = directed.has_edge & tested[seen]
        split = int(blocks.a.size.sum())
        if rings.max(initial=0) <= 1:  # the usual check: one ring a shape, one sum a point
            point = starts_of(points)[seen] + position
            total = np.bincount(point[counted], weights=turn[counted], minlength=int(points.sum()))
            inside = np.abs(total) > 180.0
            return inside[:split], inside[split:]
        # The turns summed per (point, ring): point by point, ring by ring within a block.
        groups = points * rings
        group_start = starts_of(groups)
        group = group_start[seen] + position * rings[seen] + batch.ring[directed.edge]
        total = np.bincount(group[counted], weights=turn[counted], minlength=int(groups.sum()))
        group_block, local = spread(groups, group_start)
        point = starts_of(points)[group_block] + local // np.maximum(rings[group_block], 1)
        holding = np.bincount(point, weights=np.abs(total) > 180.0, minlength=int(points.sum()))
        inside = holding.astype(np.int64) % 2 == 1
        return inside[:split], inside[split:]

    def feet(self, limit: FloatArray) -> _Feet:
        """Each vertex to the other side's edges (both ways), where the foot of the
        perpendicular falls inside the edge and the triangle inequality's bound beats
        ``limit`` (per pair): first the vertices of sides a, then those of sides b (see
        ``_Feet.from_a``)."""
        return _feet(self.batch, self._on_edges(limit))

    def _on_edges(self, limit: FloatArray) -> _Toward:
        """The directed cells kept where the foot falls inside the edge (acute angles at both
        ends) and the triangle inequality's bound beats ``limit``."""
        batch, directed = self.batch, self.directed
        edge, to_end = directed.edge, directed.to_end
        block = np.concatenate([self.block, self.block])
        pair = self.blocks.pair[block]
        distance = np.concatenate([self.distance, self.distance])
        angle = directed.at_edge - batch.edge_az[edge]
        angle_at_end = directed.at_edge[to_end] - batch.edge_back_az[edge]
        bound = (distance + distance[to_end] - batch.edge_m[edge]) / 2
        keep = directed.has_edge & self.blocks.measure[block]
        keep &= _acute(angle) & _acute(angle_at_end)
        keep &= bound < limit[pair]
        kept = keep.nonzero()[0]  # once, rather than once in each boolean index below
        return _Toward(
            pair[kept], edge[kept], directed.point[kept], distance[kept], angle[kept],
            kept < len(self.block),
        )  # fmt: skip


def _acute(angle: FloatArray) -> BoolArray:
    """Whether each difference of two azimuths is less than a right angle either way."""
    return np.abs(wrap180(angle)) < 90.0


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


def _feet(batch: Batch, toward: _Toward) -> _Feet:
    """The distance from each point to the geodesic edge (from vertex ``edge`` to the next),
    whose perpendicular foot falls inside it: the foot is found by moving along the edge by
    the along-track offset seen from the current foot (spherical triangle), on the exact
    geodesic, until it moves less than FOOT_TOLERANCE_M; the distance is then exact."""
    pair, edge, point, distance, angle, from_a = toward
    if not edge.size:  # the usual case: no foot falls inside an edge near enough
        return _Feet(pair, distance, edge, point, distance, from_a)
    length = batch.edge_m[edge]
    along = _within(along_track_m(distance, angle), length)
    least = distance.copy()
    todo = np.arange(len(edge))
    # The feet still moving, as arrays of their own: gathered again only when some stop.
    lon0, lat0, az0 = batch.lon[edge], batch.lat[edge], batch.edge_az[edge]
    lon_p, lat_p, here, nearest, size = batch.lon[point], batch.lat[point], along, least, length
    for _ in range(MAX_FOOT_ITERATIONS):
        lon, lat, heading = forward(lon0, lat0, az0, here)
        azimuth, _, apart = inverse(lon, lat, lon_p, lat_p)
        nearest = np.minimum(nearest, apart)
        moved = _within(here + along_track_m(apart, azimuth - heading), size)
        still = np.abs(moved - here) > FOOT_TOLERANCE_M
        least[todo], along[todo], here = nearest, moved, moved
        if still.all():
            continue
        kept = still.nonzero()[0]
        if not kept.size:
            break
        todo = todo[kept]
        lon0, lat0, az0, lon_p, lat_p = lon0[kept], lat0[kept], az0[kept], lon_p[kept], lat_p[kept]
        here, nearest, size = here[kept], nearest[kept], size[kept]
    return _Feet(pair, least, edge, point, along, from_a)


def _within(along: FloatArray, length: FloatArray) -> FloatArray:
    """``along`` clamped to ``[0, length]`` (two ufuncs: ``np.clip`` costs several times more
    on the few elements of a check)."""
    return np.minimum(np.maximum(along, 0.0), length)
