"""A key rotation: a party's new card, signed by its old key and by its new one.

The statement names the party, its old and new public keys (base64, as cards write them), its
new card and when it was made. Both keys sign the same bytes (``signed_bytes``): the old key
says "this is my successor", the new key says "I hold this key", so a rotation signed by one
key alone proves nothing and is refused. The bytes begin with ``openline/key-rotation/v1``, so
they can be no envelope's, entry's, receipt's or signed note's. The signatures are checked in
``keys/rotation.py``; here, the shape (docs/security.md#key-rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from openline.domain.canonical import canonical_json
from openline.domain.errors import InvalidInput
from openline.domain.parties import Card
from openline.domain.timeutil import parse_utc

ROTATION_CONTEXT = b"openline/key-rotation/v1\n"
STATEMENT_MEMBERS = {"party", "old_key", "new_key", "card", "rotated_at"}
BODY_MEMBERS = {"statement", "old_sig", "new_sig"}
# The refusal of an envelope signed by a key its sender retired (an envelope refusal's code).
RETIRED_KEY = "retired_key"
FINGERPRINT_HEX_DIGITS = 40  # read aloud in groups of four: 160 bits of SHA-256


@dataclass(frozen=True)
class Rotation:
    """A key rotation statement and its two signatures (raw bytes)."""

    party: str
    old_key: str
    new_key: str
    card: Card
    rotated_at: str
    old_sig: bytes = b""
    new_sig: bytes = b""

    def statement(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "old_key": self.old_key,
            "new_key": self.new_key,
            "card": self.card.model_dump(),
            "rotated_at": self.rotated_at,
        }

    def signed_bytes(self) -> bytes:
        """What both keys sign."""
        return ROTATION_CONTEXT + canonical_json(self.statement())

    def to_body(self) -> dict[str, Any]:
        return {
            "statement": self.statement(),
            "old_sig": base64.b64encode(self.old_sig).decode("ascii"),
            "new_sig": base64.b64encode(self.new_sig).decode("ascii"),
        }


def read_rotation(body: Mapping[str, Any], sender: str | None = None) -> Rotation:
    """The rotation in an envelope's body (or a key history's), its shape checked: the new card
    is the party's and carries the new key, the two keys differ. ``InvalidInput`` says what is
    wrong."""
    if not isinstance(body, Mapping) or set(body) != BODY_MEMBERS:
        raise InvalidInput(f"a key rotation has exactly {', '.join(sorted(BODY_MEMBERS))}")
    statement = body["statement"]
    if not isinstance(statement, Mapping) or set(statement) != STATEMENT_MEMBERS:
        raise InvalidInput(
            f"a key rotation's statement has exactly {', '.join(sorted(STATEMENT_MEMBERS))}"
        )
    try:
        card = Card.model_validate(statement["card"])
    except ValidationError as exc:
        raise InvalidInput(f"key rotation: the new card: {exc.errors()[0]['msg']}") from None
    party, old_key, new_key = statement["party"], statement["old_key"], statement["new_key"]
    if sender is not None and party != sender:
        raise InvalidInput(f"a key rotation of {party!r} in an envelope from {sender}")
    if card.party != party or card.public_key != new_key:
        raise InvalidInput("key rotation: the new card is not the party's, or not of the new key")
    if not isinstance(old_key, str) or old_key == new_key:
        raise InvalidInput("key rotation: the old key must be given, and differ from the new")
    rotated_at = statement["rotated_at"]
    parse_utc(rotated_at if isinstance(rotated_at, str) else "", field="rotated_at")
    return Rotation(
        party,
        old_key,
        new_key,
        card,
        rotated_at,
        _signature(body["old_sig"], "old_sig"),
        _signature(body["new_sig"], "new_sig"),
    )


def _signature(text: object, name: str) -> bytes:
    try:
        raw = base64.b64decode(text if isinstance(text, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        raise InvalidInput(f"key rotation: {name} is not a base64 Ed25519 signature")
    return raw


def fingerprint(public_key: str) -> str:
    """A public key (base64, as cards write it) as operators read it to each other: the first
    40 hex digits of the SHA-256 of its 32 bytes, in groups of four."""
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{public_key!r} is not a base64 public key") from None
    digits = hashlib.sha256(raw).hexdigest()[:FINGERPRINT_HEX_DIGITS]
    return " ".join(digits[i : i + 4] for i in range(0, FINGERPRINT_HEX_DIGITS, 4))


def fingerprint_matches(given: str, public_key: str) -> bool:
    """Whether ``given`` (spaces, colons and case as anyone wrote them) is the key's
    fingerprint, in full."""
    written = "".join(ch for ch in given.lower() if ch not in " :-")
    return written == fingerprint(public_key).replace(" ", "")


KeyCheckFor = Callable[[str], Callable[[bytes, bytes], bool]]
"""The Ed25519 check of a public key given as base64, as cards write it."""


def handover_problem(
    rotations: Sequence[object], first: str, last: str, check_for: KeyCheckFor
) -> str | None:
    """Why ``rotations`` (bodies, oldest first) do not hand key ``first`` over to key ``last``,
    each by a rotation its old key and its new one both signed; None if they do."""
    key = first
    for number, body in enumerate(rotations, start=1):
        try:
            rotation = read_rotation(body if isinstance(body, Mapping) else {})
        except InvalidInput as exc:
            return f"rotation {number}: {exc.message}"
        if rotation.old_key != key:
            return (
                f"rotation {number} is from key {fingerprint(rotation.old_key)}, "
                f"not {fingerprint(key)}"
            )
        data = rotation.signed_bytes()
        if not (
            check_for(rotation.old_key)(data, rotation.old_sig)
            and check_for(rotation.new_key)(data, rotation.new_sig)
        ):
            return f"rotation {number} is not signed by both its keys"
        key = rotation.new_key
    if key != last:
        return f"the rotations end at key {fingerprint(key)}, not {fingerprint(last)}"
    return None
