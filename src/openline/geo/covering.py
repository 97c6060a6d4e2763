"""The conservative covering of a blind volume by H3 cells, time slots and altitude bands.

:func:`cells_near` answers every H3 cell that holds a point within ``distance_m`` of a
footprint, and possibly a few more, never fewer: the candidates are the cells of a grid disk
round the footprint's bounding cap, wide enough by H3's smallest edge (:func:`_disk_k`); each is
kept when the exact engine (:mod:`openline.geo.footprints`) finds the disc circumscribing it
within ``distance_m`` of the footprint. The disc's radius is the cell's farthest vertex from
its centre (on the sphere H3 works on, a cell's edges are great-circle arcs, farthest from the
centre at their ends), plus 1 % and 1 m for the ellipsoid against H3's sphere. A cell with a
point within ``distance_m`` has that point in its disc, so the disc is within ``distance_m``.
docs/blind.md gives the whole error budget.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import h3
import numpy as np

from openline.domain.blind import Grid, bands, items_of, slots
from openline.domain.errors import InvalidInput
from openline.domain.separation import Minima
from openline.domain.volumes import Circle, Footprint, Volume4D
from openline.geo.footprints import Shape, distances_m
from openline.geo.geodesy import inverse

# H3's shortest edge at any resolution is about 0.75 of the average (sampled over the globe
# and the pentagons); half the average leaves room.
SHORTEST_EDGE_OF_AVERAGE = 0.5
DISC_MARGIN = 1.01  # the ellipsoid's geodesics against H3's sphere, within 0.5 %
DISC_MARGIN_M = 1.0
MAX_CANDIDATES = 400_000  # cells looked at for one footprint: beyond, too fine a grid for it


def cover(volume: Volume4D, widen: Minima, grid: Grid) -> set[str]:
    """The items of one volume widened by ``widen``: its cells, slots and bands."""
    cells = cells_near(volume.footprint, widen.lateral_m, grid.resolution)
    slot_range = slots(grid, volume.time_start, volume.time_end, widen.time_s)
    band_range = bands(volume.altitude_lower_m, volume.altitude_upper_m, widen.vertical_m)
    return items_of(grid, cells, slot_range, band_range)


def cells_near(footprint: Footprint, distance_m: float, resolution: int) -> list[str]:
    """Every H3 cell of ``resolution`` holding a point within ``distance_m`` of ``footprint``
    (a superset: a cell near the edge may come in though no point of it is that near)."""
    shape = Shape.of(footprint)
    if not math.isfinite(shape.cap_radius_m):
        raise InvalidInput("the footprint is too large to cover blind: split it")
    k = _disk_k(shape.cap_radius_m + distance_m, resolution)
    while True:
        centre = h3.latlng_to_cell(shape.cap_lat, shape.cap_lon, resolution)
        candidates = list(h3.grid_disk(centre, k))
        kept = _within(candidates, shape, distance_m)
        rim = set(h3.grid_ring(centre, k))
        if not rim.intersection(kept):  # else the disk was too small: wider, to be sure
            return sorted(kept)
        k *= 2


def _disk_k(reach_m: float, resolution: int) -> int:
    """Rings enough that the disk round the cap's cell holds every cell whose centre is within
    ``reach_m`` plus the widest cell of the cap's centre: k rings reach at least 1.5 shortest
    edges each (a hexagonal grid's ring k is no nearer than that)."""
    average = float(h3.average_hexagon_edge_length(resolution, unit="m"))
    edge = average * SHORTEST_EDGE_OF_AVERAGE
    reach = reach_m + 4 * average  # two cells' widest radii, and more
    k = math.ceil(reach / (1.5 * edge)) + 1
    if 3 * k * (k + 1) + 1 > MAX_CANDIDATES:
        raise InvalidInput(
            f"the footprint reaches {reach_m / 1000:.6g} km: too far for H3 resolution "
            f"{resolution} (over {MAX_CANDIDATES} cells); choose a coarser blind grid"
        )
    return k


def _within(cells: list[str], shape: Shape, distance_m: float) -> set[str]:
    """The cells whose circumscribing discs the exact engine finds within ``distance_m``."""
    discs = [Shape.of(_disc(cell)) for cell in cells]
    found = distances_m(discs, [shape] * len(discs), distance_m)
    return {cell for cell, d in zip(cells, found, strict=True) if d <= distance_m}


def _disc(cell: str) -> Circle:
    lat, lon = h3.cell_to_latlng(cell)
    corners = np.array(h3.cell_to_boundary(cell))
    n = len(corners)
    _, _, reach = inverse(np.full(n, lon), np.full(n, lat), corners[:, 1], corners[:, 0])
    return Circle(lat, lon, float(reach.max()) * DISC_MARGIN + DISC_MARGIN_M)


def cover_all(volumes: Iterable[tuple[Volume4D, Minima]], grid: Grid) -> set[str]:
    """The items of many volumes, each with its own widening."""
    out: set[str] = set()
    for volume, widen in volumes:
        out |= cover(volume, widen, grid)
    return out


def outline(cell: str) -> list[list[float]]:
    """A cell's boundary as a closed ring of [lon, lat] positions, for the map."""
    ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]
