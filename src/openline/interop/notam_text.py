"""The areas a NOTAM's E) text describes: coordinate chains (polygons), circles and corridors.

NOTAMs write a position as ``095200N1104200E`` (latitude DDMM[SS[.s]] then hemisphere, longitude
DDDMM[SS[.s]] then hemisphere, with or without a space between them) or hemisphere first,
``N095200E1104200``. Positions joined only by separators (``-``, spaces, commas, ``TO``) form a
chain; a chain of three or more distinct positions is a polygon (closed here when the text does
not repeat the first position). A single position with a radius around it (``RADIUS 5NM CENTRED
ON ...``, ``CIRCLE RADIUS 2KM CENTRE ...``, ``WI 3NM OF ...``, ``... RADIUS 5NM``) is a circle. A
lone position with no radius (an obstacle, a crane) is not an area. A chain after a width
(``2KM EITHER SIDE OF LINE ...``, ``CORRIDOR 4KM WIDE ALONG ...``) is a corridor along it.

Positions written with spaces (``12 30 15N 119 40 05E``) or broken by a line break in the middle
(``3510\n00N``) are joined first. A text of numbered areas (``1. ... 2. ...``) gives each area
the limits written in its paragraph (``SFC-1200M AMSL``), if any.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

NM_M = 1852.0
FT_M = 0.3048
HEIGHT_UNITS_M = {"M": 1.0, "FT": FT_M}  # the height units of ED-269, ED-318 and F3548
_UNIT_M = {"NM": NM_M, "KM": 1000.0, "M": 1.0, "FT": FT_M}

_LAT = r"(?P<lat>\d{4}|\d{6}(?:\.\d+)?)\s?(?P<ns>[NS])"
_LON = r"(?P<lon>\d{5}|\d{7}(?:\.\d+)?)\s?(?P<ew>[EW])"
_LAT_FIRST = r"(?P<ns2>[NS])\s?(?P<lat2>\d{4}|\d{6}(?:\.\d+)?)"
_LON_FIRST = r"(?P<ew2>[EW])\s?(?P<lon2>\d{5}|\d{7}(?:\.\d+)?)"
POSITION = re.compile(
    rf"(?<![\w.])(?:{_LAT}[\s,/]*{_LON}|{_LAT_FIRST}[\s,/]*{_LON_FIRST})(?!\w|\.\d)"
)
# \u2013: en dash; a waypoint's name in brackets may stand between two positions: (ASSAD)
_SEPARATOR = re.compile(r"[\s\-\u2013,]*(?:TO\b|\([A-Z0-9 ]{1,20}\))?[\s\-\u2013,]*")
_RADIUS = r"(?P<r>\d+(?:\.\d+)?)\s?(?P<unit>NM|KM|M|FT)\b"
_RADIUS_BEFORE = re.compile(rf"\b(?:RADIUS|RAD|CIRCLE|WI|WITHIN)\W+(?:OF\s+)?{_RADIUS}")
_RADIUS_FIRST = re.compile(rf"\b{_RADIUS}\s+RADIUS")
_EITHER_SIDE = re.compile(
    rf"{_RADIUS}\s+(?:EITHER|EACH|BOTH)\s+SIDES?\s+OF(?:\s+THE)?"
    r"\s+(?:LINE|ROUTE|AXIS|TRACK|CENTRE ?LINE)"
)
_WIDE = (
    re.compile(rf"\bCORRIDOR\s+(?:OF\s+)?{_RADIUS}\s+WIDE"),
    re.compile(rf"\b{_RADIUS}\s+WIDE\s+CORRIDOR"),
)
_RADIUS_AFTER = re.compile(rf"^[\s,:;(]*(?:WITH\s+)?(?:A\s+)?(?:RADIUS|RAD)\W*(?:OF\s+)?{_RADIUS}")


_LIMIT = r"(?:SFC|GND|UNL|FL\s?\d{1,3}|\d+(?:\.\d+)?\s?(?:FT|M)(?:\s?(?:AMSL|MSL|AGL|SFC|GND))?)"
_LIMIT_PAIR = re.compile(rf"(?<![\w.])({_LIMIT})\s*-\s*({_LIMIT})(?!\w)")
_NUMBERED = re.compile(r"(?m)^\s*\d{1,2}[.)]\s+")
# A line break inside a position: between two digits, or between digits and their hemisphere.
# A line that starts a numbered area (``2. ``) is never part of the line before.
_BROKEN = re.compile(r"(\d)[ \t]*\n[ \t]*(?=\d(?!\d?[.)]\s)|[NSEW](?:\d|\b))")
# ``12 30 15N 119 40 05E``, ``44 15 00 S``: degrees, minutes and seconds apart.
_SPACED = re.compile(r"(?<![\d.])(\d{2,3}) (\d{2}) (\d{2}(?:\.\d+)?) ?([NSEW])(?![A-Z])")


_NAMED_POINT = re.compile(
    r"^\s*[-\u2013]\s*(?P<name>(?!TO\b|AND\b)[A-Z][A-Z']{2,11}(?: [A-Z]{2,11})?)\s*"
    r"(?:[-\u2013]|(?P<back>BACK TO (?:THE )?START))"
)


_SPACED_FIRST = re.compile(r"(?<![A-Z])([NSEW]) ?(\d{2,3}) (\d{2}) (\d{2}(?:\.\d+)?)(?![\d.])")


class AreaTextError(ValueError):
    """A position or a chain in the E) text that cannot be read."""


@dataclass(frozen=True)
class PolygonArea:
    """A closed ring of ``(lon, lat)`` in degrees, as GeoJSON writes it."""

    ring: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CircleArea:
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class CorridorArea:
    """Every point within ``half_width_m`` of the geodesic path, ``(lon, lat)`` in degrees."""

    path: tuple[tuple[float, float], ...]
    half_width_m: float


Shape = PolygonArea | CircleArea | CorridorArea


@dataclass(frozen=True)
class Area:
    """A shape, with the limits its own paragraph gives (``None``: the NOTAM's F) and G))."""

    shape: Shape
    lower: str | None = None
    upper: str | None = None


def angle(text: str, degree_digits: int) -> float:
    """``DD[D]MM[SS[.s]]`` to decimal degrees, exactly as far as a float allows.

    The sum is made in decimal arithmetic and rounded once, so that ``095200`` is the float
    nearest to 9 + 52/60 = 9.8666..., not an accumulation of rounding errors.
    """
    degrees = Decimal(text[:degree_digits])
    minutes = Decimal(text[degree_digits : degree_digits + 2])
    seconds = Decimal(text[degree_digits + 2 :] or 0)
    if minutes >= 60 or seconds >= 60:
        raise AreaTextError(f"{text}: minutes and seconds must be below 60")
    value = degrees + minutes / 60 + seconds / 3600
    return float(value)


def position(match: re.Match[str]) -> tuple[float, float]:
    """The ``(lon, lat)`` of a POSITION match."""
    lat_text = match.group("lat") or match.group("lat2")
    lon_text = match.group("lon") or match.group("lon2")
    ns = match.group("ns") or match.group("ns2")
    ew = match.group("ew") or match.group("ew2")
    lat, lon = angle(lat_text, 2), angle(lon_text, 3)
    if lat > 90 or lon > 180:
        raise AreaTextError(f"{match.group(0)}: latitude above 90 or longitude above 180")
    return (-lon if ew == "W" else lon), (-lat if ns == "S" else lat)


def parse_position(text: str) -> tuple[float, float]:
    """``(lon, lat)`` of one position written as NOTAMs write it, or AreaTextError."""
    match = POSITION.fullmatch(text.strip())
    if match is None:
        raise AreaTextError(f"{text!r} is not a position such as 095200N1104200E")
    return position(match)


def areas(text: str) -> list[Area]:
    """Every polygon, circle and corridor the text describes, in the order written."""
    found: list[Area] = []
    for paragraph in _paragraphs(joined(text.upper())):
        limits = _LIMIT_PAIR.search(paragraph)
        lower, upper = (limits.group(1), limits.group(2)) if limits else (None, None)
        found += [Area(shape, lower, upper) for shape in shapes(paragraph)]
    return found


def joined(text: str) -> str:
    """Positions written with spaces, or broken by a line break, joined as NOTAMs write them."""
    text = _BROKEN.sub(lambda m: m.group(0) if _ends_a_position(text, m) else m.group(1), text)
    text = _SPACED_FIRST.sub(lambda m: "".join(m.groups()), text)
    return _SPACED.sub(lambda m: "".join(m.groups()), text)


def _ends_a_position(text: str, brk: re.Match[str]) -> bool:
    """Whether the line broken at ``brk`` already ends with a whole position (the next line then
    starts another one: ``...E0861428\nS252617...``)."""
    before = text[max(0, brk.start() - 40) : brk.start() + 1]
    return any(m.end() == len(before) for m in POSITION.finditer(before))


def _paragraphs(text: str) -> list[str]:
    starts = [m.start() for m in _NUMBERED.finditer(text)]
    if not starts:
        return [text]
    bounds = [0, *starts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if text[a:b].strip()]


def shapes(text: str) -> list[Shape]:
    """The polygons, circles and corridors of one paragraph."""
    matches = list(POSITION.finditer(text))
    _refuse_named_points(text, matches)
    found: list[Shape] = []
    for chain, before, after in _chains(text, matches):
        points = [position(m) for m in chain]
        distinct = list(dict.fromkeys(points))
        width = _half_width(before)
        if width is not None and len(distinct) >= 2:
            found.append(CorridorArea(tuple(points), width))
        elif len(distinct) >= 3:
            ring = points if points[0] == points[-1] else [*points, points[0]]
            found.append(PolygonArea(tuple(ring)))
        elif len(distinct) == 1:
            radius = _radius(before, after)
            if radius is not None:
                lon, lat = distinct[0]
                found.append(CircleArea(lat=lat, lon=lon, radius_m=radius))
    return found


def _refuse_named_points(text: str, matches: list[re.Match[str]]) -> None:
    """A chain with a named point among its positions (``...E-GURIN-N2130...``, ``- SIERA BACK
    TO START``) is an area this reader cannot draw: refused rather than read without them."""
    followers: list[re.Match[str] | None] = [*matches[1:], None][: len(matches)]
    for match, following in zip(matches, followers, strict=True):
        gap = text[match.end() : following.start() if following else len(text)]
        named = _NAMED_POINT.match(gap)
        if named and (following is not None or named.group("back")):
            raise AreaTextError(
                f"{named.group('name').strip()!r} after {match.group(0)!r} is a named point, not "
                "a position: the area it bounds cannot be drawn from the text"
            )


def _half_width(before: str) -> float | None:
    sentence = re.split(r"\.\s", before)[-1]
    either = _EITHER_SIDE.search(sentence)
    if either:
        return float(either.group("r")) * _UNIT_M[either.group("unit")]
    wide = _WIDE[0].search(sentence) or _WIDE[1].search(sentence)
    if wide:
        return float(wide.group("r")) * _UNIT_M[wide.group("unit")] / 2
    return None


def _chains(text: str, matches: list[re.Match[str]]) -> list[tuple[list[re.Match[str]], str, str]]:
    chains: list[list[re.Match[str]]] = []
    for match in matches:
        if chains:
            gap = text[chains[-1][-1].end() : match.start()]
            if _SEPARATOR.fullmatch(gap):
                chains[-1].append(match)
                continue
        chains.append([match])
    out = []
    for i, chain in enumerate(chains):
        start = chains[i - 1][-1].end() if i else 0
        end = chains[i + 1][0].start() if i + 1 < len(chains) else len(text)
        out.append((chain, text[start : chain[0].start()], text[chain[-1].end() : end]))
    return out


def _radius(before: str, after: str) -> float | None:
    sentence = before.rsplit(". ", 1)[-1]
    match = (
        _RADIUS_BEFORE.search(sentence)
        or _RADIUS_FIRST.search(sentence)
        or _RADIUS_AFTER.search(after)
    )
    if match is None:
        return None
    return float(match.group("r")) * _UNIT_M[match.group("unit")]
