"""Track reports and proximity warnings: what they hold, how they are checked, how they are keyed.

A track report is one asset's position and motion at a time, reported by its own party:
``{track_id, time, lat, lon, alt_m, speed_mps, heading_deg, kind}``. The party is never in the
report: it is the node that takes it from its operators, or the peer whose envelope carries it.
Reports are checked here, the same way for the API and for a peer's ``track`` envelope, and
every error names the report (by its place in the list) and the field.

A warning is keyed from what it is about (two tracks, or a track and a notification), never
from when or where it was found, so both nodes that hold the same tracks give it the same key
(:func:`approach_key`, :func:`entry_key`); it is built from the reports alone (the look-ahead
starts at the reports' time, not at the node's clock), so the same reports give the same
figures on every node. docs/proximity.md explains the rules.

One type per concept, from the engine to the API: a ``TrackReport``, a warning (an
``Approach`` or an ``Entry``; ``OpenWarning`` when held open by a node); each one's
``to_json()`` is what is journaled, sealed for peers and answered.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

from openline.domain.errors import InvalidInput
from openline.domain.phrasebook import MAX_ALTITUDE_M, MIN_ALTITUDE_M
from openline.domain.timeutil import format_utc, parse_utc

KINDS = ("air", "uav", "ground", "sea")
MEMBERS = ("track_id", "time", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "kind")
MAX_REPORTS = 1000  # in one request or one envelope
KEYS_REMEMBERED = 1 << 18  # approach keys kept, about 40 MB at most
MAX_SPEED_MPS = 2000.0  # about Mach 6: anything faster is a typo, not an aircraft
_TRACK_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_RANGES = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "alt_m": (MIN_ALTITUDE_M, MAX_ALTITUDE_M),
    "speed_mps": (0.0, MAX_SPEED_MPS),
    "heading_deg": (0.0, 360.0),
}


class TrackRef(NamedTuple):
    """A track's name on every node; refs sort by party, then track."""

    party: str
    track_id: str


@dataclass(frozen=True, slots=True)
class TrackReport:
    """One report of one track, checked; ``time`` to the millisecond, in UTC."""

    party: str
    track_id: str
    time: datetime
    lat: float
    lon: float
    alt_m: float
    speed_mps: float
    heading_deg: float
    kind: str

    @property
    def ref(self) -> TrackRef:
        return TrackRef(self.party, self.track_id)

    @property
    def time_s(self) -> float:
        """The report's time in seconds of the Unix epoch, for the proximity engine."""
        return self.time.timestamp()

    def to_json(self, *, with_party: bool = True) -> dict[str, Any]:
        """The report as the API lists it; ``with_party=False``: as it crosses the line (the
        party is the envelope's sender) and as operators post it."""
        members = {member: getattr(self, member) for member in MEMBERS}
        members["time"] = format_utc(self.time)
        return {"party": self.party, **members} if with_party else members


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
        if held is None or held.time <= report.time:
            latest[report.track_id] = report
    return list(latest.values())


def _check_time(
    report: TrackReport, where: str, not_before: datetime | None, not_after: datetime | None
) -> None:
    if not_before is not None and report.time < not_before:
        raise InvalidInput(
            f"{where}: {format_utc(report.time)} is before {format_utc(not_before)}, older than "
            "a track is kept (track_stale_after)",
            field=where,
        )
    if not_after is not None and report.time > not_after:
        raise InvalidInput(
            f"{where}: {format_utc(report.time)} is after {format_utc(not_after)}, ahead of this "
            "node's clock by more than a report may be",
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
    # To the millisecond, as Openline writes times: the same report on every node.
    instant = instant.replace(microsecond=instant.microsecond - instant.microsecond % 1000)
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
    return TrackReport(party=party, track_id=track_id, time=instant, kind=kind, **numbers)


def _number(value: object, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{where}: {value!r:.40} is not a number", field=where)
    if not low <= value <= high:
        raise InvalidInput(f"{where}: {value:g} is outside {low:g} to {high:g}", field=where)
    return float(value)


# --- warnings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProximityRules:
    """When tracks warn: the look-ahead window and the minima between tracks."""

    lookahead_s: float
    lateral_m: float
    vertical_m: float

    def to_json(self) -> dict[str, float]:
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


@functools.lru_cache(maxsize=KEYS_REMEMBERED)
def approach_key(a: TrackRef, b: TrackRef) -> str:
    """The same key on every node for the approach of two tracks, in either order (remembered:
    a busy sky asks for the same pairs' keys at every interval)."""
    low, high = sorted(f"{ref.party}/{ref.track_id}" for ref in (a, b))
    return _key(APPROACH, low, high)


def entry_key(track: TrackRef, notification_id: str) -> str:
    """The same key on every node for a track entering one notification's volumes."""
    return _key("entry", f"{track.party}/{track.track_id}", notification_id)


@dataclass(frozen=True, slots=True)
class WarnedTrack:
    """What a warning says of one of its tracks: which, and the time of the report used."""

    party: str
    track_id: str
    time: datetime

    @classmethod
    def of(cls, report: TrackReport) -> WarnedTrack:
        return cls(report.party, report.track_id, report.time)

    @property
    def ref(self) -> TrackRef:
        return TrackRef(self.party, self.track_id)

    def to_json(self) -> dict[str, str]:
        return {"party": self.party, "track_id": self.track_id, "time": format_utc(self.time)}

    def named(self) -> dict[str, str]:
        """The track alone, without the time of its report."""
        return {"party": self.party, "track_id": self.track_id}


@dataclass(frozen=True, slots=True)
class Approach:
    """Two tracks of different parties predicted within both minima: ``a`` is the track whose
    name sorts first (:meth:`of`); distances to the decimetre, so that rounding noise never
    tells nodes apart."""

    a: WarnedTrack
    b: WarnedTrack
    cpa_time: datetime
    lateral_m: float
    vertical_m: float
    rules: ProximityRules

    rule: ClassVar[str] = APPROACH

    @classmethod
    def of(
        cls,
        a: WarnedTrack,
        b: WarnedTrack,
        *,
        cpa_at: datetime,
        lateral_m: float,
        vertical_m: float,
        rules: ProximityRules,
    ) -> Approach:
        """What both nodes hold for the approach of the tracks of ``a`` and ``b``."""
        if (a.party, a.track_id) > (b.party, b.track_id):
            a, b = b, a
        return cls(
            a,
            b,
            cpa_time=cpa_at,
            lateral_m=round(lateral_m, 1),
            vertical_m=round(vertical_m, 1),
            rules=rules,
        )

    @property
    def key(self) -> str:
        return approach_key(self.a.ref, self.b.ref)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rule": self.rule,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "cpa_time": format_utc(self.cpa_time),
            "lateral_m": self.lateral_m,
            "vertical_m": self.vertical_m,
            "minima": self.rules.to_json(),
        }

    def cleared(self) -> dict[str, Any]:
        """What the clearing of the warning records: its key and what it was about, without
        the figures of the moment (the same on both nodes, whatever reports each saw last)."""
        return {"key": self.key, "rule": self.rule, "a": self.a.named(), "b": self.b.named()}


@dataclass(frozen=True, slots=True)
class NotifiedVolume:
    """A volume as warnings name it: its notification (id, owner, kind) and its place among the
    notification's volumes."""

    id: str
    owner: str
    kind: str
    volume: int

    def to_json(self) -> dict[str, str | int]:
        return {"id": self.id, "owner": self.owner, "kind": self.kind, "volume": self.volume}


@dataclass(frozen=True, slots=True)
class Entry:
    """A track in (or predicted in) a protected site, or a volume of another party's
    notification; ``inside``: already at the report's time."""

    track: WarnedTrack
    notification: NotifiedVolume
    entry_time: datetime
    lookahead_s: float

    @classmethod
    def of(
        cls,
        report: TrackReport,
        notification: NotifiedVolume,
        *,
        entry_at: datetime,
        rules: ProximityRules,
    ) -> Entry:
        """What both nodes hold for ``report`` in (or predicted in) this volume."""
        return cls(WarnedTrack.of(report), notification, entry_at, rules.lookahead_s)

    @property
    def key(self) -> str:
        return entry_key(self.track.ref, self.notification.id)

    @property
    def rule(self) -> str:
        return PROTECTED_SITE if self.notification.kind == "protected-site" else VOLUME

    @property
    def inside(self) -> bool:
        return self.entry_time <= self.track.time

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rule": self.rule,
            "track": self.track.to_json(),
            "notification": self.notification.to_json(),
            "entry_time": format_utc(self.entry_time),
            "inside": self.inside,
            "minima": {"lookahead_s": self.lookahead_s},
        }

    def cleared(self) -> dict[str, Any]:
        """What the clearing of the warning records (see :meth:`Approach.cleared`)."""
        return {
            "key": self.key,
            "rule": self.rule,
            "track": self.track.named(),
            "notification": self.notification.id,
        }


ProximityWarning = Approach | Entry


@dataclass(frozen=True, slots=True)
class OpenWarning:
    """A warning open on this node: its latest figures, and when this node opened it."""

    warning: ProximityWarning
    opened_at: datetime

    @property
    def key(self) -> str:
        return self.warning.key

    def to_json(self) -> dict[str, Any]:
        """As the API lists it: the members every warning has (key, rule, minima), when this
        node opened it, then the members of its rule."""
        members = self.warning.to_json()
        common = {name: members.pop(name) for name in ("key", "rule", "minima")}
        return {**common, "opened_at": format_utc(self.opened_at), **members}
