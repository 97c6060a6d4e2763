"""A real BLUE node as RED's witness, with the test speaking for RED (holding RED's key): what it
cosigns, what it answers with the checkpoint it holds, and what it refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openline.domain.journal import JournalKind
from openline.domain.signed_note import Cosignature, cosigner_name, parse_note
from openline.keys.notes import verify_cosignature
from openline.keys.signing import SigningKey, read_private_key
from openline.node.directory import NodeDirectory
from openline.store import witness as store
from tests.support.backend import node_engine
from tests.support.operator import journal_of
from tests.support.red import Red
from tests.support.witnessing import Tree, blue_witnessing_red, offer_to_blue

ENTRIES = [f"RED's entry {i}".encode() for i in range(30)]


@pytest.fixture
def red(tmp_path: Path) -> Iterator[Red]:
    with blue_witnessing_red(tmp_path) as playing:
        yield playing


def held(red: Red, origin: str) -> store.Witnessed | None:
    engine = node_engine(red.blue.directory)
    try:
        with engine.connect() as conn:
            return store.latest_witnessed(conn, origin)
    finally:
        engine.dispose()


def test_blue_cosigns_reds_consistent_checkpoints_and_refuses_a_rewritten_history(red: Red):
    honest = Tree("RED", red.key, ENTRIES)
    rewritten = Tree("RED", red.key, [*ENTRIES[:3], b"RED's entry 3, rewritten", *ENTRIES[4:]])
    blue_key = read_private_key(NodeDirectory(red.blue.directory).key_file).public_key
    name = cosigner_name("BLUE", blue_key.to_bytes())

    for size, from_size in [(5, 0), (12, 5), (20, 12)]:
        assert "not_applied" not in offer_to_blue(red, honest.offer(size, from_size))
        witnessed = held(red, honest.origin)
        assert witnessed is not None
        assert witnessed.size == size
        assert witnessed.checkpoint == honest.offer(size, from_size).note.to_text()
        line = parse_note("x\n\n" + witnessed.cosignature).signatures[0]
        cosignature = Cosignature.from_note_signature(line)
        text = parse_note(witnessed.checkpoint).text
        assert verify_cosignature(text, cosignature, name, blue_key)

    # From another size than held: answered with the one held, nothing cosigned, no alarm.
    assert "not_applied" not in offer_to_blue(red, honest.offer(25, 12))
    assert held(red, honest.origin).size == 20  # type: ignore[union-attr]
    assert journal_of(red.blue, JournalKind.SECURITY_CHECKPOINT_REFUSED) == []

    assert "not_applied" not in offer_to_blue(red, rewritten.offer(25, 20))
    (refused,) = journal_of(red.blue, JournalKind.SECURITY_CHECKPOINT_REFUSED)
    assert refused["data"]["reason"] == (
        "tree size 25 is not consistent with size 20, which was cosigned"
    )
    assert refused["data"]["checkpoint"] == rewritten.offer(25, 20).note.to_text()
    assert refused["data"]["cosigned_checkpoint"] == honest.offer(20, 12).note.to_text()
    assert held(red, honest.origin).size == 20  # type: ignore[union-attr]

    # The honest history goes on being cosigned.
    assert "not_applied" not in offer_to_blue(red, honest.offer(28, 20))
    assert held(red, honest.origin).size == 28  # type: ignore[union-attr]


def test_a_checkpoint_not_signed_by_the_peers_key_or_of_another_log_is_not_applied(red: Red):
    stranger = SigningKey.generate()
    cases = [
        (Tree("RED", red.key, ENTRIES).offer(5, 0, key=stranger), "not signed by RED's node key"),
        (Tree("RED", stranger, ENTRIES).offer(5, 0, key=stranger), "is not RED's journal"),
        (Tree("GREEN", red.key, ENTRIES).offer(5, 0), "is not RED's journal"),
    ]
    for offered, says in cases:
        assert says in offer_to_blue(red, offered)["not_applied"]
    assert held(red, Tree("RED", red.key, ENTRIES).origin) is None
