"""A spatio-temporal index of boxes, time windows and altitude bands, for a stream of changes.

``VolumeIndex`` answers one question fast: which stored entries have a box that meets one of
the given boxes, a time window that meets the given one and an altitude band that meets the
given one (all closed: touching counts). It knows nothing of metres, kinds or rules; the caller
pads the entries (``geo.detection`` pads by half the separation minima) and checks the
candidates exactly.

Why this shape:

- shapely 2's ``STRtree`` is fast but immutable. So the index keeps a *bulk* tree of the boxes
  known at the last rebuild plus a small *recent* buffer of boxes added since, tested with
  vectorised numpy comparisons; the buffer is folded into a new tree when it passes
  ``max(min_buffer, 32·sqrt(n))`` boxes (about 30 µs of numpy at 10^6 stored, and 30
  rebuilds while 10^6 entries are added one by one). A removal only clears an ``alive`` flag
  (a tombstone); the tree is rebuilt without the dead once they outnumber the living.
- The tree is 2-D, but over a month of short windows most boxes that meet in space do not
  meet in time. So time is cut into *slabs* of ``slab_ms`` (a power of two chosen at each
  rebuild so that an entry covers about two slabs), each slab is given one of 64 by 64 *cells*
  that sit side by side far apart on the plane (400° by 200° apart, past any longitude or
  latitude), and each box goes into the tree once per slab its window covers, moved into
  that slab's cell. A query moves its boxes the same way, so the tree only returns boxes
  that meet in space *and* share a slab. Slabs 4,096 apart share a cell; that only adds
  candidates, which the exact checks below drop.
- Every candidate is then checked exactly on the stored arrays (the boxes as given, the
  windows, the bands), so the answer never depends on rounding in the moved boxes.

Storage: each entry has a dense *slot* (rows of numpy arrays ``t0, t1, lower, upper, alive``,
``key``) and ``key -> slot`` in a dict. Each box is a *row* of ``boxes`` and ``box_slot``: an
entry crossing the antimeridian has two boxes, so two rows point at one slot. Rows
``[0, tree_rows)`` are in the tree (as one item per slab), the rest are the buffer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely import STRtree

from openline.geo.arrays import BoolArray, FloatArray, IntArray

Box = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat

_T = TypeVar("_T", bound=np.generic)

_FIRST_CAPACITY = 64
_CELLS_X = 64  # cells across the plane, one per time slab (modulo 4,096)
_CELLS = _CELLS_X * _CELLS_X
_CELL_DX, _CELL_DY = 400.0, 200.0  # degrees between cells: wider than any box
_COPIES_PER_ROW = 3  # the slab width is the smallest power of two with fewer tree items


class VolumeIndex:
    """Boxes with closed time and altitude intervals, keyed by int; see the module docstring."""

    def __init__(self, *, min_buffer: int = 1024) -> None:
        """``min_buffer``: the fewest recent boxes (and dead entries) that trigger a rebuild;
        tests set it small to exercise rebuilds."""
        if min_buffer < 1:
            raise ValueError(f"min_buffer must be at least 1, got {min_buffer}")
        self._min_buffer = min_buffer
        self._slot_of: dict[int, int] = {}
        self._slots = 0  # slots used, dead ones included
        self._key: IntArray = np.zeros(_FIRST_CAPACITY, np.int64)
        self._t0: IntArray = np.zeros(_FIRST_CAPACITY, np.int64)
        self._t1: IntArray = np.zeros(_FIRST_CAPACITY, np.int64)
        self._lower: FloatArray = np.zeros(_FIRST_CAPACITY)
        self._upper: FloatArray = np.zeros(_FIRST_CAPACITY)
        self._alive: BoolArray = np.zeros(_FIRST_CAPACITY, np.bool_)
        self._rows = 0
        # One row per side (min_lon, min_lat, max_lon, max_lat), a column per box: the buffer's
        # scan at each query then reads four contiguous runs (about 5x faster than rows).
        self._boxes: FloatArray = np.zeros((4, _FIRST_CAPACITY))
        self._box_slot: IntArray = np.zeros(_FIRST_CAPACITY, np.int64)
        self._tree: STRtree | None = None
        self._tree_rows = 0
        self._tree_row: IntArray = np.zeros(0, np.int64)  # the row of each tree item
        self._slab_ms = 1

    # --- changes -------------------------------------------------------------------------

    def add(  # noqa: PLR0917 - the same five positional parts as query(), in the same order
        self,
        key: int,
        boxes: Sequence[Box],
        t0_ms: int,
        t1_ms: int,
        lower_m: float,
        upper_m: float,
    ) -> None:
        """Store an entry; ``KeyError`` if the key is already stored, ``ValueError`` for a box
        or an interval that is empty (min above max) or not finite."""
        if key in self._slot_of:
            raise KeyError(f"key {key} is already in the index")
        rows = _checked_boxes(boxes)
        if t0_ms > t1_ms or not lower_m <= upper_m:
            raise ValueError(
                f"key {key}: empty interval (time {t0_ms}..{t1_ms}, altitude {lower_m}..{upper_m})"
            )
        slot = self._new_slot()
        self._key[slot], self._t0[slot], self._t1[slot] = key, t0_ms, t1_ms
        self._lower[slot], self._upper[slot], self._alive[slot] = lower_m, upper_m, True
        self._slot_of[key] = slot
        self._append_rows(rows, slot)
        if self._rows - self._tree_rows > self._buffer_limit():
            self._rebuild()

    def add_many(
        self,
        keys: Sequence[int],
        boxes: tuple[FloatArray, IntArray],
        intervals: tuple[IntArray, IntArray, FloatArray, FloatArray],
    ) -> None:
        """Store many entries at once (as ``add`` each, with one tree built for them all):
        ``boxes``, a row per box, the entries' in order, and how many each entry has; the
        ``(t0_ms, t1_ms, lower_m, upper_m)`` columns."""
        t0, t1, lower, upper = intervals
        if not len(keys):
            return
        if set(keys) & self._slot_of.keys() or len(set(keys)) != len(keys):
            raise KeyError("a key given is already in the index, or given twice")
        if (t0 > t1).any() or not (lower <= upper).all():
            raise ValueError("an interval given is empty (its start above its end)")
        rows, counts = _checked_boxes(boxes[0]), boxes[1]
        first = self._slots
        for _ in keys:
            self._new_slot()
        slots = np.arange(first, self._slots)
        self._key[slots], self._t0[slots], self._t1[slots] = keys, t0, t1
        self._lower[slots], self._upper[slots], self._alive[slots] = lower, upper, True
        self._slot_of.update(zip(keys, slots.tolist(), strict=True))
        end = self._rows + len(rows)
        if end > len(self._box_slot):
            self._boxes = _grown(self._boxes.T, end).T.copy()
            self._box_slot = _grown(self._box_slot, end)
        self._boxes[:, self._rows : end] = rows.T
        self._box_slot[self._rows : end] = slots.repeat(counts)
        self._rows = end
        self._rebuild()

    def remove(self, key: int) -> None:
        """Forget an entry (``KeyError`` if absent): a tombstone now, gone at the next rebuild."""
        slot = self._slot_of.pop(key)
        self._alive[slot] = False
        dead = self._slots - len(self._slot_of)
        if dead > max(self._min_buffer, len(self._slot_of)):
            self._rebuild()

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    # --- questions -----------------------------------------------------------------------

    def query(
        self,
        boxes: Sequence[Box],
        t0_ms: int,
        t1_ms: int,
        lower_m: float,
        upper_m: float,
    ) -> IntArray:
        """Sorted unique keys of the entries with a box meeting one of ``boxes`` and a time
        window and altitude band meeting ``[t0_ms, t1_ms]`` and ``[lower_m, upper_m]``."""
        probes = _checked_boxes(boxes)
        found = [self._tree_rows + _meets_any(self._buffer(), probes).nonzero()[0]]
        if self._tree is not None:
            cells = _cells(t0_ms, t1_ms, self._slab_ms)
            probe = np.arange(len(probes)).repeat(len(cells))
            cell = np.concatenate([cells] * len(probes))
            which, items = self._tree.query(_geometries(probes[probe], cell))
            rows = self._tree_row[items]
            found.append(rows[_meets_each_pair(self._boxes[:, rows].T, probes[probe[which]])])
        slots = self._box_slot[np.concatenate(found)]
        keep = (
            self._alive[slots]
            & (self._t0[slots] <= t1_ms)
            & (self._t1[slots] >= t0_ms)
            & (self._lower[slots] <= upper_m)
            & (self._upper[slots] >= lower_m)
        )
        return _sorted_unique(self._key[slots[keep]])

    def pairs(self) -> IntArray:
        """Every pair of stored keys ``(a, b)``, ``a < b``, whose boxes, time windows and
        altitude bands meet, as a sorted ``(k, 2)`` array."""
        if self._rows > self._tree_rows or self._slots > len(self._slot_of):
            self._rebuild()  # one tree holds everything: one bulk self-query finds it all
        if self._tree is None:
            return np.zeros((0, 2), np.int64)
        first, second = self._tree.query(self._tree.geometries)
        keep = first < second
        ra, rb = self._tree_row[first[keep]], self._tree_row[second[keep]]
        a, b = self._box_slot[ra], self._box_slot[rb]
        keep = (
            (a != b)
            & (self._t0[a] <= self._t1[b])
            & (self._t0[b] <= self._t1[a])
            & (self._lower[a] <= self._upper[b])
            & (self._lower[b] <= self._upper[a])
            & _meets_each_pair(self._boxes[:, ra].T, self._boxes[:, rb].T)
        )
        ka, kb = self._key[a[keep]], self._key[b[keep]]
        found = np.stack([np.minimum(ka, kb), np.maximum(ka, kb)], axis=1)
        return np.unique(found, axis=0).reshape(-1, 2)

    # --- inside ----------------------------------------------------------------------------

    def _buffer(self) -> FloatArray:
        return self._boxes[:, self._tree_rows : self._rows]

    def _buffer_limit(self) -> int:
        return max(self._min_buffer, int(32 * math.sqrt(len(self._slot_of))))

    def _new_slot(self) -> int:
        if self._slots == len(self._key):
            size = max(2 * len(self._key), _FIRST_CAPACITY)
            self._key, self._t0, self._t1 = (
                _grown(a, size) for a in (self._key, self._t0, self._t1)
            )
            self._lower, self._upper = _grown(self._lower, size), _grown(self._upper, size)
            self._alive = _grown(self._alive, size)
        self._slots += 1
        return self._slots - 1

    def _append_rows(self, rows: FloatArray, slot: int) -> None:
        end = self._rows + len(rows)
        if end > len(self._box_slot):
            size = max(2 * len(self._box_slot), end)
            self._boxes = _grown(self._boxes.T, size).T.copy()
            self._box_slot = _grown(self._box_slot, size)
        self._boxes[:, self._rows : end] = rows.T
        self._box_slot[self._rows : end] = slot
        self._rows = end

    def _rebuild(self) -> None:
        """Drop the dead, renumber slots densely, and put every box in one new tree."""
        living = self._alive[: self._slots].nonzero()[0]
        kept = self._alive[self._box_slot[: self._rows]].nonzero()[0]
        renumber = np.full(self._slots, -1, np.int64)
        renumber[living] = np.arange(len(living))
        self._boxes = self._boxes[:, kept]
        self._box_slot = renumber[self._box_slot[kept]]
        self._rows = self._tree_rows = len(kept)
        self._key, self._t0, self._t1 = (a[living] for a in (self._key, self._t0, self._t1))
        self._lower, self._upper = self._lower[living], self._upper[living]
        self._alive = self._alive[living]
        self._slots = len(living)
        self._slot_of = dict(zip(self._key.tolist(), range(len(living)), strict=True))
        self._build_tree()

    def _build_tree(self) -> None:
        """One tree item per (row, slab covered), moved into the slab's cell."""
        if not self._rows:
            self._tree, self._tree_row = None, np.zeros(0, np.int64)
            return
        t0, t1 = self._t0[self._box_slot], self._t1[self._box_slot]
        self._slab_ms = _slab_width(t0, t1)
        first, last = t0 // self._slab_ms, t1 // self._slab_ms
        count = np.minimum(last - first + 1, _CELLS)
        self._tree_row = np.arange(self._rows, dtype=np.int64).repeat(count)
        starts = count.cumsum() - count
        step = np.arange(len(self._tree_row)) - starts.repeat(count)
        cells = (first.repeat(count) + step) % _CELLS
        self._tree = STRtree(_geometries(self._boxes[:, self._tree_row].T, cells))


def _slab_width(t0: IntArray, t1: IntArray) -> int:
    """The smallest power of two (ms) for which the windows cover at most
    ``_COPIES_PER_ROW`` slabs each on average (and never more than 4,096)."""
    width = 1 << max(int(np.median(t1 - t0)).bit_length() - 1, 0)
    while width < 1 << 62:
        count = np.minimum(t1 // width - t0 // width + 1, _CELLS)
        if count.sum() <= _COPIES_PER_ROW * len(t0):
            break
        width *= 2
    return width


def _cells(t0_ms: int, t1_ms: int, slab_ms: int) -> IntArray:
    """The cells of every slab that the window ``[t0_ms, t1_ms]`` covers."""
    first, last = t0_ms // slab_ms, t1_ms // slab_ms
    count = min(last - first + 1, _CELLS)
    return (first + np.arange(count, dtype=np.int64)) % _CELLS


def _sorted_unique(keys: IntArray) -> IntArray:
    """The distinct keys, sorted (``keys`` is sorted in place): ``np.unique`` without its
    generality, which costs more than the rest of a small query."""
    keys.sort()
    first = np.empty(len(keys), np.bool_)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def _grown(array: npt.NDArray[_T], size: int) -> npt.NDArray[_T]:
    """``array`` with room for ``size`` rows, the new rows zero."""
    bigger = np.zeros((size, *array.shape[1:]), array.dtype)
    bigger[: len(array)] = array
    return bigger


def _checked_boxes(boxes: Sequence[Box] | FloatArray) -> FloatArray:
    """The boxes as an ``(n, 4)`` array, or ``ValueError`` for one empty or not finite."""
    rows = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    bad = ~np.isfinite(rows).all(axis=1) | (rows[:, 0] > rows[:, 2]) | (rows[:, 1] > rows[:, 3])
    if bad.any():
        raise ValueError(f"box {rows[np.argmax(bad)].tolist()} is empty or not finite")
    return rows


def _geometries(rows: FloatArray, cells: IntArray) -> npt.NDArray[np.object_]:
    """The boxes as shapely polygons, each moved into its cell."""
    dx, dy = (cells % _CELLS_X) * _CELL_DX, (cells // _CELLS_X) * _CELL_DY
    geoms: npt.NDArray[np.object_] = shapely.box(
        rows[:, 0] + dx, rows[:, 1] + dy, rows[:, 2] + dx, rows[:, 3] + dy
    )
    return geoms


def _meets_any(stored: FloatArray, probes: FloatArray) -> BoolArray:
    """Which ``stored`` boxes (one row per side, a column per box) meet (closed) at least one
    of ``probes`` (a row per box)."""
    meets = np.zeros(stored.shape[1], np.bool_)
    for west, south, east, north in probes.tolist():
        meets |= (
            (stored[0] <= east) & (west <= stored[2]) & (stored[1] <= north) & (south <= stored[3])
        )
    return meets


def _meets_each_pair(a: FloatArray, b: FloatArray) -> BoolArray:
    """Whether box ``a[i]`` meets (closed) box ``b[i]``, for each ``i``."""
    return (a[:, 0] <= b[:, 2]) & (b[:, 0] <= a[:, 2]) & (a[:, 1] <= b[:, 3]) & (b[:, 1] <= a[:, 3])
