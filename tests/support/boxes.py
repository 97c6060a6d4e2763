"""Envelope bodies boxed and opened as the nodes do it (openline.keys.boxes), for the tests that
seal envelopes themselves or read what a node sealed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from openline.domain.envelopes import Boxer
from openline.keys.boxes import box_between
from openline.keys.signing import SigningKey, read_private_key


def node_key(directory: Path) -> SigningKey:
    """The private key of the node at ``directory``."""
    return read_private_key(directory / "node.key")


def box_to(sender: SigningKey, addressee: SigningKey) -> Boxer:
    """What boxes a body from ``sender`` to ``addressee``."""
    return box_between(sender, addressee.public_key.to_base64()).seal


# For an envelope handed to the receiver's apply_batch itself, after the check that opens its
# box: what it carries is its body, and its box is one nobody here opens.
ANY_BOX = box_to(SigningKey.generate(), SigningKey.generate())


def opened(envelope: dict[str, Any], own: SigningKey, other_public: str) -> dict[str, Any]:
    """The body of ``envelope`` (as the line carries it), boxed between the key ``own`` and the
    public key ``other_public`` (base64, as cards write it)."""
    body: dict[str, Any] = json.loads(box_between(own, other_public).open(envelope["body"]["box"]))
    return body


def altered(box: str) -> str:
    """``box`` with one byte of its ciphertext changed, as a carrier on the way could."""
    raw = bytearray(base64.b64decode(box))
    raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")
