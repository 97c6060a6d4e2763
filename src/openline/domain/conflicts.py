"""The deconfliction rules: which pairs of notifications can conflict, with what separation.

A conflict is found between two volumes when their time windows, altitude bands and footprints
are each no further apart than the separation minima for the pair (closed sets: touching
counts). Which pairs are checked, and with which minima, is this module's business; finding them
fast and exactly is the geometry engine's (``openline.geo``). Three rules:

- ``separation``: two operations of different parties;
- ``protected-site``: an operation of any party (its owner's included) near a protected site;
- ``zone``: an operation of one party inside a zone owned by another.

Both nodes apply the same rules to the same notifications, so they find the same conflicts, under
the same key (:func:`conflict_key`). The minima come from the ``separation_minima`` setting
(:func:`separation_rules`); docs/deconfliction.md lists the defaults and why.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.timeutil import format_utc, parse_utc

OPERATIONS = frozenset(
    {
        Kind.AIR_OPERATION,
        Kind.GROUND_OPERATION,
        Kind.ARTILLERY,
        Kind.UAV_OPERATION,
        Kind.EXERCISE,
        Kind.MOVEMENT,
        Kind.DANGER_AREA,
        Kind.FIRING,
        Kind.LAUNCH,
    }
)
# The kinds as the geometry engine numbers them (an index into the minima table).
KIND_CODES: Mapping[Kind, int] = {kind: code for code, kind in enumerate(Kind)}
MAX_LATERAL_M = 1_000_000.0
MAX_VERTICAL_M = 100_000.0
MAX_TIME_S = 30 * 86_400.0


class Rule(StrEnum):
    """Why two notifications conflict."""

    SEPARATION = "separation"
    PROTECTED_SITE = "protected-site"
    ZONE = "zone"


@dataclass(frozen=True, slots=True)
class Minima:
    """How far apart two volumes must stay: laterally, vertically and in time."""

    lateral_m: float
    vertical_m: float
    time_s: float

    def to_json(self) -> dict[str, float]:
        return {"lateral_m": self.lateral_m, "vertical_m": self.vertical_m, "time_s": self.time_s}


ZERO = Minima(0.0, 0.0, 0.0)
NM = 1852.0

# The defaults, for two operations of different parties. A pair not named here takes
# DEFAULT_OPERATIONS. Vertical minima between a kind at the surface and one in the air are
# large on purpose: what falls from an air operation or an artillery shell crosses every
# altitude below it, so an air operation over another party's troops conflicts at any height.
_ANY_HEIGHT = MAX_VERTICAL_M
DEFAULT_OPERATIONS = Minima(2_000.0, 0.0, 900.0)
DEFAULT_MINIMA: Mapping[frozenset[Kind], Minima] = {
    frozenset({Kind.AIR_OPERATION}): Minima(5 * NM, 300.0, 600.0),
    frozenset({Kind.AIR_OPERATION, Kind.UAV_OPERATION}): Minima(3 * NM, 150.0, 600.0),
    frozenset({Kind.UAV_OPERATION}): Minima(1 * NM, 60.0, 300.0),
    frozenset({Kind.ARTILLERY}): Minima(5_000.0, 0.0, 900.0),
    frozenset({Kind.ARTILLERY, Kind.AIR_OPERATION}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.ARTILLERY, Kind.UAV_OPERATION}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.ARTILLERY, Kind.GROUND_OPERATION}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.ARTILLERY, Kind.MOVEMENT}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.ARTILLERY, Kind.EXERCISE}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.AIR_OPERATION, Kind.GROUND_OPERATION}): Minima(2_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.AIR_OPERATION, Kind.MOVEMENT}): Minima(2_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.UAV_OPERATION, Kind.GROUND_OPERATION}): Minima(1_000.0, _ANY_HEIGHT, 600.0),
    frozenset({Kind.UAV_OPERATION, Kind.MOVEMENT}): Minima(1_000.0, _ANY_HEIGHT, 600.0),
    # Firings and launches (from NOTAMs) are kept clear of like artillery: what they fire or
    # launch crosses every altitude; a danger area takes the default for other operations.
    **{
        frozenset({hazard, other}): Minima(5_000.0, 0.0 if other is hazard else _ANY_HEIGHT, 900.0)
        for hazard in (Kind.FIRING, Kind.LAUNCH)
        for other in OPERATIONS - {Kind.ARTILLERY}  # against artillery: the two entries below
    },
    frozenset({Kind.FIRING, Kind.ARTILLERY}): Minima(5_000.0, 0.0, 900.0),
    frozenset({Kind.LAUNCH, Kind.ARTILLERY}): Minima(5_000.0, _ANY_HEIGHT, 900.0),
    frozenset({Kind.PROTECTED_SITE}): Minima(2_000.0, _ANY_HEIGHT, 0.0),
    frozenset({Kind.ZONE}): ZERO,
}


@dataclass(frozen=True)
class SeparationRules:
    """The minima for every pair of kinds, and which rule a pair of notifications falls under."""

    operations: Mapping[frozenset[Kind], Minima]  # two operations of different parties
    protected_site: Mapping[Kind, Minima]  # an operation and a protected site
    zone: Mapping[Kind, Minima]  # an operation and another party's zone

    def rule_for(
        self, kind_a: Kind, owner_a: str, kind_b: Kind, owner_b: str
    ) -> tuple[Rule, Minima] | None:
        """The rule and minima for this pair, or None when the pair never conflicts."""
        a_op, b_op = kind_a in OPERATIONS, kind_b in OPERATIONS
        if a_op and b_op:
            if owner_a == owner_b:
                return None
            return Rule.SEPARATION, self.operations[frozenset({kind_a, kind_b})]
        if a_op != b_op:
            operation, other = (kind_a, kind_b) if a_op else (kind_b, kind_a)
            if other is Kind.PROTECTED_SITE:
                return Rule.PROTECTED_SITE, self.protected_site[operation]
            if other is Kind.ZONE and owner_a != owner_b:
                return Rule.ZONE, self.zone[operation]
        return None

    def largest(self) -> Minima:
        every = [*self.operations.values(), *self.protected_site.values(), *self.zone.values()]
        return Minima(
            max(m.lateral_m for m in every),
            max(m.vertical_m for m in every),
            max(m.time_s for m in every),
        )


def _pair_key(text: str, where: str) -> frozenset[Kind]:
    names = text.split("/")
    kinds = []
    for name in names:
        try:
            kinds.append(Kind(name.strip()))
        except ValueError:
            raise InvalidInput(
                f"{where}: {name.strip()!r} is not a notification kind: one of "
                + ", ".join(k.value for k in Kind),
                field=where,
            ) from None
    if len(kinds) != 2:
        raise InvalidInput(
            f"{where}: name a pair of kinds as KIND/KIND, e.g. air-operation/uav-operation",
            field=where,
        )
    return frozenset(kinds)


def _minima(value: Any, where: str) -> Minima:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise InvalidInput(
            f"{where}: {value!r:.80} is not [lateral_m, vertical_m, time_s]", field=where
        )
    numbers = []
    for name, item, top in zip(
        ("lateral_m", "vertical_m", "time_s"),
        value,
        (MAX_LATERAL_M, MAX_VERTICAL_M, MAX_TIME_S),
        strict=True,
    ):
        if isinstance(item, bool) or not isinstance(item, int | float) or not math.isfinite(item):
            raise InvalidInput(f"{where}: {name} {item!r:.40} is not a number", field=where)
        if not 0 <= item <= top:
            raise InvalidInput(f"{where}: {name} {item:g} is outside 0 to {top:g}", field=where)
        numbers.append(float(item))
    return Minima(*numbers)


def separation_rules(setting: str | Mapping[str, Any]) -> SeparationRules:
    """The rules from the ``separation_minima`` setting.

    ``"default"``: the defaults above; ``"0"``: every minimum zero, so that a conflict is exactly
    a 4D intersection (the ASTM F3548 definition); a mapping ``{"KIND/KIND": [lateral_m,
    vertical_m, time_s]}``: the defaults with those pairs replaced (``protected-site`` and
    ``zone`` pairs included: ``"air-operation/protected-site"``).
    """
    if setting == "0":
        return _rules({}, zero=True)
    if setting == "default":
        return _rules({}, zero=False)
    if not isinstance(setting, Mapping):
        raise InvalidInput(
            f"separation_minima: {setting!r:.80} is not 'default', '0' or a table of "
            "KIND/KIND = [lateral_m, vertical_m, time_s]",
            field="separation_minima",
        )
    chosen = {
        _pair_key(str(name), f"separation_minima.{name}"): _minima(
            value, f"separation_minima.{name}"
        )
        for name, value in setting.items()
    }
    return _rules(chosen, zero=False)


def _rules(chosen: Mapping[frozenset[Kind], Minima], *, zero: bool) -> SeparationRules:
    def pick(pair: frozenset[Kind], fallback: Minima) -> Minima:
        if zero:
            return ZERO
        return chosen.get(pair, DEFAULT_MINIMA.get(pair, fallback))

    operations = {
        frozenset({a, b}): pick(frozenset({a, b}), DEFAULT_OPERATIONS)
        for a in OPERATIONS
        for b in OPERATIONS
    }
    sites = {
        k: pick(
            frozenset({k, Kind.PROTECTED_SITE}), DEFAULT_MINIMA[frozenset({Kind.PROTECTED_SITE})]
        )
        for k in OPERATIONS
    }
    zones = {k: pick(frozenset({k, Kind.ZONE}), ZERO) for k in OPERATIONS}
    return SeparationRules(operations, sites, zones)


# --- what a conflict records ---------------------------------------------------------------
#
# The engine measures two volumes (``Side``) as a ``VolumeClash``; ``gather`` turns the clashes
# of two notifications into a ``DetectedConflict``: what both nodes record, store, journal and
# answer, the same on both. A node holds it as a ``StoredConflict``, with its state and times.


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
    start: datetime
    end: datetime

    def to_json(self) -> dict[str, str]:
        return {"start": format_utc(self.start), "end": format_utc(self.end)}

    @classmethod
    def from_json(cls, value: Mapping[str, str]) -> TimeWindow:
        return cls(parse_utc(value["start"]), parse_utc(value["end"]))


@dataclass(frozen=True, slots=True)
class AltitudeBand:
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
