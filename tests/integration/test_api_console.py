"""The small read-only answers the operator console asks for: the journal's verification and
the MGRS reference of the cursor."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from openline.services.setup import NewNode
from tests.support.backend import node_engine, sqlite_only
from tests.support.nodes import InProcess

COMPUTED = sqlite_only("the answer is computed, never read from the database")


def test_the_journal_verification_counts_every_entry_of_an_intact_journal(api: InProcess):
    head = api.client.get("/api/v1/node").json()["journal"]["seq"]
    report = api.client.get("/api/v1/journal/verify")
    assert report.status_code == 200, report.text
    assert report.json() == {
        "intact": True,
        "verified": head,
        "bad_seq": None,
        "bad_checkpoint": None,
        "reason": None,
    }


def test_the_journal_verification_names_the_first_entry_changed_behind_the_nodes_back(
    api: InProcess, node_dir: NewNode
):
    engine = node_engine(node_dir.directory)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE journal SET data = :data WHERE seq = 2"), {"data": "{}"})
    finally:
        engine.dispose()
    report = api.client.get("/api/v1/journal/verify").json()
    assert report["intact"] is False
    assert report["bad_seq"] == 2
    assert report["bad_checkpoint"] is None
    assert report["verified"] == 1
    assert report["reason"]


def test_the_journal_verification_names_a_checkpoint_changed_behind_the_nodes_back(
    api: InProcess, node_dir: NewNode
):
    engine = node_engine(node_dir.directory)
    try:
        with engine.begin() as conn:
            size = conn.execute(text("SELECT max(size) FROM journal_checkpoints")).scalar_one()
            conn.execute(
                text("UPDATE journal_checkpoints SET note = 'not a note' WHERE size = :size"),
                {"size": size},
            )
    finally:
        engine.dispose()
    report = api.client.get("/api/v1/journal/verify").json()
    assert report["intact"] is False
    assert report["bad_checkpoint"] == size
    assert report["bad_seq"] is None
    assert "its note cannot be read" in report["reason"]


@COMPUTED
def test_the_mgrs_of_a_point_is_the_square_that_holds_it(api: InProcess):
    answer = api.client.get("/api/v1/mgrs/36.2/37.15")
    assert answer.status_code == 200, answer.text
    # docs/coordinates.md: the same point through `openline coord --to mgrs`.
    assert answer.json() == {"lat": 36.2, "lon": 37.15, "mgrs": "37SCA3367707717"}


@COMPUTED
def test_a_latitude_beyond_the_pole_is_refused_naming_the_field(api: InProcess):
    answer = api.client.get("/api/v1/mgrs/91/0")
    assert answer.status_code in {400, 422}, answer.text
    assert "lat" in answer.text


def test_the_console_answers_need_an_operator_token(api: InProcess):
    for path in (
        "/api/v1/journal/verify",
        "/api/v1/mgrs/0/0",
        "/api/v1/entry/point?text=0 0",
        "/api/v1/entry/time?text=031800ZDEC26",
    ):
        assert api.client.get(path, headers={"Authorization": ""}).status_code == 401


@COMPUTED
@pytest.mark.parametrize(
    ("typed", "lat", "lon"),
    [
        ("37SCA3367707717", 36.2, 37.15),  # MGRS, the centre of its 1 m square
        ("36°12'00\"N 37°09'00\"E", 36.2, 37.15),
        ("361200N 0370900E", 36.2, 37.15),
        ("36.2, 37.15", 36.2, 37.15),
    ],
)
def test_a_typed_location_names_its_point_with_its_mgrs(
    api: InProcess, typed: str, lat: float, lon: float
):
    answer = api.client.get("/api/v1/entry/point", params={"text": typed})
    assert answer.status_code == 200, answer.text
    point = answer.json()
    assert (round(point["lat"], 5), round(point["lon"], 5)) == (lat, lon)
    assert point["mgrs"] == "37SCA3367707717"


@COMPUTED
@pytest.mark.parametrize(
    "typed", ["031800ZDEC26", "03 1800Z DEC 2026", "2026-12-03T18:00:00Z", "2026-12-03T19:00+01:00"]
)
def test_a_typed_time_is_read_as_a_dtg_or_iso_8601(api: InProcess, typed: str):
    answer = api.client.get("/api/v1/entry/time", params={"text": typed})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"time": "2026-12-03T18:00:00.000Z", "dtg": "031800ZDEC26"}


@COMPUTED
@pytest.mark.parametrize(
    ("path", "typed", "named"),
    [
        ("point", "37SZZ", "column letter 'Z'"),
        ("point", "north of the river", "NORTHOFTHERIVER"),
        ("time", "311800ZFEB26", "day 31 is not in FEB 2026"),
        ("time", "2026-12-03T18:00", "no time zone"),
        ("time", "tomorrow", "DDHHMM"),
    ],
)
def test_an_entry_that_names_nothing_is_refused_saying_why(
    api: InProcess, path: str, typed: str, named: str
):
    answer = api.client.get(f"/api/v1/entry/{path}", params={"text": typed})
    assert answer.status_code == 422, answer.text  # InvalidInput, as everywhere in the API
    assert named in answer.json()["error"]["message"]


@COMPUTED
def test_the_mgrs_grid_over_a_view_has_round_lines_and_each_squares_reference(api: InProcess):
    view = {"south": 35.90, "west": 38.95, "north": 36.00, "east": 39.07}
    answer = api.client.get("/api/v1/mgrs-grid", params={**view, "spacing_m": 10000})
    assert answer.status_code == 200, answer.text
    grid = answer.json()
    assert grid["zone"] == 37
    assert len(grid["lines"]) >= 4  # at least two eastings and two northings across 10 km
    for label in grid["labels"]:
        # Each label is the 10 km square holding its point, as `/mgrs` writes it, cut to 10 km.
        whole = api.client.get(f"/api/v1/mgrs/{label['lat']}/{label['lon']}").json()["mgrs"]
        assert label["mgrs"] == whole[:5] + whole[5] + whole[10]
    assert [label["mgrs"] for label in grid["labels"]] == ["37SEV07"]


@COMPUTED
@pytest.mark.parametrize(
    ("spacing", "view", "named"),
    [
        (5000, (35.9, 38.9, 36.0, 39.0), "spacing 5000 m"),
        (100, (30.0, 30.0, 40.0, 40.0), "grid lines of 100 m"),
        (1000, (36.0, 39.0, 35.0, 40.0), "south < north"),
    ],
)
def test_a_grid_that_cannot_be_drawn_is_refused_saying_why(
    api: InProcess, spacing: int, view: tuple[float, float, float, float], named: str
):
    south, west, north, east = view
    params = {"south": south, "west": west, "north": north, "east": east, "spacing_m": spacing}
    answer = api.client.get("/api/v1/mgrs-grid", params=params)
    assert answer.status_code == 422, answer.text
    assert named in answer.json()["error"]["message"]
