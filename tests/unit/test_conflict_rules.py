"""The deconfliction rules: which pairs are checked, with which minima, under which key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from openline.domain.conflicts import (
    RECORD_MEMBERS,
    Clash,
    DetectedConflict,
    Side,
    VolumeClash,
    conflict_key,
    gather,
)
from openline.domain.errors import InvalidInput
from openline.domain.notifications import Kind
from openline.domain.separation import (
    DEFAULT_MINIMA,
    OPERATIONS,
    ZERO,
    Minima,
    Rule,
    separation_rules,
)

DEFAULT = separation_rules("default")
T = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_two_operations_of_different_parties_need_separation():
    rule = DEFAULT.rule_for(Kind.AIR_OPERATION, "BLUE", Kind.AIR_OPERATION, "RED")

    assert rule == (Rule.SEPARATION, Minima(9260.0, 300.0, 600.0))


def test_a_partys_own_operations_never_conflict_with_each_other():
    for a, b in product(OPERATIONS, OPERATIONS):
        assert DEFAULT.rule_for(a, "BLUE", b, "BLUE") is None


def test_any_operation_near_a_protected_site_conflicts_whoever_owns_it():
    for owner in ("BLUE", "RED"):
        found = DEFAULT.rule_for(Kind.ARTILLERY, "BLUE", Kind.PROTECTED_SITE, owner)
        assert found is not None
        assert found[0] is Rule.PROTECTED_SITE


def test_an_operation_conflicts_with_another_partys_zone_only():
    assert DEFAULT.rule_for(Kind.MOVEMENT, "BLUE", Kind.ZONE, "RED") == (Rule.ZONE, ZERO)
    assert DEFAULT.rule_for(Kind.MOVEMENT, "BLUE", Kind.ZONE, "BLUE") is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Kind.PROTECTED_SITE, Kind.PROTECTED_SITE),
        (Kind.ZONE, Kind.ZONE),
        (Kind.ZONE, Kind.PROTECTED_SITE),
    ],
)
def test_sites_and_zones_do_not_conflict_among_themselves(a: Kind, b: Kind):
    assert DEFAULT.rule_for(a, "BLUE", b, "RED") is None


def test_the_rules_are_symmetric():
    for a, b, oa, ob in product(Kind, Kind, ("BLUE", "RED"), ("BLUE", "RED")):
        assert DEFAULT.rule_for(a, oa, b, ob) == DEFAULT.rule_for(b, ob, a, oa)


def test_zero_minima_make_every_checked_pair_an_exact_4d_intersection():
    zero = separation_rules("0")

    assert zero.largest() == ZERO
    for a, b in product(Kind, Kind):
        found = zero.rule_for(a, "BLUE", b, "RED")
        assert found is None or found[1] == ZERO
    # the same pairs are checked as with the defaults: only the distances change
    assert [zero.rule_for(a, "B", b, "R") is None for a, b in product(Kind, Kind)] == [
        DEFAULT.rule_for(a, "B", b, "R") is None for a, b in product(Kind, Kind)
    ]


def test_the_defaults_are_used_for_pairs_named_in_the_table():
    for pair, minima in DEFAULT_MINIMA.items():
        a, b = (*pair, *pair)[:2]
        if a in OPERATIONS and b in OPERATIONS:
            assert DEFAULT.operations[pair] == minima


def test_a_table_replaces_the_pairs_it_names_and_keeps_the_rest():
    rules = separation_rules({"uav-operation/air-operation": [100, 20, 30]})

    assert rules.rule_for(Kind.AIR_OPERATION, "B", Kind.UAV_OPERATION, "R") == (
        Rule.SEPARATION,
        Minima(100.0, 20.0, 30.0),
    )
    assert (
        rules.operations[frozenset({Kind.AIR_OPERATION})]
        == DEFAULT.operations[frozenset({Kind.AIR_OPERATION})]
    )


def test_a_table_sets_the_protected_site_and_zone_minima_too():
    rules = separation_rules(
        {"artillery/protected-site": [10000, 0, 3600], "movement/zone": [5, 0, 0]}
    )

    assert rules.rule_for(Kind.ARTILLERY, "B", Kind.PROTECTED_SITE, "R") == (
        Rule.PROTECTED_SITE,
        Minima(10000.0, 0.0, 3600.0),
    )
    assert rules.rule_for(Kind.MOVEMENT, "B", Kind.ZONE, "R") == (Rule.ZONE, Minima(5.0, 0.0, 0.0))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"air/air-operation": [1, 2, 3]}, "'air' is not a notification kind"),
        ({"air-operation": [1, 2, 3]}, "name a pair of kinds as KIND/KIND"),
        ({"air-operation/zone": [1, 2]}, "is not [lateral_m, vertical_m, time_s]"),
        ({"air-operation/zone": [-1, 2, 3]}, "lateral_m -1 is outside 0 to 1e+06"),
        ({"air-operation/zone": [1, "x", 3]}, "vertical_m 'x' is not a number"),
        ({"air-operation/zone": [1, 2, float("nan")]}, "time_s nan is not a number"),
    ],
)
def test_a_bad_table_is_refused_naming_the_pair(table: dict[str, object], message: str):
    with pytest.raises(InvalidInput, match=r"separation_minima\.") as caught:
        separation_rules(table)  # type: ignore[arg-type]

    assert message in caught.value.message


def test_anything_else_is_refused():
    with pytest.raises(InvalidInput, match="is not 'default', '0' or a table"):
        separation_rules("none")


def test_the_key_is_the_same_whichever_side_computes_it():
    assert conflict_key("ntf_A", "ntf_B") == conflict_key("ntf_B", "ntf_A")
    assert conflict_key("ntf_A", "ntf_B") != conflict_key("ntf_A", "ntf_C")
    assert conflict_key("ntf_A", "ntf_B").startswith("cfl-")


def side(
    ident: str, owner: str, volume: int, hours: tuple[int, int], band: tuple[float, float]
) -> Side:
    return Side(
        ident,
        owner,
        Kind.AIR_OPERATION,
        volume,
        T + timedelta(hours=hours[0]),
        T + timedelta(hours=hours[1]),
        *band,
    )


# Two volumes of BLUE's notification that clash with one of RED's.
BLUE_VOLUMES = [
    side("ntf_B", "BLUE", 0, (0, 2), (0, 3000)),
    side("ntf_B", "BLUE", 1, (3, 4), (0, 100)),
]
RED_VOLUME = side("ntf_A", "RED", 0, (1, 5), (2000, 5000))


def test_a_conflict_is_recorded_the_same_from_either_side():
    blue, red = BLUE_VOLUMES, RED_VOLUME
    minima = Minima(1000, 300, 600)
    from_blue = gather(Rule.SEPARATION, minima, [VolumeClash(b, red, 10.0) for b in blue])
    from_red = gather(Rule.SEPARATION, minima, [VolumeClash(red, b, 10.0) for b in reversed(blue)])

    assert from_blue == from_red
    record = from_blue.to_json()
    assert tuple(record) == RECORD_MEMBERS
    assert record["a"] == {"notification": "ntf_A", "owner": "RED", "kind": "air-operation"}
    assert record["time_window"] == {
        "start": "2026-12-03T13:00:00.000Z",
        "end": "2026-12-03T16:00:00.000Z",
    }
    assert record["altitude_band"] == {"lower_m": 2000, "upper_m": 3000}
    assert [c["volumes"] for c in record["clashes"]] == [[0, 0], [0, 1]]
    assert record["clashes"][1]["altitude_gap_m"] == 1900
    assert record["clashes"][1]["altitude_overlap"] is None


def test_a_conflict_read_back_from_its_record_is_the_same_and_writes_the_same_text():
    blue, red = BLUE_VOLUMES, RED_VOLUME
    conflict = gather(
        Rule.SEPARATION, Minima(1000.0, 300.0, 600.0), [VolumeClash(b, red, 10.0) for b in blue]
    )
    text = json.dumps(conflict.to_json())

    again = DetectedConflict.from_json(json.loads(text))

    assert again == conflict
    assert json.dumps(again.to_json()) == text


def test_volumes_apart_in_time_within_the_minimum_have_a_gap_and_no_overlap():
    a = side("ntf_A", "RED", 0, (0, 1), (0, 100))
    b = side("ntf_B", "BLUE", 0, (2, 3), (0, 100))

    clash = Clash.of(VolumeClash(a, b, 0.0))

    assert clash.time_overlap is None
    assert clash.time_gap_s == 3600
