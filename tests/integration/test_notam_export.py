"""GET /api/v1/exports/notam (what ``openline export notam`` prints): a node's notifications as
ICAO NOTAM text issued by its party, which imported again gives the same volumes."""

from __future__ import annotations

import json
from typing import Any

from tests.support.nodes import InProcess
from tests.support.notams import SQUARE, volume

POLYGON = {"geometry": {"type": "Polygon", "coordinates": [SQUARE]}}
BODY = {
    "kind": "firing",
    "title": "Artillery firing",
    "volumes": [
        volume(POLYGON, 0, 3048),
        volume({"circle": {"lat": 35.1234567, "lon": 36.7654321, "radius_m": 2500.5}}, 152.4, 4000),
        volume({"corridor": {"path": [[36.0, 35.2], [36.3, 35.4]], "half_width_m": 750}}, 0, 120),
    ],
}


def canonical(volumes: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in volumes)


def test_a_notification_exported_as_notam_text_imports_back_to_the_same_volumes(api: InProcess):
    made = api.client.post("/api/v1/notifications", json=BODY, headers=api.auth(None))
    assert made.status_code == 201, made.text
    original = made.json()

    exported = api.client.get("/api/v1/exports/notam", headers=api.auth(None))
    assert exported.status_code == 200
    text = exported.json()["text"]
    assert text.startswith("(A0001/26 NOTAMN\nQ) BLUE/QWMLW/IV/BO/W/000/132/")

    done = api.client.post(
        "/api/v1/imports/notam",
        content=text.encode(),
        headers={"Content-Type": "text/plain", **api.auth(None)},
    ).json()
    assert done["errors"] == []
    (again,) = done["created"]
    assert again["reference"] == "BLUE A0001/26"
    copy = api.client.get(f"/api/v1/notifications/{again['id']}", headers=api.auth(None)).json()
    assert canonical(copy["volumes"]) == canonical(original["volumes"])
    assert copy["kind"] == "firing"
