"""A party's journal tree, grown leaf by leaf as a node keeps it, and the checkpoints it would
offer its witnesses: for the tests that play a party (honest, or rewriting its history)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openline.domain.merkle import (
    Frontier,
    NodeId,
    completed_nodes,
    consistency_proof,
    leaf_hash,
    root_hash,
)
from openline.domain.signed_note import Checkpoint, checkpoint_origin
from openline.domain.witnessing import Offer
from openline.keys.notes import sign_checkpoint
from openline.keys.signing import SigningKey
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import start_node
from tests.support.red import Red


class Tree:
    """The tree of ``entries`` (each entry's bytes a leaf), with the checkpoints ``party``'s
    node signs with ``key``."""

    def __init__(self, party: str, key: SigningKey, entries: Sequence[bytes]) -> None:
        self.key = key
        self.origin = checkpoint_origin(party, key.public_key.to_bytes())
        self.nodes: dict[NodeId, bytes] = {}
        frontier = Frontier()
        for index, entry in enumerate(entries):
            frontier, hashes = frontier.append(leaf_hash(entry))
            self.nodes.update(zip(completed_nodes(index), hashes, strict=True))

    def read(self, ids: Sequence[NodeId]) -> dict[NodeId, bytes]:
        return {node: self.nodes[node] for node in ids}

    def checkpoint(self, size: int) -> Checkpoint:
        return Checkpoint(self.origin, size, root_hash(size, self.read))

    def offer(self, size: int, from_size: int, *, key: SigningKey | None = None) -> Offer:
        """The checkpoint of ``size`` entries, signed, with the proof from ``from_size``."""
        note = sign_checkpoint(self.checkpoint(size), key or self.key)
        proof = consistency_proof(from_size, size, self.read) if from_size else []
        return Offer(note, self.checkpoint(size), from_size, tuple(proof))


@contextmanager
def blue_witnessing_red(base: Path) -> Iterator[Red]:
    """A real BLUE node linked to RED, and the test speaking for RED with RED's key."""
    key = SigningKey.generate()
    created = make_node_dir(base / "blue", port=free_port())
    link(created.directory, silent_card(key=key))
    blue = start_node(created.directory, created.token)
    try:
        yield Red(key, blue, [])
    finally:
        blue.stop_surely()


def offer_to_blue(red: Red, offered: Offer) -> dict[str, Any]:
    """RED's next envelope on its link to BLUE: a checkpoint offered; BLUE's receipt of it."""
    envelope = red.envelope(len(red.sealed) + 1, kind="checkpoint", body=offered.to_body())
    (result,) = red.post(envelope)
    assert "receipt" in result, result
    red.sealed.append(envelope)
    receipt: dict[str, Any] = result["receipt"]
    return receipt
