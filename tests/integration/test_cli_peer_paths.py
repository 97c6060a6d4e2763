"""`openline peer paths`: the ordered paths to a linked peer, as an administrator sets them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from openline.services.setup import NewNode
from tests.support.nodes import link, silent_card
from tests.support.processes import run_openline

PIN = "sha256/" + base64.b64encode(bytes(32)).decode()


@pytest.fixture
def linked(node_dir: NewNode) -> Path:
    """BLUE's directory, linked to RED by a card giving RED's two URLs."""
    red = silent_card().model_copy(
        update={"urls": ("http://10.0.0.2:8470", "http://192.168.7.2:8470")}
    )
    link(node_dir.directory, red)
    return node_dir.directory


def journaled(directory: Path, kind: str) -> list[dict[str, object]]:
    exported = run_openline("journal", "export", directory).stdout.splitlines()[1:]
    return [entry["data"] for entry in map(json.loads, exported) if entry["kind"] == kind]


def test_a_card_with_two_urls_links_the_peer_over_two_paths_in_its_order(linked: Path):
    listed = run_openline("peer", "list", linked)

    assert listed.stdout.splitlines() == [
        "RED              RED command  http://10.0.0.2:8470  pin none",
        "                 then http://192.168.7.2:8470  pin none",
    ]


def test_peer_paths_replaces_the_paths_in_order_each_with_its_pin_and_journals_it(linked: Path):
    card_before = journaled(linked, "peer.added")[0]["card"]

    changed = run_openline(
        "peer", "paths", linked, "RED", f"https://red.example:8470#{PIN}", "http://10.9.0.2:8470"
    )
    again = run_openline(
        "peer", "paths", "--node", linked, "RED", f"https://red.example:8470#{PIN}",
        "http://10.9.0.2:8470",
    )  # fmt: skip
    listed = run_openline("peer", "list", linked)

    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.splitlines() == [
        "paths to RED, the first preferred:",
        f"  1. https://red.example:8470  pin {PIN}",
        "  2. http://10.9.0.2:8470  pin none",
    ]
    assert again.returncode == 0, again.stderr
    assert listed.stdout.splitlines() == [
        f"RED              RED command  https://red.example:8470  pin {PIN}",
        "                 then http://10.9.0.2:8470  pin none",
    ]
    [entry] = journaled(linked, "peer.paths_changed")  # the same paths again: nothing new
    assert [(p["url"], p["tls_pin"]) for p in entry["paths"]] == [  # type: ignore[attr-defined]
        ("https://red.example:8470", PIN),
        ("http://10.9.0.2:8470", None),
    ]
    assert [p["via"] for p in entry["was"]] == [  # type: ignore[attr-defined]
        "http://10.0.0.2:8470",
        "http://192.168.7.2:8470",
    ]
    assert journaled(linked, "peer.added")[0]["card"] == card_before  # the key, the card kept


BAD_PATHS = [
    (["RED", "ftp://red.example"], "path 'ftp://red.example' is not an http:// or https:// URL"),
    (["RED", "red.example:8470"], "path 'red.example:8470' is not an http:// or https:// URL"),
    (["RED", "http://red.example/?x=1"], "path 'http://red.example/?x=1': a node's URL takes"),
    (["RED", "http://red.example:0"], "path 'http://red.example:0': a node's URL takes a port"),
    (["RED", f"http://red.example#{PIN}"], "a TLS pin needs an https:// URL"),
    (["RED", "https://red.example#sha256/short"], "'sha256/short' is not a TLS pin"),
    (["RED", "https://red.example#"], "nothing after '#', where its pin goes"),
    (["RED", "http://a:1", "http://b:1", "http://a:1"], "paths: 'http://a:1' is given twice"),
    (["RED", *[f"http://h{n}:1" for n in range(9)]], "paths: give 1 to 8 paths, not 9"),
    (["GREEN", "http://a:1"], "GREEN is not a peer of BLUE"),
    (["green", "http://a:1"], "party 'green' is not a party code"),
]


def test_bad_paths_exit_1_naming_the_value_and_change_nothing(linked: Path):
    before = run_openline("journal", "export", linked).stdout.splitlines()[1:]

    for words, message in BAD_PATHS:
        result = run_openline("peer", "paths", linked, *words)

        assert result.returncode == 1, words
        assert message in result.stderr, (words, result.stderr)
    assert run_openline("journal", "export", linked).stdout.splitlines()[1:] == before


def test_peer_paths_without_a_url_is_a_usage_error(linked: Path):
    result = run_openline("peer", "paths", linked, "RED")

    assert result.returncode == 2
    assert "give DIR (or --node DIR), PARTY and at least one URL" in result.stderr


def test_init_with_several_urls_gives_a_card_listing_them_in_order(tmp_path: Path):
    made = run_openline(
        "init", tmp_path / "blue", "--party", "BLUE", "--name", "Blue", "--lang", "en",
        "--url", "https://blue.example.org", "--url", "http://10.1.0.5:8470",
    )  # fmt: skip
    refused = run_openline(
        "init", tmp_path / "red", "--party", "RED", "--name", "Red", "--lang", "en",
        "--url", "https://red.example.org", "--url", "ftp://10.1.0.6",
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    card = json.loads(run_openline("card", tmp_path / "blue").stdout)
    assert card["urls"] == ["https://blue.example.org", "http://10.1.0.5:8470"]
    assert card["url"] == "https://blue.example.org"
    assert refused.returncode == 1
    assert "--url 'ftp://10.1.0.6' is not an http:// or https:// URL" in refused.stderr
    assert not (tmp_path / "red").exists()
