"""Paths to a peer: what a path's URL may be, how URL#PIN reads, which lists of paths hold,
and the order the sender tries them in (openline.domain.paths)."""

from __future__ import annotations

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.parties import Card
from openline.domain.paths import (
    BUNDLE_VIA,
    DirectPath,
    PathStatus,
    RelayPath,
    check_path_url,
    check_paths,
    parse_direct_path,
    paths_at,
    relay_via,
    sending_order,
)

UP, DOWN, UNKNOWN = PathStatus.UP, PathStatus.DOWN, PathStatus.UNKNOWN


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8470",
        "https://red.example.org",
        "https://red.example.org:8470/openline",
        "http://[::1]:8470",
        "http://red-node.example:1",
        "http://a:65535/",
    ],
)
def test_a_node_url_is_taken_as_given(url: str):
    assert check_path_url(url) == url


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://red.example", "is not an http:// or https:// URL"),
        ("HTTP://red.example", "is not an http:// or https:// URL"),
        ("red.example:8470", "is not an http:// or https:// URL"),
        ("http://", "is not an http:// or https:// URL"),
        ("", "is not a URL of 1 to 500 characters"),
        ("http://" + "a" * 500, "is not a URL of 1 to 500 characters"),
        ("http://red.example:0", "a port from 1 to 65535"),
        ("http://red.example:65536", "a port from 1 to 65535"),
        ("http://red.example/?a=1", "no query, fragment or spaces"),
        ("http://red.example/#top", "no query, fragment or spaces"),
        ("http://red.example/a b", "no query, fragment or spaces"),
        (" http://red.example", "is not an http:// or https:// URL"),
    ],
)
def test_anything_else_is_refused_naming_it(url: str, complaint: str):
    with pytest.raises(InvalidInput, match=complaint) as refused:
        check_path_url(url, field="path")
    assert refused.value.field == "path"
    assert url[:40] in refused.value.message or not url


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("http://10.0.0.2:8470", ("http://10.0.0.2:8470", None)),
        ("https://red.example#sha256/AAAA=", ("https://red.example", "sha256/AAAA=")),
    ],
)
def test_url_hash_pin_reads_as_the_url_and_its_pin(text: str, parsed: tuple[str, str | None]):
    assert parse_direct_path(text) == parsed


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("http://red.example#sha256/AAAA=", "a TLS pin needs an https:// URL"),
        ("https://red.example#", "nothing after '#'"),
        ("ftp://red.example#sha256/AAAA=", "is not an http:// or https:// URL"),
    ],
)
def test_a_pin_only_follows_an_https_url(text: str, complaint: str):
    with pytest.raises(InvalidInput, match=complaint):
        parse_direct_path(text)


A, B = DirectPath("http://a:1"), DirectPath("https://b:1", "sha256/AAAA=")


def test_a_list_of_paths_holds_with_a_relay_last():
    assert check_paths([A, B, RelayPath("GREEN")]) == (A, B, RelayPath("GREEN"))


@pytest.mark.parametrize(
    ("paths", "complaint"),
    [
        ([], "give 1 to 8 paths, not 0"),
        ([DirectPath(f"http://h{n}:1") for n in range(9)], "give 1 to 8 paths, not 9"),
        ([A, B, A], "'http://a:1' is given twice"),
        ([A, DirectPath("http://a:1", "sha256/BBBB=")], "'http://a:1' is given twice"),
        ([RelayPath("GREEN"), A], "the relay GREEN must be the last path"),
        ([A, RelayPath("GREEN"), RelayPath("GREEN")], "'relay:GREEN' is given twice"),
    ],
)
def test_a_list_of_paths_that_does_not_hold_is_refused(paths: list, complaint: str):
    with pytest.raises(InvalidInput, match=complaint):
        check_paths(paths)


def test_each_carrier_is_named_the_same_way_in_every_delivery():
    assert (A.via, RelayPath("GREEN").via, relay_via("GREEN"), BUNDLE_VIA) == (
        "http://a:1",
        "relay:GREEN",
        "relay:GREEN",
        "bundle",
    )


@pytest.mark.parametrize(
    ("statuses", "order"),
    [
        ((UP, UP), [0, 1]),
        ((DOWN, UP), [1, 0]),
        ((DOWN, UNKNOWN, UP), [1, 2, 0]),
        ((DOWN, DOWN, DOWN), [0, 1, 2]),
        ((UP, DOWN, UP), [0, 2, 1]),
        ((UNKNOWN,), [0]),
    ],
    ids=[
        "all up: the preferred first",
        "the preferred down: the backup, then the preferred",
        "not yet checked counts as usable",
        "all down: each still tried, in order",
        "a down path goes after the ones up",
        "one path",
    ],
)
def test_the_sender_tries_the_paths_up_first_in_order_of_preference(statuses, order):
    assert sending_order(statuses) == order


KEY = "0Q7y1hbF0c3k3rjQe4B5kUgX0xwGx8w8b0mW8u5pXyE="
CARD = {"party": "RED", "name": "Russian forces command", "lang": "ru", "public_key": KEY}


def test_a_card_of_before_with_one_url_still_reads_as_a_card_of_one_path():
    card = Card.model_validate({**CARD, "url": "http://10.0.0.2:8470"})

    assert card.urls == ("http://10.0.0.2:8470",)
    assert card.model_dump() == {**CARD, "urls": ("http://10.0.0.2:8470",), "url": card.url}


def test_a_card_now_gives_its_urls_in_order_and_the_first_as_url_for_older_nodes():
    urls = ["https://red.example.org", "http://10.0.0.2:8470"]
    card = Card.model_validate({**CARD, "urls": urls})

    assert Card.model_validate(card.model_dump()) == card
    assert (card.url, list(card.urls)) == (urls[0], urls)


OLD, NEW = "sha256/" + "A" * 43 + "=", "sha256/" + "B" * 43 + "="
ROTATED = DirectPath("https://red.example.org", NEW, OLD, "2026-12-07T12:00:00.000Z")


@pytest.mark.parametrize(
    ("now", "pins"),
    [
        ("2026-12-07T11:59:59.999Z", (NEW, OLD)),  # the overlap: both
        ("2026-12-07T12:00:00.000Z", (NEW,)),  # from its end on: the new pin only
        ("2027-01-01T00:00:00.000Z", (NEW,)),
    ],
)
def test_a_rotated_pin_is_accepted_with_the_old_one_until_the_overlap_ends(
    now: str, pins: tuple[str, ...]
):
    (path, relay) = paths_at([ROTATED, RelayPath("GREEN")], now)

    assert path.pins() == pins  # type: ignore[union-attr]
    assert relay == RelayPath("GREEN")


def test_an_unpinned_path_has_no_pins_whenever():
    assert DirectPath("http://127.0.0.1:8470").at("2026-12-07T12:00:00.000Z").pins() == ()
