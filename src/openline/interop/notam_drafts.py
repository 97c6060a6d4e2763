"""What a NOTAM read (``openline.interop.notam``) asks of a node: its volumes and notifications.

Each area of E) (or else the Q-line's circle) is one footprint, with the limits its own numbered
paragraph gives or else F) and G) (or the Q-line's levels), over each window of D) within B)-C).
An edge or a corridor's leg longer than a volume may have is divided along its geodesic and the
NOTAM's record carries a warning saying so: never silently. ``action`` gives the drafts, checked
by the API's own rules, with the NOTAM's number keyed by its office as their reference.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import MAX_TITLE_CHARS, Kind
from openline.domain.polygons import great_circle_m
from openline.domain.timeutil import format_utc
from openline.domain.volumes import Limits, corridor
from openline.geo.geodesy import WGS84
from openline.interop.notam import FL_M, PERM_HORIZON, UNL_M, Notam, NotamError
from openline.interop.notam_schedule import ScheduleError, expand
from openline.interop.notam_text import (
    FT_M,
    NM_M,
    Area,
    AreaTextError,
    CircleArea,
    CorridorArea,
    PolygonArea,
    areas,
)
from openline.interop.plans import Action, NotificationBody, bodies, within_duration

_LIMIT = re.compile(
    r"^(?:(?P<sfc>SFC|GND)|(?P<unl>UNL)|FL\s?(?P<fl>\d{1,3})"
    r"|(?P<n>\d+(?:\.\d+)?)\s?(?P<unit>FT|M)\s*(?P<ref>AMSL|MSL|AGL|SFC|GND)?)$"
)
Point = tuple[float, float]  # (lon, lat) degrees


# --- limits and windows ------------------------------------------------------------------


def limit_m(text: str, item: str, notam: Notam | None = None) -> float:
    """An F) or G) limit in metres (read in the NOTAM's own words); AGL heights are taken above
    the ellipsoid (see docs)."""
    icao = notam.words.limit(text) if notam else text
    match = _LIMIT.match(" ".join(icao.upper().split()))
    if match is None:
        raise NotamError(
            f"{item} {text!r:.60} is not a limit (SFC, GND, UNL, FL100, 5000FT AMSL, 1500M AMSL, "
            "500FT AGL)",
            field=item,
        )
    if match.group("sfc"):
        return 0.0
    if match.group("unl"):
        return UNL_M
    if match.group("fl"):
        return int(match.group("fl")) * FL_M
    return float(match.group("n")) * (FT_M if match.group("unit") == "FT" else 1.0)


def altitudes(notam: Notam, area: Area | None = None) -> tuple[float, float]:
    """The lower and upper limits in metres: the area's own, else F)/G), else the Q-line's
    flight levels."""
    q, label = notam.q, notam.words.label
    if area is not None and area.lower is not None and area.upper is not None:
        lower = limit_m(area.lower, label("E"))
        upper = limit_m(area.upper, label("E"))
        if upper < lower:
            raise NotamError(f"{label('E')} {area.upper} is below {area.lower}", field=label("E"))
        return lower, upper
    lower = (
        limit_m(notam.lower, label("F"), notam)
        if notam.lower
        else (q.lower_fl * FL_M if q and q.lower_fl is not None else 0.0)
    )
    upper = (
        limit_m(notam.upper, label("G"), notam)
        if notam.upper
        else (q.upper_fl * FL_M if q and q.upper_fl is not None else UNL_M)
    )
    if upper < lower:
        raise NotamError(
            f"{label('G')} {notam.upper or upper} is below {label('F')} {notam.lower or lower}",
            field=label("G"),
        )
    return lower, upper


def end_of(notam: Notam) -> datetime:
    return notam.end if notam.end is not None else notam.start + PERM_HORIZON


def windows(notam: Notam, limits: Limits | None = None) -> list[tuple[datetime, datetime]]:
    """The UTC windows of D) within B)-C), or B)-C) itself; any longer than the volume limit is
    cut into consecutive pieces."""
    end = end_of(notam)
    if notam.schedule:
        item = notam.words.label("D")
        try:
            found = expand(notam.words.schedule(notam.schedule), notam.start, end)
        except ScheduleError as error:
            raise NotamError(f"{item} {error}", field=item) from None
    else:
        found = [(notam.start, end)]
    return within_duration(found, limits or Limits())


# --- areas -------------------------------------------------------------------------------


@dataclass
class Footprints:
    """The footprints of a NOTAM, each with its area (for its own limits), and the warnings of
    reading them."""

    found: list[tuple[dict[str, Any], Area | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def footprints(notam: Notam, limits: Limits | None = None) -> list[dict[str, Any]]:
    """The areas of E) as volume footprints, or else the Q-line's circle."""
    return [footprint for footprint, _ in read_areas(notam, limits).found]


def read_areas(notam: Notam, limits: Limits | None = None) -> Footprints:
    """The areas of E) as volume footprints with their areas, or else the Q-line's circle, and
    the warnings of reading them."""
    limits = limits or Limits()
    item = notam.words.label("E")
    try:
        found = areas(notam.area_text)
    except AreaTextError as error:
        raise NotamError(f"{item} {error}", field=item) from None
    out = Footprints()
    for area in found:
        out.found += [(f, area) for f in _footprints(area.shape, limits, item, out.warnings)]
    if out.found:
        return out
    q = notam.q
    if q is None or q.lat is None or q.lon is None or not q.radius_nm:
        raise NotamError(
            f"{item} describes no area and the Q-line gives no position and radius", field=item
        )
    radius = q.radius_nm * NM_M
    if radius > limits.max_radius_m:
        raise NotamError(
            f"{item} describes no area, and the Q-line's circle of {q.radius_nm} NM "
            f"({radius / 1000:.0f} km{', the whole FIR' if q.radius_nm == 999 else ''}) is over "
            f"the largest circle a volume may hold ({limits.max_radius_m / 1000:g} km)",
            field=notam.words.label("Q"),
        )
    out.found.append(({"circle": {"lat": q.lat, "lon": q.lon, "radius_m": radius}}, None))
    return out


def _footprints(
    shape: PolygonArea | CircleArea | CorridorArea, limits: Limits, item: str, warnings: list[str]
) -> list[dict[str, Any]]:
    if isinstance(shape, CircleArea):
        if shape.radius_m > limits.max_radius_m:
            raise NotamError(
                f"{item} a circle of {shape.radius_m / 1000:g} km radius is over the largest a "
                f"volume may hold ({limits.max_radius_m / 1000:g} km)",
                field=item,
            )
        return [{"circle": {"lat": shape.lat, "lon": shape.lon, "radius_m": shape.radius_m}}]
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


# --- drafts and actions ------------------------------------------------------------------

_KIND_WORDS: Sequence[tuple[Kind, re.Pattern[str]]] = (
    (Kind.LAUNCH, re.compile(r"\b(?:LAUNCH(?:ES|ING)?|ROCKET LAUNCH|SPACE LAUNCH|RE-?ENTRY)\b")),
    (Kind.FIRING, re.compile(r"\b(?:FIRING|GUNFIRE|MISSILE|LIVE FIRE|ARTILLERY)\b")),
    (Kind.EXERCISE, re.compile(r"\b(?:EXERCISE|EXER|MIL EX)\b")),
)
# Q-code subjects (ICAO Doc 8126): WM missile, gun or rocket firing; WE exercises; RD danger,
# RP prohibited, RR restricted, RT temporary restricted area; RM military operating area.
# Any other W (navigation warning: an activity dangerous to flight) is a danger area too.
_KIND_SUBJECTS = {
    "WM": Kind.FIRING,
    "WE": Kind.EXERCISE,
    "RD": Kind.DANGER_AREA,
    "RP": Kind.DANGER_AREA,
    "RR": Kind.DANGER_AREA,
    "RT": Kind.DANGER_AREA,
    "RM": Kind.DANGER_AREA,
}


def kind_of(notam: Notam) -> Kind:
    """The notification kind: from the E) text's words first, then the Q-code's subject."""
    for kind, words in _KIND_WORDS:
        if words.search(notam.area_text):
            return kind
    subject = notam.q.subject if notam.q else None
    if subject in _KIND_SUBJECTS:
        return _KIND_SUBJECTS[subject]
    return Kind.DANGER_AREA if subject and subject[0] == "W" else Kind.ZONE


def title_of(notam: Notam) -> str:
    """The NOTAM's number and its E) text as written (Russian stays Russian), on one line."""
    first_line = " ".join(notam.text.split())
    name = f"{notam.id} " if notam.id else ""
    return (name + first_line)[:MAX_TITLE_CHARS]


@dataclass(frozen=True)
class Drafts:
    bodies: list[NotificationBody]
    warnings: list[str]


def drafts(notam: Notam, *, limits: Limits | None = None) -> list[NotificationBody]:
    """The bodies of POST /api/v1/notifications, checked by the same rules the API applies:
    one, or several when the NOTAM has more volumes (areas x windows) than one notification may
    hold (``max_volumes``), each titled "(part i/n)"."""
    return drafts_and_warnings(notam, limits=limits).bodies


def drafts_and_warnings(notam: Notam, *, limits: Limits | None = None) -> Drafts:
    """``drafts``, and the warnings of reading the NOTAM's areas."""
    limits = limits or Limits()
    found = read_areas(notam, limits)
    times = windows(notam, limits)
    volumes = []
    for footprint, area in found.found:
        lower, upper = altitudes(notam, area)
        volumes += [
            {
                **footprint,
                "altitude_lower_m": lower,
                "altitude_upper_m": upper,
                "time_start": format_utc(begin),
                "time_end": format_utc(stop),
            }
            for begin, stop in times
        ]
    try:
        made = bodies(
            kind=kind_of(notam).value,
            title=title_of(notam),
            volumes=volumes,
            reference=None,
            limits=limits,
        )
    except InvalidInput as error:
        raise NotamError(error.message, field=error.field) from None
    return Drafts(made, found.warnings)


@dataclass(frozen=True)
class NotamAction:
    """What one NOTAM asks of a node: create its drafts (NOTAMN), replace what ``replaces``
    names with them (NOTAMR), or cancel it (NOTAMC, no drafts). ``notam_id`` and ``replaces``
    are keyed by the issuing office (``LCCC A1234/26``): a number is unique only within it."""

    action: Action
    notam_id: str | None
    replaces: str | None
    drafts: list[NotificationBody]
    warnings: list[str] = field(default_factory=list)


_ACTIONS = {"NOTAMN": Action.CREATE, "NOTAMR": Action.REPLACE, "NOTAMC": Action.CANCEL}


def action(notam: Notam, *, limits: Limits | None = None) -> NotamAction:
    """What the NOTAM asks of a node, its drafts checked by the API's rules."""
    name = _ACTIONS[notam.type]
    made = Drafts([], []) if name is Action.CANCEL else drafts_and_warnings(notam, limits=limits)
    return NotamAction(
        action=name,
        notam_id=notam.key(notam.id),
        replaces=notam.key(notam.ref),
        drafts=made.bodies,
        warnings=made.warnings,
    )
