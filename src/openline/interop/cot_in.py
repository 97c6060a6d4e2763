"""Cursor-on-Target (CoT) in: the position reports (PLI) TAK devices send, read as the
members of a track report for the track use case (docs/tak.md#position-reports-in).

What comes from a TAK server is read as hostile: at most ``MAX_EVENT_BYTES``, no DOCTYPE, no
entity expanded, nothing fetched; every value is checked and what cannot be taken raises
``BadCot`` naming why. Pure: ``line/tak.py`` reads the bytes and drops, logs and counts.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from lxml import etree

from openline.domain.phrasebook import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from openline.interop.cot import UID_PREFIX, UNKNOWN

MAX_EVENT_BYTES = 64 * 1024  # one CoT event read; a PLI is well under 2 KiB
_TRACK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class BadCot(ValueError):
    """An event read from the TAK server that cannot be taken; the message says why."""


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


def position_report(data: bytes) -> dict[str, Any] | None:
    """A TAK device's position report (PLI: a friendly unit, ``a-f-*``) as a track report's
    members (``domain/tracks.py``), ready for the track use case; None for any other event
    (chat, drawings, pings, Openline's own events echoed back). Raises ``BadCot`` naming why
    for what cannot be taken: too large, not XML, a DOCTYPE, no point, a value out of range."""
    if len(data) > MAX_EVENT_BYTES:
        raise BadCot(f"{len(data)} bytes, over the {MAX_EVENT_BYTES} an event may have")
    try:
        root = etree.fromstring(data.strip(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise BadCot(f"not XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise BadCot("a DOCTYPE: CoT events have none")
    if root.tag != "event":
        raise BadCot(f"the root element is {str(root.tag)[:40]!r}, not event")
    cot_type, uid = root.get("type", ""), root.get("uid", "")
    if not cot_type.startswith("a-f-") or uid.startswith(UID_PREFIX):
        return None
    point = root.find("point")
    if point is None:
        raise BadCot(f"{uid[:64]!r}: no point")
    lat = _number(point, "lat", -90.0, 90.0)
    lon = _number(point, "lon", -180.0, 180.0)
    hae = point.get("hae", UNKNOWN)
    alt = 0.0 if hae.strip() == UNKNOWN else _number(point, "hae", MIN_ALTITUDE_M, MAX_ALTITUDE_M)
    track = root.find("detail/track")
    speed = _optional(track, "speed", 0.0, 2000.0)
    course = _optional(track, "course", 0.0, 360.0)
    return {
        "track_id": uid if _TRACK_ID.match(uid) else _hashed_id(uid),
        "time": root.get("time", ""),
        "lat": lat,
        "lon": lon,
        "alt_m": alt,
        "speed_mps": speed,
        "heading_deg": course % 360.0,
        "kind": _kind_of(cot_type),
    }


def _number(element: etree._Element, name: str, low: float, high: float) -> float:
    text = element.get(name)
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        raise BadCot(f"{name} {text[:40]!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadCot(f"{name} {text!s:.40} is outside {low:g} to {high:g}")
    return value


def _optional(element: etree._Element | None, name: str, low: float, high: float) -> float:
    """A track's speed or course: not known (absent, or negative as ATAK writes it) is 0."""
    if element is None or element.get(name) is None:
        return 0.0
    try:
        if float(element.get(name, "")) < 0:
            return 0.0
    except ValueError:
        pass  # _number names it
    return _number(element, name, low, high)


def _kind_of(cot_type: str) -> str:
    """air, uav, ground or sea from a friendly unit's type (``a-f-A-M-F-Q`` is a UAV)."""
    parts = cot_type.split("-")
    dimension = parts[2] if len(parts) > 2 else "G"
    if dimension == "A":
        return "uav" if "Q" in parts[3:] else "air"
    return "sea" if dimension in ("S", "U") else "ground"


def _hashed_id(uid: str) -> str:
    """A track id for a uid Openline's ids cannot hold (too long, other characters)."""
    return "tak-" + hashlib.sha256(uid.encode()).hexdigest()[:24]
