"""The deconfliction rules: which pairs of notifications can conflict, with what separation.

A conflict is found between two volumes when their time windows, altitude bands and footprints
are each no further apart than the separation minima for the pair (closed sets: touching
counts). Which pairs are checked, and with which minima, is this module's business; finding them
fast and exactly is the geometry engine's (``openline.geo``). Three rules:

- ``separation``: two operations of different parties;
- ``protected-site``: an operation of any party (its owner's included) near a protected site;
- ``zone``: an operation of one party inside a zone owned by another.

Both nodes apply the same rules to the same notifications, so they find the same conflicts
(``openline.domain.conflicts`` says what a conflict records). The minima come from the
``separation_minima`` setting (:func:`separation_rules`); docs/deconfliction.md lists the
defaults and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.quoting import quote

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
                f"{where}: {quote(name.strip())} is not a notification kind: one of "
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
