"""Track reports and proximity warnings: what they hold, how they are checked, how they are keyed.

A track report is one asset's position and motion at a time, reported by its own party:
``{track_id, time, lat, lon, alt_m, speed_mps, heading_deg, kind}``. The party is never in the
report: it is the node that takes it from its operators, or the peer whose envelope carries it.
Reports are checked here, the same way for the API and for a peer's ``track`` envelope, and
every error names the report (by its place in the list) and the field.

A warning is keyed from what it is about (two tracks, or a track and a notification), never
from when or where it was found, so both nodes that hold the same tracks give it the same key
(:func:`approach_key`, :func:`entry_key`); its record is built from the reports alone (the
look-ahead starts at the reports' time, not at the node's clock), so the same reports give the
same figures on every node. docs/proximity.md explains the rules.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.phrasebook import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from openline.domain.timeutil import format_utc, parse_utc

KINDS = ("air", "uav", "ground", "sea")
MEMBERS = ("track_id", "time", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "kind")
MAX_REPORTS = 1000  # in one request or one envelope
MAX_SPEED_MPS = 2000.0  # about Mach 6: anything faster is a typo, not an aircraft
_TRACK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_RANGES = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "alt_m": (MIN_ALTITUDE_M, MAX_ALTITUDE_M),
    "speed_mps": (0.0, MAX_SPEED_MPS),
    "heading_deg": (0.0, 360.0),
}

TrackRef = tuple[str, str]  # (party, track_id): a track's name on every node


@dataclass(frozen=True)
class TrackReport:
    """One report of one track, checked; ``time`` in the canonical UTC form (milliseconds)."""

    party: str
    track_id: str
    time: str
    lat: float
    lon: float
    alt_m: float
    speed_mps: float
    heading_deg: float
    kind: str

    @property
    def ref(self) -> TrackRef:
        return self.party, self.track_id

    @cached_property
    def instant(self) -> datetime:
        return parse_utc(self.time)

    @cached_property
    def time_s(self) -> float:
        """The report's time in seconds of the Unix epoch, for the proximity engine."""
        return self.instant.timestamp()

    def record(self) -> dict[str, Any]:
        """The report as it crosses the line (the party is the envelope's sender)."""
        return {member: getattr(self, member) for member in MEMBERS}

    def public(self) -> dict[str, Any]:
        return {"party": self.party, **self.record()}


def parse_reports(
    value: object,
    *,
    party: str,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> list[TrackReport]:
    """The reports of ``party`` in ``value`` (a JSON list), checked; of several reports of one
    track, only the latest is kept (the later in the list when their times are equal).

    ``not_before`` and ``not_after``, when given, bound each report's time (an operator's report
    older than a track is kept, or from the future of the node's clock, is refused)."""
    if not isinstance(value, list):
        raise InvalidInput(f"track reports are a JSON list, got {type(value).__name__}")
    if not 1 <= len(value) <= MAX_REPORTS:
        raise InvalidInput(
            f"{len(value)} track reports: send from 1 to {MAX_REPORTS} at a time",
        )
    latest: dict[str, TrackReport] = {}
    for index, item in enumerate(value):
        report = parse_report(item, party=party, where=f"[{index}]")
        _check_time(report, f"[{index}].time", not_before, not_after)
        held = latest.get(report.track_id)
        if held is None or held.time <= report.time:  # canonical times sort as text
            latest[report.track_id] = report
    return list(latest.values())


def _check_time(
    report: TrackReport, where: str, not_before: datetime | None, not_after: datetime | None
) -> None:
    if not_before is not None and report.instant < not_before:
        raise InvalidInput(
            f"{where}: {report.time} is before {format_utc(not_before)}, older than a track is "
            "kept (track_stale_after)",
            field=where,
        )
    if not_after is not None and report.instant > not_after:
        raise InvalidInput(
            f"{where}: {report.time} is after {format_utc(not_after)}, ahead of this node's "
            "clock by more than a report may be",
            field=where,
        )


def parse_report(item: object, *, party: str, where: str) -> TrackReport:
    if not isinstance(item, dict):
        raise InvalidInput(
            f"{where}: a track report is a JSON object, got {type(item).__name__}", field=where
        )
    missing = [m for m in MEMBERS if m not in item]
    if missing:
        raise InvalidInput(f"{where}.{missing[0]}: missing", field=f"{where}.{missing[0]}")
    unknown = sorted(set(item) - set(MEMBERS))
    if unknown:
        name = str(unknown[0])[:40]
        raise InvalidInput(
            f"{where}.{name}: not a member of a track report ({', '.join(MEMBERS)})",
            field=f"{where}.{name}",
        )
    track_id = item["track_id"]
    if not isinstance(track_id, str) or not _TRACK_ID.match(track_id):
        raise InvalidInput(
            f"{where}.track_id: {track_id!r:.80} is not 1 to 64 of A-Z a-z 0-9 . _ : -",
            field=f"{where}.track_id",
        )
    if not isinstance(item["time"], str):
        raise InvalidInput(f"{where}.time: not a time", field=f"{where}.time")
    instant = parse_utc(item["time"], field=f"{where}.time")
    numbers = {
        name: _number(item[name], f"{where}.{name}", *limits) for name, limits in _RANGES.items()
    }
    if numbers["heading_deg"] == 360.0:
        numbers["heading_deg"] = 0.0  # north, either way
    kind = item["kind"]
    if kind not in KINDS:
        raise InvalidInput(
            f"{where}.kind: {kind!r:.40} is not one of {', '.join(KINDS)}", field=f"{where}.kind"
        )
    return TrackReport(
        party=party, track_id=track_id, time=format_utc(instant), kind=kind, **numbers
    )


def _number(value: object, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{where}: {value!r:.40} is not a number", field=where)
    if not low <= value <= high:
        raise InvalidInput(f"{where}: {value:g} is outside {low:g} to {high:g}", field=where)
    return float(value)


# --- warnings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProximityRules:
    """When tracks warn: the look-ahead window and the minima between tracks."""

    lookahead_s: float
    lateral_m: float
    vertical_m: float

    def record(self) -> dict[str, float]:
        return {
            "lateral_m": self.lateral_m,
            "vertical_m": self.vertical_m,
            "lookahead_s": self.lookahead_s,
        }


APPROACH = "approach"  # two tracks of different parties predicted too close
PROTECTED_SITE = "protected-site"  # a track inside (or predicted inside) a protected site
VOLUME = "volume"  # a track inside (or predicted inside) another party's notified volume


def _key(*parts: str) -> str:
    return "prx-" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def approach_key(a: TrackRef, b: TrackRef) -> str:
    """The same key on every node for the approach of two tracks, in either order."""
    low, high = sorted(f"{party}/{track}" for party, track in (a, b))
    return _key(APPROACH, low, high)


def entry_key(track: TrackRef, notification_id: str) -> str:
    """The same key on every node for a track entering one notification's volumes."""
    return _key("entry", f"{track[0]}/{track[1]}", notification_id)


def _side(report: TrackReport) -> dict[str, Any]:
    return {"party": report.party, "track_id": report.track_id, "time": report.time}


def approach_record(
    a: TrackReport,
    b: TrackReport,
    *,
    cpa_at: datetime,
    lateral_m: float,
    vertical_m: float,
    rules: ProximityRules,
) -> dict[str, Any]:
    """What both nodes hold for the approach of ``a`` and ``b``: ``a`` is the track whose name
    sorts first; distances to the decimetre, so that rounding noise never tells nodes apart."""
    if (a.party, a.track_id) > (b.party, b.track_id):
        a, b = b, a
    return {
        "key": approach_key(a.ref, b.ref),
        "rule": APPROACH,
        "a": _side(a),
        "b": _side(b),
        "cpa_time": format_utc(cpa_at),
        "lateral_m": round(lateral_m, 1),
        "vertical_m": round(vertical_m, 1),
        "minima": rules.record(),
    }


def entry_record(
    report: TrackReport,
    notification: Mapping[str, Any],
    *,
    volume: int,
    entry_at: datetime,
    rules: ProximityRules,
) -> dict[str, Any]:
    """What both nodes hold for a track in (or predicted in) a notification's volume.

    ``notification``: its ``id``, ``owner`` and ``kind``."""
    rule = PROTECTED_SITE if notification["kind"] == "protected-site" else VOLUME
    return {
        "key": entry_key(report.ref, notification["id"]),
        "rule": rule,
        "track": _side(report),
        "notification": {
            "id": notification["id"],
            "owner": notification["owner"],
            "kind": notification["kind"],
            "volume": volume,
        },
        "entry_time": format_utc(entry_at),
        "inside": entry_at <= report.instant,  # already inside at the report's time
        "minima": {"lookahead_s": rules.lookahead_s},
    }


def cleared_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the clearing of a warning records: its key and what it was about, without the
    figures of the moment (the same on both nodes, whatever reports each saw last)."""

    def track(side: Mapping[str, Any]) -> dict[str, Any]:
        return {"party": side["party"], "track_id": side["track_id"]}

    if record["rule"] == APPROACH:
        return {
            "key": record["key"],
            "rule": APPROACH,
            "a": track(record["a"]),
            "b": track(record["b"]),
        }
    return {
        "key": record["key"],
        "rule": record["rule"],
        "track": track(record["track"]),
        "notification": record["notification"]["id"],
    }
