"""Reading files into import plans: NOTAM files with good and bad records, the dry run, GeoJSON
files of several notifications, F3548 documents and InterUSS's flight intents, and the
``openline import --dry-run`` command, which needs no node."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from openline.cli import main
from openline.domain.errors import InvalidInput
from openline.interop import f3548
from openline.interop.formats import dry_run, export, read_plan
from openline.interop.geozones import SchemaFolder
from openline.interop.plans import Action
from openline.node.settings import Settings
from openline.services.interop import ed318_schema
from tests.support.interuss import volume as reference_volume
from tests.support.notams import BAD_TIME, CANCEL, GOOD, REPLACE
from tests.support.shared_data import (
    ED318_EXAMPLES,
    ED318_SCHEMA,
    SHARED_DATA,
    needs_shared_data,
)

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
INTENTS = SHARED_DATA / "interuss" / "flight_intents"
SCHEMA = SchemaFolder(ED318_SCHEMA, "the test's schema folder")


def test_a_notam_file_with_a_bad_record_plans_the_good_ones_and_names_the_bad_one():
    plan = read_plan("notam", f"{GOOD}\n\n{BAD_TIME}\n\n{REPLACE}\n\n{CANCEL}", now=NOW)

    assert [(r.item, r.action, r.replaces) for r in plan.records] == [
        ("NOTAM A1234/26", Action.CREATE, None),
        ("NOTAM A1240/26", Action.REPLACE, "LCCC A1234/26"),
        ("NOTAM A1241/26", Action.CANCEL, "LCCC A1240/26"),
    ]
    (error,) = plan.errors
    assert error.item == "NOTAM A1235/26"
    assert error.field == "B)"
    assert "2613031200" in error.message
    assert error.text.startswith("(A1235/26 NOTAMN Q) LCCC/QWMLW")
    assert all(body["reference"] == "LCCC A1234/26" for body in plan.records[0].drafts)


def test_the_dry_run_is_one_feature_per_volume_with_the_notam_and_its_band_and_window():
    collection = dry_run(read_plan("notam", f"{GOOD}\n\n{REPLACE}", now=NOW))

    polygon, circle = collection["features"]
    assert polygon["geometry"]["type"] == "Polygon"
    assert polygon["properties"]["notam_id"] == "LCCC A1234/26"
    assert polygon["properties"]["time_start"] == "2026-12-03T12:00:00.000Z"
    assert polygon["properties"]["time_end"] == "2026-12-03T18:00:00.000Z"
    assert polygon["properties"]["altitude_lower_m"] == 0
    assert polygon["properties"]["altitude_upper_m"] == pytest.approx(3048)
    assert circle["geometry"] == {"type": "Point", "coordinates": [36.0, 35.166666666666664]}
    assert circle["properties"]["radius_m"] == 5 * 1852
    assert circle["properties"]["action"] == "replace"
    assert circle["properties"]["replaces"] == "LCCC A1234/26"
    assert collection["errors"] == []


def geojson_feature(notification: str | None, lon: float, **extra: Any) -> dict[str, Any]:
    ring = [[lon, 35.0], [lon + 0.1, 35.0], [lon + 0.1, 35.1], [lon, 35.0]]
    properties = {
        "kind": "zone",
        "title": f"area {lon}",
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T13:00:00Z",
        **extra,
    }
    if notification:
        properties["notification"] = notification
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": properties,
    }


def test_geojson_features_of_one_notification_are_one_record_and_a_bad_one_is_named():
    features = [
        geojson_feature("ntf_a", 36.0),
        geojson_feature("ntf_b", 37.0),
        geojson_feature("ntf_a", 36.5),
        geojson_feature("ntf_c", 38.0, altitude_upper_m=-1000),
    ]
    document = {"type": "FeatureCollection", "features": features}

    plan = read_plan("geojson", json.dumps(document), now=NOW)

    assert [(r.item, len(r.drafts[0]["volumes"])) for r in plan.records] == [
        ("notification ntf_a", 2),
        ("notification ntf_b", 1),
    ]
    (error,) = plan.errors
    assert error.item == "notification ntf_c"
    assert error.message.startswith("features[3].altitude_upper_m: -1000 m is outside")


@needs_shared_data()
def test_a_file_that_is_not_json_is_refused_whole_naming_the_format():
    with pytest.raises(Exception, match="the ed318 file is not JSON"):
        read_plan("ed318", "<xml/>", now=NOW, ed318_schema=SCHEMA)


def test_a_format_openline_does_not_export_is_refused_with_the_ones_it_does():
    with pytest.raises(Exception, match="format 'ed318' cannot be exported: one of geojson, f3548"):
        export("ed318", [])


@needs_shared_data()
@pytest.mark.parametrize("file", ["conflicting_flights.yaml", "non_conflicting.yaml"])
def test_the_interuss_flight_intents_import_through_the_f3548_path(file: str):
    text = (INTENTS / "standard" / file).read_text(encoding="utf-8")
    intents = yaml.safe_load(text)["intents"]

    plan = read_plan("f3548", text, now=NOW)

    assert plan.errors == []
    assert [r.reference for r in plan.records] == list(intents)
    for record in plan.records:
        assert record.drafts[0]["kind"] == "uav-operation"
        intent = f3548.resolved(intents, record.reference or "")
        expected = [reference_volume(a, None) for a in intent["basic_information"]["area"]]
        assert record.drafts[0]["volumes"] == expected


@needs_shared_data()
def test_the_swiss_interuss_intents_with_feet_and_next_day_times_import():
    text = (INTENTS / "che" / "general_flight_auth_flights.yaml").read_text(encoding="utf-8")

    plan = read_plan("f3548", text, now=NOW)  # a Thursday

    assert plan.errors == []
    first, second = (r.drafts[0]["volumes"][0] for r in plan.records)
    # end: the next Tuesday or Thursday at midnight in Zurich (CET), plus 12 h
    assert first["time_end"] == "2026-12-08T11:00:00.000Z"
    assert first["circle"] == {"lat": 46.9749, "lon": 7.4774, "radius_m": 100.0}
    assert second["altitude_upper_m"] == pytest.approx(5000 * 0.3048)
    # start: the next midnight at +02:00 after 12 h from now
    assert second["time_start"] == "2026-12-04T22:00:00.000Z"


def test_an_f3548_altitude_on_another_datum_is_refused_naming_it():
    volume = {
        "volume": {
            "outline_circle": {"center": {"lat": 1, "lng": 2}, "radius": {"value": 5}},
            "altitude_lower": {"value": 0, "reference": "SFC", "units": "M"},
            "altitude_upper": {"value": 10, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": "2026-12-03T12:00:00Z"},
        "time_end": {"value": "2026-12-03T13:00:00Z"},
    }

    plan = read_plan("f3548", json.dumps([volume]), now=NOW)

    (error,) = plan.errors
    assert error.message == (
        "volumes[0].volume.altitude_lower.reference: 'SFC' is not W84: Openline reads heights "
        "above the WGS84 ellipsoid"
    )


def test_exported_operational_intents_import_as_the_same_volumes():
    record = {
        "id": "ntf_1",
        "owner": "BLUE",
        "kind": "zone",
        "title": "a zone",
        "status": "active",
        "version": 2,
        "reference": None,
        "volumes": [
            {
                "circle": {"lat": 35.0, "lon": 38.0, "radius_m": 500.0},
                "altitude_lower_m": 0.0,
                "altitude_upper_m": 120.0,
                "time_start": "2026-12-03T12:00:00.000Z",
                "time_end": "2026-12-03T13:00:00.000Z",
            }
        ],
    }
    document = export("f3548", [record])

    (intent,) = document["operational_intents"]
    assert intent["reference"]["state"] == "Activated"
    assert intent["reference"]["time_start"] == {
        "value": "2026-12-03T12:00:00.000Z",
        "format": "RFC3339",
    }
    (back,) = read_plan("f3548", json.dumps(document), now=NOW).records
    assert back.reference == "ntf_1"
    assert back.drafts[0]["title"] == "a zone"
    assert back.drafts[0]["volumes"] == record["volumes"]


def test_openline_import_dry_run_prints_the_collection_and_exits_1_naming_each_bad_record(
    tmp_path: Path,
):
    file = tmp_path / "notams.txt"
    file.write_text(f"{GOOD}\n\n{BAD_TIME}\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["import", "notam", str(file), "--dry-run"])

    assert result.exit_code == 1
    collection = json.loads(result.stdout)
    assert [f["properties"]["notam_id"] for f in collection["features"]] == ["LCCC A1234/26"]
    assert "error: NOTAM A1235/26: B) '2613031200' is not a real date and time [B)]" in (
        result.stderr
    )
    assert "in: (A1235/26 NOTAMN" in result.stderr


def test_openline_import_without_dry_run_needs_a_node(tmp_path: Path):
    file = tmp_path / "notams.txt"
    file.write_text(GOOD, encoding="utf-8")

    result = CliRunner().invoke(main, ["import", "notam", str(file)])

    assert result.exit_code == 2
    assert "give --node DIR" in result.stderr


def dry_run_ed318(*options: str | Path) -> Any:
    circle = ED318_EXAMPLES / "Example_GeoZone_Circle.json"
    return CliRunner().invoke(
        main, ["import", "ed318", str(circle), "--dry-run", *map(str, options)]
    )


@needs_shared_data()
def test_openline_import_dry_run_checks_an_ed318_file_against_the_schema_in_schema_dir():
    result = dry_run_ed318("--schema", ED318_SCHEMA)

    assert result.exit_code == 0, result.stderr
    (feature,) = json.loads(result.stdout)["features"]
    assert feature["properties"]["kind"] == "zone"


@needs_shared_data()
def test_openline_import_dry_run_of_ed318_without_a_schema_exits_1_asking_for_schema_dir():
    result = dry_run_ed318()

    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        "none is configured: set --schema DIR (or give --node DIR of a node that has one) to "
        in (result.stderr)
    )
    assert "Schema_GeoZones.json" in result.stderr


@needs_shared_data()
def test_openline_import_dry_run_with_a_schema_dir_lacking_the_schema_exits_1_naming_it():
    result = dry_run_ed318("--schema", ED318_EXAMPLES)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"--schema DIR is {ED318_EXAMPLES}, which holds no Schema_GeoZones.json" in result.stderr


def node_config(directory: Path, **settings: str) -> Path:
    """A node directory as far as a dry run reads it: its openline.toml."""
    directory.mkdir()
    values = {"party": "BLUE", "name": "BLUE command", "lang": "en", **settings}
    text = "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    (directory / "openline.toml").write_text(text, encoding="utf-8")
    return directory


@needs_shared_data()
def test_openline_import_dry_run_takes_the_schema_from_the_nodes_setting(tmp_path: Path):
    node = node_config(tmp_path / "blue", ed318_schema_dir=str(ED318_SCHEMA))

    result = dry_run_ed318("--node", node)

    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["features"]) == 1


@needs_shared_data()
def test_openline_import_dry_run_names_the_nodes_setting_when_it_is_unset(tmp_path: Path):
    node = node_config(tmp_path / "blue")

    result = dry_run_ed318("--node", node)

    assert result.exit_code == 1
    assert (
        f"set --schema DIR, or the setting ed318_schema_dir (OPENLINE_ED318_SCHEMA_DIR) of {node}, "
        "to the folder holding EUROCONTROL's ED-318 JSON schema"
    ) in result.stderr


@needs_shared_data()
def test_schema_dir_overrides_the_nodes_setting(tmp_path: Path):
    node = node_config(tmp_path / "blue", ed318_schema_dir=str(ED318_EXAMPLES))

    assert dry_run_ed318("--node", node).exit_code == 1
    assert dry_run_ed318("--node", node, "--schema", ED318_SCHEMA).exit_code == 0


@pytest.mark.parametrize(
    ("setting", "folder"),
    [("ed318", "/srv/blue/ed318"), ("/etc/openline/ed318", "/etc/openline/ed318"), ("", None)],
)
def test_a_relative_ed318_schema_dir_is_taken_in_the_node_directory(setting: str, folder: Any):
    settings = Settings(party="BLUE", name="BLUE command", lang="en", ed318_schema_dir=setting)

    found = ed318_schema(settings, Path("/srv/blue"))

    assert found.path == (Path(folder) if folder else None)
    assert found.named == "the setting ed318_schema_dir (OPENLINE_ED318_SCHEMA_DIR)"


@needs_shared_data()
@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["ed318", "--node", "."], "--schema is for --dry-run: a node checks an ED-318 import"),
        (["notam", "--dry-run"], "--schema is for ed318 files, not notam"),
    ],
)
def test_schema_dir_is_refused_where_it_would_not_be_used(arguments: list[str], problem: str):
    fmt, *options = arguments
    command = ["import", fmt, str(ED318_EXAMPLES / "Example_GeoZone_Circle.json"), *options]

    result = CliRunner().invoke(main, [*command, "--schema", str(ED318_SCHEMA)])

    assert result.exit_code == 2
    assert problem in result.stderr


def test_a_notam_with_no_item_at_all_is_reported_not_a_crash():
    # Found by fuzzing POST /api/v1/imports/notam.
    plan = read_plan("notam", "A1234/26 NOTAMN nothing else", now=NOW)

    (error,) = plan.errors
    assert error.item == "NOTAM A1234/26"
    assert error.field == "B)"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
SAMPLES = [
    ("ed318", SHARED_DATA / "geozones" / "cis_source_sample_ed318.json"),
    (
        "ed318",
        SHARED_DATA / "geozones" / "ed318-UASGeoZones" / "examples" / "Example_GeoZone_Circle.json",
    ),
    ("ed269", SHARED_DATA / "geozones" / "cis_source_sample_ed269.json"),
    ("ed269", SHARED_DATA / "geozones" / "test_eurocae_ed269.json"),
    ("f3548", INTENTS / "che" / "general_flight_auth_flights.yaml"),
    ("f3548", INTENTS / "standard" / "conflicting_flights.yaml"),
]


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@needs_shared_data()
@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SAMPLES), st.data(), JSON_VALUES)
def test_a_real_file_with_any_member_changed_is_read_or_refused_by_name(
    sample: tuple[str, Path], data: st.DataObject, value: Any
):
    fmt, path = sample
    text = path.read_text(encoding="utf-8")
    document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    where = data.draw(st.sampled_from(places(document)))

    changed = json.dumps(replaced(document, where, value), default=str)

    with contextlib.suppress(InvalidInput):  # anything else is a crash
        read_plan(fmt, changed, now=NOW, ed318_schema=SCHEMA)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            {
                "offset_from": {
                    "starting_from": {"absolute_time": "9999-12-31T23:00:00Z"},
                    "offset": "2d",
                }
            },
            "t.offset_from",
        ),
        (
            {"offset_from": {"starting_from": {"time_during_test": ""}, "offset": "999999999d"}},
            "t.offset_from",
        ),
        ({"next_day": {"starting_from": {"absolute_time": "9999-12-31T23:00:00Z"}}}, "t.next_day"),
    ],
)
def test_an_interuss_time_beyond_the_year_9999_is_refused_naming_it(spec: Any, field: str):
    # Issue 23: the arithmetic overflowed (a 500 through the API).
    with pytest.raises(InvalidInput) as caught:
        f3548.intent_time(spec, NOW, "t")
    assert caught.value.field == field
    assert "outside the years 0001 to 9999 in UTC" in caught.value.message
