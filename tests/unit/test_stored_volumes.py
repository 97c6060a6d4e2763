"""Volumes loaded in bulk from their stored records (geo/stored.py, Detector.add_many): the same
boxes as their shapes give, and the same conflicts as volumes added one by one with their shapes
(issue 26, item 5: a process ready fast whatever the node holds)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.domain.volumes import Limits, parse_volume
from openline.geo.detection import Detector, VolumeColumns
from openline.geo.footprints import Shape
from openline.geo.stored import read_volumes
from tests.unit.test_detection_properties import (
    KINDS,
    PLACES,
    footprint_json,
    minima_tables,
)

WINDOW = {"time_start": "2026-12-03T12:00:00.000Z", "time_end": "2026-12-03T13:00:00.000Z"}


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, object]]:
    """Notification records of one to three volumes each, as a node stores them."""
    place = draw(st.sampled_from(PLACES))
    made = []
    for n in range(draw(st.integers(1, 25))):
        volumes = [
            {**footprint_json(draw, place), "altitude_lower_m": 0.0, "altitude_upper_m": 100.0}
            | WINDOW
            for _ in range(draw(st.integers(1, 3)))
        ]
        kind = ["air-operation", "ground-operation", "protected-site"][n % KINDS]
        made.append({"id": f"ntf_{n}", "kind": kind, "owner": "BLUE", "volumes": volumes})
    return made


def shape_of(volume: dict[str, object]) -> Shape:
    return Shape.of(parse_volume(volume, index=0, limits=Limits()).footprint)


@settings(max_examples=30, deadline=None)
@given(records(), st.sampled_from([0.0, 251.0, 2501.0]))
def test_the_boxes_read_in_bulk_are_the_shapes_own(made: list[dict[str, object]], pad: float):
    shapes = [shape_of(v) for r in made for v in r["volumes"]]  # type: ignore[attr-defined]
    rows, counts = read_volumes(made).boxes(pad)
    assert counts.tolist() == [len(shape.boxes(pad)) for shape in shapes]
    expected = [box for shape in shapes for box in shape.boxes(pad)]
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(records(), minima_tables())
def test_volumes_added_in_bulk_conflict_as_those_added_one_by_one(
    made: list[dict[str, object]], minima: np.ndarray
):
    stored = read_volumes(made)
    volumes = [v for r in made for v in r["volumes"]]  # type: ignore[attr-defined]
    kinds = np.arange(len(stored)) % KINDS
    owners = np.arange(len(stored)) % 2
    built: list[int] = []

    def build(key: int) -> Shape:
        built.append(key)
        return shape_of(volumes[key])

    one_by_one, in_bulk = Detector(minima), Detector(minima, shape_of=build)
    t0_ms, t1_ms = stored.windows_ms()
    for key, volume in enumerate(volumes):
        one_by_one.add(
            key,
            shape_of(volume),
            kind=int(kinds[key]),
            owner=int(owners[key]),
            t0_ms=int(t0_ms[key]),
            t1_ms=int(t1_ms[key]),
            lower_m=stored.lower_m[key],
            upper_m=stored.upper_m[key],
        )
    columns = VolumeColumns(
        kinds, owners, *stored.windows_ms(), np.array(stored.lower_m), np.array(stored.upper_m)
    )
    in_bulk.add_many(np.arange(len(volumes)), stored.boxes(in_bulk.pad_m), columns)
    assert built == []  # no shape is built before it is compared
    assert in_bulk.all_hits() == one_by_one.all_hits()
    for key in range(len(volumes)):
        assert in_bulk.hits_for(key) == one_by_one.hits_for(key)
