"""The journal's Merkle tree against Certificate Transparency's published RFC 6962 / 9162 test
vectors (tests/data/SOURCES.md), and its proofs against a tree built from scratch."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from openline.domain import merkle

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "data" / "merkle_rfc6962.json").read_text()
)
LEAVES = [merkle.leaf_hash(bytes.fromhex(text)) for text in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(text) for text in VECTORS["roots"]]


def _inclusion_id(case: dict[str, Any]) -> str:
    return f"{case['index']}-of-{case['size']}"


def _consistency_id(case: dict[str, Any]) -> str:
    return f"{case['old']}-to-{case['new']}"


def _hashes(texts: list[str]) -> list[bytes]:
    return [bytes.fromhex(text) for text in texts]


class StoredTree:
    """A tree grown leaf by leaf as the writer grows it, keeping only the nodes appending
    completes (what the database keeps)."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[merkle.NodeId, bytes] = {}
        self.frontier = merkle.Frontier()
        for leaf in leaves:
            self.append(leaf)

    def append(self, leaf: bytes) -> None:
        index = self.frontier.size
        self.frontier, completed = self.frontier.append(leaf)
        self.nodes.update(zip(merkle.completed_nodes(index), completed, strict=True))

    def read(self, wanted: Any) -> dict[merkle.NodeId, bytes]:
        return {node: self.nodes[node] for node in wanted}


def test_every_root_of_the_vectors_is_computed_from_the_leaves() -> None:
    for size, root in enumerate(ROOTS):
        assert merkle.tree_root(LEAVES[:size]) == root
        assert merkle.root_hash(size, StoredTree(LEAVES[:size]).read) == root


def test_the_stored_nodes_are_the_vectors_perfect_subtrees() -> None:
    tree = StoredTree(LEAVES)
    for level, hashes in enumerate(VECTORS["nodes"]):
        for index, text in enumerate(hashes):
            assert tree.nodes[(level, index)] == bytes.fromhex(text)
    assert len(tree.nodes) == 15  # 2n - 1 nodes: nothing else is stored


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=_inclusion_id)
def test_inclusion_proofs_are_the_published_ones_and_verify(case: dict[str, Any]) -> None:
    index, size, expected = case["index"], case["size"], _hashes(case["proof"])
    proof = merkle.inclusion_proof(index, size, StoredTree(LEAVES[:size]).read)
    assert proof == expected
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size])


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=_consistency_id)
def test_consistency_proofs_are_the_published_ones_and_verify(case: dict[str, Any]) -> None:
    old, new, expected = case["old"], case["new"], _hashes(case["proof"])
    proof = merkle.consistency_proof(old, new, StoredTree(LEAVES[:new]).read)
    assert proof == expected
    assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _inclusion_corruptions(index: int, size: int, proof: list[bytes]) -> list[tuple]:
    root, leaf = ROOTS[size], LEAVES[index]
    cases: list[tuple] = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"wrong leaf", proof, root),
        (index, size, leaf, proof, merkle.EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        cases.append((index, size, leaf, flipped, root))
    if proof:
        cases.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        cases.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return cases


@pytest.mark.parametrize(
    "case", VECTORS["inclusion"][1:], ids=lambda c: f"{c['index']}-of-{c['size']}"
)
def test_an_inclusion_proof_changed_in_any_way_does_not_verify(case: dict[str, Any]) -> None:
    proof = _hashes(case["proof"])
    for index, size, leaf, changed, root in _inclusion_corruptions(
        case["index"], case["size"], proof
    ):
        assert not merkle.verify_inclusion(index, size, leaf, changed, root), (index, size)


@pytest.mark.parametrize(
    "case", VECTORS["consistency"][1:], ids=lambda c: f"{c['old']}-to-{c['new']}"
)
def test_a_consistency_proof_changed_in_any_way_does_not_verify(case: dict[str, Any]) -> None:
    old, new, proof = case["old"], case["new"], _hashes(case["proof"])
    r1, r2 = ROOTS[old], ROOTS[new]
    cases = [
        (old - 1, new, r1, r2, proof),
        (old + 1, new, r1, r2, proof),
        (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof),
        (old, new // 2, r1, r2, proof),
        (old, new, b"wrong root", r2, proof),
        (old, new, r1, b"wrong root", proof),
        (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]),
        (old, new, r1, r2, [*proof, r1]),
        (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]),
        (old, new, r1, r2, [r1, *proof]),
        (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        cases.append((old, new, r1, r2, flipped))
    for size1, size2, root1, root2, changed in cases:
        assert not merkle.verify_consistency(size1, size2, root1, root2, changed), (size1, size2)


def test_trivial_consistency_holds_only_between_equal_roots() -> None:
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[5], [])
    assert merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    assert not merkle.verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])
    assert not merkle.verify_consistency(4, 3, ROOTS[4], ROOTS[3], [])


def test_every_proof_of_a_grown_tree_verifies_against_a_tree_built_from_scratch() -> None:
    rng = random.Random(20)
    leaves = [merkle.leaf_hash(rng.randbytes(rng.randrange(40))) for _ in range(70)]
    tree = StoredTree([])
    roots = [merkle.EMPTY_ROOT]
    for leaf in leaves:
        tree.append(leaf)
        roots.append(merkle.tree_root(leaves[: tree.frontier.size]))
        assert tree.frontier.root() == roots[-1]
    for size in range(1, 71):
        assert merkle.root_hash(size, tree.read) == roots[size]
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, tree.read)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, roots[size])
            assert not merkle.verify_inclusion(index, size, leaves[index - 1], proof, roots[size])
        for old in range(1, size + 1):
            proof = merkle.consistency_proof(old, size, tree.read)
            assert merkle.verify_consistency(old, size, roots[old], roots[size], proof)
            if old < size:
                assert not merkle.verify_consistency(old, size, roots[old - 1], roots[size], proof)


def test_a_frontier_read_back_from_the_stored_nodes_grows_the_same_tree() -> None:
    leaves = [merkle.leaf_hash(bytes([n])) for n in range(37)]
    tree = StoredTree(leaves[:23])
    frontier = merkle.Frontier.read(23, tree.read)
    assert frontier == tree.frontier
    for leaf in leaves[23:]:
        frontier, _completed = frontier.append(leaf)
    assert frontier.root() == merkle.tree_root(leaves)
    assert all(merkle.last_leaf(node) == 22 for node in merkle.completed_nodes(22))


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0)])
def test_an_inclusion_proof_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(index, size)
