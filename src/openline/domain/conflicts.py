"""What a conflict is, from the engine to the API: one type per thing, each with its JSON.

The geometry engine (``openline.geo``) measures two volumes, each a ``Side``, as a
``VolumeClash`` when they are closer than the minima of their rule
(``openline.domain.separation``); :func:`gather` turns the clashes of two notifications into a
``DetectedConflict``: what both nodes record, store, journal and answer, the same on both and
under the same key (:func:`conflict_key`). A node holds it as a ``StoredConflict``, with whether
it is open or cleared and this node's own times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from openline.domain.notifications import Kind
from openline.domain.separation import Minima, Rule
from openline.domain.timeutil import format_utc, parse_utc


@dataclass(frozen=True, slots=True)
class Side:
    """One volume of one notification, as the engine measures it."""

    notification_id: str
    owner: str
    kind: Kind
    volume: int  # the volume's index in its notification
    time_start: datetime
    time_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float


@dataclass(frozen=True, slots=True)
class VolumeClash:
    """Two volumes, one of each notification, closer than the minima in every dimension."""

    a: Side
    b: Side
    distance_m: float


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """From ``start`` to ``end``, both included: a volume's time window, or where two overlap."""

    start: datetime
    end: datetime

    def to_json(self) -> dict[str, str]:
        return {"start": format_utc(self.start), "end": format_utc(self.end)}

    @classmethod
    def from_json(cls, value: Mapping[str, str]) -> TimeWindow:
        return cls(parse_utc(value["start"]), parse_utc(value["end"]))


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """From ``lower_m`` to ``upper_m``, both included: a volume's band, or where two overlap."""

    lower_m: float
    upper_m: float

    def to_json(self) -> dict[str, float]:
        return {"lower_m": self.lower_m, "upper_m": self.upper_m}

    @classmethod
    def from_json(cls, value: Mapping[str, float]) -> AltitudeBand:
        return cls(value["lower_m"], value["upper_m"])


@dataclass(frozen=True, slots=True)
class Clash:
    """What a conflict records of two clashing volumes: their indices (``a``'s, then ``b``'s),
    the least distance between their footprints (to the millimetre), and where their time
    windows and altitude bands overlap, or how far apart they are when they do not."""

    volumes: tuple[int, int]
    distance_m: float
    time_overlap: TimeWindow | None
    time_gap_s: float
    altitude_overlap: AltitudeBand | None
    altitude_gap_m: float

    @classmethod
    def of(cls, clash: VolumeClash) -> Clash:
        a, b = clash.a, clash.b
        start, end = max(a.time_start, b.time_start), min(a.time_end, b.time_end)
        lower = max(a.altitude_lower_m, b.altitude_lower_m)
        upper = min(a.altitude_upper_m, b.altitude_upper_m)
        return cls(
            volumes=(a.volume, b.volume),
            distance_m=round(clash.distance_m, 3),
            time_overlap=TimeWindow(start, end) if start <= end else None,
            time_gap_s=max(0.0, (start - end).total_seconds()),
            altitude_overlap=AltitudeBand(lower, upper) if lower <= upper else None,
            altitude_gap_m=max(0.0, lower - upper),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "volumes": list(self.volumes),
            "distance_m": self.distance_m,
            "time_overlap": _json_or_none(self.time_overlap),
            "time_gap_s": self.time_gap_s,
            "altitude_overlap": _json_or_none(self.altitude_overlap),
            "altitude_gap_m": self.altitude_gap_m,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Clash:
        a, b = value["volumes"]
        window, band = value["time_overlap"], value["altitude_overlap"]
        return cls(
            volumes=(a, b),
            distance_m=value["distance_m"],
            time_overlap=None if window is None else TimeWindow.from_json(window),
            time_gap_s=value["time_gap_s"],
            altitude_overlap=None if band is None else AltitudeBand.from_json(band),
            altitude_gap_m=value["altitude_gap_m"],
        )


def _json_or_none(value: TimeWindow | AltitudeBand | None) -> dict[str, Any] | None:
    return None if value is None else value.to_json()


@dataclass(frozen=True, slots=True)
class ConflictingNotification:
    """One of the two notifications of a conflict, as the conflict names it."""

    notification: str  # its id
    owner: str
    kind: Kind

    @classmethod
    def of(cls, side: Side) -> ConflictingNotification:
        return cls(side.notification_id, side.owner, side.kind)

    def to_json(self) -> dict[str, str]:
        return {"notification": self.notification, "owner": self.owner, "kind": self.kind.value}

    @classmethod
    def from_json(cls, value: Mapping[str, str]) -> ConflictingNotification:
        return cls(value["notification"], value["owner"], Kind(value["kind"]))


# The members of a conflict's record: the same on every node that holds both notifications
# (what a node adds, its state and its own times, is not among them).
RECORD_MEMBERS = (
    "key",
    "rule",
    "a",
    "b",
    "minima",
    "distance_m",
    "time_window",
    "altitude_band",
    "clashes",
)


def conflict_key(a_id: str, b_id: str) -> str:
    """The same key on every node for the conflict between two notifications."""
    low, high = sorted((a_id, b_id))
    return "cfl-" + hashlib.sha256(f"{low}\n{high}".encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class DetectedConflict:
    """The conflict between two notifications: every pair of their volumes that clashes.

    ``a`` is the notification whose id sorts first, so both nodes hold the same conflict
    (:func:`gather`); :meth:`to_json` is what both store, journal and answer.
    """

    key: str
    rule: Rule
    a: ConflictingNotification
    b: ConflictingNotification
    minima: Minima
    clashes: tuple[Clash, ...]

    @property
    def distance_m(self) -> float:
        return min(c.distance_m for c in self.clashes)

    @property
    def time_window(self) -> TimeWindow | None:
        """From the earliest start to the latest end of the clashes' time overlaps."""
        overlaps = [c.time_overlap for c in self.clashes if c.time_overlap]
        if not overlaps:
            return None
        return TimeWindow(min(o.start for o in overlaps), max(o.end for o in overlaps))

    @property
    def altitude_band(self) -> AltitudeBand | None:
        """From the lowest to the highest of the clashes' altitude overlaps."""
        bands = [c.altitude_overlap for c in self.clashes if c.altitude_overlap]
        if not bands:
            return None
        return AltitudeBand(min(b.lower_m for b in bands), max(b.upper_m for b in bands))

    def to_json(self) -> dict[str, Any]:
        """What both nodes hold and journal for this conflict (``RECORD_MEMBERS``, in order)."""
        return {
            "key": self.key,
            "rule": self.rule.value,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "minima": self.minima.to_json(),
            "distance_m": self.distance_m,
            "time_window": _json_or_none(self.time_window),
            "altitude_band": _json_or_none(self.altitude_band),
            "clashes": [c.to_json() for c in self.clashes],
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> DetectedConflict:
        """The conflict from its record (as :meth:`to_json` wrote it)."""
        return cls(
            key=value["key"],
            rule=Rule(value["rule"]),
            a=ConflictingNotification.from_json(value["a"]),
            b=ConflictingNotification.from_json(value["b"]),
            minima=Minima(**value["minima"]),
            clashes=tuple(Clash.from_json(c) for c in value["clashes"]),
        )


def gather(rule: Rule, minima: Minima, clashes: Iterable[VolumeClash]) -> DetectedConflict:
    """One conflict from the clashing volume pairs of two notifications, in canonical order:
    the notification whose id sorts first is ``a``; clashes sorted by volume numbers."""
    ordered = [
        VolumeClash(c.b, c.a, c.distance_m) if c.a.notification_id > c.b.notification_id else c
        for c in clashes
    ]
    if not ordered:
        raise ValueError("a conflict needs at least one pair of clashing volumes")
    ordered.sort(key=lambda c: (c.a.volume, c.b.volume))
    a, b = ordered[0].a, ordered[0].b
    return DetectedConflict(
        key=conflict_key(a.notification_id, b.notification_id),
        rule=rule,
        a=ConflictingNotification.of(a),
        b=ConflictingNotification.of(b),
        minima=minima,
        clashes=tuple(Clash.of(c) for c in ordered),
    )


ConflictState = Literal["open", "cleared"]


@dataclass(frozen=True, slots=True)
class StoredConflict:
    """A conflict as a node holds it: the conflict both nodes share, whether it is open (its
    notifications still clash) or cleared, and this node's own times."""

    conflict: DetectedConflict
    state: ConflictState
    opened_at: str
    updated_at: str
    cleared_at: str | None

    @property
    def key(self) -> str:
        return self.conflict.key

    def to_json(self) -> dict[str, Any]:
        """As the API answers it: the record, its state, and this node's times."""
        return {
            **self.conflict.to_json(),
            "state": self.state,
            "opened_at": self.opened_at,
            "updated_at": self.updated_at,
            "cleared_at": self.cleared_at,
        }
