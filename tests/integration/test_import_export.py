"""Files in and out through a node: POST /api/v1/imports/{format} stores what a file announces
(NOTAMs replaced and cancelled by their numbers), GET /api/v1/exports/{format} gives it back,
and ``openline import`` and ``export`` do the same against a running node.

The nodes here check ED-318 files against EUROCONTROL's schema where the shared data keeps it
(``ed318_schema_dir``, in the config file or the environment); a node without it refuses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openline.domain.roles import Role
from openline.node.settings import CONFIG_FILE
from openline.services.operators import create_token
from openline.services.setup import NewNode
from tests.support.nodes import InProcess, link, make_node_dir, silent_card
from tests.support.notams import BAD_TIME, CANCEL, GOOD, REPLACE
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline, start_node
from tests.support.shared_data import ED318_EXAMPLES, ED318_SCHEMA, SHARED_DATA, needs_shared_data


@pytest.fixture
def node_dir(tmp_path: Path, request: pytest.FixtureRequest) -> NewNode:
    """BLUE's node directory (for the ``api`` fixture), its config file setting
    ``ed318_schema_dir`` to the shared schema, or to the folder a test gives (None: unset)."""
    made = make_node_dir(tmp_path / "blue")
    schema = getattr(request, "param", ED318_SCHEMA)
    if schema is not None:
        with (made.directory / CONFIG_FILE).open("a", encoding="utf-8") as config:
            config.write(f"ed318_schema_dir = {json.dumps(str(schema))}\n")
    return made


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[RunningNode]:
    """BLUE as a real ``openline serve`` process, told where the ED-318 schema is by its
    environment, linked to a RED whose node never answers."""
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card())
    running = start_node(
        created.directory, created.token, {"OPENLINE_ED318_SCHEMA_DIR": str(ED318_SCHEMA)}
    )
    try:
        yield running
    finally:
        running.stop()


def import_text(api: InProcess, fmt: str, text: str, token: str | None = None) -> Any:
    return api.client.post(
        f"/api/v1/imports/{fmt}",
        content=text.encode(),
        headers={"Content-Type": "text/plain", **api.auth(token)},
    )


def notifications(api: InProcess) -> dict[str, dict[str, Any]]:
    found = api.client.get("/api/v1/notifications", params={"status": "all"}).json()
    return {n["id"]: n for n in found["notifications"]}


def test_a_notam_file_is_stored_as_notifications_that_carry_their_notam_number(api: InProcess):
    answer = import_text(api, "notam", f"{GOOD}\n\n{BAD_TIME}")

    assert answer.status_code == 200, answer.text
    done = answer.json()
    (made,) = done["created"]
    assert made["reference"] == "LCCC A1234/26"
    assert made["kind"] == "firing"
    (error,) = done["errors"]
    assert error["item"] == "NOTAM A1235/26"
    assert error["field"] == "B)"
    stored = notifications(api)[made["id"]]
    assert stored["reference"] == "LCCC A1234/26"
    assert stored["status"] == "planned"


def test_a_notamr_cancels_what_it_replaces_and_a_notamc_cancels_the_replacement(api: InProcess):
    first = import_text(api, "notam", GOOD).json()["created"][0]["id"]

    replaced = import_text(api, "notam", REPLACE).json()
    (new,) = replaced["created"]
    assert [c["id"] for c in replaced["cancelled"]] == [first]
    assert new["reference"] == "LCCC A1240/26"

    cancelled = import_text(api, "notam", CANCEL).json()
    assert cancelled["created"] == []
    assert [c["id"] for c in cancelled["cancelled"]] == [new["id"]]
    held = notifications(api)
    assert {held[first]["status"], held[new["id"]]["status"]} == {"cancelled"}


def test_a_notamc_of_a_notam_not_held_is_reported_and_changes_nothing(api: InProcess):
    before = notifications(api)

    done = import_text(api, "notam", CANCEL).json()

    (error,) = done["errors"]
    assert error["item"] == "NOTAM A1241/26"
    assert error["message"] == (
        "NOTAM A1241/26 cancels LCCC A1240/26, but no live notification here was made from "
        "LCCC A1240/26: nothing was cancelled"
    )
    assert notifications(api) == before


def test_a_notamr_of_a_notam_not_held_creates_the_new_one_and_warns(api: InProcess):
    done = import_text(api, "notam", REPLACE).json()

    assert len(done["created"]) == 1
    assert done["errors"] == []
    (warning,) = done["warnings"]
    assert "no live notification here was made from LCCC A1234/26" in warning["message"]


def test_the_same_notam_imported_twice_is_refused_the_second_time(api: InProcess):
    import_text(api, "notam", GOOD)

    again = import_text(api, "notam", GOOD).json()

    assert again["created"] == []
    assert "LCCC A1234/26 is already notified here" in again["errors"][0]["message"]
    assert len(notifications(api)) == 1


@needs_shared_data()
def test_the_invalid_ed318_example_is_refused_naming_the_problem(api: InProcess):
    text = (ED318_EXAMPLES / "InvalidExample_GeoZone_2_Layers.json").read_text(encoding="utf-8")

    done = import_text(api, "ed318", text).json()

    assert done["created"] == []
    assert done["errors"][0]["field"] == "$.metadata.validFrom"


@needs_shared_data()
@pytest.mark.parametrize(
    ("node_dir", "problem"),
    [
        (
            None,
            "none is configured: set the setting ed318_schema_dir (OPENLINE_ED318_SCHEMA_DIR) to",
        ),
        (
            ED318_EXAMPLES,
            f"(OPENLINE_ED318_SCHEMA_DIR) is {ED318_EXAMPLES}, which holds no Schema_GeoZones.json",
        ),
    ],
    ids=["not configured", "folder without the schema"],
    indirect=["node_dir"],
)
def test_a_node_without_the_ed318_schema_refuses_ed318_files_and_stores_nothing(
    api: InProcess, problem: str
):
    circle = (ED318_EXAMPLES / "Example_GeoZone_Circle.json").read_text(encoding="utf-8")

    for params in ({}, {"dry_run": "true"}):
        answer = api.client.post(
            "/api/v1/imports/ed318",
            params=params,
            content=circle.encode(),
            headers={"Content-Type": "application/json"},
        )

        assert answer.status_code == 422, params
        error = answer.json()["error"]
        assert error["code"] == "invalid"
        assert problem in error["message"]
        assert "EUROCONTROL's ED-318 JSON schema: Schema_GeoZones.json" in error["message"]
    assert notifications(api) == {}
    # the other formats need no schema
    assert import_text(api, "notam", GOOD).status_code == 200


@needs_shared_data()
def test_an_ed318_zone_is_stored_as_a_zone_and_exported_in_geojson_and_f3548(api: InProcess):
    text = (ED318_EXAMPLES / "Example_GeoZone_Circle.json").read_text(encoding="utf-8")
    (made,) = import_text(api, "ed318", text).json()["created"]

    geojson = api.client.get("/api/v1/exports/geojson").json()
    f3548 = api.client.get("/api/v1/exports/f3548").json()

    (feature,) = geojson["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.636866, 50.122901]}
    assert feature["properties"]["radius_m"] == 3500
    assert feature["properties"]["notification"] == made["id"]
    assert feature["properties"]["reference"] == "ABC1234"
    assert feature["properties"]["owner"] == "BLUE"
    (intent,) = f3548["operational_intents"]
    circle = intent["details"]["volumes"][0]["volume"]["outline_circle"]
    assert circle == {
        "center": {"lat": 50.122901, "lng": 2.636866},
        "radius": {"value": 3500, "units": "M"},
    }


def test_a_duty_officer_may_not_import_but_may_export(api: InProcess):
    token = create_token(api.node, "duty-1", Role.DUTY_OFFICER)

    refused = import_text(api, "notam", GOOD, token)
    exported = api.client.get("/api/v1/exports/geojson", headers=api.auth(token))

    assert refused.status_code == 403
    assert "needs the role planner or administrator" in refused.json()["error"]["message"]
    assert exported.status_code == 200
    assert notifications(api) == {}


def test_an_unknown_format_is_refused_with_the_ones_there_are(api: InProcess):
    answer = import_text(api, "kml", "<kml/>")

    assert answer.status_code == 422
    assert "notam" in answer.json()["error"]["message"]


@needs_shared_data()
def test_openline_import_and_export_work_against_a_running_node(
    running_node: RunningNode, tmp_path: Path
):
    file = tmp_path / "notams.txt"
    file.write_text(f"{GOOD}\n\n{BAD_TIME}\n", encoding="utf-8")

    circle = ED318_EXAMPLES / "Example_GeoZone_Circle.json"

    imported = run_openline("import", "notam", file, "--node", running_node.directory)
    zone = run_openline("import", "ed318", circle, "--node", running_node.directory)
    exported = run_openline("export", "geojson", "--node", running_node.directory)
    as_notams = run_openline("export", "notam", "--node", running_node.directory)

    assert imported.returncode == 1
    assert "created ntf_" in imported.stdout
    assert "2 records: 1 notifications created, 0 cancelled, 1 records failed" in imported.stdout
    assert "error: NOTAM A1235/26: B) '2613031200' is not a real date and time" in imported.stderr
    assert zone.returncode == 0, zone.stderr
    assert "1 records: 1 notifications created" in zone.stdout
    assert exported.returncode == 0, exported.stderr
    features = json.loads(exported.stdout)["features"]
    references = [f["properties"]["reference"] for f in features]
    assert sorted(references) == ["ABC1234", "LCCC A1234/26"]
    # the NOTAM text, read back by a dry run, gives the same volumes
    assert as_notams.returncode == 0, as_notams.stderr
    assert as_notams.stdout.startswith("(A0001/")
    (tmp_path / "out.txt").write_text(as_notams.stdout, encoding="utf-8")
    again = run_openline("import", "notam", tmp_path / "out.txt", "--dry-run")
    assert again.returncode == 0, again.stderr
    assert sorted(map(volume_of, json.loads(again.stdout)["features"])) == sorted(
        map(volume_of, features)
    )


def volume_of(feature: dict[str, Any]) -> str:
    """A GeoJSON feature's volume: its shape, radius, limits and window."""
    props = feature["properties"]
    names = ("radius_m", "altitude_lower_m", "altitude_upper_m", "time_start", "time_end")
    return json.dumps([feature["geometry"], *(props.get(n) for n in names)])


@needs_shared_data()
@pytest.mark.parametrize("fmt", ["geojson", "f3548"])
def test_an_export_imports_again_as_the_same_volumes(api: InProcess, fmt: str):
    text = (ED318_EXAMPLES / "Example_GeoZone_Circle.json").read_text(encoding="utf-8")
    (made,) = import_text(api, "ed318", text).json()["created"]
    exported = api.client.get(f"/api/v1/exports/{fmt}").json()
    if fmt == "geojson":  # under another reference: the zone itself is still held
        exported["features"][0]["properties"]["reference"] = "ABC1234-copy"

    again = import_text(api, fmt, json.dumps(exported)).json()

    (copy,) = again["created"]
    held = notifications(api)
    assert held[copy["id"]]["volumes"] == held[made["id"]]["volumes"]


def test_a_dry_run_through_the_api_answers_the_collection_and_stores_nothing(api: InProcess):
    answer = api.client.post(
        "/api/v1/imports/notam",
        params={"dry_run": "true"},
        content=f"{GOOD}\n\n{BAD_TIME}".encode(),
        headers={"Content-Type": "text/plain"},
    )

    assert answer.status_code == 200, answer.text
    collection = answer.json()
    assert [f["properties"]["notam_id"] for f in collection["features"]] == ["LCCC A1234/26"]
    assert collection["errors"][0]["item"] == "NOTAM A1235/26"
    assert notifications(api) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the geojson file is not JSON"),
        (b"\xff\xfe{}", "the file is not UTF-8 text"),
        (b'{"type": "Feature", "title": "x\\ud800"}', "the geojson file is not JSON: title holds"),
        (b"A) LCCC\x00", "the file holds a NUL character at character 7"),
    ],
    ids=["not JSON", "not UTF-8", "lone surrogate", "NUL"],
)
def test_a_file_that_cannot_be_read_at_all_is_a_422_naming_why(
    api: InProcess, body: bytes, message: str
):
    answer = api.client.post("/api/v1/imports/geojson", content=body)

    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith(message)
    assert notifications(api) == {}


@needs_shared_data()
def test_a_reference_given_to_post_notifications_is_stored_and_answered(api: InProcess):
    volume = {
        "circle": {"lat": 35.0, "lon": 38.0, "radius_m": 500},
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T13:00:00Z",
    }
    body = {"kind": "zone", "title": "typed in", "volumes": [volume], "reference": "LSZB003"}

    made = api.client.post("/api/v1/notifications", json=body)

    assert made.status_code == 201, made.text
    assert made.json()["reference"] == "LSZB003"
    assert notifications(api)[made.json()["id"]]["reference"] == "LSZB003"
    # the ED-318 zone of that identifier is now already held here
    text = (SHARED_DATA / "geozones" / "cis_source_sample_ed318.json").read_text(encoding="utf-8")
    done = import_text(api, "ed318", text).json()
    assert [e["item"] for e in done["errors"]] == ["zone LSZB003"]
    assert len(done["created"]) == 2
