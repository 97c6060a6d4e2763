"""`openline peer add` and the transcript commands, as an administrator meets them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openline.services.setup import NewNode
from tests.support.nodes import make_node_dir
from tests.support.processes import run_openline

SHORT_KEY = base64.b64encode(bytes(31)).decode()  # the right length of text, 31 bytes of key


@pytest.fixture
def red_card(tmp_path: Path) -> Path:
    red = make_node_dir(tmp_path / "red", party="RED", lang="ru")
    card = run_openline("card", red.directory)
    path = tmp_path / "red-card.json"
    path.write_text(card.stdout, encoding="utf-8")
    return path


def test_peer_add_links_once_and_again_changes_nothing(node_dir: NewNode, red_card: Path):
    first = run_openline("peer", "add", node_dir.directory, red_card)
    again = run_openline("peer", "add", "--node", node_dir.directory, red_card)
    without_card = run_openline("peer", "add", "--node", node_dir.directory)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("linked to RED (RED command) at http://")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert without_card.returncode == 2
    assert "Error: Missing argument 'CARD.json'." in without_card.stderr


PIN = "sha256/" + base64.b64encode(bytes(32)).decode()


def test_peer_list_shows_each_peer_with_its_url_and_pin(
    node_dir: NewNode, red_card: Path, tmp_path: Path
):
    empty = run_openline("peer", "list", node_dir.directory)
    green = make_node_dir(tmp_path / "green", party="GREEN")
    green_url = "https://green.example:8470"  # a pin is for a peer served over https
    card = {**json.loads(run_openline("card", green.directory).stdout), "urls": [green_url]}
    card.pop("url")
    green_card = tmp_path / "green-card.json"
    green_card.write_text(json.dumps(card), encoding="utf-8")
    run_openline("peer", "add", node_dir.directory, red_card)
    run_openline("peer", "add", node_dir.directory, green_card, "--pin", PIN)

    listed = run_openline("peer", "list", node_dir.directory)

    assert (empty.returncode, empty.stdout) == (0, "")
    assert "no peers" in empty.stderr
    assert listed.returncode == 0, listed.stderr
    red_url = json.loads(red_card.read_text(encoding="utf-8"))["url"]
    assert listed.stdout.splitlines() == [
        f"GREEN            GREEN command  {green_url}  pin {PIN}",
        f"RED              RED command  {red_url}  pin none",
    ]


def bad_card(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad-card.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda card: "not json", "cannot be read as a card (JSON)"),
        (lambda card: json.dumps({**card, "party": "red"}), "party"),
        (lambda card: json.dumps({**card, "extra": 1}), "extra"),
        (lambda card: json.dumps({**card, "public_key": SHORT_KEY}), "not a base64 Ed25519"),
        (
            lambda card: json.dumps({**card, "url": "http://else:1", "urls": ["http://else:1"]}),
            "different card",
        ),
        (
            lambda card: json.dumps({**card, "url": "ftp://else", "urls": ["ftp://else"]}),
            "urls.0: Value error, url 'ftp://else' is not an http:// or https:// URL",
        ),
        (lambda card: json.dumps({**card, "urls": ["http://else:1"]}), "the first of urls"),
    ],
    ids=[
        "not JSON",
        "bad party code",
        "unknown member",
        "not a key",
        "another card for RED",
        "a URL not http(s)",
        "url not the first of urls",
    ],
)
def test_a_bad_card_is_refused_with_a_message_and_changes_nothing(
    node_dir: NewNode,
    red_card: Path,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], str],
    message: str,
):
    assert run_openline("peer", "add", node_dir.directory, red_card).returncode == 0
    card = json.loads(red_card.read_text(encoding="utf-8"))
    before = run_openline("journal", "export", node_dir.directory).stdout.splitlines()[1:]

    result = run_openline("peer", "add", node_dir.directory, bad_card(tmp_path, change(card)))

    assert result.returncode == 1
    assert message in result.stderr
    after = run_openline("journal", "export", node_dir.directory).stdout.splitlines()[1:]
    assert after == before


def test_our_own_card_is_not_a_peer(node_dir: NewNode, tmp_path: Path):
    own = bad_card(tmp_path, run_openline("card", node_dir.directory).stdout)
    result = run_openline("peer", "add", node_dir.directory, own)
    assert result.returncode == 1
    assert "own party, not a peer" in result.stderr


def test_cross_verify_of_a_file_that_is_not_a_transcript_says_so(tmp_path: Path):
    junk = bad_card(tmp_path, "hello\n")
    result = run_openline("journal", "cross-verify", junk, junk)
    assert result.returncode == 1
    assert "cannot be read as a transcript" in result.stderr


def test_export_with_a_bad_instant_names_the_option(node_dir: NewNode):
    result = run_openline("journal", "export", node_dir.directory, "--from", "yesterday")
    assert result.returncode == 1
    assert "--from 'yesterday' is not an ISO 8601 date-time" in result.stderr
