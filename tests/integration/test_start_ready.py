"""A process answers while it loads its conflict finder after its start: it says it is not ready,
and refuses what needs the finder with 503 and Retry-After, never answering it wrongly
(issue 26, item 5; node/live_finder.py)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.separation import SeparationRules
from openline.geo.conflict_finder import ConflictFinder
from openline.node.assembly import Node
from openline.node.live_finder import LiveFinder, Records, build_finder
from openline.services.setup import NewNode
from tests.support.backend import sqlite_only
from tests.support.waiting import wait_for

WINDOW = {"time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T12:00:00Z"}


def notification(kind: str, lon: float) -> dict[str, Any]:
    circle = {"lat": 35.0, "lon": lon, "radius_m": 2000}
    volume = {"circle": circle, "altitude_lower_m": 0, "altitude_upper_m": 3000, **WINDOW}
    return {"kind": kind, "title": kind, "volumes": [volume]}


@sqlite_only("the load's timing is the same on both databases; in process, one is enough")
def test_until_its_finder_is_loaded_a_process_says_so_and_refuses_conflict_checks_with_503(
    node_dir: NewNode,
) -> None:
    auth = {"Authorization": f"Bearer {node_dir.token}"}
    with TestClient(create_app(Node.open(node_dir.directory, environ={}))) as client:
        site = notification("protected-site", 38.0)  # stored before the start below
        posted = client.post("/api/v1/notifications", json=site, headers=auth)
        assert posted.status_code == 201, posted.text

    loading = threading.Event()

    def held_back(rules: SeparationRules, held: Records) -> ConflictFinder:
        loading.wait(timeout=30)  # as long as the test says: a node with many volumes
        return build_finder(rules, held)

    node = Node.open(node_dir.directory, environ={})
    node.live_finder = LiveFinder(node.settings.separation, build=held_back)
    with TestClient(create_app(node, wait_for_engines=False)) as client:
        assert client.get("/api/v1/node", headers=auth).json()["ready"] is False
        refused = client.post(
            "/api/v1/notifications", json=notification("air-operation", 38.01), headers=auth
        )
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"].isdigit()
        assert refused.json()["error"]["code"] == "unavailable"
        assert "loading" in refused.json()["error"]["message"]
        # Nothing of it was kept, and what does not need the finder is answered meanwhile.
        listed = client.get("/api/v1/notifications", headers=auth).json()["notifications"]
        assert [n["kind"] for n in listed] == ["protected-site"]
        sent = client.post(
            "/api/v1/messages",
            json={"to": ["BLUE"], "precedence": "routine", "text": "meanwhile", "lang": "en"},
            headers=auth,
        )
        assert sent.status_code == 201, sent.text

        loading.set()
        wait_for(lambda: client.get("/api/v1/node", headers=auth).json()["ready"], timeout=30)
        checked = client.post(
            "/api/v1/notifications", json=notification("air-operation", 38.01), headers=auth
        )
        assert checked.status_code == 201, checked.text
        assert len(checked.json()["conflicts"]) == 1  # with the site stored before the start
