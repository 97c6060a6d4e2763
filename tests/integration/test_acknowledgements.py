"""Two real nodes: a person on RED acknowledges BLUE's protected site (issue 22, item 1).

BLUE shares a protected site with RED; RED lists it as waiting for its acknowledgement and
acknowledges it; BLUE sees who on RED acknowledged which version and when, both journals hold
the acknowledgement. BLUE revises the site: RED is asked again, and, left unacknowledged past
the deadline of its kind (3 s here), the version turns overdue: alarms on both nodes, reminders
from BLUE, until RED acknowledges.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.faults import assert_journals_verify_and_agree
from tests.support.operator import assert_flash_gets_through, get, journal_of
from tests.support.processes import (
    Pair,
    RunningNode,
    run_openline,
    start_pair,
    stop_pair,
)
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

ENV = {
    "OPENLINE_LINE_CHECK_INTERVAL": "1",
    "OPENLINE_ESCALATION_REPEAT_INTERVAL": "1",
    "OPENLINE_NOTIFICATION_ACK_DEADLINES": json.dumps({"protected-site": 3}),
}


def hospital(title: str = "Field hospital") -> dict[str, Any]:
    volume = {
        "circle": {"lat": 35.1, "lon": 38.1, "radius_m": 500},
        "altitude_lower_m": 0,
        "altitude_upper_m": 100,
        "time_start": "2026-12-03T00:00:00Z",
        "time_end": "2026-12-31T00:00:00Z",
    }
    return {"kind": "protected-site", "title": title, "volumes": [volume], "share_with": ["RED"]}


def waiting_on(node: RunningNode) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(node, "/api/v1/notifications/to-acknowledge")[
        "acknowledgements"
    ]
    return found


def acks_of(node: RunningNode, notification_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(node, f"/api/v1/notifications/{notification_id}/acks")[
        "acknowledgements"
    ]
    return found


@pytest.fixture
def pair(tmp_path: Path) -> Any:
    started = start_pair(tmp_path, ENV)
    yield started
    stop_pair(started)


def test_red_acknowledges_blues_protected_site_and_a_revision_unacknowledged_turns_overdue(
    pair: Pair, tmp_path: Path
):
    with pair.blue.client() as blue:
        made = blue.post("/api/v1/notifications", json=hospital())
    assert made.status_code == 201, made.text
    site = made.json()["id"]

    wait_for(lambda: waiting_on(pair.red), what="the site waiting for RED's acknowledgement")
    (waiting,) = waiting_on(pair.red)
    assert waiting["notification"] == site
    assert (waiting["version"], waiting["owner"], waiting["party"]) == (1, "BLUE", "RED")
    assert waiting["kind"] == "protected-site"
    assert waiting["title"] == "Field hospital"
    with pair.red.client() as red:
        acked = red.post(f"/api/v1/notifications/{site}/ack")
        again = red.post(f"/api/v1/notifications/{site}/ack")
    assert acked.status_code == 200, acked.text
    assert acked.json()["state"] == "acknowledged"
    assert again.json() == acked.json()  # a second acknowledgement changes nothing
    assert waiting_on(pair.red) == []

    # BLUE sees who on RED acknowledged which version, and when.
    wait_for(
        lambda: acks_of(pair.blue, site)[0]["state"] == "acknowledged",
        what="RED's acknowledgement on BLUE",
    )
    (seen,) = acks_of(pair.blue, site)
    assert (seen["party"], seen["version"]) == ("RED", 1)
    assert seen["acknowledged_by"] == acked.json()["acknowledged_by"]
    assert seen["acknowledged_at"] == acked.json()["acknowledged_at"]
    on_blue = [e["data"] for e in journal_of(pair.blue, "notification.acknowledged")]
    on_red = [e["data"] for e in journal_of(pair.red, "notification.acknowledged")]
    assert on_blue == on_red
    assert on_blue[0]["by"] == seen["acknowledged_by"]

    # Our own notification is not ours to acknowledge: refused, naming the field.
    with pair.blue.client() as blue:
        own = blue.post(f"/api/v1/notifications/{site}/ack")
        missing = blue.post("/api/v1/notifications/ntf_01NOSUCHNOTIFICATION00000/ack")
    assert own.status_code == 409, own.text
    assert own.json()["error"]["field"] == "id"
    assert "BLUE's own" in own.json()["error"]["message"]
    assert missing.status_code == 404
    assert len(journal_of(pair.blue, "notification.acknowledged")) == 1

    # A revision asks again; unacknowledged past its deadline it raises the alarm on both.
    with pair.blue.client() as blue:
        revised = blue.put(f"/api/v1/notifications/{site}", json=hospital("Field hospital (moved)"))
    assert revised.status_code == 200, revised.text
    wait_for(
        lambda: [w["version"] for w in waiting_on(pair.red)] == [2], what="version 2 asks again"
    )

    def overdue(node: RunningNode) -> list[dict[str, Any]]:
        return [
            e["data"]
            for e in journal_of(node, "notification.ack_overdue")
            if e["data"]["version"] == 2
        ]

    wait_for(lambda: len(overdue(pair.blue)) >= 2, what="BLUE's alarm, repeated")
    wait_for(lambda: overdue(pair.red), what="RED's own alarm")
    wait_for(lambda: journal_of(pair.red, "notification.ack_reminder"), what="the reminder")
    assert [a["alarm"] for a in overdue(pair.blue)[:2]] == [1, 2]
    assert overdue(pair.blue)[0]["party"] == "RED"
    assert waiting_on(pair.red)[0]["state"] == "overdue"
    reminder = journal_of(pair.red, "notification.ack_reminder")[0]["data"]
    assert (reminder["notification"], reminder["version"], reminder["from"]) == (site, 2, "BLUE")

    by_cli = run_openline("notify-ack", "--node", pair.red.directory, site)
    assert by_cli.returncode == 0, by_cli.stderr
    assert by_cli.stdout.startswith(f"{site} version 2 of BLUE: acknowledged by local-cli at ")
    wait_for(
        lambda: [a["state"] for a in acks_of(pair.blue, site)] == ["acknowledged"] * 2,
        what="both versions acknowledged on BLUE",
    )
    alarms = [len(overdue(node)) for node in (pair.blue, pair.red)]
    time.sleep(2.5)  # more than two repeat intervals: the alarms stopped
    assert [len(overdue(node)) for node in (pair.blue, pair.red)] == alarms

    assert_journals_verify_and_agree(pair, tmp_path)
    assert_flash_gets_through(pair.blue, pair.red, "RED")
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")
