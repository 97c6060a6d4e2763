"""Courier bundles (issue 19, item 4): with every network between BLUE and RED cut, what each
has to say crosses as files carried by hand, each envelope applied once, in order, with its
receipt carried back; a bundle imported twice, an older one after a newer, applies nothing; one
altered, addressed elsewhere or not a bundle at all is refused whole.

BLUE and RED run as real ``openline serve`` processes and reach each other only through a fault
proxy each; the network is cut by stopping both proxies, and comes back when they start again.
Bundles are written and read with the real ``openline bundle`` command. The mixed run adds
GREEN, which relays between them (tests/support/relaying.py): direct, by relay, by bundle, and
direct again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.domain.bundles import write_bundle
from openline.keys.signing import SigningKey
from tests.support.backend import sqlite_only
from tests.support.boxes import node_key
from tests.support.faults import (
    ProxiedPair,
    assert_journals_verify_and_agree,
    journal,
    start_proxied_pair,
)
from tests.support.operator import assert_flash_gets_through, send, state
from tests.support.processes import Pair, RunningNode, run_openline
from tests.support.relaying import Three, relay_through_green, three_nodes
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

ENV = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}
# What importing a bundle writes when it applies something: envelopes taken or delivered,
# what they carried, and refusals. (Not what the nodes do by themselves meanwhile: the line's
# status, the line checks and checkpoints sealed each interval.)
EFFECTS = (
    "envelope.received",
    "envelope.not_applied",
    "envelope.delivered",
    "message.",
    "notification.",
    "conflict.",
    "security.",
)


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[ProxiedPair]:
    pair = start_proxied_pair(tmp_path, ENV, seed=19)
    try:
        yield pair
    finally:
        pair.stop()


def cut(pair: ProxiedPair) -> None:
    pair.to_red.stop()
    pair.to_blue.stop()


def restore(pair: ProxiedPair) -> None:
    pair.to_red.start()
    pair.to_blue.start()


def export(node: RunningNode, party: str, out: Path) -> Path:
    done = run_openline("bundle", "export", node.directory, "--to", party, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def import_(node: RunningNode, bundle: Path, reply: Path | None = None) -> dict[str, Any]:
    extra = ["--reply", str(reply)] if reply is not None else []
    done = run_openline("bundle", "import", node.directory, bundle, "--json", *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def effects(node: RunningNode) -> list[tuple[str, Any]]:
    """The entries of ``node``'s journal an import writes."""
    return [(e["kind"], e["data"]) for e in journal(node) if e["kind"].startswith(EFFECTS)]


def received_ids(node: RunningNode, sender: str) -> list[str]:
    """The ids of the messages from ``sender`` in the order ``node`` received them."""
    return [
        e["data"]["id"]
        for e in journal(node)
        if e["kind"] == "message.received" and e["data"]["from"] == sender
    ]


def last_taken(node: RunningNode, sender: str) -> int:
    """The link_seq of the last envelope from ``sender`` that ``node`` took (0 if none)."""
    kinds = ("envelope.received", "envelope.not_applied")
    taken = [
        e["data"]["envelope"]["link_seq"]
        for e in journal(node)
        if e["kind"] in kinds and e["data"]["envelope"]["from"] == sender
    ]
    return max(taken, default=0)


def sent(node: RunningNode, to: str, count: int, tag: str) -> list[str]:
    return [send(node, [to], f"{tag} {n}", precedence="routine")["id"] for n in range(count)]


def applies_nothing(node: RunningNode, bundle: Path) -> None:
    before = effects(node)
    answer = import_(node, bundle)
    assert answer["envelopes"]["applied"] == 0, answer
    assert answer["receipts"]["stored"] == 0, answer
    assert answer["envelopes"]["refused"] == []
    assert effects(node) == before


def test_with_every_network_cut_bundles_carry_the_line_both_ways_exactly_once(
    proxied: ProxiedPair, tmp_path: Path
):
    blue, red = proxied.pair.blue, proxied.pair.red
    cut(proxied)
    first = sent(blue, "RED", 20, "BLUE first")
    answers = sent(red, "BLUE", 3, "RED")

    # BLUE -> RED by hand; RED's reply carries the receipts and RED's own three back.
    b1 = export(blue, "RED", tmp_path / "b1.bundle")
    one = import_(red, b1, reply=tmp_path / "r1.bundle")
    assert one["bundle"]["from"] == "BLUE"
    assert one["envelopes"]["applied"] >= 20
    assert received_ids(red, "BLUE") == first
    applies_nothing(red, b1)  # the same bundle again

    second = sent(blue, "RED", 5, "BLUE second")
    b2 = export(blue, "RED", tmp_path / "b2.bundle")  # the first 20 still wait for receipts
    two = import_(red, b2, reply=tmp_path / "r2.bundle")
    assert two["envelopes"]["already_applied"] >= 20
    assert received_ids(red, "BLUE") == first + second
    applies_nothing(red, b1)  # an older bundle after a newer one

    back = import_(blue, tmp_path / "r2.bundle", reply=tmp_path / "b3.bundle")
    assert back["receipts"]["stored"] >= 25
    for message_id in first + second:
        assert state(blue, message_id) == "delivered"
    assert received_ids(blue, "RED") == answers
    applies_nothing(blue, tmp_path / "r1.bundle")  # the older reply, after the newer

    # BLUE's reply to RED's reply: the receipts of RED's three.
    import_(red, tmp_path / "b3.bundle")
    for message_id in answers:
        assert state(red, message_id) == "delivered"
    for node, count in ((blue, 25), (red, 3)):  # each delivery records what carried it
        entries = journal(node)
        delivered = [e["data"] for e in entries if e["kind"] == "envelope.delivered"]
        assert [d["via"] for d in delivered if d["kind"] == "message"] == ["bundle"] * count
        received = [e["data"] for e in entries if e["kind"] == "envelope.received"]
        messages = [r for r in received if r["envelope"]["kind"] == "message"]
        assert [r["via"] for r in messages] == ["bundle"] * (28 - count)

    # One byte changed anywhere: refused whole, journaled, nothing applied.
    sent(blue, "RED", 1, "BLUE third")
    data = bytearray(export(blue, "RED", tmp_path / "b4.bundle").read_bytes())
    # A bundle of its own (not a reply) carries the receipts owed too: of RED's three, taken
    # since RED was last heard over the network.
    header = json.loads(data.split(b"\n", 1)[0])
    assert header["receipts"] >= 3
    data[len(data) // 2] ^= 0x01
    (tmp_path / "b4-altered.bundle").write_bytes(bytes(data))
    before = effects(red)
    refused = run_openline("bundle", "import", red.directory, tmp_path / "b4-altered.bundle")
    assert refused.returncode == 1
    assert "not what BLUE signed" in refused.stderr
    assert "altered or cut short" in refused.stderr
    (entry,) = [data for kind, data in effects(red)[len(before) :]]
    assert entry["code"] == "bad_signature"
    assert entry["from"] == "BLUE"
    assert [k for k, _ in effects(red)[len(before) :]] == ["security.envelope_refused"]

    restore(proxied)
    assert_flash_gets_through(blue, red, "RED")
    assert_flash_gets_through(red, blue, "BLUE")
    assert_journals_verify_and_agree(proxied.pair, tmp_path)


BAD_FILES = [
    pytest.param(b"", "no header line", id="empty"),
    pytest.param(b"PK\x03\x04 not a bundle at all\n", "not a JSON header", id="not a bundle"),
    pytest.param(b'{"party": "BLUE", "urls": []}\n', "no 'openline_bundle'", id="a card"),
]


def test_a_bundle_for_another_party_or_not_a_bundle_is_refused_naming_it_nothing_applied(
    proxied: ProxiedPair, tmp_path: Path
):
    blue, red = proxied.pair.blue, proxied.pair.red
    cut(proxied)
    sent(blue, "RED", 2, "BLUE")
    bundle = export(blue, "RED", tmp_path / "for-red.bundle")
    truncated = tmp_path / "truncated.bundle"
    truncated.write_bytes(bundle.read_bytes()[:-40])
    cases: list[tuple[RunningNode, Path, str]] = [
        (blue, bundle, "is addressed to RED, and this node is BLUE"),
        (red, truncated, "altered or cut short"),
    ]
    for n, case in enumerate(BAD_FILES):
        path = tmp_path / f"bad-{n}.bundle"
        data, words = case.values
        path.write_bytes(data)  # type: ignore[arg-type]
        cases.append((red, path, str(words)))
    for node, path, words in cases:
        before = received_ids(node, "BLUE" if node is red else "RED")
        refused = run_openline("bundle", "import", node.directory, path)
        assert refused.returncode == 1, refused.stdout
        assert words in refused.stderr, refused.stderr
        assert received_ids(node, "BLUE" if node is red else "RED") == before

    # Signed by BLUE's own key but out of order (its first envelope left out): each envelope
    # refused by the receiver as the federation endpoint refuses it, with the same events.
    gapped, left_out = resigned_without_first_envelope(
        bundle, node_key(blue.directory), last_taken(red, "BLUE")
    )
    refused = run_openline("bundle", "import", red.directory, gapped)
    assert refused.returncode == 1
    gap = f"gap: envelope {left_out + 1} from BLUE, expected {left_out}"
    assert f"first link_seq {left_out + 1}: {gap}" in refused.stderr
    (event,) = [e["data"] for e in journal(red) if e["kind"] == "security.envelope_refused"][-1:]
    assert (event["code"], event["link_seq"], event["reason"]) == (
        "sequence_gap",
        left_out + 1,
        gap,
    )
    assert received_ids(red, "BLUE") == []

    # The API: the one error shape, the status naming what is wrong.
    with red.client() as client:
        for path, status, code in (
            (tmp_path / "bad-1.bundle", 422, "malformed"),
            (bundle, 200, None),
        ):
            answer = client.post("/api/v1/bundles", content=path.read_bytes())
            assert answer.status_code == status, answer.text
            if code is not None:
                assert answer.json()["error"]["code"] == code
                assert answer.json()["error"]["field"] == "bundle"
        unknown = client.get("/api/v1/bundles/GREEN")
        assert unknown.status_code == 404
        assert "no line to 'GREEN'" in unknown.json()["error"]["message"]
        assert client.get("/api/v1/bundles/red%20team").status_code == 422
    planner = run_openline("token", "create", red.directory, "--operator", "p", "--role", "planner")
    headers = {"Authorization": f"Bearer {planner.stdout.strip()}"}
    with httpx.Client(base_url=red.url, headers=headers, timeout=30) as client:
        assert client.get("/api/v1/bundles/BLUE").status_code == 403
        assert client.post("/api/v1/bundles", content=bundle.read_bytes()).status_code == 403

    restore(proxied)
    assert_flash_gets_through(blue, red, "RED")


def delivered_once(node: RunningNode, party: str) -> list[tuple[int, str]]:
    """(link_seq, via) of each delivery ``node`` journaled to ``party``; failing if one
    envelope was journaled delivered twice."""
    found = [
        (e["data"]["link_seq"], e["data"]["via"])
        for e in journal(node)
        if e["kind"] == "envelope.delivered" and e["data"]["to"] == party
    ]
    places = [seq for seq, _ in found]
    assert len(places) == len(set(places)), f"an envelope to {party} delivered twice"
    return found


@sqlite_only("three nodes: nothing in it depends on the database, and CI's run stays short")
def test_a_mixed_run_direct_relay_bundle_and_direct_again_applies_everything_once_in_order(
    tmp_path: Path,
):
    with three_nodes(tmp_path, ENV) as three:
        mixed_run(three, tmp_path)


def mixed_run(three: Three, tmp_path: Path) -> None:
    blue, red = three.blue, three.red
    to_red: list[str] = []
    to_blue: list[str] = []

    def exchange(tag: str) -> None:
        to_red.extend(sent(blue, "RED", 10, f"BLUE {tag}"))
        to_blue.extend(sent(red, "BLUE", 5, f"RED {tag}"))

    def all_delivered() -> bool:
        return all(state(blue, i) == "delivered" for i in to_red) and all(
            state(red, i) == "delivered" for i in to_blue
        )

    exchange("direct")
    wait_for(all_delivered, what="the direct leg's deliveries")

    relay_through_green(three)
    three.to_red.stop()  # both direct paths cut: GREEN carries the line
    three.to_blue.stop()
    exchange("by relay")
    wait_for(all_delivered, what="the relay leg's deliveries")

    three.green.stop_surely()  # and now every network between BLUE and RED
    exchange("by bundle")
    export(blue, "RED", tmp_path / "blue.bundle")
    export(red, "BLUE", tmp_path / "red.bundle")
    import_(red, tmp_path / "blue.bundle", reply=tmp_path / "red-reply.bundle")
    import_(blue, tmp_path / "red.bundle", reply=tmp_path / "blue-reply.bundle")
    assert received_ids(red, "BLUE") == to_red
    assert received_ids(blue, "RED") == to_blue
    # The direct paths come back before the replies do: each receipt comes by whichever is
    # first.
    three.to_red.start()
    three.to_blue.start()
    import_(blue, tmp_path / "red-reply.bundle")
    import_(red, tmp_path / "blue-reply.bundle")
    wait_for(all_delivered, what="the bundle leg's receipts")

    exchange("direct again")
    wait_for(all_delivered, what="the last leg's deliveries")
    assert received_ids(red, "BLUE") == to_red  # every one once, in the order sent
    assert received_ids(blue, "RED") == to_blue
    # Each envelope journaled delivered once, by whatever brought its receipt back first; each
    # message of the relay leg received by relay, of the bundle leg by bundle.
    paths = {"relay:GREEN", "bundle", three.to_red.url, three.to_blue.url}
    for node, party, count in ((blue, "RED", 5), (red, "BLUE", 10)):
        assert {via for _, via in delivered_once(node, party)} <= paths
        received = [e["data"] for e in journal(node) if e["kind"] == "envelope.received"]
        carried = Counter(r.get("via") for r in received if r["envelope"]["kind"] == "message")
        assert carried["relay:GREEN"] == count
        assert carried["bundle"] == count
    assert_journals_verify_and_agree(Pair(blue, red, ENV), tmp_path)
    assert_flash_gets_through(blue, red, "RED")
    assert_flash_gets_through(red, blue, "BLUE")


def resigned_without_first_envelope(bundle: Path, key: SigningKey, taken: int) -> tuple[Path, int]:
    """``bundle`` written again without its envelopes up to link_seq ``taken`` (those its
    addressee took already: one may have crossed as the line was cut) and the first after
    them, signed with ``key``; and the link_seq of the envelope left out."""
    header, *lines = bundle.read_bytes().decode("utf-8").split("\n")[:-1]
    read = json.loads(header)
    carried, rest = lines[: read["envelopes"]], lines[read["envelopes"] :]
    first, *envelopes = [line for line in carried if json.loads(line)["link_seq"] > taken]
    path = bundle.with_name("gapped.bundle")
    path.write_bytes(
        write_bundle(
            bundle_id=read["id"],
            sender=read["from"],
            to=read["to"],
            created_at=read["created_at"],
            envelopes=envelopes,
            receipts=[json.loads(line) for line in rest],
            sign=key.sign,
        )
    )
    return path, int(json.loads(first)["link_seq"])
