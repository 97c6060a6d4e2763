"""The private set intersection answers exactly the plain intersection, to each side for its
own items, on random sets of up to 10,000 items a side; it refuses a point of small order."""

from __future__ import annotations

import random

import pytest

from openline.domain.blind import decode_points, encode_points
from openline.domain.errors import InvalidInput
from openline.keys.psi import blind, blind_again, matching, new_secret


def run(ours: list[str], theirs: list[str]) -> tuple[set[str], set[str]]:
    """One whole run, as the envelopes carry it: what each side learns of its own items."""
    a, b = new_secret(), new_secret()
    offer = decode_points(encode_points(blind(a, ours)), "points", 20_000)
    reply_points = blind(b, theirs)
    ours_twice = blind_again(b, offer)  # the answerer's reply: ours, blinded again, in order
    theirs_twice = blind_again(a, reply_points)  # the starter's finish
    learned_by_us = {ours[i] for i in matching(ours_twice, theirs_twice)}
    learned_by_them = {theirs[i] for i in matching(theirs_twice, ours_twice)}
    return learned_by_us, learned_by_them


@pytest.mark.parametrize(
    ("size_ours", "size_theirs", "shared"),
    [(0, 5, 0), (1, 1, 1), (7, 300, 3), (1000, 50, 0), (10_000, 10_000, 2_500)],
)
def test_each_side_learns_exactly_its_own_items_the_other_also_holds(
    size_ours, size_theirs, shared
):
    rng = random.Random(size_ours * 7 + size_theirs)
    common = [f"common-{rng.random()}" for _ in range(shared)]
    ours = common + [f"ours-{rng.random()}" for _ in range(size_ours - shared)]
    theirs = common + [f"theirs-{rng.random()}" for _ in range(size_theirs - shared)]
    rng.shuffle(ours)
    rng.shuffle(theirs)
    learned_by_us, learned_by_them = run(ours, theirs)
    assert learned_by_us == set(ours) & set(theirs) == learned_by_them
    assert len(learned_by_us) == shared


def test_the_same_item_blinded_by_two_runs_gives_two_unrelated_points():
    assert blind(new_secret(), ["x"]) != blind(new_secret(), ["x"])


def test_a_point_of_small_order_is_refused():
    with pytest.raises(InvalidInput, match="small order"):
        blind_again(new_secret(), [bytes(32)])


@pytest.mark.parametrize(
    ("text", "message"),
    [(123, "base64 text"), ("!!!!", "not base64"), ("AAAA", "whole 32-byte points")],
)
def test_points_that_are_not_whole_points_in_base64_are_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        decode_points(text, "points", 10)


def test_more_points_than_allowed_are_refused():
    with pytest.raises(InvalidInput, match="over the limit of 2 points"):
        decode_points(encode_points([bytes(32)] * 3), "points", 2)
