"""Blind deconfliction between two real nodes (issue 28, docs/blind.md): BLUE's and RED's blind
operations that do not meet give nothing; two that meet give a possible conflict on both,
each naming only its own notification, the shared cells and the other party; neither node's
database file nor journal holds a decimal of the other's blind coordinates; the possible
conflict is resolved like any other; disclosed both ways, the exact conflict follows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.backend import sqlite_only
from tests.support.blind import blind_op, conflicts, notify
from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

pytestmark = sqlite_only("RED's database file is searched for BLUE's coordinates")

# Decimals found nowhere else: each node's blind coordinates, searched for on the other.
BLUE_NEAR = (36.123457, 38.654321)
BLUE_FAR = (34.917283, 40.182736)
RED_NEAR = (36.141529, 38.671843)


def runs_ended(node: RunningNode) -> list[dict[str, Any]]:
    with node.client() as client:
        entries = client.get("/api/v1/journal", params={"kind": "conflict.blind_run"}).json()
    return [e["data"] for e in entries["entries"]]


def found_in(node: RunningNode, *places: tuple[float, float]) -> list[bytes]:
    """The places' decimals found in the node's database files or its journal."""
    decimals = [f"{v:.6f}".encode() for place in places for v in place]
    files = sorted(node.directory.glob("openline.db*"))
    assert files
    with node.client() as client:
        journal = client.get("/api/v1/journal", params={"limit": 5000}).content
    held = [journal, *(Path(f).read_bytes() for f in files)]
    return [d for d in decimals if any(d in data for data in held)]


def test_blind_operations_meet_as_possible_conflicts_and_nothing_of_them_crosses(pair: Pair):
    blue_far = notify(pair.blue, blind_op("far away", BLUE_FAR, "RED"))
    wait_for(lambda: runs_ended(pair.blue), what="BLUE's first blind run")
    assert runs_ended(pair.blue)[0]["matches"] == 0
    assert conflicts(pair.blue, blind=True) == conflicts(pair.red, blind=True) == []

    blue_near = notify(pair.blue, blind_op("near", BLUE_NEAR, "RED"))
    red_near = notify(pair.red, blind_op("рядом", RED_NEAR, "BLUE"))
    wait_for(
        lambda: conflicts(pair.blue, blind=True) and conflicts(pair.red, blind=True),
        what="a possible conflict on both nodes",
    )
    wait_for(
        lambda: (
            [n["notification"] for n in conflicts(pair.blue, True)[0]["notifications"]]
            == [blue_near]
            and [n["notification"] for n in conflicts(pair.red, True)[0]["notifications"]]
            == [red_near]
        ),
        what="each side's own notification only, BLUE's far one not among them",
    )
    (on_blue,), (on_red,) = conflicts(pair.blue, True), conflicts(pair.red, True)
    assert (on_blue["party"], on_red["party"]) == ("RED", "BLUE")
    assert on_blue["key"] == on_red["key"]
    assert on_blue["notifications"][0]["cells"] == on_red["notifications"][0]["cells"] != []
    assert blue_far not in str(on_blue)
    assert found_in(pair.red, BLUE_NEAR, BLUE_FAR) == []
    assert found_in(pair.blue, RED_NEAR) == []
    assert len(found_in(pair.blue, BLUE_NEAR, BLUE_FAR)) == 4  # the search finds what is there

    resolve_blind(pair, on_blue["key"])

    disclose(pair.blue, blue_near, "RED")
    disclose(pair.red, red_near, "BLUE")
    wait_for(
        lambda: conflicts(pair.blue, blind=False) and conflicts(pair.red, blind=False),
        what="the exact conflict on both nodes once both disclosed",
    )
    (exact_blue,), (exact_red,) = conflicts(pair.blue, False), conflicts(pair.red, False)
    assert exact_blue["key"] == exact_red["key"]
    assert {exact_blue["a"]["notification"], exact_blue["b"]["notification"]} == {
        blue_near,
        red_near,
    }
    assert exact_blue["distance_m"] == exact_red["distance_m"]
    wait_for(
        lambda: conflicts(pair.blue, True) == [] and conflicts(pair.red, True) == [],
        what="the possible conflict cleared: nothing blind meets any more",
    )
    assert found_in(pair.red, BLUE_FAR) == []
    assert len(found_in(pair.red, BLUE_NEAR)) == 2  # disclosed: BLUE's near operation in full


def resolve_blind(pair: Pair, key: str) -> None:
    """BLUE proposes to proceed jointly; RED accepts; both read the possible conflict agreed."""
    with pair.blue.client() as client:
        proposed = client.post(
            f"/api/v1/conflicts/{key}/resolution", json={"outcome": "joint", "text": "talk"}
        )
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()["id"]

    def thread_on_red() -> list[Any]:
        with pair.red.client() as client:
            return list(client.get(f"/api/v1/conflicts/{key}/resolution").json()["proposals"])

    wait_for(thread_on_red, what="BLUE's proposal on RED")
    with pair.red.client() as client:
        accepted = client.post(f"/api/v1/conflicts/{key}/resolution/{proposal}/accept")
    assert accepted.status_code == 200, accepted.text
    wait_for(
        lambda: [c["state"] for c in conflicts(pair.blue, True)] == ["agreed"],
        what="the possible conflict agreed on BLUE",
    )
    assert [c["state"] for c in conflicts(pair.red, True)] == ["agreed"]


def disclose(node: RunningNode, notification: str, to: str) -> None:
    with node.client() as client:
        refused = client.post(
            f"/api/v1/notifications/{notification}/disclose", json={"to": ["GREEN"]}
        )
        answer = client.post(f"/api/v1/notifications/{notification}/disclose", json={"to": [to]})
    assert refused.status_code == 409, refused.text
    assert answer.status_code == 200, answer.text
    assert (answer.json()["share_with"], answer.json()["blind_with"]) == ([to], [])
