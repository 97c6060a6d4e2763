"""Two real nodes resolve a conflict by an agreed outcome (issue 22, item 2).

BLUE's air operation and RED's ground operation clash. RED proposes a delay of BLUE's
operation, with its new window; the proposal crosses the line; BLUE accepts it. Both nodes
journal the same agreement, both list the conflict as agreed with BLUE's notification to
revise, and the transcripts cross-verify. BLUE revises to the agreed window: the conflict
clears; moved back, it opens again with a new thread. Bad input on the way: a window that ends
before it starts, an acceptance of one's own proposal, a proposal accepted twice, and, once BLUE
cancels its operation, a proposal on the cleared conflict: each a 4xx naming the field, nothing
sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openline.domain.conflicts import conflict_key
from tests.integration.test_deconfliction_line import air_operation
from tests.support.faults import assert_journals_verify_and_agree
from tests.support.operator import assert_flash_gets_through, get, journal_of
from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

DELAY = {
    "outcome": "delay",
    "text": "Our convoy passes 13:00-14:00; hold the air operation until 15:00",
    "window": {"start": "2026-12-03T15:00:00Z", "end": "2026-12-03T17:00:00Z"},
}


def ground_operation() -> dict[str, Any]:
    volume = {
        "circle": {"lat": 35.1, "lon": 38.1, "radius_m": 3000},
        "altitude_lower_m": 0,
        "altitude_upper_m": 50,
        "time_start": "2026-12-03T13:00:00Z",
        "time_end": "2026-12-03T14:00:00Z",
    }
    return {
        "kind": "ground-operation",
        "title": "Convoy",
        "volumes": [volume],
        "share_with": ["BLUE"],
    }


def notify(node: RunningNode, body: dict[str, Any]) -> str:
    with node.client() as client:
        made = client.post("/api/v1/notifications", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def revise(node: RunningNode, notification_id: str, body: dict[str, Any]) -> None:
    with node.client() as client:
        revised = client.put(f"/api/v1/notifications/{notification_id}", json=body)
    assert revised.status_code == 200, revised.text


def conflict_on(node: RunningNode, key: str) -> dict[str, Any]:
    found: dict[str, Any] = get(node, f"/api/v1/conflicts/{key}")
    return found


def thread(node: RunningNode, key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get(node, f"/api/v1/conflicts/{key}/resolution")["proposals"]
    return found


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_a_delay_proposed_by_red_and_accepted_by_blue_is_agreed_on_both_nodes(
    pair: Pair, tmp_path: Path
):
    ours, theirs = notify(pair.blue, air_operation()), notify(pair.red, ground_operation())
    key = conflict_key(ours, theirs)
    wait_for(
        lambda: (
            get(pair.blue, "/api/v1/conflicts")["conflicts"]
            and get(pair.red, "/api/v1/conflicts")["conflicts"]
        ),
        what="the conflict on both nodes",
    )
    assert conflict_on(pair.red, key)["state"] == "open"

    with pair.red.client() as red:
        backwards = red.post(
            f"/api/v1/conflicts/{key}/resolution",
            json={
                **DELAY,
                "window": {"start": "2026-12-03T15:00:00Z", "end": "2026-12-03T14:00:00Z"},
            },
        )
        no_window = red.post(f"/api/v1/conflicts/{key}/resolution", json={**DELAY, "window": None})
        unknown = red.post(f"/api/v1/conflicts/{key}/resolution", json={**DELAY, "outcome": "wait"})
        proposed = red.post(f"/api/v1/conflicts/{key}/resolution", json=DELAY)
    assert error_of(backwards, 422)["field"] == "window.end"
    assert "is not after window.start" in error_of(backwards, 422)["message"]
    assert error_of(no_window, 422)["field"] == "window"
    assert error_of(unknown, 422)["field"] == "outcome"
    assert len(journal_of(pair.red, "conflict.proposed")) == 1  # the refusals wrote nothing
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert (proposal["party"], proposal["state"], proposal["outcome"]) == (
        "RED",
        "waiting",
        "delay",
    )

    wait_for(lambda: thread(pair.blue, key), what="RED's proposal on BLUE")
    assert conflict_on(pair.blue, key)["state"] == conflict_on(pair.red, key)["state"] == "proposed"
    assert thread(pair.blue, key) == thread(pair.red, key) == [proposal]

    with pair.red.client() as red:
        own = red.post(f"/api/v1/conflicts/{key}/resolution/{proposal['id']}/accept")
    assert error_of(own, 409)["field"] == "id"
    with pair.blue.client() as blue:
        accepted = blue.post(f"/api/v1/conflicts/{key}/resolution/{proposal['id']}/accept")
        twice = blue.post(f"/api/v1/conflicts/{key}/resolution/{proposal['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"
    assert error_of(twice, 409)["field"] == "id"
    assert "accepted already" in error_of(twice, 409)["message"]

    wait_for(lambda: conflict_on(pair.red, key)["state"] == "agreed", what="the agreement on RED")
    for node in (pair.blue, pair.red):
        shown = conflict_on(node, key)
        assert shown["state"] == "agreed"
        assert shown["resolution"]["outcome"] == "delay"
        assert shown["resolution"]["window"] == {
            "start": "2026-12-03T15:00:00.000Z",
            "end": "2026-12-03T17:00:00.000Z",
        }
        assert shown["revise"] == ours  # BLUE agreed to delay its operation: a reminder
        (listed,) = get(node, "/api/v1/conflicts")["conflicts"]
        assert listed["state"] == "agreed"
    agreed_blue = [e["data"] for e in journal_of(pair.blue, "conflict.agreed")]
    agreed_red = [e["data"] for e in journal_of(pair.red, "conflict.agreed")]
    assert agreed_blue == agreed_red
    assert agreed_blue[0]["accepted_by"] == "BLUE"
    assert agreed_blue[0]["resolution"]["id"] == proposal["id"]

    # BLUE revises its operation to the agreed window: the conflict clears on both nodes,
    # still showing what was agreed.
    delayed = air_operation()
    delayed["volumes"][0] |= {
        "time_start": "2026-12-03T15:00:00Z",
        "time_end": "2026-12-03T17:00:00Z",
    }
    revise(pair.blue, ours, delayed)
    wait_for(lambda: conflict_on(pair.red, key)["state"] == "cleared", what="cleared on RED")
    assert conflict_on(pair.blue, key)["state"] == "cleared"
    assert conflict_on(pair.blue, key)["resolution"]["state"] == "accepted"

    # Moved back, it clashes again: a new episode, open, its earlier thread closed.
    revise(pair.blue, ours, air_operation())
    wait_for(lambda: conflict_on(pair.red, key)["state"] == "open", what="open again on RED")
    for node in (pair.blue, pair.red):
        assert conflict_on(node, key)["resolution"] is None
        assert [p["state"] for p in thread(node, key)] == ["closed"]

    # BLUE cancels its operation: the conflict clears, and takes no proposal any more.
    with pair.blue.client() as blue:
        blue.post(f"/api/v1/notifications/{ours}/status", json={"status": "cancelled"})
    wait_for(lambda: conflict_on(pair.red, key)["state"] == "cleared", what="cleared on RED")
    with pair.red.client() as red:
        late = red.post(
            f"/api/v1/conflicts/{key}/resolution",
            json={**DELAY, "outcome": "proceed", "window": None},
        )
    assert error_of(late, 409)["field"] == "key"
    assert "is cleared" in error_of(late, 409)["message"]
    assert len(journal_of(pair.red, "conflict.proposed")) == 1

    assert_journals_verify_and_agree(pair, tmp_path)
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")
    assert_flash_gets_through(pair.blue, pair.red, "RED")
