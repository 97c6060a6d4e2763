"""Signed notes, checkpoints and cosignatures in the transparency-log text formats.

Three C2SP specifications, as text and bytes (the Ed25519 signing itself is in
``keys/notes.py``); docs/journal.md shows them byte by byte:

- ``signed-note``: a UTF-8 text ending in a newline, a blank line, then one or more lines
  ``— <key name> <base64(key ID || signature)>``. The key ID is the first 4 bytes of
  ``SHA-256(key name || 0x0A || signature type || public key)``.
- ``tlog-checkpoint``: the note text of a log's tree head: the origin line, the tree size in
  decimal, the root hash in base64, then any extension lines.
- ``tlog-cosignature`` (``cosignature/v1``, signature type 0x04): a witness's signature over
  ``cosignature/v1\\ntime <POSIX seconds>\\n`` followed by the checkpoint's whole note text;
  its note signature is ``key ID || 8-byte big-endian timestamp || Ed25519 signature``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from openline.domain.errors import InvalidInput
from openline.domain.quoting import quote

ED25519 = 0x01  # a note signed with Ed25519 (signed-note)
COSIGNATURE_V1 = 0x04  # a timestamped Ed25519 witness cosignature (tlog-cosignature)
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
COSIGNATURE_HEADER = "cosignature/v1\n"
ED25519_SIGNATURE_BYTES = 64
ED25519_KEY_BYTES = 32
HASH_BYTES = 32
MAX_SIGNATURES = 100  # the specification asks verifiers to accept at least 16
MAX_NOTE_BYTES = 64 * 1024
MAX_TIMESTAMP = 2**63 - 1
ORIGIN_PREFIX = "openline/"

_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_KEY_ID_HEX = re.compile(r"^[0-9a-f]{8}$")


class NoteError(InvalidInput):
    """A note, checkpoint or cosignature that does not follow its format."""


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the key's name, its 4-byte key ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def to_line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class SignedNote:
    """A note's text (ending in a newline) and its signatures, in their order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        return self.text + "\n" + "".join(sig.to_line() for sig in self.signatures)

    def signatures_by(self, name: str, key_id: bytes) -> list[NoteSignature]:
        return [s for s in self.signatures if s.name == name and s.key_id == key_id]


def check_key_name(name: str) -> str:
    """A key name is non-empty and holds no Unicode space and no ``+``."""
    if not name or "+" in name or _SPACE.search(name) or not _printable(name):
        raise NoteError(
            f"key name {quote(name)} must be non-empty, with no space, no '+' and no "
            "control character"
        )
    return name


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || type || public key)[:4]``."""
    data = check_key_name(name).encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    return hashlib.sha256(data).digest()[:4]


def verifier_key(name: str, signature_type: int, public_key: bytes) -> str:
    """The ``vkey`` text: ``<name>+<key ID, hex>+<base64(type || public key)>``."""
    material = base64.b64encode(bytes([signature_type]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, signature_type, public_key).hex()}+{material}"


def parse_verifier_key(text: str) -> tuple[str, int, bytes]:
    """The name, signature type and public key of a ``vkey``, its key ID checked."""
    name, _, rest = text.partition("+")
    hex_id, _, material = rest.partition("+")
    if not _KEY_ID_HEX.match(hex_id):
        raise NoteError(f"verifier key {quote(text)} has no 8-digit hex key ID after its name")
    raw = _b64decode(material, what="verifier key", quoted=text)
    if len(raw) != 1 + ED25519_KEY_BYTES or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError(
            f"verifier key {quote(text)} is not an Ed25519 key (type 0x01 or 0x04, 32 bytes)"
        )
    signature_type, public_key = raw[0], raw[1:]
    if key_id(name, signature_type, public_key).hex() != hex_id:
        raise NoteError(f"verifier key {quote(text)}: key ID {hex_id} does not match the key")
    return name, signature_type, public_key


def check_note_text(text: str) -> str:
    """A note's text: UTF-8 ending in a newline, no control character but newline."""
    if not text.endswith("\n"):
        raise NoteError("a note's text must end with a newline")
    if not _printable(text.replace("\n", "")):
        raise NoteError("a note must hold no control character other than newline")
    return text


def parse_note(note: str | bytes) -> SignedNote:
    """Split a signed note into its text and signature lines (nothing is verified here)."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise NoteError(f"a note is at most {MAX_NOTE_BYTES} bytes; this is {len(note)}")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"a note must be UTF-8: {exc.reason} at byte {exc.start}") from None
    if len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise NoteError(f"a note is at most {MAX_NOTE_BYTES} bytes")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a signed note needs a blank line between its text and its signatures")
    text, lines = check_note_text(note[: split + 1]), note[split + 2 :]
    if not lines.endswith("\n"):
        raise NoteError("a signed note's last signature line must end with a newline")
    signatures = tuple(_parse_signature_line(line) for line in lines[:-1].split("\n"))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"a note holds at most {MAX_SIGNATURES} signatures, not {len(signatures)}")
    return SignedNote(text=text, signatures=signatures)


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"signature line {quote(line)} must start with an em dash and a space")
    name, sep, blob = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep:
        raise NoteError(f"signature line {quote(line)} has no signature after the key name")
    raw = _b64decode(blob, what="signature line", quoted=line)
    if len(raw) < 5:
        raise NoteError(f"signature line {quote(line)} holds fewer than 4+1 bytes")
    return NoteSignature(name=check_key_name(name), key_id=raw[:4], signature=raw[4:])


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its root hash (``tlog-checkpoint``)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or not _printable(self.origin):
            raise NoteError(f"checkpoint origin {quote(self.origin)} must be one non-empty line")
        if not 0 <= self.size <= MAX_TIMESTAMP:
            raise NoteError(f"checkpoint tree size {self.size} must be 0 to 2^63-1")
        if len(self.root_hash) != HASH_BYTES:
            raise NoteError(f"checkpoint root hash must be {HASH_BYTES} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise NoteError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash, extensions, each ending in newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """A checkpoint from its note text (the part before the blank line)."""
    lines = check_note_text(text)[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has at least 3 lines: origin, tree size, root hash")
    origin, size, root, *extensions = lines
    if not _DECIMAL.match(size):
        raise NoteError(f"checkpoint tree size {quote(size)} is not a decimal without leading 0s")
    root_hash = _b64decode(root, what="checkpoint root hash")
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def checkpoint_origin(party: str, public_key: bytes) -> str:
    """The origin of a node's journal: ``openline/<party>/<node key, hex>``.

    The origin names the party and the node key, so that a party's new key begins a new log
    (its witnesses hold no earlier checkpoint of it); it is also the name of the key that signs
    the checkpoints, so it holds no space and no ``+``.
    """
    return check_key_name(f"{ORIGIN_PREFIX}{party}/{public_key.hex()}")


def cosigner_name(party: str, public_key: bytes) -> str:
    """The key name a node cosigns with: ``openline/<party>/<node key, hex>/witness``."""
    return check_key_name(f"{checkpoint_origin(party, public_key)}/witness")


@dataclass(frozen=True)
class Cosignature:
    """A witness's ``cosignature/v1`` of one checkpoint: who, when, and the signature."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.timestamp <= MAX_TIMESTAMP:
            raise NoteError(f"cosignature timestamp {self.timestamp} must be 0 to 2^63-1")
        if len(self.signature) != ED25519_SIGNATURE_BYTES or len(self.key_id) != 4:
            raise NoteError("a cosignature is a 4-byte key ID and a 64-byte Ed25519 signature")

    def to_note_signature(self) -> NoteSignature:
        stamped = self.timestamp.to_bytes(8, "big") + self.signature
        return NoteSignature(name=self.name, key_id=self.key_id, signature=stamped)

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        if len(sig.signature) != 8 + ED25519_SIGNATURE_BYTES:
            raise NoteError(
                f"cosignature by {quote(sig.name)} must be 4+8+64 bytes, "
                f"not {4 + len(sig.signature)}"
            )
        timestamp = int.from_bytes(sig.signature[:8], "big")
        return cls(sig.name, sig.key_id, timestamp, sig.signature[8:])


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a witness signs: ``cosignature/v1``, ``time <t>``, then the checkpoint's text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} must be 0 to 2^63-1")
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{check_note_text(checkpoint_text)}".encode()


def _printable(text: str) -> bool:
    return _CONTROL.search(text) is None


_CONTROL = re.compile("[\x00-\x1f]")  # what ord(ch) < 0x20 is, one regex search, not a loop
_SPACE = re.compile(r"\s")  # exactly what str.isspace() is (both are Py_UNICODE_ISSPACE)


def _b64decode(text: str, *, what: str, quoted: str | None = None) -> bytes:
    """``text`` decoded, or a NoteError naming ``what`` (and ``quoted``, quoted only then:
    quoting a signature line costs more than reading it)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        named = what if quoted is None else f"{what} {quote(quoted)}"
        raise NoteError(f"{named} is not standard base64") from None
