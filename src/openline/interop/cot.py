"""Cursor-on-Target (CoT) out: the events a TAK map shows, built from Openline's own types
(docs/tak.md); ``cot_in.py`` reads the position reports TAK devices send.

Pure: no socket here. ``line/tak.py`` streams what this module builds through pytak. Every
event is XML, TAK protocol version 0, valid against the CoT base event schema
(``tests/data/cot/Event.xsd``): fixed-point decimals, UTC times.

What each Openline thing becomes, and why, is in docs/tak.md:

- a notification's volume: a drawn shape (``u-d-f`` polygon or corridor outline, ``u-d-c-c``
  circle), valid from the volume's start to its end (``start``, ``stale``);
- a conflict: a ``b-a-g`` alert (ATAK's "Geo-fence Breached": two notified volumes too close);
- a proximity warning: a ``b-a-o-pan`` alert (ATAK's "Ring The Bell": live assets need a look);
- a track: a unit, friendly (``a-f-*``) when it is this party's, neutral (``a-n-*``) a peer's;
- a withdrawal: ``t-x-d-d`` (delete) for shapes and units, ``b-a-o-can`` for alerts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from openline.domain.conflicts import StoredConflict
from openline.domain.notifications import Kind, Notification
from openline.domain.timeutil import format_utc, parse_utc
from openline.domain.tracks import Approach, OpenWarning, TrackReport
from openline.domain.volumes import Circle, Corridor, MultiPolygon, Polygon, Volume4D
from openline.geo.geodesy import forward, inverse

UID_PREFIX = "openline."  # every event Openline sends; never read back as a position report
UNKNOWN = "9999999.0"  # CoT's "not known" for hae, ce and le
CONFLICT_ALERT = "b-a-g"
WARNING_ALERT = "b-a-o-pan"
CANCEL_ALERT = "b-a-o-can"
DELETE = "t-x-d-d"
POLYGON = "u-d-f"
CIRCLE = "u-d-c-c"
PING = "t-x-c-t"
ALERTS = (CONFLICT_ALERT, WARNING_ALERT)
# The second letter of a unit's type after its affiliation: air, ground, sea (surface), and
# a UAV (MIL-STD-2525's A-M-F-Q: military fixed-wing drone).
_UNIT_TYPES = {"air": "A", "uav": "A-M-F-Q", "ground": "G", "sea": "S"}
# ATAK colours are signed 32-bit ARGB. Own shapes blue, peers' orange, protected sites green.
_STROKE = {"own": 0xFF1E64FF, "peer": 0xFFFF8C00, "protected": 0xFF00B050}
_FILL_ALPHA = 0x40000000
CAP_POINTS = 8  # a corridor's rounded end drawn with this many segments


@dataclass(frozen=True)
class Event:
    """One CoT event to send: its uid and type (a withdrawal names both), and its XML."""

    uid: str
    type: str
    xml: bytes
    stale: datetime


def _decimal(value: float, places: int) -> str:
    """Fixed point, as the schema's xs:decimal wants (never ``1e-05``)."""
    text = f"{value:.{places}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _argb(value: int) -> str:
    return str(value - (1 << 32) if value >= 1 << 31 else value)


def _event(
    uid: str, cot_type: str, *, time: datetime, start: datetime, stale: datetime, how: str
) -> etree._Element:
    return etree.Element(
        "event",
        version="2.0",
        uid=uid,
        type=cot_type,
        time=format_utc(time),
        start=format_utc(start),
        stale=format_utc(stale),
        how=how,
    )


def _point(event: etree._Element, lat: float, lon: float, hae: float | None = None) -> None:
    etree.SubElement(
        event,
        "point",
        lat=_decimal(lat, 7),
        lon=_decimal(lon, 7),
        hae=UNKNOWN if hae is None else _decimal(hae, 1),
        ce=UNKNOWN,
        le=UNKNOWN,
    )


def _detail(event: etree._Element, callsign: str, remarks: str) -> etree._Element:
    detail = etree.SubElement(event, "detail")
    etree.SubElement(detail, "contact", callsign=callsign)
    etree.SubElement(detail, "remarks").text = remarks
    return detail


def _done(uid: str, cot_type: str, event: etree._Element) -> Event:
    xml = etree.tostring(event, xml_declaration=True, encoding="UTF-8")
    return Event(uid, cot_type, xml, parse_utc(event.get("stale", "")))


# --- notifications -------------------------------------------------------------------------------


def shape_uid(notification_id: str, volume: int, part: int | None = None) -> str:
    """The same uid for a volume's shape in every revision: a revision replaces it on the map."""
    suffix = "" if part is None else f".p{part}"
    return f"{UID_PREFIX}{notification_id}.v{volume}{suffix}"


def notification_shapes(notification: Notification, *, own: bool) -> list[Event]:
    """A shape per volume (per polygon of a multipolygon), each valid over its volume's window.

    A polygon's holes are not drawn (ATAK's drawn shapes have none); its remarks say so."""
    events = []
    for index, volume in enumerate(notification.volumes):
        footprint = volume.footprint
        if isinstance(footprint, MultiPolygon):
            for part, polygon in enumerate(footprint.polygons):
                uid = shape_uid(notification.id, index, part)
                events.append(_shape(uid, notification, index, volume, polygon, own=own))
        else:
            uid = shape_uid(notification.id, index)
            events.append(_shape(uid, notification, index, volume, footprint, own=own))
    return events


def _shape(
    uid: str, notification: Notification, index: int, volume: Volume4D, footprint: Any, *, own: bool
) -> Event:
    ring = _outline(footprint)
    cot_type = CIRCLE if isinstance(footprint, Circle) else POLYGON
    event = _event(
        uid,
        cot_type,
        time=notification.updated_at,
        start=volume.time_start,
        stale=volume.time_end,
        how="h-e",
    )
    if isinstance(footprint, Circle):
        _point(event, footprint.lat, footprint.lon, volume.altitude_lower_m)
    else:
        lat, lon = _centre(ring)
        _point(event, lat, lon, volume.altitude_lower_m)
    detail = _detail(event, notification.title, _shape_remarks(notification, volume, footprint))
    if isinstance(footprint, Circle):
        shape = etree.SubElement(detail, "shape")
        radius = _decimal(footprint.radius_m, 1)
        etree.SubElement(shape, "ellipse", major=radius, minor=radius, angle="360")
    else:
        for lon, lat in ring:
            etree.SubElement(detail, "link", point=f"{_decimal(lat, 7)},{_decimal(lon, 7)}")
    colour = _colour(notification, own=own)
    etree.SubElement(detail, "strokeColor", value=_argb(colour))
    etree.SubElement(detail, "strokeWeight", value="3.0")
    etree.SubElement(detail, "fillColor", value=_argb(colour & 0x00FFFFFF | _FILL_ALPHA))
    etree.SubElement(detail, "labels_on", value="true")
    openline = etree.SubElement(
        detail,
        "openline",
        notification=notification.id,
        version=str(notification.version),
        volume=str(index),
        kind=notification.kind.value,
        owner=notification.owner,
        status=notification.status.value,
        altitude_lower_m=_decimal(volume.altitude_lower_m, 1),
        altitude_upper_m=_decimal(volume.altitude_upper_m, 1),
        time_start=format_utc(volume.time_start),
        time_end=format_utc(volume.time_end),
    )
    if isinstance(footprint, Corridor):
        openline.set("half_width_m", _decimal(footprint.half_width_m, 1))
    return _done(uid, cot_type, event)


def _outline(footprint: Any) -> tuple[tuple[float, float], ...]:
    """The (lon, lat) ring drawn for a polygon (its exterior) or a corridor; nothing for a
    circle (drawn as an ellipse)."""
    if isinstance(footprint, Polygon):
        return footprint.rings[0]
    if isinstance(footprint, Corridor):
        return corridor_outline(footprint)
    return ()


def corridor_outline(corridor: Corridor) -> tuple[tuple[float, float], ...]:
    """A corridor's outline to draw: its path offset by the half width on either side
    (mitred at each turn, no further out than four half widths), with rounded ends; for the
    map only, the engine measures the corridor itself (geo/shapes.py)."""
    lons = [lon for lon, _ in corridor.path]
    lats = [lat for _, lat in corridor.path]
    leaving, back, _ = inverse(lons[:-1], lats[:-1], lons[1:], lats[1:])
    arriving = [(az + 180.0) % 360.0 for az in back]
    headings, reach = [float(leaving[0])], [corridor.half_width_m]
    for into, out in zip(arriving[:-1], leaving[1:], strict=True):
        turn = (float(out) - into + 180.0) % 360.0 - 180.0
        headings.append(into + turn / 2)
        mitre = corridor.half_width_m / max(math.cos(math.radians(turn / 2)), 0.25)
        reach.append(mitre)
    headings.append(arriving[-1])
    reach.append(corridor.half_width_m)
    left = _offsets(lons, lats, [h - 90.0 for h in headings], reach)
    right = _offsets(lons, lats, [h + 90.0 for h in headings], reach)
    steps = [180.0 * k / CAP_POINTS for k in range(1, CAP_POINTS)]
    end = _offsets(
        [lons[-1]] * len(steps),
        [lats[-1]] * len(steps),
        [headings[-1] - 90.0 + step for step in steps],
        [corridor.half_width_m] * len(steps),
    )
    start = _offsets(
        [lons[0]] * len(steps),
        [lats[0]] * len(steps),
        [headings[0] + 90.0 + step for step in steps],
        [corridor.half_width_m] * len(steps),
    )
    return (*left, *end, *reversed(right), *start, left[0])


def _offsets(
    lons: list[float], lats: list[float], azimuths: list[float], distances: list[float]
) -> list[tuple[float, float]]:
    lon, lat, _ = forward(lons, lats, azimuths, distances)
    return [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]


def _centre(ring: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    """The mean of the ring's vertices (the closing one once), longitudes taken around the
    first vertex so a ring across the antimeridian is centred on it."""
    points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    first = points[0][0]
    lons = [first + (lon - first + 180.0) % 360.0 - 180.0 for lon, _ in points]
    lon = sum(lons) / len(lons)
    return sum(lat for _, lat in points) / len(points), (lon + 180.0) % 360.0 - 180.0


def _colour(notification: Notification, *, own: bool) -> int:
    if notification.kind is Kind.PROTECTED_SITE:
        return _STROKE["protected"]
    return _STROKE["own" if own else "peer"]


def _shape_remarks(notification: Notification, volume: Volume4D, footprint: Any) -> str:
    if isinstance(footprint, Corridor):
        what = f", {footprint.half_width_m:g} m either side of its path"
    elif isinstance(footprint, Polygon) and len(footprint.rings) > 1:
        what = " (holes not drawn)"
    else:
        what = ""
    return (
        f"{notification.kind.value} of {notification.owner}, {notification.status.value}: "
        f"{format_utc(volume.time_start)} to {format_utc(volume.time_end)}, "
        f"{volume.altitude_lower_m:g} m to {volume.altitude_upper_m:g} m (WGS84){what}"
    )


# --- conflicts and proximity warnings ------------------------------------------------------------


def alert_uid(key: str) -> str:
    """A conflict's or a warning's uid: its key, the same on both nodes."""
    return UID_PREFIX + key


def conflict_alert(stored: StoredConflict, first: Notification) -> Event:
    """A conflict as an alert where its first notification's first clashing volume lies,
    from when the conflict was opened or last changed until its time window's end (when the
    windows do not overlap, which minima in time allow: until that volume's end)."""
    volume = first.volumes[stored.conflict.clashes[0].volumes[0]]
    footprint = volume.footprint
    if isinstance(footprint, Circle):
        at = (footprint.lat, footprint.lon)
    elif isinstance(footprint, MultiPolygon):
        at = _centre(footprint.polygons[0].rings[0])
    else:
        at = _centre(_outline(footprint))
    window = stored.conflict.time_window
    time = parse_utc(stored.updated_at)
    stale = window.end if window else volume.time_end
    conflict = stored.conflict
    uid = alert_uid(conflict.key)
    event = _event(uid, CONFLICT_ALERT, time=time, start=time, stale=stale, how="m-p")
    _point(event, *at)
    a, b = conflict.a, conflict.b
    title = f"Openline conflict {a.owner} {a.kind} / {b.owner} {b.kind}"
    when = f", {format_utc(window.start)} to {format_utc(window.end)}" if window else ""
    remarks = (
        f"{conflict.rule.value}: {a.notification} ({a.owner}) and {b.notification} ({b.owner}) "
        f"{conflict.distance_m:g} m apart{when}"
    )
    detail = _detail(event, title, remarks)
    etree.SubElement(detail, "emergency", type="Geo-fence Breached").text = title
    etree.SubElement(
        detail,
        "openline",
        conflict=conflict.key,
        rule=conflict.rule.value,
        a=a.notification,
        b=b.notification,
        distance_m=_decimal(conflict.distance_m, 3),
    )
    return _done(uid, CONFLICT_ALERT, event)


def warning_alert(held: OpenWarning, *, at: TrackReport, stale_after_s: float) -> Event:
    """A proximity warning as an alert at its track (``a``'s for an approach), timed by the
    newest report it was found from and stale when that report's track would be."""
    warning = held.warning
    uid = alert_uid(warning.key)
    if isinstance(warning, Approach):
        time = max(warning.a.time, warning.b.time)
        about = f"{warning.a.party} {warning.a.track_id} and {warning.b.party} {warning.b.track_id}"
        figures = (
            f"closest at {format_utc(warning.cpa_time)}: {warning.lateral_m:g} m apart, "
            f"{warning.vertical_m:g} m vertically"
        )
    else:
        time = warning.track.time
        about = f"{warning.track.party} {warning.track.track_id}"
        where = "inside" if warning.inside else f"entering at {format_utc(warning.entry_time)}"
        figures = f"{where} {warning.notification.kind} {warning.notification.id}"
    stale = time + timedelta(seconds=stale_after_s)
    event = _event(uid, WARNING_ALERT, time=time, start=time, stale=stale, how="m-p")
    _point(event, at.lat, at.lon, at.alt_m)
    title = f"Openline {warning.rule} warning: {about}"
    detail = _detail(event, title, figures)
    etree.SubElement(detail, "emergency", type="Ring The Bell").text = title
    etree.SubElement(detail, "openline", warning=warning.key, rule=warning.rule)
    return _done(uid, WARNING_ALERT, event)


# --- tracks --------------------------------------------------------------------------------------


def track_uid(party: str, track_id: str) -> str:
    return f"{UID_PREFIX}track.{party}.{track_id}"


def track_unit(report: TrackReport, *, own: bool, stale_after_s: float) -> Event:
    """A track as a unit: friendly when this party's, neutral a peer's; timed by its report,
    stale when the node forgets it (``track_stale_after``)."""
    affiliation = "f" if own else "n"
    cot_type = f"a-{affiliation}-{_UNIT_TYPES[report.kind]}"
    uid = track_uid(report.party, report.track_id)
    stale = report.time + timedelta(seconds=stale_after_s)
    event = _event(uid, cot_type, time=report.time, start=report.time, stale=stale, how="m-g")
    _point(event, report.lat, report.lon, report.alt_m)
    detail = _detail(event, f"{report.party} {report.track_id}", f"{report.kind} of {report.party}")
    etree.SubElement(
        detail,
        "track",
        course=_decimal(report.heading_deg, 1),
        speed=_decimal(report.speed_mps, 2),
    )
    return _done(uid, cot_type, event)


# --- withdrawals ---------------------------------------------------------------------------------


def withdrawal(uid: str, cot_type: str, *, now: datetime) -> Event:
    """What takes ``uid`` off the map: an alert cancelled (``b-a-o-can``), anything else
    deleted (``t-x-d-d``, naming it in a link)."""
    stale = now + timedelta(minutes=1)
    if cot_type in ALERTS:
        event = _event(uid, CANCEL_ALERT, time=now, start=now, stale=stale, how="m-p")
        _point(event, 0.0, 0.0)
        detail = etree.SubElement(event, "detail")
        etree.SubElement(detail, "emergency", cancel="true").text = "Openline"
        return _done(uid, CANCEL_ALERT, event)
    event = _event(f"{uid}.delete", DELETE, time=now, start=now, stale=stale, how="m-g")
    _point(event, 0.0, 0.0)
    detail = etree.SubElement(event, "detail")
    etree.SubElement(detail, "link", uid=uid, relation="none", type=cot_type)
    etree.SubElement(detail, "__forcedelete")
    return _done(uid, DELETE, event)


def ping(*, now: datetime) -> Event:
    """A TAK ping (``t-x-c-t``), which TAK servers take and drop: what ``openline tak test``
    sends to show the connection carries events."""
    uid = UID_PREFIX + "ping"
    event = _event(uid, PING, time=now, start=now, stale=now + timedelta(seconds=20), how="m-g")
    _point(event, 0.0, 0.0)
    return _done(uid, PING, event)
