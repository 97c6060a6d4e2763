"""A relay through a third party's node (issue 19, item 3): BLUE and RED, each reaching the
other through a fault proxy, both linked to GREEN, which relays between them. With both direct
paths cut, messages, acknowledgements and notifications flow both ways through GREEN, exactly
once and in order; GREEN's database and journal hold no word of any body; an envelope altered in
GREEN's store is refused by RED, journaled on both, and delivered once BLUE sends it again.

SQLite only: GREEN's database file itself is searched for the bodies' words.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.domain.canonical import canonical_json
from openline.domain.envelopes import first_prev, seal
from openline.store.database import SQLITE_FILE
from tests.support.backend import sqlite_only
from tests.support.boxes import altered, box_to, node_key
from tests.support.faults import assert_journals_verify_and_agree
from tests.support.operator import assert_flash_gets_through, get, journal_of, send, state
from tests.support.processes import Pair, RunningNode, run_openline
from tests.support.relaying import Three, three_nodes
from tests.support.waiting import wait_for

pytestmark = sqlite_only("GREEN's database file is searched for the bodies' words")

ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}
MARK = f"MARK{uuid.uuid4().hex[:12].upper()}"  # in every body sent: never to be seen on GREEN


@pytest.fixture
def three(tmp_path: Path) -> Iterator[Three]:
    with three_nodes(tmp_path, ENV) as made:
        yield made


def test_both_direct_paths_cut_the_line_goes_through_green_which_reads_and_forges_nothing(
    three: Three, tmp_path: Path
):
    assert_a_relay_is_refused_until_allowed(three)
    allowed = run_openline("relay", "allow", three.green.directory, "RED", "BLUE")
    assert allowed.returncode == 0, allowed.stderr
    assert "GREEN relays between BLUE and RED" in allowed.stdout
    for node, peer in ((three.blue, "RED"), (three.red, "BLUE")):
        via = run_openline("peer", "via", node.directory, peer, "GREEN")
        assert via.returncode == 0, via.stderr
    three.to_red.stop()  # both direct paths cut: nothing listens there any more
    three.to_blue.stop()

    from_blue = [send(three.blue, ["RED"], f"{MARK} blue {n}", "immediate") for n in range(5)]
    from_red = [send(three.red, ["BLUE"], f"{MARK} red {n}", "immediate") for n in range(3)]
    notified = notify(three.blue, "RED", f"{MARK} convoy")
    answered = notify(three.red, "BLUE", f"{MARK} firing")
    assert_delivered_in_order_and_acknowledged(from_blue, three.blue, three.red)
    assert_delivered_in_order_and_acknowledged(from_red, three.red, three.blue)
    wait_for(lambda: has_notification(three.red, notified["id"]), what="the notification on RED")
    wait_for(lambda: has_notification(three.blue, answered["id"]), what="RED's on BLUE")

    assert_the_deliveries_say_green_carried_them(three, [m["id"] for m in from_blue])
    assert_an_envelope_altered_on_green_is_refused_by_red_then_delivered(three)
    assert_green_holds_no_word_of_any_body(three.green, tmp_path)
    assert_journals_verify_and_agree(Pair(three.blue, three.red, ENV), tmp_path)
    assert_flash_gets_through(three.blue, three.red, "RED")
    assert_flash_gets_through(three.red, three.blue, "BLUE")


def assert_delivered_in_order_and_acknowledged(
    sent: list[dict[str, Any]], sender: RunningNode, receiver: RunningNode
) -> None:
    ids = [message["id"] for message in sent]
    wait_for(lambda: all(state(sender, i) == "delivered" for i in ids), what="the deliveries")
    received = [e["data"]["id"] for e in journal_of(receiver, "message.received")]
    assert received == ids  # each once, in the order sent
    with receiver.client() as client:
        for message_id in ids:
            assert client.post(f"/api/v1/messages/{message_id}/ack").status_code == 200
    wait_for(lambda: all(state(sender, i) == "acknowledged" for i in ids), what="the acks")


def assert_a_relay_is_refused_until_allowed(three: Three) -> None:
    """An unknown relay, a party GREEN does not know, a pair GREEN does not relay for: each
    refused naming it, nothing changed, nothing held."""
    unknown = run_openline("peer", "via", three.blue.directory, "RED", "NOBODY")
    assert unknown.returncode == 1
    assert "relay NOBODY is not a peer of BLUE" in unknown.stderr
    assert [p["relay"] for p in _paths(three.blue, "RED")] == [None]
    stranger = run_openline("relay", "allow", three.green.directory, "BLUE", "NOBODY")
    assert stranger.returncode == 1
    assert "party_b NOBODY is not a peer of GREEN" in stranger.stderr
    assert run_openline("relay", "list", three.green.directory).stdout == ""

    envelope = blue_envelope_for_red(three)
    with httpx.Client(base_url=three.green.url, timeout=10) as client:
        answer = client.post("/federation/v1/relay", json={"envelopes": [envelope]})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "relay_not_allowed"
    assert "GREEN does not relay between BLUE and RED" in answer.json()["error"]["message"]
    (refused,) = journal_of(three.green, "security.envelope_refused")
    assert refused["data"]["code"] == "relay_not_allowed"
    assert refused["data"]["id"] == envelope["id"]
    assert journal_of(three.green, "relay.held") == []


def blue_envelope_for_red(three: Three) -> dict[str, Any]:
    """An envelope BLUE signed for RED, as BLUE's node would seal it."""
    blue_key, red_key = node_key(three.blue.directory), node_key(three.red.directory)
    return seal(
        envelope_id="env_blue_by_hand",
        sender="BLUE",
        to="RED",
        link_seq=1,
        prev=first_prev(),
        sent_at="2026-12-07T08:00:00.000Z",
        kind="message",
        body={"id": "msg_by_hand", "text": MARK},
        sign=blue_key.sign,
        box=box_to(blue_key, red_key),
    ).to_json()


def _paths(node: RunningNode, party: str) -> list[dict[str, Any]]:
    peers = {p["party"]: p for p in get(node, "/api/v1/node")["peers"]}
    return list(peers[party]["paths"])


def notify(node: RunningNode, peer: str, title: str) -> dict[str, Any]:
    volume = {
        "circle": {"lat": 35.1, "lon": 38.1, "radius_m": 2000},
        "altitude_lower_m": 0,
        "altitude_upper_m": 500,
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T18:00:00Z",
    }
    body = {"kind": "ground-operation", "title": title, "volumes": [volume], "share_with": [peer]}
    with node.client() as client:
        answer = client.post("/api/v1/notifications", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def has_notification(node: RunningNode, notification_id: str) -> bool:
    with node.client() as client:
        return client.get(f"/api/v1/notifications/{notification_id}").status_code == 200


def assert_the_deliveries_say_green_carried_them(three: Three, ids: list[str]) -> None:
    delivered = [e["data"] for e in journal_of(three.blue, "envelope.delivered")]
    by_message = [d for d in delivered if d["kind"] == "message" and d["to"] == "RED"]
    assert {d["via"] for d in by_message} == {"relay:GREEN"}
    received = [e["data"] for e in journal_of(three.red, "envelope.received")]
    from_blue = [d for d in received if d["envelope"]["kind"] == "message"]
    assert len(from_blue) == len(ids)
    assert {d.get("via") for d in from_blue} == {"relay:GREEN"}
    held = [e["data"] for e in journal_of(three.green, "relay.held")]
    forwarded = [e["data"] for e in journal_of(three.green, "relay.forwarded")]
    assert {(d["from"], d["to"]) for d in forwarded} == {("BLUE", "RED"), ("RED", "BLUE")}
    places = [(d["from"], d["to"], d["link_seq"]) for d in forwarded]
    assert len(places) == len(set(places))  # each forwarded once
    assert set(places) <= {(d["from"], d["to"], d["link_seq"]) for d in held}
    hashes = {d["hash"] for d in by_message}
    assert hashes <= {d["hash"] for d in forwarded}  # BLUE's messages, by GREEN
    assert all(set(d) == {"from", "to", "link_seq", "id", "hash", "size"} for d in held)


def assert_an_envelope_altered_on_green_is_refused_by_red_then_delivered(three: Three) -> None:
    three.green_to_red.stop()  # GREEN holds what BLUE sends, and cannot forward it yet
    message = send(three.blue, ["RED"], f"{MARK} altered on the way")
    wait_for(lambda: held_messages(three.green), what="GREEN holding the message")
    held = held_messages(three.green)
    with sqlite3.connect(_database(three.green)) as db:
        for sender, addressee, link_seq, text in held:
            envelope = json.loads(text)
            envelope["body"]["box"] = altered(envelope["body"]["box"])
            db.execute(
                "UPDATE relayed SET envelope = ? WHERE sender = ? AND addressee = ? "
                "AND link_seq = ?",
                (canonical_json(envelope).decode("utf-8"), sender, addressee, link_seq),
            )
    three.green_to_red.start()  # on the same port

    wait_for(lambda: bad_signatures(three.red), what="RED refusing the altered envelope")
    assert bad_signatures(three.red)[0]["from"] == "BLUE"
    wait_for(lambda: journal_of(three.green, "relay.refused"), what="GREEN's relay.refused")
    assert "bad_signature" in journal_of(three.green, "relay.refused")[0]["data"]["reason"]
    wait_for(lambda: state(three.blue, message["id"]) == "delivered", timeout=60)
    received = [m["id"] for m in get(three.red, "/api/v1/messages", box="in")["messages"]]
    assert received.count(message["id"]) == 1


def bad_signatures(node: RunningNode) -> list[dict[str, Any]]:
    refused = journal_of(node, "security.envelope_refused")
    return [e["data"] for e in refused if e["data"]["code"] == "bad_signature"]


def held_messages(green: RunningNode) -> list[tuple[str, str, int, str]]:
    with sqlite3.connect(_database(green)) as db:
        rows = db.execute(
            "SELECT sender, addressee, link_seq, envelope FROM relayed WHERE receipt IS NULL "
            "AND sender = 'BLUE' AND envelope LIKE '%\"kind\":\"message\"%'"
        ).fetchall()
    return [tuple(row) for row in rows]


def _database(node: RunningNode) -> Path:
    return node.directory / SQLITE_FILE


def assert_green_holds_no_word_of_any_body(green: RunningNode, into: Path) -> None:
    files = sorted(_database(green).parent.glob(_database(green).name + "*"))  # -wal, -shm
    assert files
    for path in files:
        assert MARK.encode() not in path.read_bytes(), path
    exported = run_openline("journal", "export", green.directory)
    assert exported.returncode == 0, exported.stderr
    assert "relay.forwarded" in exported.stdout
    assert MARK not in exported.stdout
