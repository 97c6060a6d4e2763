"""Key rotation: the statement signed by both keys, a peer's keys over time, and this node's
retired keys in its directory (docs/security.md#key-rotation).

DIR/node.key              the key the node signs with now
DIR/retired-keys/*.key    each key it signed with before, mode 0600: its old checkpoints are
                          checked with them, and envelope bodies boxed to them still open
DIR/key-history.json      each retired key: its public key, when it was retired, the journal's
                          tree size it signed up to, and the rotation statement
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openline.domain.errors import InvalidInput
from openline.domain.parties import Card
from openline.domain.rotations import Rotation, fingerprint, read_rotation
from openline.keys.signing import PublicKey, SigningKey, read_private_key, write_private_key

RETIRED_DIR = "retired-keys"
HISTORY_FILE = "key-history.json"


def sign_rotation(old: SigningKey, new: SigningKey, card: Card, at: str) -> Rotation:
    """The rotation from ``old`` to ``new`` (whose card ``card`` is), signed by both."""
    unsigned = Rotation(
        card.party, old.public_key.to_base64(), new.public_key.to_base64(), card, at
    )
    data = unsigned.signed_bytes()
    return replace(unsigned, old_sig=old.sign(data), new_sig=new.sign(data))


def check_rotation(rotation: Rotation, current_key: str) -> None:
    """Refuse (``InvalidInput``) a rotation that is not from ``current_key`` (the party's key as
    linked) or not signed by both its keys, naming which signature is missing."""
    if rotation.old_key != current_key:
        raise InvalidInput(
            f"key rotation of {rotation.party} from key {fingerprint(rotation.old_key)}, and "
            f"the key linked is {fingerprint(current_key)}"
        )
    data = rotation.signed_bytes()
    unsigned = [
        name
        for name, key, sig in (
            ("old", rotation.old_key, rotation.old_sig),
            ("new", rotation.new_key, rotation.new_sig),
        )
        if not PublicKey.from_base64(key).verify(data, sig)
    ]
    if unsigned:
        raise InvalidInput(
            f"key rotation of {rotation.party} not signed by its {' nor its '.join(unsigned)} "
            "key: a rotation must be signed by both"
        )


class PeerKey(PublicKey):
    """A peer's key as linked now, with the keys it retired: each signed its envelopes up to a
    link_seq (``retired``: base64 key and last link_seq, oldest first)."""

    def __init__(self, current: str, retired: tuple[tuple[str, int], ...] = ()) -> None:
        super().__init__(PublicKey.from_base64(current).to_bytes())
        self.retired = tuple((PublicKey.from_base64(key), until) for key, until in retired)

    def at(self, link_seq: int) -> PublicKey:
        """The key that signs the peer's envelope ``link_seq``."""
        for key, until in self.retired:
            if link_seq <= until:
                return key
        return self

    def known(self) -> PublicKey:
        """A key whose check takes a signature by any of the peer's keys, current or retired."""
        return _AnyOf(self, tuple(key for key, _until in self.retired))

    def retired_signer(self, link_seq: int, data: bytes, signature: bytes) -> int | None:
        """If a key the peer retired before ``link_seq`` signed ``data``: the last link_seq it
        was good for (a stolen key, or a forgery); else None."""
        for key, until in self.retired:
            if until < link_seq and key.verify(data, signature):
                return until
        return None


class _AnyOf(PublicKey):
    def __init__(self, current: PublicKey, others: tuple[PublicKey, ...]) -> None:
        super().__init__(current.to_bytes())
        self._others = others

    def verify(self, data: bytes, signature: bytes) -> bool:
        return super().verify(data, signature) or any(
            key.verify(data, signature) for key in self._others
        )


@dataclass(frozen=True)
class RetiredKey:
    """A key this node signed with before: its checkpoints up to ``tree_size`` are its. The
    private key is kept (``key``) unless it was lost; ``rotation`` is None for a key replaced
    without one (lost or stolen: ``openline key rotate --old-key-lost``)."""

    public_key: PublicKey
    key: SigningKey | None
    tree_size: int
    retired_at: str
    rotation: dict[str, Any] | None
    # For each peer: the last envelope to it this key signed (the rotation's own), and the
    # last envelope from it this key signed a receipt for.
    sealed: dict[str, int]
    receipted: dict[str, int]


@dataclass(frozen=True)
class KeyHistory:
    """This node's retired keys, oldest first."""

    retired: tuple[RetiredKey, ...] = ()

    def public_key_at(self, tree_size: int, current: PublicKey) -> PublicKey:
        """The key that signed the checkpoint of ``tree_size``."""
        for retired in self.retired:
            if tree_size <= retired.tree_size:
                return retired.public_key
        return current

    def first_key(self, current: PublicKey) -> PublicKey:
        """The node's first key: the one that signed entries one by one, before checkpoints."""
        return self.retired[0].public_key if self.retired else current

    def signing_keys(self) -> list[SigningKey]:
        """The retired private keys kept, newest first: bodies boxed to them still open."""
        return [r.key for r in reversed(self.retired) if r.key is not None]

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "public_key": retired.public_key.to_base64(),
                "fingerprint": fingerprint(retired.public_key.to_base64()),
                "kept": retired.key is not None,
                "tree_size": retired.tree_size,
                "retired_at": retired.retired_at,
                "rotation": retired.rotation,
                "sealed": retired.sealed,
                "receipted": retired.receipted,
            }
            for retired in self.retired
        ]


def read_key_history(directory: Path) -> KeyHistory:
    """The retired keys of the node in ``directory`` (none if it never rotated)."""
    path = directory / HISTORY_FILE
    if not path.exists():
        return KeyHistory()
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))["retired"]
        retired = tuple(_retired(directory, item) for item in listed)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} cannot be read as a key history: {exc}") from None
    return KeyHistory(retired)


def _retired(directory: Path, item: dict[str, Any]) -> RetiredKey:
    public_key = PublicKey.from_base64(item["public_key"])
    key = None
    if item["kept"]:
        key = read_private_key(directory / RETIRED_DIR / _file_name(item["public_key"]))
        if key.public_key.to_base64() != item["public_key"]:
            raise ValueError(f"the retired key file of {item['public_key']} holds another key")
    if item["rotation"] is not None:
        read_rotation(item["rotation"])  # its shape: it was written by this node
    return RetiredKey(
        public_key,
        key,
        int(item["tree_size"]),
        str(item["retired_at"]),
        item["rotation"],
        {str(peer): int(seq) for peer, seq in item["sealed"].items()},
        {str(peer): int(seq) for peer, seq in item["receipted"].items()},
    )


def _file_name(public_key: str) -> str:
    return fingerprint(public_key).replace(" ", "")[:16] + ".key"


def retire_key(directory: Path, new_key_file: Path | None, retired_key: RetiredKey) -> None:
    """Move the node key to retired-keys/, put the new key (written to ``new_key_file``) in its
    place and list the old one in key-history.json, which is replaced whole (written beside it,
    then renamed): a reader sees the history before or after, never half of it."""
    history = read_key_history(directory)
    retired = directory / RETIRED_DIR
    retired.mkdir(mode=0o700, exist_ok=True)
    if retired_key.key is not None:
        kept = retired / _file_name(retired_key.public_key.to_base64())
        write_private_key(kept, retired_key.key)
    listed = KeyHistory((*history.retired, retired_key)).to_json()
    text = json.dumps({"retired": listed}, indent=2)
    staged = directory / (HISTORY_FILE + ".new")
    staged.write_text(text + "\n", encoding="utf-8")
    if new_key_file is not None:  # else in place already (the old key was lost)
        os.replace(new_key_file, directory / "node.key")
    os.replace(staged, directory / HISTORY_FILE)
