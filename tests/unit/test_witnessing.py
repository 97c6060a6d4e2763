"""A witness's judgement of an offered checkpoint, and the witnessing envelopes' bodies."""

from __future__ import annotations

from typing import Any

import pytest

from openline.domain.errors import InvalidInput
from openline.domain.signed_note import cosigner_name
from openline.domain.witnessing import Offer, Reply, Verdict, judge, read_offer, read_reply
from openline.keys.notes import cosign
from openline.keys.signing import SigningKey
from tests.support.witnessing import Tree

BLUE_KEY = SigningKey(b"\x0b" * 32)
RED_KEY = SigningKey(b"\x0d" * 32)
ENTRIES = [f"entry {i}".encode() for i in range(40)]
HONEST = Tree("BLUE", BLUE_KEY, ENTRIES)
REWRITTEN = Tree("BLUE", BLUE_KEY, [*ENTRIES[:5], b"entry 5, rewritten", *ENTRIES[6:]])


def test_the_first_checkpoint_seen_is_cosigned() -> None:
    assert judge(None, HONEST.offer(10, 0)).verdict is Verdict.COSIGN


@pytest.mark.parametrize(("held", "size"), [(1, 2), (7, 8), (8, 21), (10, 40), (16, 17), (13, 13)])
def test_a_checkpoint_consistent_with_the_one_held_is_cosigned(held: int, size: int) -> None:
    assert judge(HONEST.checkpoint(held), HONEST.offer(size, held)).verdict is Verdict.COSIGN


@pytest.mark.parametrize(("held", "size"), [(6, 7), (10, 20), (8, 40), (31, 33)])
def test_a_rewritten_history_is_refused_as_a_fork(held: int, size: int) -> None:
    judgement = judge(HONEST.checkpoint(held), REWRITTEN.offer(size, held))

    assert judgement.verdict is Verdict.FORK
    assert judgement.reason == (
        f"tree size {size} is not consistent with size {held}, which was cosigned"
    )


def test_a_history_rewritten_after_the_size_held_is_not_a_fork() -> None:
    # Entry 5 is the sixth leaf: a witness holding size 5 saw nothing of it.
    assert judge(HONEST.checkpoint(5), REWRITTEN.offer(9, 5)).verdict is Verdict.COSIGN


def test_another_root_for_the_size_held_is_a_fork_whatever_the_proof_starts_from() -> None:
    judgement = judge(HONEST.checkpoint(12), REWRITTEN.offer(12, 3))

    assert judgement.verdict is Verdict.FORK
    assert judgement.reason == "tree size 12 has another root than cosigned"


@pytest.mark.parametrize(("from_size", "size"), [(0, 30), (8, 30), (12, 30), (3, 8)])
def test_an_offer_not_from_the_size_held_is_answered_with_the_one_held(
    from_size: int, size: int
) -> None:
    offer = REWRITTEN.offer(size, from_size) if from_size == 0 else HONEST.offer(size, from_size)

    assert judge(HONEST.checkpoint(10), offer).verdict is Verdict.ANSWER_HELD


def test_a_proof_with_one_hash_changed_is_a_fork() -> None:
    offer = HONEST.offer(25, 10)
    changed = (offer.proof[0][:-1] + bytes([offer.proof[0][-1] ^ 1]), *offer.proof[1:])

    bad = Offer(offer.note, offer.checkpoint, offer.from_size, changed)

    assert judge(HONEST.checkpoint(10), bad).verdict is Verdict.FORK


def test_offers_and_replies_cross_the_line_as_the_bodies_they_read_back() -> None:
    offer = HONEST.offer(25, 10)
    assert read_offer(offer.to_body()) == offer
    name = cosigner_name("RED", RED_KEY.public_key.to_bytes())
    reply = Reply(
        offer.note, offer.checkpoint, cosign(offer.note.text, name, RED_KEY, 1_800_000_000)
    )
    assert read_reply(reply.to_body()) == reply


GOOD = HONEST.offer(25, 10).to_body()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({**GOOD, "extra": 1}, "not checkpoint, from_size and proof"),
        ({**GOOD, "from_size": "10"}, "whole number"),
        ({**GOOD, "from_size": True}, "whole number"),
        ({**GOOD, "from_size": 26}, "0 to the tree size 25"),
        ({**GOOD, "proof": "AAAA"}, "list of at most 64"),
        ({**GOOD, "proof": ["AAAA"]}, "32 bytes in base64"),
        ({**GOOD, "proof": [7]}, "32 bytes in base64"),
        ({**GOOD, "checkpoint": 5}, "a signed note as text"),
        ({**GOOD, "checkpoint": GOOD["checkpoint"].replace("\n\n", "\n")}, "blank line"),
    ],
)
def test_a_malformed_offer_is_refused_naming_why(body: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_offer(body)
    assert says in caught.value.message


@pytest.mark.parametrize(
    "body",
    [
        {"checkpoint": GOOD["checkpoint"]},
        {"checkpoint": GOOD["checkpoint"], "cosignature": "\u2014 RED AAAA\n"},
        {"checkpoint": GOOD["checkpoint"], "cosignature": 4},
    ],
)
def test_a_malformed_reply_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        read_reply(body)
