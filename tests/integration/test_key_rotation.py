"""Issue 27's show: two real nodes, BLUE rotates its key in the middle of 500 messages. Every
message arrives once and in order; RED journals the switch; an envelope forged with BLUE's old
key after the switch is refused and journaled; both journals verify, and cross-verify agrees
across the rotation. (The receiver's rules, one case each: test_key_rotation_rules.py.)"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from openline.domain.rotations import RETIRED_KEY, fingerprint
from openline.domain.signed_note import checkpoint_origin
from openline.keys.signing import read_private_key
from openline.services.journal import verify_journal
from openline.services.transcripts import cross_verify_files, export_transcript
from openline.store.witness import all_cosignatures
from tests.support.backend import sqlite_only
from tests.support.operator import assert_flash_gets_through, get
from tests.support.processes import Pair, RunningNode, run_openline
from tests.support.rotation import forged_line_check, opened
from tests.support.waiting import wait_for

pytestmark = sqlite_only("the line and the key files, nothing of the store's own")

HALF = 250


def cosigned(directory: Path, origin: str) -> bool:
    """Whether the node holds a witness's cosignature of one of its checkpoints of ``origin``."""
    with opened(directory) as node:
        held = node.read(all_cosignatures)
    return any(h.checkpoint.startswith(origin + "\n") for h in held)


def send_many(node: RunningNode, first: int, count: int) -> list[str]:
    """Send ``count`` messages to RED; their ids, in the order sent."""
    ids = []
    with node.client() as client:
        for n in range(first, first + count):
            sent = client.post(
                "/api/v1/messages",
                json={"to": ["RED"], "precedence": "routine", "text": f"n={n}", "lang": "en"},
            )
            assert sent.status_code == 201, sent.text
            ids.append(sent.json()["id"])
    return ids


def received(node: RunningNode) -> list[str]:
    """The ids of the messages the node received, in the order its journal took them."""
    entries = get(node, "/api/v1/journal", kind="message.received", limit=5000)["entries"]
    return [e["data"]["id"] for e in sorted(entries, key=lambda e: e["seq"])]


def journal(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in get(node, "/api/v1/journal", kind=kind, limit=100)["entries"]]


def test_blue_rotates_its_key_in_the_middle_of_500_messages(pair: Pair, tmp_path: Path):
    sent = send_many(pair.blue, 0, HALF)
    pair.blue.stop()  # some of the first half may still wait in BLUE's outbox: in flight
    old_key = read_private_key(pair.blue.directory / "node.key")

    rotated = run_openline("key", "rotate", pair.blue.directory)
    assert rotated.returncode == 0, rotated.stderr
    new_key = read_private_key(pair.blue.directory / "node.key").public_key.to_base64()
    assert f"new key {new_key}  fingerprint {fingerprint(new_key)}" in rotated.stdout

    pair.restart("blue")
    sent += send_many(pair.blue, HALF, HALF)

    wait_for(lambda: len(received(pair.red)) >= 2 * HALF, timeout=60, what="500 arrivals")
    assert received(pair.red) == sent  # each once, in order
    (switch,) = journal(pair.red, "peer.key_rotated")
    assert (switch["peer"], switch["old_key"], switch["new_key"]) == (
        "BLUE",
        old_key.public_key.to_base64(),
        new_key,
    )
    card = {p["party"]: p for p in get(pair.red, "/api/v1/node")["peers"]}["BLUE"]
    assert card["public_key"] == new_key

    # A forged envelope signed by the old key, after the switch: refused and journaled.
    red_key = read_private_key(pair.red.directory / "node.key").public_key.to_base64()
    forged = forged_line_check(old_key, red_key, switch["link_seq"] + 10_000, "0" * 64)
    with pair.red.client() as client:
        answer = client.post("/federation/v1/envelopes", json={"envelopes": [forged]})
    (result,) = answer.json()["results"]
    assert result["refused"]["code"] == RETIRED_KEY, answer.text
    (security,) = [
        e for e in journal(pair.red, "security.envelope_refused") if e["code"] == RETIRED_KEY
    ]
    assert security["from"] == "BLUE"
    assert f"retired after envelope {switch['link_seq']}" in security["reason"]

    # RED, BLUE's witness, cosigns its checkpoints under the new key, consistent with those it
    # cosigned under the old one.
    new_origin = checkpoint_origin("BLUE", base64.b64decode(new_key))
    wait_for(lambda: cosigned(pair.blue.directory, new_origin), what="a cosignature, new key")
    for node in (pair.blue, pair.red):  # nothing the rotation left behind went unapplied
        assert journal(node, "envelope.not_applied") == []
        assert journal(node, "envelope.delivered_not_applied") == []
        assert journal(node, "security.checkpoint_refused") == []  # witnessed across it
    assert_flash_gets_through(pair.blue, pair.red, "RED")  # both ways, after the rotation
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")
    # What `journal verify`, `journal export` and `journal cross-verify` run, in this process
    # (each command's start costs seconds on a busy machine; they are these same calls).
    files = []
    for node in (pair.blue, pair.red):
        with opened(node.directory) as reading:
            report = verify_journal(reading)
            assert report.intact, report
            files.append(tmp_path / f"{reading.party}.jsonl")
            with files[-1].open("w", encoding="utf-8") as out:
                export_transcript(reading, out)
    crossed = cross_verify_files(*files)
    assert crossed.agree, crossed.differences
