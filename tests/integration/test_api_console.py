"""The small read-only answers the operator console asks for: the journal's verification and
the MGRS reference of the cursor."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from openline.services.setup import NewNode
from tests.support.backend import node_engine
from tests.support.nodes import InProcess


def test_the_journal_verification_counts_every_entry_of_an_intact_journal(api: InProcess):
    head = api.client.get("/api/v1/node").json()["journal"]["seq"]
    report = api.client.get("/api/v1/journal/verify")
    assert report.status_code == 200, report.text
    assert report.json() == {"intact": True, "verified": head, "bad_seq": None, "reason": None}


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
    assert report["verified"] == 1
    assert report["reason"]


def test_the_mgrs_of_a_point_is_the_square_that_holds_it(api: InProcess):
    answer = api.client.get("/api/v1/mgrs/36.2/37.15")
    assert answer.status_code == 200, answer.text
    # docs/coordinates.md: the same point through `openline coord --to mgrs`.
    assert answer.json() == {"lat": 36.2, "lon": 37.15, "mgrs": "37SCA3367707717"}


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


@pytest.mark.parametrize(
    "typed", ["031800ZDEC26", "03 1800Z DEC 2026", "2026-12-03T18:00:00Z", "2026-12-03T19:00+01:00"]
)
def test_a_typed_time_is_read_as_a_dtg_or_iso_8601(api: InProcess, typed: str):
    answer = api.client.get("/api/v1/entry/time", params={"text": typed})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"time": "2026-12-03T18:00:00.000Z", "dtg": "031800ZDEC26"}


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
