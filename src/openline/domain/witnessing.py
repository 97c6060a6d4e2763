"""Witnessing over the line: each party cosigns the other's checkpoints, and refuses a fork.

Two envelope kinds (docs/journal.md#witnessing, docs/line.md#witnessing):

- ``checkpoint``, from a node to a witness: ``{"checkpoint": NOTE, "from_size": N, "proof":
  [BASE64...]}``, its latest signed checkpoint (a C2SP signed note) and the RFC 9162
  consistency proof from the tree of ``from_size`` entries, the latest this witness cosigned
  (0 and no proof before the first).
- ``cosignature``, from the witness back: ``{"checkpoint": NOTE, "cosignature": LINE}``, the
  checkpoint it cosigned and its ``cosignature/v1`` signature line.

The witness keeps the latest checkpoint it cosigned for each origin and judges an offered one
against it (``judge``): consistent, it cosigns; not consistent, it refuses (a rewritten or
forked history). An offer that starts from another size than the witness holds (a cosignature
still on its way back, a node restored from a backup) is answered with the one it holds, so
the node starts the next offer from there.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.merkle import HASH_SIZE, verify_consistency
from openline.domain.signed_note import (
    Checkpoint,
    Cosignature,
    NoteError,
    SignedNote,
    parse_checkpoint,
    parse_note,
)

MAX_PROOF_HASHES = 64  # a consistency proof of a tree of 2^31 entries has at most 2*31


@dataclass(frozen=True)
class Offer:
    """A checkpoint offered to a witness, with its consistency proof from ``from_size``."""

    note: SignedNote
    checkpoint: Checkpoint
    from_size: int
    proof: tuple[bytes, ...]

    def to_body(self) -> dict[str, Any]:
        return {
            "checkpoint": self.note.to_text(),
            "from_size": self.from_size,
            "proof": [base64.b64encode(h).decode("ascii") for h in self.proof],
        }


@dataclass(frozen=True)
class Reply:
    """A witness's answer: the checkpoint it cosigned and its cosignature of it."""

    note: SignedNote
    checkpoint: Checkpoint
    cosignature: Cosignature

    def to_body(self) -> dict[str, Any]:
        line = self.cosignature.to_note_signature().to_line()
        return {"checkpoint": self.note.to_text(), "cosignature": line}


def read_offer(body: Mapping[str, Any], _link: object = None) -> Offer:
    """A ``checkpoint`` envelope's body, its shapes checked (signatures are the service's)."""
    if set(body) != {"checkpoint", "from_size", "proof"}:
        raise InvalidInput(
            f"checkpoint: the body holds {sorted(body)}, not checkpoint, from_size and proof"
        )
    note, checkpoint = _read_checkpoint(body["checkpoint"])
    from_size, proof = body["from_size"], body["proof"]
    if not isinstance(from_size, int) or isinstance(from_size, bool):
        raise InvalidInput("checkpoint: from_size must be a whole number", field="from_size")
    if not 0 <= from_size <= checkpoint.size:
        raise InvalidInput(
            f"checkpoint: from_size {from_size} must be 0 to the tree size {checkpoint.size}",
            field="from_size",
        )
    if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES:
        raise InvalidInput(f"checkpoint: proof must be a list of at most {MAX_PROOF_HASHES} hashes")
    return Offer(note, checkpoint, from_size, tuple(_hash(h) for h in proof))


def read_reply(body: Mapping[str, Any], _link: object = None) -> Reply:
    """A ``cosignature`` envelope's body, its shapes checked."""
    if set(body) != {"checkpoint", "cosignature"} or not isinstance(body["cosignature"], str):
        raise InvalidInput("cosignature: the body has exactly checkpoint and cosignature, as text")
    note, checkpoint = _read_checkpoint(body["checkpoint"])
    try:
        line = parse_note("x\n\n" + body["cosignature"]).signatures
        if len(line) != 1:
            raise NoteError("one signature line")
        cosignature = Cosignature.from_note_signature(line[0])
    except NoteError as exc:
        raise InvalidInput(f"cosignature: {exc.message}", field="cosignature") from None
    return Reply(note, checkpoint, cosignature)


def _read_checkpoint(text: object) -> tuple[SignedNote, Checkpoint]:
    if not isinstance(text, str):
        raise InvalidInput("checkpoint: a signed note as text", field="checkpoint")
    try:
        note = parse_note(text)
        return note, parse_checkpoint(note.text)
    except NoteError as exc:
        raise InvalidInput(f"checkpoint: {exc.message}", field="checkpoint") from None


def _hash(value: object) -> bytes:
    try:
        raw = base64.b64decode(str(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if not isinstance(value, str) or len(raw) != HASH_SIZE:
        raise InvalidInput("checkpoint: each proof hash is 32 bytes in base64", field="proof")
    return raw


class Verdict(StrEnum):
    COSIGN = "cosign"  # consistent with what the witness holds (or the first it sees)
    ANSWER_HELD = "answer_held"  # from another size than held: the held one is sent back
    FORK = "fork"  # not consistent with what the witness cosigned: refused


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str


def judge(held: Checkpoint | None, offer: Offer) -> Judgement:
    """What a witness does with ``offer``, holding ``held`` (its latest cosigned checkpoint of
    the same origin, or None)."""
    new = offer.checkpoint
    if held is None:
        return Judgement(Verdict.COSIGN, "the first checkpoint of this log seen")
    if new.size == held.size and new.root_hash != held.root_hash:
        return Judgement(Verdict.FORK, f"tree size {new.size} has another root than cosigned")
    if offer.from_size != held.size:
        if new.size < held.size:
            return Judgement(Verdict.ANSWER_HELD, f"tree size {new.size} is older than held")
        return Judgement(
            Verdict.ANSWER_HELD,
            f"the proof starts from size {offer.from_size}; the witness holds size {held.size}",
        )
    if verify_consistency(held.size, new.size, held.root_hash, new.root_hash, offer.proof):
        return Judgement(Verdict.COSIGN, f"consistent with size {held.size}")
    return Judgement(
        Verdict.FORK,
        f"tree size {new.size} is not consistent with size {held.size}, which was cosigned",
    )
