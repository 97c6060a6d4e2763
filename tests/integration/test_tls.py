"""TLS between nodes: real node processes over https with self-signed certificates made here,
peers pinned to them, and a wrong pin that keeps every envelope from leaving."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openline.domain.errors import Conflict, InvalidInput, NotFound
from openline.domain.parties import Card, Peer
from openline.domain.paths import DirectPath
from openline.domain.timeutil import parse_utc
from openline.keys.tls import pins_of_file, server_files, write_self_signed
from openline.node.assembly import Node
from openline.node.settings import CONFIG_FILE
from openline.services.paths import rotate_pin
from openline.services.peers import add_peer, link_directories
from openline.services.setup import NewNode
from openline.store import line as line_store
from tests.support.backend import sqlite_only
from tests.support.nodes import make_node_dir, silent_card
from tests.support.operator import get, journal_of, send, state
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline, start_node
from tests.support.waiting import wait_for

WRONG_PIN = "sha256/" + "A" * 43 + "="
RENEWED_PIN = "sha256/" + "B" * 43 + "="
# TLS sits between the node processes, whatever their database: the tests that run a pair of
# them run once, on SQLite (CI budget), while migration 0006 and `peer add --pin` run on both.
ONCE = sqlite_only("TLS between nodes does not depend on the database; a pair runs once")


def serve_tls(node: NewNode) -> str:
    """A self-signed certificate for ``node`` in its directory, named in its settings (so
    its card says https); the certificate's public-key pin."""
    _cert, _key, pins = write_self_signed(node.directory / "tls", ["127.0.0.1"])
    with (node.directory / CONFIG_FILE).open("a", encoding="utf-8") as config:
        config.write('tls_cert_file = "tls/tls.crt"\ntls_key_file = "tls/tls.key"\n')
    return pins.public_key


def card_of(directory: Path) -> Card:
    node = Node.open(directory, environ={})
    try:
        return node.card()
    finally:
        node.close()


def peers_of(directory: Path) -> list[Peer]:
    node = Node.open(directory, environ={})
    try:
        return node.read(line_store.list_peers)
    finally:
        node.close()


def pin_peer(directory: Path, card: Card, pin: str) -> None:
    node = Node.open(directory, environ={})
    try:
        add_peer(node, card, tls_pin=pin)
    finally:
        node.close()


def https_pair(base: Path, *, blue_pins_red: str | None = None) -> tuple[RunningNode, RunningNode]:
    """BLUE and RED serving https with self-signed certificates, each pinned by the other
    (BLUE to ``blue_pins_red`` instead of RED's pin when given), running."""
    blue = make_node_dir(base / "blue", port=free_port())
    red = make_node_dir(base / "red", party="RED", lang="ru", port=free_port())
    blue_pin, red_pin = serve_tls(blue), serve_tls(red)
    # BLUE links through the command an administrator runs; RED in this process.
    red_card = base / "red-card.json"
    red_card.write_text(json.dumps(card_of(red.directory).model_dump()), encoding="utf-8")
    added = run_openline("peer", "add", blue.directory, red_card, "--pin", blue_pins_red or red_pin)
    assert added.returncode == 0, added.stderr
    pin_peer(red.directory, card_of(blue.directory), blue_pin)
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}
    running = [start_node(blue.directory, blue.token, env)]
    try:
        running.append(start_node(red.directory, red.token, env))
    except BaseException:
        running[0].stop_surely()
        raise
    return running[0], running[1]


@pytest.fixture
def stopped_at_end() -> Iterator[list[RunningNode]]:
    nodes: list[RunningNode] = []
    yield nodes
    for node in nodes:
        node.stop_surely()


def peer_state(node: RunningNode, party: str) -> dict[str, object]:
    peers: list[dict[str, object]] = get(node, "/api/v1/node")["peers"]
    return next(p for p in peers if p["party"] == party)


@ONCE
def test_two_nodes_pinned_to_each_others_self_signed_certificates_talk_over_https(
    tmp_path: Path, stopped_at_end: list[RunningNode]
):
    blue, red = https_pair(tmp_path)
    stopped_at_end += [blue, red]

    message = send(blue, ["RED"], "Check fire grid 37S")

    assert (blue.url[:8], red.url[:8]) == ("https://", "https://")
    wait_for(lambda: state(blue, message["id"]) == "delivered", what="delivery over https")
    arrived = get(red, "/api/v1/messages", box="in")["messages"]
    assert [m["id"] for m in arrived] == [message["id"]]
    wait_for(lambda: peer_state(red, "BLUE")["status"] == "up", what="RED's line to BLUE up")
    # The node's own CLI reaches it over https too, pinning the node's certificate.
    inbox = run_openline("inbox", "--node", red.directory, "--json")
    assert inbox.returncode == 0, inbox.stderr
    assert message["id"] in inbox.stdout


@ONCE
def test_a_peer_whose_certificate_does_not_match_its_pin_gets_nothing_and_the_line_says_why(
    tmp_path: Path, stopped_at_end: list[RunningNode]
):
    blue, red = https_pair(tmp_path, blue_pins_red=WRONG_PIN)
    stopped_at_end += [blue, red]

    message = send(blue, ["RED"], "Check fire grid 37S")

    wait_for(lambda: journal_of(blue, "line.delivery_refused"), what="the refusal journaled")
    refusal = journal_of(blue, "line.delivery_refused")[0]["data"]
    assert refusal["peer"] == "RED"
    assert "does not match the pin " + WRONG_PIN in refusal["problem"]
    wait_for(lambda: "TLS pin" in str(peer_state(blue, "RED")["reason"]), what="the reason")
    assert state(blue, message["id"]) == "queued"
    # RED never saw a byte of BLUE's envelopes: nothing of BLUE's arrived there.
    assert get(red, "/api/v1/messages", box="in")["messages"] == []
    assert journal_of(red, "envelope.received") == []


@ONCE
def test_an_unpinned_https_peer_is_checked_against_the_ca_file_and_plain_http_still_works(
    tmp_path: Path, stopped_at_end: list[RunningNode]
):
    """RED serves https and BLUE, without TLS settings, plain http: BLUE trusts RED's
    certificate through tls_ca_file, RED reaches BLUE over http, both ways deliver."""
    blue = make_node_dir(tmp_path / "blue", port=free_port())
    red = make_node_dir(tmp_path / "red", party="RED", lang="ru", port=free_port())
    serve_tls(red)
    with (blue.directory / CONFIG_FILE).open("a", encoding="utf-8") as config:
        config.write(f'tls_ca_file = "{red.directory / "tls" / "tls.crt"}"\n')
    link_directories(blue.directory, red.directory)
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}
    stopped_at_end.append(start_node(blue.directory, blue.token, env))
    stopped_at_end.append(start_node(red.directory, red.token, env))
    blue_node, red_node = stopped_at_end

    to_red = send(blue_node, ["RED"], "Check fire grid 37S")
    to_blue = send(red_node, ["BLUE"], "Roger")

    assert (blue_node.url[:7], red_node.url[:8]) == ("http://", "https://")
    wait_for(lambda: state(blue_node, to_red["id"]) == "delivered", what="BLUE to RED, https")
    wait_for(lambda: state(red_node, to_blue["id"]) == "delivered", what="RED to BLUE, http")


def test_tls_self_signed_writes_a_private_key_and_prints_the_pin_peers_give(tmp_path: Path):
    made = run_openline("tls", "self-signed", tmp_path / "tls", "--host", "node.example")
    again = run_openline("tls", "self-signed", tmp_path / "tls")
    pins = run_openline("tls", "pin", tmp_path / "tls" / "tls.crt")

    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "tls" / "tls.key").stat().st_mode) == 0o600
    assert pins.stdout.splitlines() == [made.stdout.strip(), pins.stdout.splitlines()[1]]
    assert pins.stdout.splitlines()[1].startswith("cert-sha256/")
    assert made.stdout.strip() == pins_of_file(tmp_path / "tls" / "tls.crt").public_key
    assert again.returncode == 1
    assert "already exists" in again.stderr


@pytest.mark.parametrize(
    ("pin", "url", "complaint"),
    [
        ("sha256/tooshort", "https://127.0.0.1:9", "is not a TLS pin"),
        ("md5/" + "A" * 22 + "==", "https://127.0.0.1:9", "is not a TLS pin"),
        (WRONG_PIN, "http://127.0.0.1:9", "a TLS pin needs an https peer"),
    ],
)
def test_a_pin_that_cannot_be_used_is_refused_naming_it(
    node_dir: NewNode, pin: str, url: str, complaint: str
):
    red = silent_card().model_copy(update={"urls": (url,)})

    with pytest.raises(InvalidInput, match=complaint) as refused:
        pin_peer(node_dir.directory, red, pin)

    assert refused.value.field == "pin"
    assert peers_of(node_dir.directory) == []  # nothing half-written


def test_a_pinned_peer_is_never_re_pinned_silently(node_dir: NewNode):
    red = silent_card().model_copy(update={"urls": ("https://127.0.0.1:9",)})
    pin_peer(node_dir.directory, red, WRONG_PIN)
    pin_peer(node_dir.directory, red, WRONG_PIN)  # the same again changes nothing

    with pytest.raises(Conflict, match="never replaced silently"):
        pin_peer(node_dir.directory, red, "sha256/" + "B" * 43 + "=")

    assert [p.tls_pin for p in peers_of(node_dir.directory)] == [WRONG_PIN]


@pytest.mark.parametrize(
    ("asked", "error", "words"),
    [
        ({"pin": "sha256/tooshort"}, InvalidInput, "'sha256/tooshort' is not a TLS pin"),
        ({"overlap": "2 days"}, InvalidInput, "is not a duration"),
        ({"overlap": "400d"}, InvalidInput, "longer than the most"),
        ({"url": "https://127.0.0.1:10"}, InvalidInput, "not an https path"),
        ({}, InvalidInput, "has 2 https paths"),
        ({"party": "GREEN"}, NotFound, "GREEN is not a peer of BLUE"),
    ],
)
def test_a_pin_rotation_that_cannot_be_made_is_refused_naming_why(
    node_dir: NewNode, asked: dict[str, str], error: type[Exception], words: str
):
    urls = ("https://127.0.0.1:9", "https://127.0.0.1:11")
    pin_peer(node_dir.directory, silent_card().model_copy(update={"urls": urls}), WRONG_PIN)
    node = Node.open(node_dir.directory, environ={})
    try:
        with pytest.raises(error, match=words):
            rotate_pin(node, **{"party": "RED", "pin": RENEWED_PIN, **asked})
        # the same pin again changes nothing
        _, path = rotate_pin(node, "RED", WRONG_PIN, url=urls[0])
    finally:
        node.close()

    assert (path.tls_pin, path.old_pin) == (WRONG_PIN, None)
    assert peers_of(node_dir.directory)[0].paths == tuple(DirectPath(u, WRONG_PIN) for u in urls)


def test_peer_add_with_a_malformed_pin_exits_1_naming_the_pin(node_dir: NewNode, tmp_path: Path):
    card = tmp_path / "red-card.json"
    red = silent_card().model_copy(update={"urls": ("https://127.0.0.1:9",)})
    card.write_text(json.dumps(red.model_dump()), encoding="utf-8")

    added = run_openline("peer", "add", node_dir.directory, card, "--pin", "sha256/tooshort")

    assert added.returncode == 1
    assert "'sha256/tooshort' is not a TLS pin" in added.stderr
    assert peers_of(node_dir.directory) == []


@pytest.mark.parametrize(
    ("key_mode", "cert_file", "key_file", "complaint"),
    [
        (0o600, "tls/tls.crt", "", "tls_key_file is not set"),
        (0o600, "", "tls/tls.key", "tls_cert_file is not set"),
        (0o600, "tls/tls.crt", "tls/missing.key", "missing.key does not exist"),
        (0o640, "tls/tls.crt", "tls/tls.key", "is open to other users (mode 0640)"),
    ],
)
def test_tls_settings_without_a_usable_certificate_and_key_are_refused_naming_them(
    tmp_path: Path, key_mode: int, cert_file: str, key_file: str, complaint: str
):
    write_self_signed(tmp_path / "tls", ["127.0.0.1"])
    (tmp_path / "tls" / "tls.key").chmod(key_mode)

    with pytest.raises(InvalidInput, match=re.escape(complaint)):
        server_files(cert_file, key_file, tmp_path)


def test_a_node_told_to_serve_tls_with_a_key_others_can_read_does_not_start(
    node_dir: NewNode, tmp_path: Path
):
    cert, key, _pins = write_self_signed(tmp_path / "tls", ["127.0.0.1"])
    key.chmod(0o644)

    served = run_openline(
        "serve", node_dir.directory, "--tls-cert", cert, "--tls-key", key, timeout=30
    )

    assert served.returncode == 1
    assert f"{key} is open to other users (mode 0644)" in served.stderr


@ONCE
def test_a_pin_rotated_with_an_overlap_takes_both_certificates_until_it_ends_then_the_new_only(
    tmp_path: Path, stopped_at_end: list[RunningNode]
):
    """`openline peer pin` on BLUE while it runs: RED's old certificate still passes during the
    overlap, is refused after it, and RED serving its new one gets every message, once."""
    blue, red = https_pair(tmp_path)
    stopped_at_end += [blue, red]
    _cert, _key, renewed = write_self_signed(red.directory / "tls-renewed", ["127.0.0.1"])
    before = send(blue, ["RED"], "before the rotation")
    wait_for(lambda: state(blue, before["id"]) == "delivered", what="delivery before")

    rotated = run_openline(
        "peer", "pin", blue.directory, "RED", renewed.public_key, "--overlap", "6s"
    )
    assert rotated.returncode == 0, rotated.stderr
    (until,) = re.findall(r"until (\S+),", rotated.stdout)
    during = send(blue, ["RED"], "during the overlap, RED still on its old certificate")
    wait_for(lambda: state(blue, during["id"]) == "delivered", what="delivery in the overlap")
    assert datetime.now(UTC) < parse_utc(until), "delivered too late to show the overlap"
    wait_for(lambda: datetime.now(UTC) > parse_utc(until), what="the overlap's end")
    after = send(blue, ["RED"], "after the overlap")
    wait_for(
        lambda: any(
            f"does not match the pin {renewed.public_key}" in entry["data"]["problem"]
            for entry in journal_of(blue, "line.delivery_refused")
        ),
        what="the old certificate refused",
    )
    assert state(blue, after["id"]) == "queued"
    red.stop()
    config = red.directory / CONFIG_FILE
    config.write_text(config.read_text().replace('"tls/', '"tls-renewed/'), encoding="utf-8")
    red = start_node(red.directory, red.token, {"OPENLINE_LINE_CHECK_INTERVAL": "1"})
    stopped_at_end.append(red)

    wait_for(lambda: state(blue, after["id"]) == "delivered", what="delivery to the new cert")
    arrived = get(red, "/api/v1/messages", box="in")["messages"]
    assert sorted(m["id"] for m in arrived) == sorted(m["id"] for m in (before, during, after))
    (changed,) = journal_of(blue, "peer.pin_changed")
    assert changed["data"]["pin"] == renewed.public_key
    assert changed["data"]["until"] == until
