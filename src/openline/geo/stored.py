"""Many stored volumes read at once for the index, without building their shapes.

A node that starts holding a million live volumes cannot build each one's ``Shape`` (some
80 µs apiece) before it answers: what the index needs of a volume is only its boxes, time
window, altitude band, kind and owner. ``read_volumes`` takes them from the notifications'
records as stored (JSON, already checked when they came in) and computes the boxes of all
footprints together, vectorised: the same bounds ``Shape.boxes`` gives (each polygon's
unwrapped longitude range and its latitude range with each geodesic edge's poleward bulge), so
the index proposes the same candidates. The shapes themselves are built when a volume is first
compared exactly (``geo.detection``), from its notification read then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from openline.domain.wgs84 import ECCENTRICITY_SQUARED, SEMI_MAJOR_AXIS_M
from openline.geo.arrays import FloatArray, IntArray
from openline.geo.geodesy import MIN_METRES_PER_DEGREE_LAT, inverse, wrap180
from openline.geo.shapes import BOX_EPSILON_DEG, clean_ring, edge_extreme_latitudes


@dataclass
class StoredVolumes:
    """The volumes of many notifications, a row each, in the records' order."""

    notification: list[str] = field(default_factory=list)  # its notification's id
    index: list[int] = field(default_factory=list)  # its place among that notification's
    kind: list[str] = field(default_factory=list)
    owner: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)  # start and end of each, as stored
    lower_m: list[float] = field(default_factory=list)
    upper_m: list[float] = field(default_factory=list)
    radius_m: list[float] = field(default_factory=list)
    # The rings whose bounds are each volume's parts: their vertices end to end (lon, lat,
    # lon, lat, ...), how many each has, and the volume each is of.
    _flat: list[float] = field(default_factory=list)
    _sizes: list[int] = field(default_factory=list)
    _ring_volume: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.notification)

    def windows_ms(self) -> tuple[IntArray, IntArray]:
        """Each volume's time window, in ms since 1970."""
        # Stored as format_utc writes them (2026-12-05T00:00:00.000Z): numpy reads them as UTC.
        ms = np.array([t[:-1] for t in self.times], dtype="datetime64[ms]").astype(np.int64)
        return ms[0::2], ms[1::2]

    def boxes(self, pad_m: float) -> tuple[FloatArray, IntArray]:
        """Every volume's boxes padded by ``pad_m`` (and its radius), as ``Shape.boxes`` gives
        them: a row each, the volumes' in order, and how many each volume has."""
        parts = ring_bounds(self._flat, self._sizes)
        volume = np.array(self._ring_volume, np.int64)
        rows, part = padded_rows(parts, pad_m + np.array(self.radius_m)[volume])
        return rows, np.bincount(volume[part], minlength=len(self))


def read_volumes(records: Iterable[dict[str, Any]]) -> StoredVolumes:
    """The volumes of these notification records (``Notification.to_json``), in order."""
    volumes = StoredVolumes()
    for record in records:
        for index, volume in enumerate(record["volumes"]):
            volumes.notification.append(record["id"])
            volumes.index.append(index)
            volumes.kind.append(record["kind"])
            volumes.owner.append(record["owner"])
            volumes.times += (volume["time_start"], volume["time_end"])
            volumes.lower_m.append(float(volume["altitude_lower_m"]))
            volumes.upper_m.append(float(volume["altitude_upper_m"]))
            volumes.radius_m.append(_footprint(volume, len(volumes) - 1, volumes))
    return volumes


def _footprint(volume: dict[str, Any], row: int, volumes: StoredVolumes) -> float:
    """Add the volume's rings to ``volumes``; its radius."""
    if "circle" in volume:
        circle = volume["circle"]
        _add_ring(volumes, row, [[circle["lon"], circle["lat"]]])
        return float(circle["radius_m"])
    if "corridor" in volume:
        corridor = volume["corridor"]
        path = clean_ring([(float(lon), float(lat)) for lon, lat in corridor["path"]])
        _add_ring(volumes, row, path + path[-2:0:-1])  # there and back, as Shape.of lays it
        return float(corridor["half_width_m"])
    geometry = volume["geometry"]
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    for polygon in polygons:  # the exterior ring bounds its holes
        shell = polygon[0]
        # As clean_ring leaves it: a ring closed as GeoJSON closes it, its repeats kept (the
        # bounds do not change for a vertex given twice).
        _add_ring(volumes, row, shell[:-1] if len(shell) > 1 and shell[-1] == shell[0] else shell)
    return 0.0


def _add_ring(volumes: StoredVolumes, row: int, ring: Sequence[Sequence[float]]) -> None:
    volumes._flat.extend(chain.from_iterable(ring))
    volumes._sizes.append(len(ring))
    volumes._ring_volume.append(row)


def ring_bounds(flat: Sequence[float], ring_sizes: Sequence[int]) -> FloatArray:
    """Each ring's (lon_lo, lon_hi, lat_lo, lat_hi), its vertices given end to end: its
    longitudes unwrapped from its first vertex, its latitudes with each geodesic edge's extreme
    between its ends (a one-vertex ring, a circle's centre, is its point)."""
    sizes = np.array(ring_sizes, np.int64)
    coordinates = np.array(flat, dtype=np.float64).reshape(-1, 2)
    lon, lat = coordinates[:, 0], coordinates[:, 1]
    starts = np.cumsum(sizes) - sizes
    ring = np.repeat(np.arange(len(sizes)), sizes)
    index = np.arange(len(lon))
    nxt = np.where(index + 1 == (starts + sizes)[ring], starts[ring], index + 1)
    az, back_az, _ = inverse(lon, lat, lon[nxt], lat[nxt])
    north, south = edge_extreme_latitudes(lat, lat[nxt], az, back_az)
    edgeless = nxt == index  # a one-vertex ring: its own latitude
    north, south = np.where(edgeless, lat, north), np.where(edgeless, lat, south)
    # Unwrapped from the ring's first vertex, each step the short way: the same longitudes as
    # Shape's walk round the ring while no vertex lies more than half a turn from the first;
    # the rings where the walk goes further (round a pole) are walked as Shape walks them.
    first = lon[starts][ring]
    unwrapped = first + wrap180(lon - first)
    steps = np.concatenate([[0.0], wrap180(np.diff(lon))])
    steps[starts] = 0.0
    walked = np.cumsum(steps)
    walked = first + walked - walked[starts][ring]
    for far in np.unique(ring[np.abs(walked - unwrapped) > 1.0]).tolist():
        one = slice(int(starts[far]), int(starts[far] + sizes[far]))
        walk = np.cumsum(wrap180(np.diff(lon[one])))
        unwrapped[one] = lon[one][0] + np.concatenate([[0.0], walk])
    return np.column_stack(
        [
            np.minimum.reduceat(unwrapped, starts),
            np.maximum.reduceat(unwrapped, starts),
            np.minimum.reduceat(np.minimum(lat, np.minimum(north, south)), starts),
            np.maximum.reduceat(np.maximum(lat, np.maximum(north, south)), starts),
        ]
    )


def padded_rows(parts: FloatArray, pad_m: FloatArray) -> tuple[FloatArray, IntArray]:
    """The boxes of these parts (lon_lo, lon_hi, lat_lo, lat_hi) each padded by its ``pad_m``,
    as ``shapes.padded_boxes`` gives them one by one: a row each, and the part of each row."""
    lon_lo, lon_hi, lat_lo, lat_hi = parts.T
    dlat = pad_m / MIN_METRES_PER_DEGREE_LAT + BOX_EPSILON_DEG
    south, north = lat_lo - dlat, lat_hi + dlat
    polar = (north >= 90.0) | (south <= -90.0)
    reach = np.where(polar, 0.0, np.maximum(-south, north))
    phi = np.radians(reach)
    radius = SEMI_MAJOR_AXIS_M * np.cos(phi) / np.sqrt(1 - ECCENTRICITY_SQUARED * np.sin(phi) ** 2)
    dlon = np.degrees(pad_m / radius) + BOX_EPSILON_DEG
    west, east = lon_lo - dlon, lon_hi + dlon
    whole = polar | (east - west >= 360.0)
    turns = np.floor((west + 180.0) / 360.0)
    west, east = west - 360.0 * turns, east - 360.0 * turns
    split = ~whole & (east > 180.0)  # across the antimeridian: a box either side
    south = np.where(polar, np.maximum(south, -90.0), south)
    north = np.where(polar, np.minimum(north, 90.0), north)
    west_edge = np.where(whole, -180.0, west)
    first = np.column_stack([west_edge, south, np.where(whole | split, 180.0, east), north])
    second = np.column_stack([np.full(len(west), -180.0), south, east - 360.0, north])[split]
    part = np.arange(len(parts))
    rows = np.concatenate([first, second])
    of_part = np.concatenate([part, part[split]])
    order = np.argsort(of_part, kind="stable")
    return rows[order], of_part[order]
