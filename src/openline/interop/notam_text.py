"""The areas a NOTAM's E) text describes: coordinate chains (polygons) and circles.

NOTAMs write a position as ``095200N1104200E`` (latitude DDMM[SS[.s]] then hemisphere, longitude
DDDMM[SS[.s]] then hemisphere, with or without a space between them) or hemisphere first,
``N095200E1104200``. Positions joined only by separators (``-``, spaces, commas, ``TO``) form a
chain; a chain of three or more distinct positions is a polygon (closed here when the text does
not repeat the first position). A single position with a radius around it (``RADIUS 5NM CENTRED
ON ...``, ``CIRCLE RADIUS 2KM CENTRE ...``, ``WI 3NM OF ...``, ``... RADIUS 5NM``) is a circle. A
lone position with no radius (an obstacle, a crane) is not an area.
"""

from __future__ import annotations

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
_SEPARATOR = re.compile(r"[\s\-\u2013,]*(?:TO\b)?[\s\-\u2013,]*")  # \u2013: en dash
_RADIUS = r"(?P<r>\d+(?:\.\d+)?)\s?(?P<unit>NM|KM|M|FT)\b"
_RADIUS_BEFORE = re.compile(rf"\b(?:RADIUS|RAD|CIRCLE|WI|WITHIN)\W+(?:OF\s+)?{_RADIUS}")
_RADIUS_FIRST = re.compile(rf"\b{_RADIUS}\s+RADIUS")
_RADIUS_AFTER = re.compile(rf"^[\s,:;(]*(?:WITH\s+)?(?:A\s+)?(?:RADIUS|RAD)\W*(?:OF\s+)?{_RADIUS}")


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


Area = PolygonArea | CircleArea


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
    """Every polygon and circle the text describes, in the order written."""
    matches = list(POSITION.finditer(text.upper()))
    found: list[Area] = []
    for chain, before, after in _chains(text.upper(), matches):
        points = [position(m) for m in chain]
        distinct = list(dict.fromkeys(points))
        if len(distinct) >= 3:
            ring = points if points[0] == points[-1] else [*points, points[0]]
            found.append(PolygonArea(tuple(ring)))
        elif len(distinct) == 1:
            radius = _radius(before, after)
            if radius is not None:
                lon, lat = distinct[0]
                found.append(CircleArea(lat=lat, lon=lon, radius_m=radius))
    return found


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
