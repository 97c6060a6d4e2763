"""The outbox head a writer transaction keeps for each peer (store/line.py): envelopes sealed for
one peer in one batch follow each other on the link, whatever else the batch does to the peer
or undoes. A link_seq or prev gone wrong breaks the link for good, so each test reads the whole
link back from the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import Connection, select

from openline.domain.envelopes import Envelope, first_prev
from openline.keys.boxes import UnreadableBox, box_between
from openline.keys.signing import SigningKey
from openline.node.assembly import Node
from openline.services.outbox import seal_for
from openline.services.setup import NewNode
from openline.store import keys as keys_store
from openline.store import line as line_store
from openline.store.tables import envelopes_out
from openline.store.writer import UnitOfWork
from tests.integration.test_writer import started, writer_held
from tests.support.nodes import link, silent_card

Step = Callable[[UnitOfWork], Any]


class SealFailed(Exception):
    """What an operation raises after sealing, to be undone."""


@pytest.fixture
def red_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def node(node_dir: NewNode, red_key: SigningKey) -> Iterator[Node]:
    """BLUE, its writer running, linked to a RED that never answers (no line runs here)."""
    link(node_dir.directory, silent_card(key=red_key))
    with started(node_dir) as running:
        yield running


def check(node: Node) -> Step:
    """An operation that seals a line check for RED."""
    return lambda uow: seal_for(uow, node, "RED", "line_check", {"interval_s": 1})


def in_one_batch(node: Node, operations: list[Step]) -> list[Future[Any]]:
    """Run ``operations`` in one writer transaction, in this order; each one's outcome."""
    batches = node.writer.batches
    with writer_held(node):
        futures = [node.writer.submit(operation) for operation in operations]
    for future in futures:
        future.exception(timeout=30)
    assert node.writer.batches == batches + 2  # the hold's, then all of them together
    return futures


def outbox(node: Node) -> list[tuple[int, str, str]]:
    """RED's outbox as stored: each envelope's link_seq, prev and hash, in link order."""

    def read(conn: Connection) -> list[tuple[int, str, str]]:
        rows = conn.execute(
            select(envelopes_out.c.link_seq, envelopes_out.c.envelope, envelopes_out.c.hash)
            .where(envelopes_out.c.peer == "RED")
            .order_by(envelopes_out.c.link_seq)
        )
        return [(seq, json.loads(text)["prev"], hash_) for seq, text, hash_ in rows]

    return node.read(read)


def assert_one_unbroken_link(node: Node, length: int) -> None:
    stored = outbox(node)
    assert [seq for seq, _prev, _hash in stored] == list(range(1, length + 1))
    hashes = [first_prev()] + [hash_ for _seq, _prev, hash_ in stored]
    assert [prev for _seq, prev, _hash in stored] == hashes[:-1]


def opens_with(envelope: Envelope, red: SigningKey, node: Node) -> bool:
    box = json.loads(envelope.text)["body"]["box"]
    try:
        box_between(red, node.key.public_key.to_base64()).open(box)
    except UnreadableBox:
        return False
    return True


def test_envelopes_sealed_for_one_peer_in_one_batch_follow_each_other(node: Node):
    node.write(check(node))  # the head the batch reads is a stored envelope, not the genesis
    futures = in_one_batch(node, [check(node) for _ in range(6)])
    assert [future.result().link_seq for future in futures] == list(range(2, 8))
    assert_one_unbroken_link(node, 7)


def sealed_then_failed(node: Node) -> Step:
    def operation(uow: UnitOfWork) -> None:
        check(node)(uow)
        raise SealFailed

    return operation


def step_sealed_then_failed(node: Node) -> Step:
    """An operation whose step, in a savepoint of its own, seals and fails; then it seals."""

    def operation(uow: UnitOfWork) -> Envelope:
        with pytest.raises(SealFailed):
            uow.attempt(lambda: sealed_then_failed(node)(uow))
        return check(node)(uow)

    return operation


@pytest.mark.parametrize(
    "undone",
    [sealed_then_failed, step_sealed_then_failed],
    ids=["an operation undone alone", "a step undone in its savepoint"],
)
def test_an_envelope_undone_after_sealing_is_not_followed_by_the_next(
    node: Node, undone: Callable[[Node], Step]
):
    futures = in_one_batch(node, [check(node), undone(node), check(node), check(node)])
    if undone is sealed_then_failed:
        assert isinstance(futures[1].exception(), SealFailed)
    sealed = [future.result() for future in futures if future.exception() is None]
    assert [envelope.link_seq for envelope in sealed] == list(range(1, len(sealed) + 1))
    assert_one_unbroken_link(node, len(sealed))


def key_set(key: SigningKey) -> Step:
    return lambda uow: keys_store.set_peer_key(uow, "RED", key.public_key.to_base64())


def linked_again(key: SigningKey) -> Step:
    def operation(uow: UnitOfWork) -> None:
        line_store.delete_peer(uow, "RED")
        line_store.insert_peer(uow.conn, silent_card(key=key), "2026-12-07T12:00:00.000Z")

    return operation


@pytest.mark.parametrize(
    "change", [key_set, linked_again], ids=["its key replaced", "removed and linked again"]
)
def test_envelopes_after_the_peer_changes_key_in_the_batch_are_boxed_to_its_new_key(
    node: Node, red_key: SigningKey, change: Callable[[SigningKey], Step]
):
    new_key = SigningKey.generate()
    before, _change, after, last = in_one_batch(
        node, [check(node), change(new_key), check(node), check(node)]
    )
    assert opens_with(before.result(), red_key, node)
    for envelope in (after.result(), last.result()):
        assert opens_with(envelope, new_key, node)
        assert not opens_with(envelope, red_key, node)
    assert_one_unbroken_link(node, 3)
