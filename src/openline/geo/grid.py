"""The MGRS grid over a map view, for the console's overlay: the lines of round UTM eastings and
northings every ``spacing_m`` metres, in the UTM zone of the view's centre, as latitude and
longitude polylines, and each whole square's MGRS reference at that spacing.

One zone for the whole view: a view that crosses a zone boundary draws the centre zone's grid
beyond it (the grid of the neighbouring zone is not drawn). Beyond 84°N and 80°S (UPS) there is
no overlay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openline.domain.errors import InvalidInput
from openline.geo.mgrs import format_mgrs
from openline.geo.utm import central_meridian, standard_zone, tm_forward, tm_reverse

# The spacings the overlay draws, with the MGRS precision (digits per axis) each names.
PRECISION_OF_SPACING = {100_000: 0, 10_000: 1, 1_000: 2, 100: 3}
MAX_LINES = 100  # per direction: a view needing more is refused (a coarser spacing is asked)
MAX_LABELS = 400
SAMPLES = 12  # points per line: grid lines curve slightly in latitude and longitude
UTM_LATITUDES = (-80.0, 84.0)


@dataclass(frozen=True)
class GridOverlay:
    zone: int
    lines: list[list[tuple[float, float]]]  # (lat, lon) points
    labels: list[tuple[float, float, str]]  # a square's centre, and its MGRS reference


def mgrs_grid(south: float, west: float, north: float, east: float, spacing_m: int) -> GridOverlay:
    """The grid lines every ``spacing_m`` (100 km, 10 km, 1 km or 100 m) over the view, and
    the label of each square whose centre is in it. An empty overlay outside UTM's latitudes; an
    ``InvalidInput`` for a spacing not in the list or a view needing more than MAX_LINES lines."""
    if spacing_m not in PRECISION_OF_SPACING:
        raise InvalidInput(f"spacing {spacing_m} m is not one of {sorted(PRECISION_OF_SPACING)}")
    if not (south < north and west < east):
        raise InvalidInput(f"view {south},{west} to {north},{east}: south < north and west < east")
    lat, lon = (south + north) / 2, (west + east) / 2
    if not UTM_LATITUDES[0] <= lat <= UTM_LATITUDES[1]:
        return GridOverlay(0, [], [])
    zone = standard_zone(lat, lon)
    lon0 = central_meridian(zone)
    edge = [(a, b) for a in (south, lat, north) for b in (west, lon, east)]
    xs, ys = zip(*(tm_forward(lon0, a, b) for a, b in edge), strict=True)
    first_x, last_x = _rounded(min(xs), max(xs), spacing_m)
    first_y, last_y = _rounded(min(ys), max(ys), spacing_m)
    columns = range(first_x, last_x + 1, spacing_m)
    rows = range(first_y, last_y + 1, spacing_m)
    if len(columns) > MAX_LINES or len(rows) > MAX_LINES:
        raise InvalidInput(
            f"the view needs {max(len(columns), len(rows))} grid lines of {spacing_m} m, "
            f"over {MAX_LINES}: ask for a coarser spacing"
        )
    lines = [_line(lon0, [(x, y) for y in _steps(first_y, last_y)]) for x in columns]
    lines += [_line(lon0, [(x, y) for x in _steps(first_x, last_x)]) for y in rows]
    labels = _labels(lon0, columns, rows, spacing_m, (south, west, north, east))
    return GridOverlay(zone, lines, labels)


def _rounded(low: float, high: float, spacing: int) -> tuple[int, int]:
    """The multiples of ``spacing`` just outside [low, high] (UTM's false easting and
    northing are multiples of 100 km, so multiples of x and y are round eastings and northings)."""
    return math.floor(low / spacing) * spacing, math.ceil(high / spacing) * spacing


def _steps(first: int, last: int) -> list[float]:
    return [first + (last - first) * i / (SAMPLES - 1) for i in range(SAMPLES)]


def _line(lon0: float, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(p.lat, p.lon) for p in (tm_reverse(lon0, x, y) for x, y in points)]


def _labels(
    lon0: float,
    columns: range,
    rows: range,
    spacing: int,
    view: tuple[float, float, float, float],
) -> list[tuple[float, float, str]]:
    if (len(columns) - 1) * (len(rows) - 1) > MAX_LABELS:
        return []
    south, west, north, east = view
    labels = []
    for x in columns[:-1]:
        for y in rows[:-1]:
            lat, lon = tm_reverse(lon0, x + spacing / 2, y + spacing / 2)
            if south <= lat <= north and west <= lon <= east:
                labels.append((lat, lon, format_mgrs(lat, lon, PRECISION_OF_SPACING[spacing])))
    return labels
