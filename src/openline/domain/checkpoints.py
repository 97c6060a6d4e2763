"""A node's signed checkpoints of its journal, read for checking.

A checkpoint is a C2SP ``tlog-checkpoint`` signed note (``domain/signed_note.py``): its origin
``openline/<party>/<node key, hex>``, the journal's tree size and root hash, the node's
Ed25519 signature, and any ``cosignature/v1`` lines its witnesses sent back. A witness's key
name is ``openline/<party>/<its node key, hex>/witness``, so each cosignature names the key
that checks it; whether that key is the peer's is for the reader to compare with its card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from openline.domain.errors import InvalidInput
from openline.domain.journal import CheckedCheckpoint, SignatureCheck
from openline.domain.signed_note import (
    COSIGNATURE_V1,
    ED25519,
    ED25519_KEY_BYTES,
    ORIGIN_PREFIX,
    Checkpoint,
    Cosignature,
    SignedNote,
    checkpoint_origin,
    cosigned_message,
    key_id,
    parse_checkpoint,
    parse_note,
)

KeyCheck = Callable[[bytes], SignatureCheck]
"""The Ed25519 check of a public key, from its 32 bytes."""

WITNESS_SUFFIX = "/witness"


@dataclass(frozen=True)
class NodeKey:
    """What checks a node's checkpoints: its party, its public key and that key's check."""

    party: str
    public_key: bytes
    check: SignatureCheck

    @cached_property
    def origin(self) -> str:
        return checkpoint_origin(self.party, self.public_key)

    @cached_property
    def key_id(self) -> bytes:
        """The key ID of the node's signature lines (its origin is the key's name)."""
        return key_id(self.origin, ED25519, self.public_key)


@dataclass(frozen=True)
class Witness:
    """A witness named in a cosignature line: its party and node key."""

    party: str
    public_key: bytes

    @property
    def name(self) -> str:
        return f"{ORIGIN_PREFIX}{self.party}/{self.public_key.hex()}{WITNESS_SUFFIX}"


def witness_of(name: str) -> Witness | None:
    """The witness a cosignature key name stands for, or None if it is not an Openline node's."""
    if not name.startswith(ORIGIN_PREFIX) or not name.endswith(WITNESS_SUFFIX):
        return None
    party, _, hex_key = name[len(ORIGIN_PREFIX) : -len(WITNESS_SUFFIX)].partition("/")
    try:
        public_key = bytes.fromhex(hex_key)
    except ValueError:
        return None
    if not party or len(public_key) != ED25519_KEY_BYTES or public_key.hex() != hex_key:
        return None
    return Witness(party, public_key)


@dataclass(frozen=True)
class ReadCheckpoint:
    """A checkpoint note read: the checkpoint, and its signatures to check (``checked``)."""

    note: SignedNote
    checkpoint: Checkpoint
    checked: CheckedCheckpoint
    witnesses: tuple[Witness, ...]


def read_checkpoint(note_text: str, node: NodeKey, key_check: KeyCheck) -> ReadCheckpoint:
    """The checkpoint in ``note_text`` with every signature it holds to check: the node's (at
    least one, under the node's origin and key ID) and each Openline witness's cosignature.
    Lines by other keys are left aside, as the signed-note specification says. Raises
    ``InvalidInput`` naming what is wrong with the note itself."""
    note = parse_note(note_text)
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != node.origin:
        raise InvalidInput(
            f"the checkpoint's origin is {checkpoint.origin}, not this node's {node.origin} "
            "(another node's checkpoint, or another key's)"
        )
    own = note.signatures_by(node.origin, node.key_id)
    if not own:
        raise InvalidInput(f"the checkpoint carries no signature by the node key ({node.origin})")
    text = note.text.encode("utf-8")
    signatures = [("node", text, line.signature, node.check) for line in own]
    witnesses = []
    for line in note.signatures:
        witness = witness_of(line.name)
        if witness is None:
            continue
        cosignature = Cosignature.from_note_signature(line)
        if cosignature.key_id != key_id(line.name, COSIGNATURE_V1, witness.public_key):
            raise InvalidInput(f"the cosignature by {line.name} has the wrong key ID")
        message = cosigned_message(note.text, cosignature.timestamp)
        check = key_check(witness.public_key)
        signatures.append((line.name, message, cosignature.signature, check))
        witnesses.append(witness)
    checked = CheckedCheckpoint(checkpoint.size, checkpoint.root_hash, tuple(signatures))
    return ReadCheckpoint(note, checkpoint, checked, tuple(witnesses))


def checked_checkpoint(
    size: int, note_text: str, node: NodeKey, key_check: KeyCheck
) -> CheckedCheckpoint:
    """A stored checkpoint, ready for ``verify_chain``: what its note says, or what is wrong
    with it (unreadable, another node's, or stored under another tree size)."""
    try:
        read = read_checkpoint(note_text, node, key_check)
    except InvalidInput as exc:
        return CheckedCheckpoint(size, problem=f"its note cannot be read: {exc.message}")
    if read.checkpoint.size != size:
        return CheckedCheckpoint(
            size, problem=f"its note is of tree size {read.checkpoint.size} (altered)"
        )
    return read.checked
