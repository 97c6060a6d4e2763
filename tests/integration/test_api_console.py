"""The small read-only answers the operator console asks for: the journal's verification and
the MGRS reference of the cursor."""

from __future__ import annotations

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
    for path in ("/api/v1/journal/verify", "/api/v1/mgrs/0/0"):
        assert api.client.get(path, headers={"Authorization": ""}).status_code == 401
