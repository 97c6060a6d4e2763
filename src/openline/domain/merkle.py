"""The journal's Merkle tree, hashed as RFC 9162 (Certificate Transparency 2.0) says.

A leaf is ``SHA-256(0x00 || entry bytes)`` and an interior node ``SHA-256(0x01 || left ||
right)``; the tree over ``n`` leaves splits at the largest power of two below ``n`` (RFC 9162,
section 2.1.1). Only *perfect* subtrees are ever stored: the node ``(level, index)`` is the
hash of the ``2**level`` leaves from ``index * 2**level`` on. Every hash a proof needs is one
of them or, on the tree's right edge, a fold of a few of them, so proofs are read from the
stored nodes without rebuilding anything (``needed_nodes`` says which ones to read).

Everything here is pure: leaves, node ids and hashes in, hashes and proofs out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32

NodeId = tuple[int, int]
"""``(level, index)``: the perfect subtree of ``2**level`` leaves from ``index * 2**level``."""

NodeReader = Callable[[Sequence[NodeId]], Mapping[NodeId, bytes]]
"""Reads the stored hashes of the nodes it is given (all of them, or a KeyError)."""

Range = tuple[int, int]
"""Leaves ``[start, end)``: one subtree hash of an RFC 9162 proof."""


def leaf_hash(entry_bytes: bytes) -> bytes:
    """The hash of one leaf: ``SHA-256(0x00 || entry_bytes)``."""
    hashed = _LEAF_PREFIX.copy()  # the prefix hashed once: a copy is cheaper than a new hash
    hashed.update(entry_bytes)
    return hashed.digest()


_LEAF_PREFIX = hashlib.sha256(b"\x00")  # never updated again, so copied safely by any thread


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree (RFC 9162: the hash of the empty string)."""


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_nodes(start: int, end: int) -> list[NodeId]:
    """The perfect subtrees that make up the subtree of leaves ``[start, end)``, left to right.

    ``start`` is a multiple of a power of two at least ``end - start``, as every subtree of an
    RFC 9162 tree is: each piece is then aligned to its own size.
    """
    nodes: list[NodeId] = []
    offset = start
    remaining = end - start
    while remaining:
        level = remaining.bit_length() - 1
        nodes.append((level, offset >> level))
        offset += 1 << level
        remaining -= 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a subtree from its perfect pieces, left to right (``perfect_nodes``): each
    split of RFC 9162 puts the largest perfect piece on the left, so they fold from the right."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make the inclusion proof of leaf ``index`` in a tree of
    ``size`` leaves, in the proof's order (RFC 9162 section 2.1.3.1, PATH)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()  # found from the root down; the proof lists them from the leaf up
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose hashes make the consistency proof from a tree of ``old_size`` leaves
    to one of ``new_size`` (RFC 9162 section 2.1.4.1, SUBPROOF), in the proof's order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    ranges: list[Range] = []
    start, end, m, whole = 0, new_size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def needed_nodes(ranges: Iterable[Range]) -> list[NodeId]:
    """Every stored node the hashes of ``ranges`` are folded from, each once."""
    wanted: dict[NodeId, None] = {}
    for start, end in ranges:
        wanted.update(dict.fromkeys(perfect_nodes(start, end)))
    return list(wanted)


def range_hashes(ranges: Sequence[Range], read: NodeReader) -> list[bytes]:
    """The hashes of ``ranges``, from the stored nodes ``read`` gives (one call)."""
    nodes = read(needed_nodes(ranges))
    return [fold([nodes[node] for node in perfect_nodes(*r)]) for r in ranges]


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """The inclusion proof of leaf ``index`` (from 0) in the tree of ``size`` leaves."""
    return range_hashes(inclusion_ranges(index, size), read)


def consistency_proof(old_size: int, new_size: int, read: NodeReader) -> list[bytes]:
    """The consistency proof from the tree of ``old_size`` leaves to that of ``new_size``."""
    return range_hashes(consistency_ranges(old_size, new_size), read)


def root_hash(size: int, read: NodeReader) -> bytes:
    """The root of the tree of the first ``size`` leaves, from the stored nodes."""
    if size == 0:
        return EMPTY_ROOT
    return range_hashes([(0, size)], read)[0]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` leads to from leaf hash ``leaf`` at ``index`` in a tree of
    ``size`` leaves, or None if the proof cannot belong to that place (RFC 9162 section
    2.1.3.2): compare the result with a root you trust."""
    if not 0 <= index < size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return None  # longer than the path to the root
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return result if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree of ``size`` leaves
    whose root is ``root``."""
    return root_from_inclusion(index, size, leaf, proof) == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``old_size`` leaves with root ``old_root`` to be the
    beginning of that of ``new_size`` leaves with root ``new_root`` (RFC 9162 section
    2.1.4.2)."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof  # the empty tree is the beginning of every tree
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first hash
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def grow(edge: list[bytes], size: int, leaf: bytes) -> bytes:
    """Append ``leaf`` to the tree of ``size`` leaves whose right edge is ``edge`` (its perfect
    subtrees, left to right, as ``Frontier.hashes``), changing ``edge`` in place; the hashes
    of the nodes the leaf completes, joined as the journal stores them: ``(0, size)`` first,
    then its parent ``(1, size >> 1)`` and so on up, while each is the right child of its
    parent. The journal's writer and its verifier grow the tree with this, one leaf at a time
    and with no object per leaf."""
    if not size & 1:  # a left child: nothing completed above it
        edge.append(leaf)
        return leaf
    completed = [leaf]
    node = leaf
    sha256 = hashlib.sha256
    while size & 1:
        node = sha256(b"\x01" + edge.pop() + node).digest()
        completed.append(node)
        size >>= 1
    edge.append(node)
    return b"".join(completed)


@dataclass(frozen=True, slots=True)
class Frontier:
    """The right edge of a tree: its size and the perfect subtrees that make it, left to right
    (at most one per level). Appending a leaf completes a few more nodes, which are stored;
    nothing else of the tree is needed to go on growing it."""

    size: int = 0
    hashes: tuple[bytes, ...] = ()

    def append(self, leaf: bytes) -> tuple[Frontier, list[bytes]]:
        """The frontier with one more leaf, and the hashes of the nodes this leaf completes:
        ``(0, size)`` first, then its parent ``(1, size >> 1)`` and so on up, while each is the
        right child of its parent."""
        edge = list(self.hashes)
        completed = grow(edge, self.size, leaf)
        hashes = [completed[at : at + HASH_SIZE] for at in range(0, len(completed), HASH_SIZE)]
        return Frontier(self.size + 1, tuple(edge)), hashes

    def root(self) -> bytes:
        return fold(self.hashes) if self.hashes else EMPTY_ROOT

    @classmethod
    def read(cls, size: int, read: NodeReader) -> Frontier:
        """The frontier of the stored tree of ``size`` leaves."""
        nodes = perfect_nodes(0, size)
        stored = read(nodes)
        return cls(size, tuple(stored[node] for node in nodes))


def completed_nodes(index: int) -> list[NodeId]:
    """The nodes appending leaf ``index`` completes, in the order ``Frontier.append`` gives
    their hashes."""
    nodes = [(0, index)]
    level = 0
    while index & 1:
        index >>= 1
        level += 1
        nodes.append((level, index))
    return nodes


def last_leaf(node: NodeId) -> int:
    """The leaf whose appending completed ``node``: its last one."""
    level, index = node
    return ((index + 1) << level) - 1


def tree_root(leaves: Iterable[bytes]) -> bytes:
    """The root over leaf hashes, computed from scratch (RFC 9162's MTH, for checking)."""
    frontier = Frontier()
    for leaf in leaves:
        frontier, _completed = frontier.append(leaf)
    return frontier.root()
