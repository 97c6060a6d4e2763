"""A peer removed and added back (issue 27, item 3; docs/line.md#removing-a-peer): removing ends
the link (nothing sent, nothing taken), keeps the outbox and the journal; adding the same party
back resumes the same link, each way where it stood, every message once and in order.

BLUE and RED run as real node processes; BLUE's administrator runs the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openline.node.assembly import Node
from tests.support.backend import sqlite_only
from tests.support.faults import assert_journals_verify_and_agree
from tests.support.operator import get, journal_of, send, state
from tests.support.processes import Pair, RunningNode, run_openline
from tests.support.waiting import wait_for


def delivered(node: RunningNode, message: dict[str, Any]) -> bool:
    return state(node, message["id"]) == "delivered"


def link_seqs(node: RunningNode, to: str) -> list[int]:
    queued = journal_of(node, "envelope.queued")
    return [e["data"]["link_seq"] for e in queued if e["data"]["to"] == to]


def inbox(node: RunningNode) -> list[str]:
    return sorted(m["id"] for m in get(node, "/api/v1/messages", box="in")["messages"])


@sqlite_only("the link's behaviour, the same on either database")
def test_a_peer_removed_and_added_back_resumes_the_same_link(pair: Pair, tmp_path: Path):
    blue, red = pair.blue, pair.red
    first = send(blue, ["RED"], "before RED is removed")
    answer = send(red, ["BLUE"], "RED, before")
    wait_for(lambda: delivered(blue, first) and delivered(red, answer), what="both delivered")
    card = tmp_path / "red-card.json"
    node = Node.open(red.directory, environ={})  # what `openline card` prints
    try:
        card.write_text(json.dumps(node.card().model_dump()), encoding="utf-8")
    finally:
        node.close()

    removed = run_openline("peer", "remove", blue.directory, "RED")
    wait_for(lambda: not get(blue, "/api/v1/node")["peers"], what="BLUE's line to RED ended")
    with blue.client() as client:
        refused = client.post(
            "/api/v1/messages",
            json={"to": ["RED"], "precedence": "flash", "text": "x", "lang": "en"},
        )
    meanwhile = send(red, ["BLUE"], "RED, while removed")
    wait_for(lambda: journal_of(blue, "security.envelope_refused"), what="RED's envelope refused")
    again = run_openline("peer", "remove", blue.directory, "RED")

    assert removed.returncode == 0, removed.stderr
    assert "its outbox and journal are kept" in removed.stdout
    (entry,) = journal_of(blue, "peer.removed")
    assert entry["data"]["peer"] == "RED"
    assert json.loads(card.read_text())["public_key"] == entry["data"]["card"]["public_key"]
    assert refused.status_code in (404, 422), refused.text
    assert "RED" in refused.text
    assert state(red, meanwhile["id"]) == "queued"
    assert again.returncode == 1
    assert "RED is not a peer of BLUE" in again.stderr

    added = run_openline("peer", "add", blue.directory, card)
    after = send(blue, ["RED"], "after RED is back")

    assert added.returncode == 0, added.stderr
    wait_for(lambda: delivered(blue, after) and delivered(red, meanwhile), what="the link back")
    # The same link each way: BLUE's envelopes to RED go on from where they stood, and RED's
    # waiting one arrived in its place; every message once.
    seqs = link_seqs(blue, "RED")
    assert seqs == list(range(1, len(seqs) + 1))
    assert inbox(red) == sorted([first["id"], after["id"]])
    assert inbox(blue) == sorted([answer["id"], meanwhile["id"]])
    assert_journals_verify_and_agree(pair, tmp_path)
