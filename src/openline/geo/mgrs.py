"""MGRS: the Military Grid Reference System over UTM and UPS, as GeographicLib writes it.

An MGRS reference names a square: ``37SBA1234567890`` is the 1 m square whose south-west
corner is 12345 m east and 67890 m north of the corner of the 100 km square BA in grid zone
37S. Coordinates are truncated, never rounded, to the precision asked for, and a reference read
back stands for the centre of its square, so a round trip is stable. The letter schemes, the
band checks and the treatment of points on zone edges follow GeographicLib's ``MGRS`` class.
"""

from __future__ import annotations

import math
import re

from openline.domain.errors import InvalidInput
from openline.geo.utm import (
    MAX_EASTING,
    MAX_NORTHING,
    MIN_EASTING,
    MIN_NORTHING,
    TILE,
    UPS,
    UTM_NORTH_SHIFT,
    GridPoint,
    LatLon,
    latitude_band,
    latlon_to_utm,
    utm_to_latlon,
)

MIN_PRECISION = -1  # the grid zone alone, e.g. 37S
MAX_PRECISION = 11  # digits per axis: 11 is 1 micrometre

_UTM_COLUMNS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
_UTM_ROWS = "ABCDEFGHJKLMNPQRSTUV"
_UPS_COLUMNS = ("JKLPQRSTUXYZ", "ABCFGHJKLPQR", "RSTUXYZ", "ABCFGHJ")
_UPS_ROWS = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "ABCDEFGHJKLMNP")  # south, north
_UTM_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_UPS_BANDS = "ABYZ"
_ROW_PERIOD = 20
_EVEN_ROW_SHIFT = 5
_UPS_EASTING = 20  # the UPS false easting, in 100 km squares
_MULT = 1_000_000  # micrometres per metre: the finest MGRS digit
_UNIT = _MULT * TILE
_ANGLE_EPS = 2.0**-46  # latitudes closer to 0 than this count as on the equator
_LENGTH_EPS = 2.0**-28  # a coordinate on an open upper limit is moved down by this (4 nm)
_REFERENCE = re.compile(r"(\d*)([A-Z])([A-Z]?)([A-Z]?)(.*)")


def check_precision(precision: int) -> int:
    """The precision, if it is a whole number of digits per axis from -1 to 11."""
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise InvalidInput(f"MGRS precision {precision!r} is not a whole number")
    if not MIN_PRECISION <= precision <= MAX_PRECISION:
        raise InvalidInput(
            f"MGRS precision {precision} is not {MIN_PRECISION} to {MAX_PRECISION} digits per axis"
        )
    return precision


def format_mgrs(lat: float, lon: float, precision: int = 5) -> str:
    """The MGRS reference of the square holding a point, e.g. ``37SBA1234567890``.

    ``precision`` is the number of digits per axis: 5 is 1 m, 0 is the 100 km square, 11 is
    1 micrometre, and -1 gives the grid zone alone (``37S``). Coordinates are truncated, as
    MGRS requires. The zone is the standard one (Norway and Svalbard exceptions included; UPS
    north of 84°N and south of 80°S).
    """
    check_precision(precision)
    return grid_to_mgrs(latlon_to_utm(lat, lon), lat, precision)


def grid_to_mgrs(point: GridPoint, lat: float, precision: int = 5) -> str:
    """The MGRS reference of UTM/UPS coordinates in their own zone; ``lat`` picks the band."""
    check_precision(precision)
    zone, north, x, y = _check_mgrs_limits(point)
    ix, iy = math.floor(x * _MULT), math.floor(y * _MULT)
    xh, yh = ix // _UNIT, iy // _UNIT
    prefix = f"{zone:02d}" if zone != UPS else ""
    if zone != UPS:
        band = (0 if north else -1) if abs(lat) < _ANGLE_EPS else latitude_band(lat)
        column = xh - 1
        if _utm_row(band, column, yh % _ROW_PERIOD) != yh - (0 if north else 100):
            raise InvalidInput(f"latitude {lat:.10g} is not in UTM zone {zone} at that northing")
        letters = (
            _UTM_BANDS[band + 10]
            + _UTM_COLUMNS[(zone - 1) % 3][column]
            + _UTM_ROWS[(yh + (_EVEN_ROW_SHIFT if (zone - 1) % 2 else 0)) % _ROW_PERIOD]
        )
    else:
        east = xh >= _UPS_EASTING
        band = (2 if north else 0) + (1 if east else 0)
        first = _UPS_EASTING if east else MIN_EASTING[int(north)]
        letters = (
            _UPS_BANDS[band]
            + _UPS_COLUMNS[band][xh - first]
            + _UPS_ROWS[int(north)][yh - MIN_NORTHING[int(north)]]
        )
    if precision < 0:
        return prefix + letters[0]
    if precision == 0:
        return prefix + letters
    scale = 10 ** (MAX_PRECISION - precision)
    east_digits = (ix - _UNIT * xh) // scale
    north_digits = (iy - _UNIT * yh) // scale
    return f"{prefix}{letters}{east_digits:0{precision}d}{north_digits:0{precision}d}"


def _check_mgrs_limits(point: GridPoint) -> tuple[int, bool, float, float]:
    """The point's zone, hemisphere and coordinates inside the MGRS limits, or an error.

    A coordinate exactly on an upper limit is moved 4 nm inside it, and a UTM northing beyond
    the equator is carried into the other hemisphere, as GeographicLib does.
    """
    zone, north, x, y = point.zone, point.hemisphere == "N", point.easting, point.northing
    ind = (2 if zone != UPS else 0) + (1 if north else 0)
    system = f"UTM zone {zone}{point.hemisphere}" if zone != UPS else f"UPS {point.hemisphere}"
    limits = (
        ("easting", MIN_EASTING[ind], MAX_EASTING[ind]),
        ("northing", MIN_NORTHING[ind], MAX_NORTHING[ind]),
    )
    values = [x, y]
    for i, (name, low, high) in enumerate(limits):
        value = values[i]
        if not (math.isfinite(value) and low <= math.floor(value / TILE) < high):
            if value == high * TILE:
                values[i] = value - _LENGTH_EPS
                continue
            raise InvalidInput(
                f"{system} {name} {value:.10g} m is outside the MGRS range "
                f"{low * TILE} to {high * TILE} m"
            )
    x, y = values
    if zone != UPS:
        iy = math.floor(y / TILE)
        if north and iy < 0:
            north, y = False, y + UTM_NORTH_SHIFT
        elif not north and iy >= 100:  # beyond the equator, 10,000 km north
            if y == UTM_NORTH_SHIFT:
                y -= _LENGTH_EPS  # a point on the equator stays in the south
            else:
                north, y = True, y - UTM_NORTH_SHIFT
    return zone, north, x, y


def _utm_row(band: int, column: int, row: int) -> int:
    """The true 100 km row (0 at the equator) of a row letter's index in a latitude band, or
    100 if that row does not meet the band (GeographicLib's MGRS::UTMRow)."""
    centre = 100 * (8 * band + 4) / 90
    north = band >= 0
    minrow = math.floor(centre - 4.3 - 0.1 * north) if band > -10 else -90
    maxrow = math.floor(centre + 4.4 - 0.1 * north) if band < 9 else 94
    baserow = int((minrow + maxrow) / 2) - _ROW_PERIOD // 2
    row = (row - baserow + 100) % _ROW_PERIOD + baserow
    if not minrow <= row <= maxrow:
        # Northings of 7100 km and 8000 km cross band boundaries within a square.
        sband = band if band >= 0 else -band - 1
        srow = row if row >= 0 else -row - 1
        scol = column if column < 4 else -column + 7
        if not (
            (srow == 70 and sband == 8 and scol >= 2)
            or (srow == 71 and sband == 7 and scol <= 2)
            or (srow == 79 and sband == 9 and scol >= 1)
            or (srow == 80 and sband == 8 and scol <= 1)
        ):
            return 100
    return row


def mgrs_to_grid(text: str) -> tuple[GridPoint, int]:
    """The UTM/UPS coordinates of the centre of an MGRS square, and its digits per axis.

    Spaces are ignored and letters may be in either case. Refuses, naming the part at fault:
    a zone outside 1 to 60, a band letter that does not exist, 100 km square letters that do
    not exist in that grid zone, an odd number of digits, more than 11 digits per axis, and
    anything that is not a digit after the square letters.
    """
    compact = "".join(text.split()).upper()
    match = _REFERENCE.fullmatch(compact)
    if not compact or not match:
        raise InvalidInput(f"{text.strip()!r} is not an MGRS reference such as 37SBA1234567890")
    zone_digits, band_letter, column_letter, row_letter, rest = match.groups()
    zone = _read_zone(zone_digits)
    if not column_letter or not row_letter:
        if not rest and not column_letter:
            raise InvalidInput(
                f"MGRS {compact!r} is a whole grid zone: give at least the 100 km square "
                "letters, e.g. 37SBA"
            )
        raise InvalidInput(f"MGRS {compact!r} needs two 100 km square letters after the band")
    east, north, precision = _read_digits(compact, rest)
    if zone != UPS:
        column, row, hemisphere = _utm_square(zone, band_letter, column_letter, row_letter)
    else:
        column, row, hemisphere = _ups_square(band_letter, column_letter, row_letter)
    scale = 10**precision
    # The centre, (2 * digits + 1) / 2 units, in GeographicLib's order of floating operations.
    x = TILE * float(2 * (column * scale + east) + 1) / float(2 * scale)
    y = TILE * float(2 * (row * scale + north) + 1) / float(2 * scale)
    return GridPoint(zone, hemisphere, x, y), precision


def _read_zone(digits: str) -> int:
    if not digits:
        return UPS
    if len(digits) > 2:
        raise InvalidInput(f"MGRS zone {digits} has more than 2 digits")
    zone = int(digits)
    if not 1 <= zone <= 60:
        raise InvalidInput(f"MGRS zone {zone} is not 1 to 60")
    return zone


def _read_digits(compact: str, rest: str) -> tuple[int, int, int]:
    bad = next((c for c in rest if not "0" <= c <= "9"), None)
    if bad is not None:
        raise InvalidInput(
            f"MGRS {compact!r} has {bad!r} where only digits may follow the square letters"
        )
    if len(rest) % 2:
        raise InvalidInput(
            f"MGRS {compact!r} has an odd number of digits ({len(rest)}): easting and "
            "northing need the same number"
        )
    precision = len(rest) // 2
    if precision > MAX_PRECISION:
        raise InvalidInput(
            f"MGRS {compact!r} has {precision} digits per axis, more than {MAX_PRECISION}"
        )
    if not precision:
        return 0, 0, 0
    return int(rest[:precision]), int(rest[precision:]), precision


def _utm_square(
    zone: int, band_letter: str, column_letter: str, row_letter: str
) -> tuple[int, int, str]:
    band = _UTM_BANDS.find(band_letter)
    if band < 0:
        if band_letter in _UPS_BANDS:
            raise InvalidInput(
                f"MGRS band {band_letter!r} is a polar (UPS) band and takes no zone number"
            )
        raise InvalidInput(
            f"MGRS band {band_letter!r} does not exist: UTM bands are C to X without I and O"
        )
    columns = _UTM_COLUMNS[(zone - 1) % 3]
    column = columns.find(column_letter)
    if column < 0:
        raise InvalidInput(
            f"MGRS 100 km column letter {column_letter!r} does not exist in zone {zone} "
            f"(only {columns[0]} to {columns[-1]})"
        )
    row_index = _UTM_ROWS.find(row_letter)
    if row_index < 0:
        raise InvalidInput(
            f"MGRS 100 km row letter {row_letter!r} does not exist: rows are A to V without I and O"
        )
    if (zone - 1) % 2:
        row_index = (row_index + _ROW_PERIOD - _EVEN_ROW_SHIFT) % _ROW_PERIOD
    band -= 10
    row = _utm_row(band, column, row_index)
    if row == 100:
        raise InvalidInput(
            f"MGRS 100 km square {column_letter}{row_letter} does not exist in grid zone "
            f"{zone:02d}{band_letter}"
        )
    north = band >= 0
    return column + 1, row if north else row + 100, "N" if north else "S"


def _ups_square(band_letter: str, column_letter: str, row_letter: str) -> tuple[int, int, str]:
    band = _UPS_BANDS.find(band_letter)
    if band < 0:
        if band_letter in _UTM_BANDS:
            raise InvalidInput(
                f"MGRS band {band_letter!r} needs a zone number (1 to 60) before it; "
                "only the polar bands A, B, Y and Z have none"
            )
        raise InvalidInput(f"MGRS band {band_letter!r} does not exist")
    north = band >= 2
    east = bool(band & 1)
    columns = _UPS_COLUMNS[band]
    column = columns.find(column_letter)
    if column < 0:
        raise InvalidInput(
            f"MGRS 100 km column letter {column_letter!r} does not exist in polar band "
            f"{band_letter} (only {', '.join(columns)})"
        )
    rows = _UPS_ROWS[int(north)]
    row = rows.find(row_letter)
    if row < 0:
        raise InvalidInput(
            f"MGRS 100 km row letter {row_letter!r} does not exist in polar band "
            f"{band_letter} (only {rows[0]} to {rows[-1]} without I and O)"
        )
    column += _UPS_EASTING if east else MIN_EASTING[int(north)]
    row += MIN_NORTHING[int(north)]
    return column, row, "N" if north else "S"


def mgrs_to_latlon(text: str) -> LatLon:
    """The centre of the square an MGRS reference names, e.g. ``37SBA1234567890``."""
    point, _ = mgrs_to_grid(text)
    return utm_to_latlon(*point)
