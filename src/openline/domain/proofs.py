"""A proof of journal entries: self-contained, checked offline, revealing nothing else.

A proof is one JSON document (docs/journal.md, "Proofs"): the node's card, a checkpoint (its
signed note, with every cosignature the node holds for it), and one or more entries, each as
its exact bytes with its inclusion proof in the checkpoint's Merkle tree. The node signs the
whole document too, so that nothing in it, not even the card's name, can be changed unseen.
Anyone can check it with SHA-256 and Ed25519 alone: the entry's leaf hash and its inclusion
proof lead to the checkpoint's root, and the checkpoint is signed by the key in the card.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openline.domain.canonical import canonical_json
from openline.domain.checkpoints import KeyCheck, NodeKey, Witness, read_checkpoint
from openline.domain.errors import InvalidInput
from openline.domain.merkle import leaf_hash, verify_inclusion
from openline.domain.quoting import quote

PROOF_KEY = "openline_proof"
PROOF_VERSION = 1


@dataclass(frozen=True)
class ProvenEntry:
    """One entry of a proof: its exact bytes (what its hash and leaf are taken over), its hash
    and own signature as stored, and its inclusion proof."""

    seq: int
    body: bytes
    hash: str
    sig: str
    inclusion: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "entry": self.body.decode("utf-8"),
            "hash": self.hash,
            "sig": self.sig,
            "inclusion": [base64.b64encode(h).decode("ascii") for h in self.inclusion],
        }


def make_proof(
    card: Mapping[str, Any],
    checkpoint: str,
    entries: Sequence[ProvenEntry],
    sign: Callable[[bytes], bytes],
) -> dict[str, Any]:
    """The proof document, signed by the node over its canonical JSON (without ``sig``)."""
    body: dict[str, Any] = {
        PROOF_KEY: PROOF_VERSION,
        "card": dict(card),
        "checkpoint": checkpoint,
        "entries": [entry.to_json() for entry in entries],
    }
    return {**body, "sig": base64.b64encode(sign(canonical_json(body))).decode("ascii")}


@dataclass
class ProofReport:
    """What checking a proof found: the entries it shows, and every problem, named."""

    party: str = ""
    tree_size: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)
    witnesses: list[Witness] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems


def check_proof(
    text: str | bytes, key_check: KeyCheck, card: Mapping[str, Any] | None = None
) -> ProofReport:
    """Check a proof document: with ``card``, against that party's card instead of the one the
    proof carries (the card of the party you believe made it). Every problem is named; the
    first is the one that matters most."""
    report = ProofReport()
    try:
        proof = _document(text)
        given = dict(card) if card is not None else proof["card"]
        node = _node_key(given, key_check)
    except InvalidInput as exc:
        report.problems.append(exc.message)
        return report
    report.party = node.party
    if card is not None and _card_key(proof["card"]) != _card_key(given):
        report.problems.append(
            f"the proof carries the card of {_card_key(proof['card'])[0]}, not the card given "
            f"({node.party}): checking against the card given"
        )
    try:
        read = read_checkpoint(proof["checkpoint"], node, key_check)
    except InvalidInput as exc:
        report.problems.append(f"the checkpoint: {exc.message}")
        return report
    report.tree_size, report.witnesses = read.checkpoint.size, list(read.witnesses)
    for who, message, signature, check in read.checked.signatures:
        if not check(message, signature):
            signer = "the node key" if who == "node" else f"witness {who}"
            report.problems.append(f"the checkpoint's signature by {signer} does not verify")
    for index, entry in enumerate(proof["entries"]):
        problem = _entry_problem(entry, read.checkpoint.size, read.checkpoint.root_hash)
        if problem:
            report.problems.append(f"entry {index + 1} of the proof: {problem}")
        else:
            report.entries.append(json.loads(entry["entry"]))
    unsigned = {k: v for k, v in proof.items() if k != "sig"}
    if not node.check(canonical_json(unsigned), _base64(proof.get("sig"))):
        report.problems.append(
            "the proof's own signature by the node key does not verify (something in it was "
            "changed, or it was made by another key)"
        )
    return report


def _document(text: str | bytes) -> dict[str, Any]:
    try:
        proof = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the proof is not JSON: {exc}") from None
    if not isinstance(proof, dict) or proof.get(PROOF_KEY) != PROOF_VERSION:
        raise InvalidInput(f"not an Openline proof (version {PROOF_VERSION}): no {PROOF_KEY}")
    for name, kind in (("card", dict), ("checkpoint", str), ("entries", list), ("sig", str)):
        if not isinstance(proof.get(name), kind):
            raise InvalidInput(f"the proof's {name} is missing or not a JSON {kind.__name__}")
    if not proof["entries"]:
        raise InvalidInput("the proof holds no entry")
    return proof


def _card_key(card: Mapping[str, Any]) -> tuple[str, str]:
    return str(card.get("party")), str(card.get("public_key"))


def _node_key(card: Mapping[str, Any], key_check: KeyCheck) -> NodeKey:
    party, public_key = card.get("party"), card.get("public_key")
    raw = _base64(public_key)
    if not isinstance(party, str) or not party or len(raw) != 32:
        raise InvalidInput(
            f"the card names no party and Ed25519 public key (party {quote(str(party))}, "
            f"public_key {quote(str(public_key))})"
        )
    return NodeKey(party, raw, key_check(raw))


def _entry_problem(entry: Any, size: int, root: bytes) -> str | None:
    """Why one proven entry does not hold in the tree of ``size`` whose root is ``root``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("entry"), str):
        return "it has no entry text"
    body = entry["entry"].encode("utf-8")
    try:
        parsed = json.loads(body)
        seq = parsed["seq"]
        inclusion = [_base64(h, strict=True) for h in entry["inclusion"]]
    except (ValueError, KeyError, TypeError):
        return "its entry or inclusion proof cannot be read"
    if not isinstance(seq, int) or canonical_json(parsed) != body:
        return "its entry is not an entry's canonical bytes"
    if hashlib.sha256(body).hexdigest() != entry.get("hash"):
        return f"entry {seq}'s content does not match its hash (altered)"
    if not verify_inclusion(seq - 1, size, leaf_hash(body), inclusion, root):
        return (
            f"entry {seq}'s inclusion proof does not lead to the checkpoint's root (tree size "
            f"{size}): the entry or its proof was altered, or it is not in this journal"
        )
    return None


def _base64(text: object, *, strict: bool = False) -> bytes:
    if not isinstance(text, str):
        if strict:
            raise ValueError("not base64 text")
        return b""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        if strict:
            raise
        return b""
