"""ED-269 and ED-318 geozones (../shared/data/geozones) read as zone notifications, the ED-318
ones checked against EUROCONTROL's schema, which is read from the folder the operator names and
without which an ED-318 file is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.timeutil import parse_utc
from openline.interop.formats import read_plan
from openline.interop.geozones import SchemaFolder
from openline.interop.notam import PERM_HORIZON, UNL_M
from openline.interop.plans import ImportPlan
from tests.support.shared_data import ED318_EXAMPLES, ED318_SCHEMA, GEOZONES, needs_shared_data

SCHEMA = SchemaFolder(ED318_SCHEMA, "the test's schema folder")
NOW = datetime(2026, 12, 3, 12, 7, 30, tzinfo=UTC)

pytestmark = needs_shared_data(GEOZONES)


def plan(fmt: str, path: Any) -> ImportPlan:
    return read_plan(fmt, path.read_text(encoding="utf-8"), now=NOW, ed318_schema=SCHEMA)


def volumes(found: ImportPlan, item: str) -> list[dict[str, Any]]:
    (record,) = [r for r in found.records if r.item == item]
    return [v for body in record.drafts for v in body["volumes"]]


def test_the_invalid_ed318_example_is_refused_naming_the_place_and_the_problem():
    found = plan("ed318", ED318_EXAMPLES / "InvalidExample_GeoZone_2_Layers.json")

    assert found.records == []
    (error,) = found.errors
    assert error.item == "document"
    assert error.field == "$.metadata.validFrom"
    assert "$.metadata.validFrom" in error.message
    assert "is not of type 'string'" in error.message


def test_a_zone_that_breaks_the_schema_is_refused_alone():
    document = json.loads((ED318_EXAMPLES / "Example_Collection.json").read_text(encoding="utf-8"))
    document["features"][1]["properties"]["type"] = "FORBIDDEN-ISH"

    found = read_plan("ed318", json.dumps(document), now=NOW, ed318_schema=SCHEMA)

    assert [r.item for r in found.records] == ["zone NFZ6547"]
    (error,) = found.errors
    assert error.item == "features[1]"
    assert "$.features[1].properties" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "Example_Collection.json",
        "Example_GeoZone_2_Layers.json",
        "Example_GeoZone_Circle.json",
        "Example_GeoZone_with_extension.json",
    ],
)
def test_every_valid_ed318_example_is_read(name: str):
    found = plan("ed318", ED318_EXAMPLES / name)

    assert found.errors == []
    assert found.records
    for record in found.records:
        assert all(body["kind"] == "zone" for body in record.drafts)


def test_an_ed318_circle_keeps_its_centre_radius_and_agl_layer():
    found = plan("ed318", ED318_EXAMPLES / "Example_GeoZone_Circle.json")

    (volume,) = volumes(found, "zone ABC1234")
    assert volume["circle"] == {"lat": 50.122901, "lon": 2.636866, "radius_m": 3500}
    # AGL taken above the ellipsoid, as if the ground were at 0 m (docs/interop.md)
    assert (volume["altitude_lower_m"], volume["altitude_upper_m"]) == (50, 150)
    # no applicability: permanent, a year from the import minute
    assert parse_utc(volume["time_start"]) == NOW.replace(second=0)
    assert parse_utc(volume["time_end"]) == NOW.replace(second=0) + PERM_HORIZON


def test_an_ed318_schedule_becomes_its_daily_windows_for_each_layer():
    found = plan("ed318", ED318_EXAMPLES / "Example_GeoZone_2_Layers.json")

    every = volumes(found, "zone NFZ6547")
    first_layer = [v for v in every if v["altitude_lower_m"] == 50]
    # ANY day 16:00-17:00 and SUN 10:00-12:00 from 2018-12-31T15:59:59Z to 2019-12-31T15:59:59Z
    assert len(first_layer) == 365 + 52
    assert first_layer[0]["time_start"] == "2018-12-31T16:00:00.000Z"
    assert first_layer[0]["time_end"] == "2018-12-31T17:00:00.000Z"
    sundays = [v for v in first_layer if v["time_start"].endswith("T10:00:00.000Z")]
    assert all(parse_utc(v["time_start"]).weekday() == 6 for v in sundays)
    assert len(every) == 2 * len(first_layer)
    (record,) = found.records
    assert record.drafts[0]["title"].endswith("(part 1/9)")  # 100 volumes per notification


def test_the_swiss_ed318_sample_reads_its_three_zones_with_their_identifiers():
    found = plan("ed318", GEOZONES / "cis_source_sample_ed318.json")

    assert found.errors == []
    assert [r.reference for r in found.records] == ["LSZB003", "BLns058", "LSTB002"]
    assert found.records[0].drafts[0]["title"] == "LSZB003 LSZB Bern-Belp 2"
    (volume,) = volumes(found, "zone LSZB003")
    assert (volume["altitude_lower_m"], volume["altitude_upper_m"]) == (60, 99999)


def test_ed269_zones_are_read_with_their_units_layers_and_weekend_schedule():
    found = plan("ed269", GEOZONES / "test_eurocae_ed269.json")

    assert found.errors == []
    assert len(found.records) == 6
    (gantrisch, *_) = volumes(found, "zone MONTREUX Wildlife Preserve")
    assert gantrisch["altitude_upper_m"] == 120
    concert = volumes(found, "zone Montreux Concert Area")
    assert {parse_utc(v["time_start"]).weekday() for v in concert} == {5, 6}
    assert concert[0]["time_start"] == "2022-06-18T17:00:00.000Z"
    assert concert[0]["time_end"] == "2022-06-18T23:59:59.000Z"
    assert concert[0]["circle"]["radius_m"] == 3000
    assert len(volumes(found, "zone Flugplatz Reichenbach")) == 3  # three layers


def test_ed269_feet_are_converted_and_a_missing_upper_limit_is_fl999():
    found = plan("ed269", GEOZONES / "test_eurocae_ed269.json")
    park = next(r for r in found.records if r.item == "zone Gantrisch Nature Park")
    (volume,) = park.drafts[0]["volumes"]
    assert volume["altitude_upper_m"] == pytest.approx(250 * 0.3048)

    sample = plan("ed269", GEOZONES / "cis_source_sample_ed269.json")
    (zone,) = volumes(sample, "zone LSXX")
    assert (zone["altitude_lower_m"], zone["altitude_upper_m"]) == (0, UNL_M)
    assert parse_utc(zone["time_end"]) - parse_utc(zone["time_start"]) == timedelta(days=365)


def test_an_ed269_zone_with_a_bad_layer_is_reported_and_the_others_are_read():
    document = json.loads((GEOZONES / "test_eurocae_ed269.json").read_text(encoding="utf-8"))
    document["features"][1]["geometry"][0]["uomDimensions"] = "LEAGUES"

    found = read_plan("ed269", json.dumps(document), now=NOW)

    assert len(found.records) == 5
    (error,) = found.errors
    assert error.item == "zone Flugplatz Reichenbach"
    assert error.message == "features[1].geometry[0].lowerLimit: unit 'LEAGUES' is not m or ft"


CIRCLE = ED318_EXAMPLES / "Example_GeoZone_Circle.json"


def read_circle(schema: SchemaFolder | None) -> ImportPlan:
    return read_plan("ed318", CIRCLE.read_text(encoding="utf-8"), now=NOW, ed318_schema=schema)


def test_an_ed318_file_with_no_schema_configured_is_refused_saying_what_to_configure():
    with pytest.raises(InvalidInput) as refused:
        read_circle(SchemaFolder(None, "the setting ed318_schema_dir"))

    assert refused.value.message.startswith(
        "an ED-318 file is checked against the ED-318 JSON schema, and none is configured: set "
        "the setting ed318_schema_dir to the folder holding EUROCONTROL's ED-318 JSON schema: "
        "Schema_GeoZones.json and the files it refers to"
    )
    assert refused.value.message.endswith("nothing was imported")


def test_an_ed318_file_is_never_read_unchecked_when_no_schema_is_given_at_all():
    with pytest.raises(InvalidInput, match="none is configured"):
        read_circle(None)


def test_a_schema_folder_without_schema_geozones_json_is_refused_naming_the_folder():
    # The examples' folder: a real folder of ED-318 JSON that is not the schema.
    with pytest.raises(InvalidInput) as refused:
        read_circle(SchemaFolder(ED318_EXAMPLES, "--schema DIR"))

    assert refused.value.message.startswith(
        f"--schema DIR is {ED318_EXAMPLES}, which holds no Schema_GeoZones.json: set it to the "
        "folder holding EUROCONTROL's ED-318 JSON schema"
    )


def test_a_schema_folder_missing_a_file_the_schema_refers_to_is_refused_naming_it(tmp_path: Path):
    (tmp_path / "Schema_GeoZones.json").write_bytes(
        (ED318_SCHEMA / "Schema_GeoZones.json").read_bytes()
    )

    with pytest.raises(
        InvalidInput,
        match=r"refers to \./Schema_\w+\.json, which is not there: set --schema DIR to",
    ):
        read_circle(SchemaFolder(tmp_path, "--schema DIR"))


def test_a_schema_that_is_not_json_is_refused_naming_the_folder(tmp_path: Path):
    (tmp_path / "Schema_GeoZones.json").write_text("<schema/>", encoding="utf-8")

    with pytest.raises(InvalidInput, match=f"the ED-318 schema in {tmp_path} .* cannot be read"):
        read_circle(SchemaFolder(tmp_path, "--schema DIR"))


def test_ed269_needs_no_schema():
    found = read_plan(
        "ed269", (GEOZONES / "test_eurocae_ed269.json").read_text(encoding="utf-8"), now=NOW
    )

    assert found.errors == []


@pytest.mark.parametrize(
    "period",
    [
        {"startDateTime": "9999-12-31T00:00:00Z"},  # no end: a year from the start
        {
            "startDateTime": "0001-01-01T00:00:00Z",
            "endDateTime": "0001-01-03T00:00:00Z",
            "schedule": [{"day": ["ANY"], "startTime": "22:00:00Z", "endTime": "02:00:00Z"}],
        },
    ],
)
def test_a_period_whose_windows_leave_the_years_0001_to_9999_is_refused_naming_it(
    period: dict[str, Any],
):
    # Issue 23: the arithmetic on such instants overflowed (a 500 through the API).
    document = json.loads(CIRCLE.read_text(encoding="utf-8"))
    document["features"][0]["properties"]["limitedApplicability"] = [period]

    found = read_plan("ed318", json.dumps(document), now=NOW, ed318_schema=SCHEMA)

    assert found.records == []
    (error,) = found.errors
    assert error.field == "features[0].properties.limitedApplicability[0]"
    assert "fall outside the years 0001 to 9999 in UTC" in error.message
