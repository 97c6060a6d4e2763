"""Private set intersection by commutative blinding (Diffie-Hellman), over X25519.

Each side hashes its items to points, blinds them with a secret scalar of its own and sends
them; the other side blinds them again with its own scalar and sends them back. ``b·(a·H(x))``
equals ``a·(b·H(x))``, so an item both sides hold gives the same twice-blinded point on both,
and nothing else can be read from the points without a secret (the decisional Diffie-Hellman
problem). Every operation is libsodium's X25519 through PyNaCl (RFC 7748): a scalar is
clamped, so it is a multiple of the cofactor and a point off the prime-order group (on the
twist or of small order) leaks nothing of it; a point whose product is the identity is
refused by libsodium. An item is hashed (SHA-512, domain-separated) to a u-coordinate, on the
curve or its twist, both of which X25519 was built to be safe on. docs/blind.md says why
X25519 rather than ristretto255 (which PyNaCl does not bind) and what a party learns.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence

from nacl.bindings import crypto_scalarmult
from nacl.exceptions import RuntimeError as SodiumError

from openline.domain.errors import InvalidInput

DOMAIN = b"openline blind deconfliction v1\x00"
SECRET_BYTES = 32


def new_secret() -> bytes:
    """A fresh secret scalar, for one run only."""
    return os.urandom(SECRET_BYTES)


def hashed(item: str) -> bytes:
    """The item's point: SHA-512 of the domain and the item, its first 32 bytes a u-coordinate."""
    return hashlib.sha512(DOMAIN + item.encode("utf-8")).digest()[:32]


def blind(secret: bytes, items: Iterable[str]) -> list[bytes]:
    """This side's items as points, blinded with its secret, in the order given."""
    return [crypto_scalarmult(secret, hashed(item)) for item in items]


def blind_again(secret: bytes, points: Sequence[bytes]) -> list[bytes]:
    """The other side's points blinded again with this side's secret, in their order; refuses
    (``InvalidInput``) a point libsodium refuses (of small order)."""
    try:
        return [crypto_scalarmult(secret, point) for point in points]
    except SodiumError:
        raise InvalidInput("a point of small order: refused", field="points") from None


def matching(own_twice: Sequence[bytes], theirs_twice: Iterable[bytes]) -> list[int]:
    """The positions of this side's twice-blinded points that the other side's set holds."""
    theirs = set(theirs_twice)
    return [i for i, point in enumerate(own_twice) if point in theirs]
