"""The conflict detection engine: which stored volumes come closer than their separation minima.

A ``Detector`` holds volumes (a footprint ``Shape``, a time window, an altitude band, a kind and
an owner, all small ints or numbers chosen by the caller) under a table of separation minima
per pair of kinds. Two volumes *conflict* when the table has minima ``(lateral_m, vertical_m,
time_s)`` for their kinds and owners (same owner or not), and their time windows are at most
``time_s`` apart, their altitude bands at most ``vertical_m`` apart and their footprints at most
``lateral_m`` apart (geodesic metres, exact within 1 cm). Intervals are closed: touching
counts, and the gap of two intervals is ``max(0, later start - earlier end)``.

How it stays fast: every volume goes into a ``VolumeIndex`` padded by *half* the largest minima
of the table, so any two volumes within the largest minima meet in the index (the midpoint of
the shortest path between them lies in both padded footprints). The index's candidates are then
checked exactly under their own pair's minima: time and altitude in numpy, then every footprint
distance in one batched ``distances_m`` call. The property tests compare the answers with a
check of every pair, with no index.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from openline.geo.arrays import FloatArray, IntArray
from openline.geo.footprints import Shape, distances_m
from openline.geo.index import VolumeIndex

# The padded boxes are conservative for the true distance; the exact distance is within 1 cm
# of it; 1 m more covers that and any rounding in the boxes' arithmetic.
LATERAL_SAFETY_M = 1.0
VERTICAL_SAFETY_M = 0.001  # covers the rounding of lower - V/2 and upper + V/2


@dataclass(frozen=True, slots=True)
class Hit:
    """A conflicting pair of keys (``a < b``) and the geodesic distance between their
    footprints (0.0 when they touch or overlap)."""

    a: int
    b: int
    distance_m: float


class _Columns:
    """The stored volumes as dense numpy columns (a removal moves the last row into the gap),
    so that the exact checks of many candidate pairs are a few vectorised expressions."""

    def __init__(self, build: Callable[[int], Shape]) -> None:
        self.row_of: dict[int, int] = {}
        # None for a volume added without its shape (add_many): built by ``build(key)`` when
        # it is first compared exactly, then kept.
        self.shapes: list[Shape | None] = []
        self._build = build
        self.key: IntArray = np.zeros(0, np.int64)
        self.kind: IntArray = np.zeros(0, np.int64)
        self.owner: IntArray = np.zeros(0, np.int64)
        self.t0: IntArray = np.zeros(0, np.int64)
        self.t1: IntArray = np.zeros(0, np.int64)
        self.lower: FloatArray = np.zeros(0)
        self.upper: FloatArray = np.zeros(0)

    _NAMES = ("key", "kind", "owner", "t0", "t1", "lower", "upper")

    def append(self, shape: Shape, values: tuple[int, int, int, int, int, float, float]) -> None:
        row = len(self.shapes)
        self._room(row + 1)
        for name, value in zip(self._NAMES, values, strict=True):
            getattr(self, name)[row] = value
        self.shapes.append(shape)
        self.row_of[values[0]] = row

    def extend(self, columns: tuple[npt.NDArray[Any], ...]) -> None:
        """Many rows at once, their shapes to be built when needed: the columns of _NAMES."""
        row, count = len(self.shapes), len(columns[0])
        self._room(row + count)
        for name, values in zip(self._NAMES, columns, strict=True):
            getattr(self, name)[row : row + count] = values
        self.shapes.extend([None] * count)
        self.row_of.update(zip(columns[0].tolist(), range(row, row + count), strict=True))

    def _room(self, rows: int) -> None:
        if rows > len(self.key):
            for name in self._NAMES:
                column = getattr(self, name)
                bigger = np.zeros(max(64, 2 * len(column), rows), column.dtype)
                bigger[: len(self.shapes)] = column[: len(self.shapes)]
                setattr(self, name, bigger)

    def shape(self, row: int) -> Shape:
        shape = self.shapes[row]
        if shape is None:
            shape = self.shapes[row] = self._build(int(self.key[row]))
        return shape

    def pop(self, key: int) -> None:
        row, last = self.row_of.pop(key), len(self.shapes) - 1
        if row != last:
            for name in self._NAMES:
                column = getattr(self, name)
                column[row] = column[last]
            self.shapes[row] = self.shapes[last]
            self.row_of[int(self.key[row])] = row
        self.shapes.pop()

    def rows(self, keys: IntArray) -> IntArray:
        return np.fromiter((self.row_of[k] for k in keys.tolist()), np.int64, len(keys))


class Detector:
    """Volumes under a table of separation minima; see the module docstring."""

    def __init__(
        self,
        minima: npt.NDArray[np.float64],
        *,
        min_buffer: int = 1024,
        shape_of: Callable[[int], Shape] | None = None,
    ) -> None:
        """``minima[kind_a, kind_b, same_owner] = (lateral_m, vertical_m, time_s)``, NaN where
        that pair never conflicts; ``ValueError`` unless the table has shape ``(K, K, 2, 3)``,
        is symmetric in the kinds and holds, per entry, three NaN or three numbers >= 0.
        ``min_buffer`` is passed to the ``VolumeIndex``; ``shape_of(key)`` builds the shape
        of a volume added without it (``add_many``)."""
        self._minima = _checked_minima(minima)
        largest = np.zeros(3)
        if not np.isnan(self._minima).all():
            largest = np.nanmax(self._minima.reshape(-1, 3), axis=0)
        self._pad_m = float(largest[0]) / 2 + LATERAL_SAFETY_M
        self._pad_alt_m = float(largest[1]) / 2 + VERTICAL_SAFETY_M
        self._pad_ms = math.ceil(float(largest[2]) * 1000.0 / 2)
        self._index = VolumeIndex(min_buffer=min_buffer)
        self._columns = _Columns(shape_of or _no_shape)

    def __len__(self) -> int:
        return len(self._columns.shapes)

    def __contains__(self, key: object) -> bool:
        return key in self._columns.row_of

    def add(
        self,
        key: int,
        shape: Shape,
        *,
        kind: int,
        owner: int,
        t0_ms: int,
        t1_ms: int,
        lower_m: float,
        upper_m: float,
    ) -> None:
        """Store a volume; ``KeyError`` if the key is stored, ``ValueError`` for a kind outside
        the table, a window or band that is empty."""
        if key in self._columns.row_of:
            raise KeyError(f"key {key} is already stored")
        if not 0 <= kind < len(self._minima):
            raise ValueError(f"kind {kind} is outside the table's 0 to {len(self._minima) - 1}")
        if t0_ms > t1_ms or not lower_m <= upper_m:
            raise ValueError(
                f"key {key}: empty window {t0_ms}..{t1_ms} ms or band {lower_m}..{upper_m} m"
            )
        self._index.add(key, *self._padded(shape, t0_ms, t1_ms, lower_m, upper_m))
        self._columns.append(shape, (key, kind, owner, t0_ms, t1_ms, lower_m, upper_m))

    def add_many(
        self, keys: IntArray, boxes: tuple[FloatArray, IntArray], columns: VolumeColumns
    ) -> None:
        """Store many volumes at once, without their shapes (built by ``shape_of`` when each
        is first compared exactly): ``boxes``, the volumes' footprints' boxes padded by this
        detector's ``pad_m`` as ``Shape.boxes(pad_m)`` gives them, a row each, in the keys'
        order, and how many each volume has; the columns, a row per key, as ``add`` takes them
        one by one. Refused as ``add`` refuses one."""
        if ((columns.kind < 0) | (columns.kind >= len(self._minima))).any():
            raise ValueError(f"a kind is outside the table's 0 to {len(self._minima) - 1}")
        self._index.add_many(
            keys.tolist(),
            boxes,
            (
                columns.t0_ms - self._pad_ms,
                columns.t1_ms + self._pad_ms,
                columns.lower_m - self._pad_alt_m,
                columns.upper_m + self._pad_alt_m,
            ),
        )
        c = columns
        self._columns.extend((keys, c.kind, c.owner, c.t0_ms, c.t1_ms, c.lower_m, c.upper_m))

    @property
    def pad_m(self) -> float:
        """How far the index's boxes reach beyond each footprint (see ``add_many``)."""
        return self._pad_m

    def remove(self, key: int) -> None:
        """Forget a volume; ``KeyError`` if it is not stored."""
        self._index.remove(key)
        self._columns.pop(key)

    def candidates(self, key: int) -> IntArray:
        """The other stored keys the index proposes for ``key`` (sorted): every volume within
        the table's largest minima of it, and a few more. The index work of ``hits_for``."""
        c = self._columns
        row = c.row_of[key]
        found = self._index.query(
            *self._padded(c.shape(row), int(c.t0[row]), int(c.t1[row]), c.lower[row], c.upper[row])
        )
        others: IntArray = found[found != key]
        return others

    def near(
        self,
        boxes: list[tuple[float, float, float, float]],
        t0_ms: int,
        t1_ms: int,
        lower_m: float,
        upper_m: float,
    ) -> IntArray:
        """The stored keys (sorted) whose volume may meet these boxes, window and band: every
        one that does, and a few more (the index holds the volumes padded), for callers that
        check exactly."""
        return self._index.query(boxes, t0_ms, t1_ms, lower_m, upper_m)

    def shape(self, key: int) -> Shape:
        """The footprint of a stored volume."""
        return self._columns.shape(self._columns.row_of[key])

    def hits_for(self, key: int) -> list[Hit]:
        """The stored volume ``key`` against every other stored one, sorted by ``(a, b)``."""
        others = self.candidates(key)  # sorted, so the pairs below are sorted by (a, b)
        return self._exact(np.minimum(others, key), np.maximum(others, key))

    def all_hits(self) -> list[Hit]:
        """Every conflicting pair among the stored volumes, sorted by ``(a, b)``."""
        pairs = self._index.pairs()
        return self._exact(pairs[:, 0], pairs[:, 1])

    def _padded(
        self, shape: Shape, t0_ms: int, t1_ms: int, lower_m: float, upper_m: float
    ) -> tuple[list[tuple[float, float, float, float]], int, int, float, float]:
        """The volume as the index holds it: widened by half the table's largest minima."""
        return (
            shape.boxes(pad_m=self._pad_m),
            t0_ms - self._pad_ms,
            t1_ms + self._pad_ms,
            lower_m - self._pad_alt_m,
            upper_m + self._pad_alt_m,
        )

    def _exact(self, keys_a: IntArray, keys_b: IntArray) -> list[Hit]:
        """The pairs ``(keys_a[i], keys_b[i])`` (``a < b``, given sorted by ``(a, b)``, as
        every caller has them) that conflict, in the same order."""
        c = self._columns
        a, b = c.rows(keys_a), c.rows(keys_b)
        minima = self._minima[c.kind[a], c.kind[b], (c.owner[a] == c.owner[b]).astype(np.int64)]
        time_gap = np.maximum(0, np.maximum(c.t0[a], c.t0[b]) - np.minimum(c.t1[a], c.t1[b]))
        band_gap = np.maximum(
            0.0, np.maximum(c.lower[a], c.lower[b]) - np.minimum(c.upper[a], c.upper[b])
        )
        near = (
            ~np.isnan(minima[:, 0])
            & (time_gap <= minima[:, 2] * 1000.0)
            & (band_gap <= minima[:, 1])
        ).nonzero()[0]
        lateral = minima[near, 0]
        metres = distances_m(
            [c.shape(i) for i in a[near].tolist()],
            [c.shape(i) for i in b[near].tolist()],
            within_m=lateral,
        )
        within = metres <= lateral
        close = near[within]
        return [
            Hit(x, y, d)
            for x, y, d in zip(
                keys_a[close].tolist(), keys_b[close].tolist(), metres[within].tolist(), strict=True
            )
        ]


@dataclass(frozen=True)
class VolumeColumns:
    """Many volumes' kinds, owners, windows and bands, a row each (``Detector.add_many``)."""

    kind: IntArray
    owner: IntArray
    t0_ms: IntArray
    t1_ms: IntArray
    lower_m: FloatArray
    upper_m: FloatArray


def _no_shape(key: int) -> Shape:
    raise KeyError(f"key {key} was stored without its shape and the detector cannot build it")


def _checked_minima(minima: npt.NDArray[np.float64]) -> FloatArray:
    """A read-only copy of the table, or ``ValueError`` saying what is wrong with it."""
    table = np.array(minima, dtype=np.float64)
    if table.ndim != 4 or table.shape[0] != table.shape[1] or table.shape[2:] != (2, 3):
        raise ValueError(f"the minima table has shape {table.shape}; expected (K, K, 2, 3)")
    if table.shape[0] == 0:
        raise ValueError("the minima table has no kinds")
    nan = np.isnan(table)
    if (nan.any(axis=3) != nan.all(axis=3)).any():
        raise ValueError("a minima entry mixes NaN and numbers: give three numbers or three NaN")
    if (table[~nan] < 0).any() or not np.isfinite(table[~nan]).all():
        raise ValueError("the minima must be finite and at least 0 (or NaN: never a conflict)")
    if not np.array_equal(table, table.transpose(1, 0, 2, 3), equal_nan=True):
        raise ValueError(
            "the minima table is not symmetric: minima[a, b] differs from minima[b, a]"
        )
    table.setflags(write=False)
    return table
