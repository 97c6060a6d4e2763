"""What the distance engine compares (:mod:`openline.geo.combinations`): the pairs of a batch
cut into blocks, each block every vertex of one side against every vertex of the other.

A small pair is one block, the whole of both shapes (``WHOLE_PAIR``). A large pair first tests
the first vertex of each ring of each shape inside the other, its far runs cut short to chords
(``A_RINGS_IN_B``, ``B_RINGS_IN_A``: see ``_collapsed``), then compares only the runs of edges
that may come near each other (``NEAR_RUNS``). A side is laid out as vertex numbers of the batch
and, for each, the position in the block of the next vertex along its edge.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from openline.geo.arrays import BoolArray, FloatArray, IntArray
from openline.geo.batch import Batch
from openline.geo.geodesy import inverse
from openline.geo.shapes import TOUCHING_M, starts_of


class Side(NamedTuple):
    """One side of each block: its vertices (batch numbering) laid end to end, the position
    in the block of each one's next vertex along its edge (-1: no edge from it here), and how
    many each block has."""

    vertices: IntArray
    next_position: IntArray
    size: IntArray


class _Tests(NamedTuple):
    """What the blocks of one kind are compared for."""

    wind_a: bool  # side b holds whole rings, and side a's vertices are tested inside them
    wind_b: bool  # the other way round
    measure: bool  # distances to its edges count (False: a ring's far runs are chords)


# The whole of both shapes of a small pair: every test.
WHOLE_PAIR = _Tests(wind_a=True, wind_b=True, measure=True)
# A large pair: the first vertex of each ring of its first shape inside the second's rings,
# and the other way round (the rings' far runs cut short to chords, not measured).
A_RINGS_IN_B = _Tests(wind_a=True, wind_b=False, measure=False)
B_RINGS_IN_A = _Tests(wind_a=False, wind_b=True, measure=False)
# A large pair's runs that may come near each other: crossing and distances only.
NEAR_RUNS = _Tests(wind_a=False, wind_b=False, measure=True)


class _Kind(NamedTuple):
    """Blocks of one kind: each one's pair, its two sides, and what they are compared for."""

    pairs: IntArray
    a: Side
    b: Side
    tests: _Tests


class Blocks(NamedTuple):
    """What to compare: each block is every vertex of side ``a`` with every vertex of side
    ``b``, for pair ``pair``; its tests (see :class:`_Tests`), one array each."""

    pair: IntArray
    a: Side
    b: Side
    wind_a: BoolArray
    wind_b: BoolArray
    shape_a: IntArray  # the pair's first shape
    shape_b: IntArray
    measure: BoolArray


def first_blocks(batch: Batch, firsts: IntArray, seconds: IntArray, small: BoolArray) -> Blocks:
    """The whole of each small pair; for each large pair, the first vertex of each ring of
    one shape against the other's rings, with its runs far from those points cut short to
    chords (see _collapsed), both ways."""
    whole, large = small.nonzero()[0], (~small).nonzero()[0]
    kinds = [_Kind(whole, _whole(batch, firsts[whole]), _whole(batch, seconds[whole]), WHOLE_PAIR)]
    if large.size:
        a, b = firsts[large], seconds[large]
        kinds += [
            _Kind(large, _ring_starts(batch, a), _collapsed(batch, b, a), A_RINGS_IN_B),
            _Kind(large, _collapsed(batch, a, b), _ring_starts(batch, b), B_RINGS_IN_A),
        ]
    return _joined_blocks(firsts, seconds, *kinds)


def run_blocks(
    batch: Batch, firsts: IntArray, seconds: IntArray, large: IntArray, limit: FloatArray
) -> tuple[Blocks, FloatArray]:
    """For the large pairs, the pairs of runs worth comparing, and an upper bound on each
    pair's distance."""
    run_a, run_b, pairs, upper = _near_runs(batch, firsts[large], seconds[large], limit[large])
    kind = _Kind(large[pairs], _runs_side(batch, run_a), _runs_side(batch, run_b), NEAR_RUNS)
    return _joined_blocks(firsts, seconds, kind), upper


def _joined_blocks(firsts: IntArray, seconds: IntArray, *kinds: _Kind) -> Blocks:
    """Blocks of several kinds laid end to end (the usual batch has one kind: nothing to lay
    end to end)."""
    if len(kinds) == 1:
        pair, a, b, _ = kinds[0]
    else:
        pair = np.concatenate([kind.pairs for kind in kinds])
        a, b = _joined([kind.a for kind in kinds]), _joined([kind.b for kind in kinds])
    counts = [len(kind.pairs) for kind in kinds]
    tests = np.repeat(np.array([kind.tests for kind in kinds], bool), counts, axis=0)
    wind_a, wind_b, measure = tests[:, 0], tests[:, 1], tests[:, 2]
    return Blocks(pair, a, b, wind_a, wind_b, firsts[pair], seconds[pair], measure)


def _near_runs(
    batch: Batch, firsts: IntArray, seconds: IntArray, limit: FloatArray
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """For large pairs: the pairs of runs worth comparing (run numbers, their pair), and the
    least distance between run centres of each pair (an upper bound on its distance)."""
    runs = batch.runs
    cells = grid(batch.n_runs[firsts], batch.n_runs[seconds])
    run_a = runs.offset[firsts][cells.grid] + cells.row
    run_b = runs.offset[seconds][cells.grid] + cells.column
    _, _, apart = inverse_between(batch, runs.centre[run_a], runs.centre[run_b])
    upper = np.minimum.reduceat(apart, cells.start) if len(firsts) else np.zeros(0)
    bound = apart - runs.radius[run_a] - runs.radius[run_b]
    keep = bound <= np.minimum(upper, limit)[cells.grid] + TOUCHING_M
    return run_a[keep], run_b[keep], cells.grid[keep], upper


def inverse_between(
    batch: Batch, from_vertices: IntArray, to_vertices: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`~openline.geo.geodesy.inverse` between vertices of the batch."""
    lon, lat = batch.lon, batch.lat
    return inverse(lon[from_vertices], lat[from_vertices], lon[to_vertices], lat[to_vertices])


class Cells(NamedTuple):
    """Every cell of several grids laid end to end, row major: where each grid's cells start,
    and each cell's grid, row and column."""

    start: IntArray
    grid: IntArray
    row: IntArray
    column: IntArray


def grid(rows: IntArray, columns: IntArray) -> Cells:
    """The cells of grids of ``rows[k]`` by ``columns[k]``, laid end to end."""
    count = rows * columns
    start = starts_of(count)
    grid, local = spread(count, start)
    row = local // np.maximum(columns[grid], 1)
    return Cells(start, grid, row, local - row * columns[grid])


def spread(size: IntArray, start: IntArray | None = None) -> tuple[IntArray, IntArray]:
    """For blocks of these sizes laid end to end (starting at ``start``, when known): each
    item's block and position in it."""
    block = np.arange(len(size)).repeat(size)
    first = starts_of(size) if start is None else start
    return block, np.arange(len(block)) - first[block]


def _whole(batch: Batch, shapes: IntArray) -> Side:
    """Every vertex of each shape, with its edges."""
    size = batch.size[shapes]
    block, position = spread(size)
    offset = batch.offset[shapes][block]
    vertices = offset + position
    has_edge = batch.n_rings[shapes][block] > 0
    return Side(vertices, np.where(has_edge, batch.next[vertices] - offset, -1), size)


def _ring_starts(batch: Batch, shapes: IntArray) -> Side:
    """The first vertex of each ring of each shape (a circle: its centre), without edges."""
    runs, size = batch.runs, batch.n_ring_starts[shapes]
    block, position = spread(size)
    vertices = runs.ring_starts[runs.ring_start_offset[shapes][block] + position]
    return Side(vertices, np.full(len(vertices), -1), size)


def _runs_side(batch: Batch, run: IntArray) -> Side:
    """The vertices of each run, with its edges."""
    runs, size = batch.runs, batch.runs.size[run]
    block, position = spread(size)
    vertices = runs.vertices[runs.start[run][block] + position]
    return Side(vertices, np.where(position + 1 < size[block], position + 1, -1), size)


def _collapsed(batch: Batch, shapes: IntArray, seen_from: IntArray) -> Side:
    """The rings of ``shapes`` for winding numbers seen from the ring starts of ``seen_from``:
    each run whose cap holds none of those points is cut short to its first vertex (then the
    next run's first), a chord. Seen from a point outside a cap, a run turns by exactly the
    angle between its ends (a cap is convex and subtends less than a half turn), so the
    winding numbers are unchanged while the work drops to the runs near the points."""
    runs, n_runs = batch.runs, batch.n_runs[shapes]
    # Each run of each shape against each ring start of the other.
    cells = grid(n_runs, batch.n_ring_starts[seen_from])
    run = runs.offset[shapes][cells.grid] + cells.row
    point = runs.ring_starts[runs.ring_start_offset[seen_from][cells.grid] + cells.column]
    _, _, apart = inverse_between(batch, point, runs.centre[run])
    # Each run once, listed shape by shape: whether its cap holds one of the points, and how
    # many of its vertices stay.
    first_run = starts_of(n_runs)  # each shape's first in that list
    listed = first_run[cells.grid] + cells.row
    held = apart <= runs.radius[run]
    near = np.bincount(listed, weights=held, minlength=int(n_runs.sum())) > 0
    shape_of, position = spread(n_runs, first_run)
    run = runs.offset[shapes][shape_of] + position
    kept = np.where(near, np.maximum(runs.size[run] - 1, 1), 1)
    which, position = spread(kept)
    vertices = runs.vertices[runs.start[run][which] + position]
    size = np.bincount(shape_of, weights=kept, minlength=len(shapes)).astype(np.int64)
    block, here = spread(size)
    has_edge = batch.n_rings[shapes][block] > 0
    return Side(vertices, np.where(has_edge, _next_in_ring(batch, vertices, block, here), -1), size)


def _next_in_ring(batch: Batch, vertices: IntArray, block: IntArray, here: IntArray) -> IntArray:
    """The position in its block of each vertex's next along its ring, for vertices listed
    ring by ring (block, position in it): the following one, or the ring's first after its
    last."""
    ring = batch.ring[vertices]
    starts_ring = np.r_[True, (np.diff(ring) != 0) | (np.diff(block) != 0)]
    index = np.arange(len(vertices))
    first = np.maximum.accumulate(np.where(starts_ring, index, 0)) - (index - here)
    following = np.r_[~starts_ring[1:], False]
    return np.where(following, here + 1, first)


def _joined(sides: list[Side]) -> Side:
    return Side(*(np.concatenate([getattr(s, f) for s in sides]) for f in Side._fields))
