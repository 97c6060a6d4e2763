"""Coordinates as operators write them: decimal degrees, DMS, MGRS and UTM/UPS, on WGS84.

``parse_coordinate`` reads any of the spellings in docs/coordinates.md into one ``LatLon``;
``format_dd``, ``format_dms`` and ``format_mgrs`` write one back. Every bad input raises
``InvalidInput`` naming the value and the rule it broke. The grid maths lives in ``utm.py``
and ``mgrs.py``; this module reads and writes text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openline.domain.errors import InvalidInput
from openline.geo import mgrs
from openline.geo.mgrs import format_mgrs, grid_to_mgrs, mgrs_to_grid, mgrs_to_latlon
from openline.geo.utm import (
    UPS,
    GridPoint,
    LatLon,
    check_latlon,
    fix_hemisphere,
    latlon_to_utm,
    utm_to_latlon,
)

__all__ = [
    "FORMATS",
    "GridPoint",
    "LatLon",
    "Position",
    "check_format",
    "convert",
    "format_dd",
    "format_dms",
    "format_grid",
    "format_mgrs",
    "format_position",
    "format_utm",
    "grid_to_mgrs",
    "latlon_to_utm",
    "mgrs_to_grid",
    "mgrs_to_latlon",
    "parse_coordinate",
    "parse_position",
    "utm_to_latlon",
]

FORMATS = ("dd", "dms", "mgrs")
# Output precision per format: decimals of a degree, decimals of a second, digits per axis.
PRECISION_LIMITS = {"dd": (6, 15), "dms": (0, 9), "mgrs": (mgrs.MIN_PRECISION, mgrs.MAX_PRECISION)}
DEFAULT_PRECISION = {"dd": 6, "dms": 1, "mgrs": 5}
EXAMPLES = "e.g. 36.2 37.15, 36°12'N 37°09'E or 37SBA1234567890"

# Characters written for the same mark (ordinal, ring, prime, quotes, acute, double prime),
# mapped one to one so that positions in the text stay put.
_SAME_MARK = str.maketrans(
    {
        "\u00ba": "°",
        "\u02da": "°",
        "\u2032": "'",
        "\u2019": "'",
        "\u2018": "'",
        "\u00b4": "'",
        "\u2033": '"',
        "\u201d": '"',
        "\u201c": '"',
    }
)
_MARK_INDEX = {"°": 0, "'": 1, '"': 2}
_COMPONENT = ("degrees", "minute", "second")
_TOKEN = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))|(?P<mark>[°D'\":])|(?P<letter>[NSEW])"
    r"|(?P<comma>,))"
)
_NOT_A_NUMBER = re.compile(r"(?<![A-Z])(NAN|INF(?:INITY)?)(?![A-Z])")
_MGRS_START = re.compile(r"\d*[A-Z]{3}")
_MGRS_SHORT = re.compile(r"\d{1,2}[A-Z]|\d{1,2}[A-Z]{2}\d*")  # a grid zone, a letter short
_GRID_ZONE = re.compile(r"(\d{1,2})?(N|S|NORTH|SOUTH)")
_GRID_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_UPS_MIN_METRES = 100_000  # a bare N or S before two smaller numbers is not UPS


@dataclass(frozen=True, slots=True)
class Position:
    """A parsed location: the point, and the UTM/UPS grid it was given in, if it was."""

    point: LatLon
    grid: GridPoint | None = None


def parse_coordinate(text: str) -> LatLon:
    """The point a coordinate written in any accepted spelling names (docs/coordinates.md).

    Decimal degrees (``36.2 37.15``, ``-33.5, 151.2``, ``36.2N 37.15E``), degrees, minutes and
    seconds (``36°12'N 37°09'E``, ``N36 12.0 E037 09.0``, ``361200N0370900E``,
    ``36:12:00 37:09:00``), MGRS at any precision (the centre of the square) and UTM/UPS as
    GeoConvert writes it (``38n 444140.6 3684706.3``, ``s 2746000 1515000``).
    """
    return parse_position(text).point


def parse_position(text: str) -> Position:
    """Like ``parse_coordinate``, and keeps the grid of an MGRS or UTM/UPS input, so that
    writing it back as MGRS stays in the zone it was given in (as GeoConvert does)."""
    if not isinstance(text, str):
        raise InvalidInput(f"{text!r} is not text")
    shown = text.strip()
    if not shown:
        raise InvalidInput(f"empty coordinate: expected one, {EXAMPLES}")
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in shown)
    upper = upper.translate(_SAME_MARK).replace("''", '" ')
    word = _NOT_A_NUMBER.search(upper)
    if word:
        raise InvalidInput(f"{shown[word.start() : word.end()]!r} is not a number in {shown!r}")
    grid = _read_grid(upper, shown)
    if grid is not None:
        return grid
    compact = "".join(upper.split())
    if _MGRS_START.match(compact) or _MGRS_SHORT.fullmatch(compact):
        point, _ = mgrs_to_grid(compact)
        return Position(utm_to_latlon(*point), point)
    return Position(_read_latlon(upper, shown))


# UTM and UPS: "38n 444140.6 3684706.3", "444140.6 3684706.3 38n", "s 2746000 1515000".


def _read_grid(upper: str, shown: str) -> Position | None:
    items = [item for item in re.split(r"[\s,]+", upper) if item]
    if len(items) != 3:
        return None
    for zone_at, numbers_at in ((0, (1, 2)), (2, (0, 1))):
        zone = _GRID_ZONE.fullmatch(items[zone_at])
        numbers = [items[i] for i in numbers_at]
        if not zone or not all(_GRID_NUMBER.fullmatch(n) for n in numbers):
            continue
        if zone[1] is None and any(abs(float(n)) < _UPS_MIN_METRES for n in numbers):
            return None  # "N 36 12" is not UPS: let the degrees reader say what is wrong
        return _grid_position(zone[1], zone[2][0], float(numbers[0]), float(numbers[1]), shown)
    return None


def _grid_position(
    digits: str | None, hemisphere: str, easting: float, northing: float, shown: str
) -> Position:
    zone = UPS if digits is None else int(digits)
    if digits is not None and not 1 <= zone <= 60:
        hint = " (write just N or S for UPS)" if zone == 0 else ""
        raise InvalidInput(f"UTM zone {zone} is not 1 to 60{hint} in {shown!r}")
    point = utm_to_latlon(zone, hemisphere, easting, northing)
    return Position(
        point, fix_hemisphere(GridPoint(zone, hemisphere, easting, northing), point.lat)
    )


# Degrees: decimal or DMS, one latitude and one longitude, with or without hemisphere letters.


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "letter" or "comma"
    text: str  # the number as written (sign included), or the letter
    start: int
    end: int
    mark: str = ""  # what follows a number: °, ', ", : or nothing


def _read_latlon(upper: str, shown: str) -> LatLon:
    halves = _split_halves(_tokens(upper, shown), shown)
    axes = _axes(halves, shown)
    values = {axis: _read_angle(half, axis, shown) for half, axis in zip(halves, axes, strict=True)}
    return LatLon(values["latitude"], values["longitude"])


def _tokens(upper: str, shown: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(upper):
        match = _TOKEN.match(upper, pos)
        if match is None:
            rest = len(upper[pos:]) - len(upper[pos:].lstrip())
            if pos + rest >= len(upper):
                break
            raise InvalidInput(f"unexpected {shown[pos + rest]!r} in {shown!r}")
        pos = match.end()
        start = match.start(match.lastgroup or 0)
        if match["mark"]:
            last = tokens[-1] if tokens else None
            if last is None or last.kind != "number" or last.mark or last.end != start:
                raise InvalidInput(f"{shown[start]!r} does not follow a number in {shown!r}")
            mark = "°" if match["mark"] == "D" else match["mark"]
            tokens[-1] = _Token("number", last.text, last.start, pos, mark)
        elif match["number"]:
            tokens.append(_Token("number", match["number"], start, pos))
        elif match["letter"]:
            tokens.append(_Token("letter", match["letter"], start, pos))
        else:
            tokens.append(_Token("comma", ",", start, pos))
    return tokens


def _split_halves(tokens: list[_Token], shown: str) -> list[list[_Token]]:
    """The tokens of the two coordinates: split at the comma, at the hemisphere letters, or
    where a new degrees value begins."""
    commas = [i for i, t in enumerate(tokens) if t.kind == "comma"]
    if len(commas) > 1:
        raise InvalidInput(
            f"{len(commas)} commas in {shown!r}: one may separate latitude and longitude "
            "(the decimal point is '.')"
        )
    if commas:
        halves = [tokens[: commas[0]], tokens[commas[0] + 1 :]]
        plain = [all(t.kind == "number" and not t.mark for t in h) for h in halves]
        if all(plain) and halves[1] and len(halves[0]) != len(halves[1]):
            raise InvalidInput(
                f"cannot tell latitude from longitude in {shown!r}: the decimal point is '.'"
            )
        return halves
    letters = [i for i, t in enumerate(tokens) if t.kind == "letter"]
    if letters:
        return _split_at_letters(tokens, letters, shown)
    return _split_numbers(tokens, shown)


def _split_at_letters(tokens: list[_Token], letters: list[int], shown: str) -> list[list[_Token]]:
    if len(letters) == 1:
        raise InvalidInput(
            f"one hemisphere letter in {shown!r}: give one for latitude and one for longitude, "
            "or none, or separate the two with a comma"
        )
    if len(letters) > 2:
        raise InvalidInput(
            f"{len(letters)} hemisphere letters in {shown!r}: one for latitude (N or S) and "
            "one for longitude (E or W) expected"
        )
    first, second = letters
    leading, trailing = tokens[0].kind == "letter", tokens[-1].kind == "letter"
    if leading and not trailing:
        return [tokens[:second], tokens[second:]]
    if trailing and not leading:
        return [tokens[: first + 1], tokens[first + 1 :]]
    raise InvalidInput(
        f"hemisphere letters in {shown!r} must all come before their numbers or all after them"
    )


def _split_numbers(tokens: list[_Token], shown: str) -> list[list[_Token]]:
    if all(not t.mark for t in tokens):
        if len(tokens) in (2, 4, 6):
            middle = len(tokens) // 2
            return [tokens[:middle], tokens[middle:]]
    else:
        # A new coordinate begins at a degrees mark, or after a number that closed one.
        starts = [0] + [
            i
            for i in range(1, len(tokens))
            if tokens[i].mark == "°"
            or (tokens[i - 1].mark in ('"', "") and tokens[i].mark in ("", ":"))
        ]
        if len(starts) == 2:
            return [tokens[: starts[1]], tokens[starts[1] :]]
    raise InvalidInput(
        f"cannot tell where the latitude ends in {shown!r}: separate latitude and longitude "
        "with a comma, or add N/S and E/W"
    )


def _axes(halves: list[list[_Token]], shown: str) -> list[str]:
    letters = []
    for half in halves:
        found = [t for t in half if t.kind == "letter"]
        if len(found) > 1:
            raise InvalidInput(
                f"hemisphere letters twice ({found[0].text} and {found[1].text}) in {shown!r}"
            )
        letters.append(found[0].text if found else "")
    axes = [_axis_of(letter) for letter in letters]
    if axes[0] and axes[0] == axes[1]:
        raise InvalidInput(
            f"hemisphere letters twice: {letters[0]} and {letters[1]} are both "
            f"{axes[0]}s in {shown!r}; one of N/S and one of E/W expected"
        )
    other = {"latitude": "longitude", "longitude": "latitude", "": ""}
    first = axes[0] or other[axes[1]] or "latitude"
    return [first, other[first]]


def _axis_of(letter: str) -> str:
    return {"N": "latitude", "S": "latitude", "E": "longitude", "W": "longitude"}.get(letter, "")


def _read_angle(half: list[_Token], axis: str, shown: str) -> float:
    """One coordinate in degrees, signed, checked against its range."""
    if not half:
        raise InvalidInput(f"no {axis} in {shown!r}: expected a latitude and a longitude")
    text = shown[half[0].start : half[-1].end]
    letter = ""
    if half[0].kind == "letter":
        letter, half = half[0].text, half[1:]
    elif half[-1].kind == "letter":
        letter, half = half[-1].text, half[:-1]
    if not half:
        raise InvalidInput(f"no number with {letter!r} in {shown!r}")
    if any(t.kind != "number" for t in half):
        raise InvalidInput(f"hemisphere letter inside {text!r}: put it before or after")
    parts, negative = _components(half, axis, text)
    if negative and letter:
        raise InvalidInput(f"{text!r} has both a minus sign and a hemisphere letter")
    value = _degrees(parts, text)
    if negative or letter in ("S", "W"):
        value = -value
    limit = 90 if axis == "latitude" else 180
    if not -limit <= value <= limit:
        raise InvalidInput(f"{axis} {value:.10g} is outside -{limit} to {limit}")
    return value


def _components(half: list[_Token], axis: str, text: str) -> tuple[list[str], bool]:
    """Degrees, minutes and seconds as written (unsigned), and whether a minus sign led."""
    if half[-1].mark == ":":
        raise InvalidInput(f"nothing follows ':' in {text!r}")
    if any(t.text[0] in "+-" for t in half[1:]):
        raise InvalidInput(f"only the first number of {text!r} may have a sign")
    negative = half[0].text.startswith("-")
    first = half[0].text.lstrip("+-")
    if len(half) == 1 and not half[0].mark and len(first.split(".")[0]) > 3:
        return _compact(first, axis, text), negative
    indices: list[int] = []
    for token in half:
        default = indices[-1] + 1 if indices else 0
        indices.append(_MARK_INDEX.get(token.mark, default))
    if len(half) > len(_COMPONENT) or max(indices) >= len(_COMPONENT):
        raise InvalidInput(f"{text!r} has more than degrees, minutes and seconds")
    if indices[0] != 0:
        raise InvalidInput(f"{text!r} has no degrees before its minutes or seconds")
    if indices != list(range(len(half))):
        raise InvalidInput(f"{text!r} is not in the order degrees, minutes, seconds")
    return [t.text.lstrip("+-") for t in half], negative


def _compact(digits: str, axis: str, text: str) -> list[str]:
    """DDMM[SS] for a latitude, DDDMM[SS] for a longitude, e.g. 361200N 0370900E."""
    whole, _, fraction = digits.partition(".")
    width = 2 if axis == "latitude" else 3
    if len(whole) not in (width + 2, width + 4):
        form = "DDMM or DDMMSS" if axis == "latitude" else "DDDMM or DDDMMSS"
        raise InvalidInput(f"{text!r} is not a compact {axis}: write {form}")
    parts = [whole[:width], whole[width : width + 2], whole[width + 2 :]]
    parts = [p for p in parts if p]
    if fraction or digits.endswith("."):
        parts[-1] += "." + fraction
    return parts


def _degrees(parts: list[str], text: str) -> float:
    """The angle of degrees, minutes and seconds written as unsigned numbers."""
    if any("." in p for p in parts[:-1]):
        raise InvalidInput(f"only the last number of {text!r} may have a decimal point")
    values = [float(p) for p in parts]
    for name, value, written in zip(_COMPONENT[1:], values[1:], parts[1:], strict=False):
        if value >= 60:
            raise InvalidInput(f"{name} {written} is not below 60 in {text!r}")
    minutes = values[1] if len(values) > 1 else 0.0
    seconds = values[2] if len(values) > 2 else 0.0
    return values[0] + (minutes + seconds / 60) / 60


# Writing coordinates.


def check_format(to: str, precision: int | None = None) -> int:
    """The precision to write format ``to`` (dd, dms or mgrs) with: the default if None,
    else ``precision`` if it is within that format's limits."""
    if to not in FORMATS:
        raise InvalidInput(f"format {to!r} is not one of {', '.join(FORMATS)}")
    if precision is None:
        return DEFAULT_PRECISION[to]
    low, high = PRECISION_LIMITS[to]
    if (
        isinstance(precision, bool)
        or not isinstance(precision, int)
        or not low <= precision <= high
    ):
        what = {"dd": "decimals", "dms": "decimals of a second", "mgrs": "digits per axis"}[to]
        raise InvalidInput(f"precision {precision!r} for {to} is not {low} to {high} {what}")
    return precision


def format_dd(lat: float, lon: float, decimals: int = 6) -> str:
    """``LAT LON`` in decimal degrees, e.g. ``36.200000 37.150000`` (6 to 15 decimals)."""
    check_latlon(lat, lon)
    decimals = check_format("dd", decimals)
    return f"{_fixed(lat, decimals)} {_fixed(lon, decimals)}"


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.000"


def format_dms(lat: float, lon: float, decimals: int = 1) -> str:
    """Degrees, minutes and seconds with hemisphere letters, e.g. ``36°12'00.0"N 037°09'00.0"E``.

    Latitude degrees have 2 digits and longitude degrees 3; minutes and seconds 2 each, the
    seconds with ``decimals`` decimals (0 to 9), rounded to the nearest.
    """
    check_latlon(lat, lon)
    decimals = check_format("dms", decimals)
    return f"{_dms(lat, decimals, 2, 'NS')} {_dms(lon, decimals, 3, 'EW')}"


def _dms(value: float, decimals: int, width: int, letters: str) -> str:
    scale = 10**decimals
    units = round(abs(value) * 3600 * scale)
    degrees, rest = divmod(units, 3600 * scale)
    minutes, rest = divmod(rest, 60 * scale)
    seconds, fraction = divmod(rest, scale)
    letter = letters[1] if value < 0 and units else letters[0]
    decimal = f".{fraction:0{decimals}d}" if decimals else ""
    return f"{degrees:0{width}d}°{minutes:02d}'{seconds:02d}{decimal}\"{letter}"


def format_utm(lat: float, lon: float, decimals: int = 0) -> str:
    """UTM/UPS as GeoConvert writes it, e.g. ``38n 444141 3684706`` or ``n 2000000 1555732``."""
    return format_grid(latlon_to_utm(lat, lon), decimals)


def format_grid(point: GridPoint, decimals: int = 0) -> str:
    """Grid coordinates as GeoConvert writes them: zone and hemisphere, easting, northing."""
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 9:
        raise InvalidInput(f"UTM/UPS decimals {decimals!r} is not 0 to 9")
    zone = f"{point.zone:02d}" if point.zone != UPS else ""
    return (
        f"{zone}{point.hemisphere.lower()} "
        f"{point.easting:.{decimals}f} {point.northing:.{decimals}f}"
    )


def format_position(position: Position, to: str = "dd", precision: int | None = None) -> str:
    """A parsed position written as dd, dms or mgrs. MGRS of an MGRS or UTM/UPS input stays
    in the zone it was given in, when that zone can hold it."""
    precision = check_format(to, precision)
    lat, lon = position.point
    if to == "dd":
        return format_dd(lat, lon, precision)
    if to == "dms":
        return format_dms(lat, lon, precision)
    if position.grid is not None:
        try:
            return grid_to_mgrs(position.grid, lat, precision)
        except InvalidInput:
            pass  # given outside the MGRS limits of its zone: use the standard zone
    return format_mgrs(lat, lon, precision)


def convert(text: str, to: str = "dd", precision: int | None = None) -> str:
    """One coordinate, in any accepted spelling, written as dd, dms or mgrs."""
    check_format(to, precision)
    return format_position(parse_position(text), to, precision)
