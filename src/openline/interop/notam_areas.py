"""The areas of a NOTAM read (``openline.interop.notam``) as volume footprints.

Each area of E) is a footprint (polygon, circle, corridor), or else the Q-line's circle. What a
volume may not hold is made so it may, never silently (each a warning in the import report):
an edge or a corridor's leg longer than a volume's edge may be is divided along its geodesic; a
corridor that comes back over itself is read as corridors end to end; a circle larger than a
volume may hold, up to the node's ``notam_max_circle_km``, becomes polygons, sectors round its
centre, that cover it. Beyond that, a NOTAM is refused naming the item.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.polygons import great_circle_m
from openline.domain.volumes import Limits, corridor
from openline.domain.wgs84 import MEAN_RADIUS_M
from openline.geo.geodesy import WGS84, forward
from openline.interop.notam import UNL_M, Notam, NotamError
from openline.interop.notam_text import (
    NM_M,
    Area,
    AreaTextError,
    CircleArea,
    CorridorArea,
    PolygonArea,
    areas,
)

Point = tuple[float, float]  # (lon, lat) degrees


@dataclass(frozen=True)
class NotamSettings:
    """What the importing node accepts beyond a volume's own limits (its settings
    ``notam_max_circle_km`` and ``notam_unlimited_m``)."""

    max_circle_m: float | None = None  # None: the largest circle a volume may hold
    unlimited_m: float = UNL_M  # the height UNL, and the Q-line's 999, is read as


@dataclass
class Footprints:
    """The footprints of a NOTAM, each with its area (for its own limits), and the warnings of
    reading them."""

    found: list[tuple[dict[str, Any], Area | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def footprints(notam: Notam, limits: Limits | None = None) -> list[dict[str, Any]]:
    """The areas of E) as volume footprints, or else the Q-line's circle."""
    return [footprint for footprint, _ in read_areas(notam, limits).found]


def read_areas(
    notam: Notam, limits: Limits | None = None, settings: NotamSettings | None = None
) -> Footprints:
    """The areas of E) as volume footprints with their areas, or else the Q-line's circle, and
    the warnings of reading them."""
    limits = limits or Limits()
    settings = settings or NotamSettings()
    item = notam.words.label("E")
    try:
        found = areas(notam.area_text)
    except AreaTextError as error:
        raise NotamError(f"{item} {error}", field=item) from None
    out = Footprints()
    for area in found:
        made = _footprints(area.shape, Reading(limits, settings, item, out.warnings))
        out.found += [(f, area) for f in made]
    if out.found:
        return out
    q = notam.q
    if q is None or q.lat is None or q.lon is None or not q.radius_nm:
        raise NotamError(
            f"{item} describes no area and the Q-line gives no position and radius", field=item
        )
    whole = ", the whole FIR" if q.radius_nm == 999 else ""
    km = q.radius_nm * NM_M / 1000
    named = f"{item} describes no area, and the Q-line's circle of {q.radius_nm} NM ({km:.0f} km"
    reading = Reading(limits, settings, notam.words.label("Q"), out.warnings, f"{named}{whole})")
    circle = CircleArea(lat=q.lat, lon=q.lon, radius_m=q.radius_nm * NM_M)
    out.found += [(f, None) for f in _circle(circle, reading)]
    return out


@dataclass(frozen=True)
class Reading:
    """What reading one area needs: the limits, the node's settings, the item to name in an
    error or a warning, where warnings go, and how to name a circle in them."""

    limits: Limits
    settings: NotamSettings
    item: str
    warnings: list[str]
    circle_named: str = ""  # how the circle is named; else by the item and its radius


def _circle(shape: CircleArea, reading: Reading) -> list[dict[str, Any]]:
    limits, settings = reading.limits, reading.settings
    radius = shape.radius_m
    if radius <= limits.max_radius_m:
        return [{"circle": {"lat": shape.lat, "lon": shape.lon, "radius_m": radius}}]
    named = reading.circle_named or f"{reading.item} a circle of {radius / 1000:g} km radius"
    largest = settings.max_circle_m or limits.max_radius_m
    if radius > largest:
        raise NotamError(
            f"{named} is over the largest circle a volume may hold "
            f"({limits.max_radius_m / 1000:g} km)"
            + (
                f" and over notam_max_circle_km ({largest / 1000:g} km)"
                if largest > limits.max_radius_m
                else ""
            ),
            field=reading.item,
        )
    pieces = sectors(shape, limits)
    reading.warnings.append(
        f"{named} is over the {limits.max_radius_m / 1000:g} km a volume's circle may be: read "
        f"as {len(pieces)} "
        "polygons round its centre that cover it"
    )
    return pieces


def sectors(shape: CircleArea, limits: Limits) -> list[dict[str, Any]]:
    """Polygons round the circle's centre, each a sector, that together cover the circle: the
    arc is a polygon circumscribed about it (on the sphere, then 0.1 % wider for the ellipsoid),
    each sector within a volume's largest area and its edges within the longest edge."""
    radius, edge_m = shape.radius_m, limits.max_edge_km * 1000.0
    count = math.ceil(math.pi * radius**2 / (0.8 * limits.max_area_km2 * 1e6))
    per = max(4, math.ceil(2 * math.pi * radius / (0.4 * edge_m) / count))
    corners = count * per
    angle = radius / MEAN_RADIUS_M
    outer = math.atan(math.tan(angle) / math.cos(math.pi / corners)) * MEAN_RADIUS_M * 1.001
    azimuths = [360.0 * i / corners for i in range(corners + 1)]
    lons, lats, _ = forward(
        [shape.lon] * len(azimuths), [shape.lat] * len(azimuths), azimuths, [outer] * len(azimuths)
    )
    arc = [(float(lon), float(lat)) for lon, lat in zip(lons, lats, strict=True)]
    centre = (shape.lon, shape.lat)
    out = []
    for k in range(count):
        ring = [centre, *arc[k * per : (k + 1) * per + 1], centre]
        ring = densified(ring, edge_m * 0.95, "", [])
        out.append({"geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}})
    return out


def _footprints(
    shape: PolygonArea | CircleArea | CorridorArea, reading: Reading
) -> list[dict[str, Any]]:
    if isinstance(shape, CircleArea):
        return _circle(shape, reading)
    limits, item, warnings = reading.limits, reading.item, reading.warnings
    longest = limits.max_edge_km * 1000.0
    if isinstance(shape, CorridorArea):
        path = densified(list(shape.path), longest, f"{item} the corridor's leg", warnings)
        pieces = _apart(path, shape.half_width_m, limits)
        if len(pieces) > 1:
            warnings.append(
                f"{item} the corridor's path from {_where(path[0])} comes back over itself: "
                f"read as {len(pieces)} corridors, one after the other"
            )
        return [
            {"corridor": {"path": [list(p) for p in piece], "half_width_m": shape.half_width_m}}
            for piece in pieces
        ]
    ring = densified(list(shape.ring), longest, f"{item} the edge", warnings)
    return [{"geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}}]


def _apart(path: list[Point], half_width_m: float, limits: Limits) -> list[list[Point]]:
    """The path in pieces none of which touches or crosses itself, as a corridor's path may
    not (a route that comes back over itself is several corridors): each piece goes on while
    the next leg keeps it apart from itself."""
    pieces = [path[:2]]
    for point in path[2:]:
        longer = [*pieces[-1], point]
        if _crosses_itself(longer, half_width_m, limits):
            pieces.append([pieces[-1][-1], point])
        else:
            pieces[-1] = longer
    return pieces


def _crosses_itself(path: list[Point], half_width_m: float, limits: Limits) -> bool:
    value = {"path": [list(p) for p in path], "half_width_m": half_width_m}
    try:
        corridor(value, "corridor", limits)
    except InvalidInput as error:
        return "touches or crosses itself" in error.message
    return False


def densified(points: list[Point], longest_m: float, what: str, warnings: list[str]) -> list[Point]:
    """``points`` with points added along each geodesic longer than ``longest_m``, so that no
    piece is longer; a warning for each such leg."""
    out = [points[0]]
    for a, b in itertools.pairwise(points):
        # measured as the rules measure an edge (on the sphere), divided along the geodesic
        length = great_circle_m(a, b)
        if length > longest_m:
            pieces = math.ceil(length / (longest_m * 0.999))
            inner = WGS84.npts(a[0], a[1], b[0], b[1], pieces - 1)
            out += [(float(lon), float(lat)) for lon, lat in inner]
            warnings.append(
                f"{what} from {_where(a)} to {_where(b)} is {length / 1000:.1f} km long, over "
                f"the {longest_m / 1000:g} km a volume's edge may be: divided along its "
                f"geodesic into {pieces} pieces"
            )
        out.append(b)
    return out


def _where(point: Point) -> str:
    lon, lat = point
    return f"{abs(lat):.4f}{'S' if lat < 0 else 'N'} {abs(lon):.4f}{'W' if lon < 0 else 'E'}"
