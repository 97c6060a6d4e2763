"""Envelope bodies encrypted end to end between two parties, through libsodium (PyNaCl).

Each party's X25519 key is derived from its Ed25519 key (``crypto_sign_ed25519_sk_to_curve25519``
and ``..._pk_to_curve25519``), so the cards the parties already exchanged and pinned are all
either needs: no new key to publish, rotate or protect. A body is a ``crypto_box``
(X25519, XSalsa20-Poly1305) between the sender's key and the addressee's, a fresh random nonce
each time: only those two parties can open it, and it opens only if nobody changed a byte.
Both ends can open it (the sender reads its own outbox), nobody else can, not a relay, a proxy
nor a TLS terminator on the way. The shared key of each pair is computed once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from functools import lru_cache

import nacl.bindings
import nacl.exceptions
import nacl.utils

from openline.domain.errors import OpenlineError
from openline.keys.signing import PublicKey, SigningKey

NONCE_BYTES = nacl.bindings.crypto_box_NONCEBYTES
MAC_BYTES = 16  # Poly1305
OVERHEAD_BYTES = NONCE_BYTES + MAC_BYTES


class UnreadableBox(OpenlineError):
    """A box that does not open with this pair's key: changed on the way, or not for us."""


class PairBox:
    """The box between one party's key and another's: seals to the other, opens from it."""

    def __init__(self, shared_key: bytes) -> None:
        self._shared = shared_key

    def seal(self, plaintext: bytes) -> str:
        """``plaintext`` boxed, as base64 text: the nonce, then the ciphertext and its tag."""
        nonce = nacl.utils.random(NONCE_BYTES)
        sealed = nacl.bindings.crypto_box_easy_afternm(plaintext, nonce, self._shared)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, text: str) -> bytes:
        """What :meth:`seal` boxed, or ``UnreadableBox`` saying why not."""
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise UnreadableBox("the body's box is not base64") from None
        if len(raw) < OVERHEAD_BYTES:
            raise UnreadableBox(f"the body's box is {len(raw)} bytes, shorter than any box")
        try:
            return nacl.bindings.crypto_box_open_easy_afternm(
                raw[NONCE_BYTES:], raw[:NONCE_BYTES], self._shared
            )
        except nacl.exceptions.CryptoError:
            raise UnreadableBox(
                "the body's box does not open with the key between the sender and this node "
                "(changed on the way, or sealed for another key)"
            ) from None


def box_between(own: SigningKey, other: str) -> PairBox:
    """The box between this node's key and a peer's public key as its card writes it (base64),
    computed once for each pair."""
    return _pair_box(own.seed, other)


@lru_cache(maxsize=1024)
def _pair_box(own_seed: bytes, other: str) -> PairBox:
    _own_public, own_secret = nacl.bindings.crypto_sign_seed_keypair(own_seed)
    own_x25519 = nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(own_secret)
    other_public = PublicKey.from_base64(other).to_bytes()
    other_x25519 = nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(other_public)
    return PairBox(nacl.bindings.crypto_box_beforenm(other_x25519, own_x25519))


def open_by_any(text: str, pairs: Iterable[tuple[SigningKey, str]]) -> bytes:
    """What a box between one of these pairs of keys holds (this node's key, a peer's public
    key), the pairs tried in order: a body boxed before either party rotated its key
    (docs/security.md#key-rotation). ``UnreadableBox`` if none opens it."""
    failed = UnreadableBox("no key pair to open the body's box with")
    for own, other in pairs:
        try:
            return box_between(own, other).open(text)
        except UnreadableBox as exc:
            failed = exc
    raise failed
