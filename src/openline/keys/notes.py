"""Ed25519 signatures on signed notes: a node's checkpoints and its cosignatures of a peer's.

The formats are in ``domain/signed_note.py``; here the node key signs and checks them. One
key serves both: a checkpoint is signed as a note (signature type 0x01, over the note text,
which begins with ``openline/``) and a cosignature over ``cosignature/v1\\n...`` (type 0x04);
the journal's and the envelopes' signatures are over canonical JSON, which begins with ``{``.
No two of these messages can be the same bytes.
"""

from __future__ import annotations

from openline.domain.signed_note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    Cosignature,
    NoteSignature,
    SignedNote,
    check_note_text,
    cosigned_message,
    key_id,
)
from openline.keys.signing import PublicKey, SigningKey


def sign_note(text: str, name: str, key: SigningKey) -> NoteSignature:
    """The Ed25519 note signature of ``text`` by the key named ``name``."""
    signature = key.sign(check_note_text(text).encode("utf-8"))
    return NoteSignature(name=name, key_id=note_key_id(name, key.public_key), signature=signature)


def verify_note(note: SignedNote, name: str, public_key: PublicKey) -> bool:
    """True when the note holds a signature by this key and every one of its lines verifies.

    As the specification asks, lines by other keys are ignored, and a line by this key that
    does not verify rejects the whole note.
    """
    lines = note.signatures_by(name, note_key_id(name, public_key))
    data = note.text.encode("utf-8")
    return bool(lines) and all(public_key.verify(data, line.signature) for line in lines)


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> SignedNote:
    """A checkpoint signed by the node key, named by the checkpoint's origin."""
    text = checkpoint.body()
    return SignedNote(text=text, signatures=(sign_note(text, checkpoint.origin, key),))


def cosign(checkpoint_text: str, name: str, key: SigningKey, timestamp: int) -> Cosignature:
    """The ``cosignature/v1`` of a checkpoint's note text at ``timestamp`` (POSIX seconds)."""
    signature = key.sign(cosigned_message(checkpoint_text, timestamp))
    return Cosignature(name, cosigner_key_id(name, key.public_key), timestamp, signature)


def verify_cosignature(
    checkpoint_text: str, cosignature: Cosignature, name: str, public_key: PublicKey
) -> bool:
    """True when ``cosignature`` is this witness's, over exactly this checkpoint text."""
    if cosignature.name != name or cosignature.key_id != cosigner_key_id(name, public_key):
        return False
    message = cosigned_message(checkpoint_text, cosignature.timestamp)
    return public_key.verify(message, cosignature.signature)


def note_key_id(name: str, public_key: PublicKey) -> bytes:
    return key_id(name, ED25519, public_key.to_bytes())


def cosigner_key_id(name: str, public_key: PublicKey) -> bytes:
    return key_id(name, COSIGNATURE_V1, public_key.to_bytes())
