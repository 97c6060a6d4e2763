"""The node's Ed25519 key pair, through libsodium (PyNaCl).

The private key is stored as a PKCS#8 PEM file (the form ``openssl pkey`` reads), mode 0600,
and is never logged. The public key travels in the party's card, base64 encoded.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import nacl.exceptions
import nacl.signing

from openline.domain.errors import InvalidInput

# DER prefix of a PKCS#8 Ed25519 private key (RFC 8410); the 32-byte seed follows it.
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM_BEGIN, _PEM_END = "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----"


class KeyFileError(InvalidInput):
    """The key file is missing, unreadable, of the wrong form or readable by others."""


class PublicKey:
    """An Ed25519 public key that checks signatures."""

    def __init__(self, raw: bytes) -> None:
        self._key = nacl.signing.VerifyKey(raw)

    @classmethod
    def from_base64(cls, text: str) -> PublicKey:
        try:
            raw = base64.b64decode(text, validate=True)
            return cls(raw)
        except (ValueError, TypeError, nacl.exceptions.ValueError) as exc:
            raise InvalidInput(f"public key {text!r} is not a base64 Ed25519 key: {exc}") from None

    def to_base64(self) -> str:
        return base64.b64encode(self.to_bytes()).decode("ascii")

    def to_bytes(self) -> bytes:
        return bytes(self._key)

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(data, signature)
        except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError):
            return False
        return True


class SigningKey:
    """An Ed25519 private key."""

    def __init__(self, seed: bytes) -> None:
        self._key = nacl.signing.SigningKey(seed)
        self.public_key = PublicKey(bytes(self._key.verify_key))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))

    def sign(self, data: bytes) -> bytes:
        return bytes(self._key.sign(data).signature)

    @property
    def seed(self) -> bytes:
        """The 32-byte seed, for the key derived from this one (``openline.keys.boxes``)."""
        return bytes(self._key)

    def to_pem(self) -> str:
        der = _PKCS8_ED25519_PREFIX + bytes(self._key)
        body = base64.b64encode(der).decode("ascii")
        return f"{_PEM_BEGIN}\n{body}\n{_PEM_END}\n"

    @classmethod
    def from_pem(cls, text: str, *, source: str = "key") -> SigningKey:
        lines = [line.strip() for line in text.strip().splitlines()]
        if len(lines) < 3 or lines[0] != _PEM_BEGIN or lines[-1] != _PEM_END:
            raise KeyFileError(f"{source} is not a PEM private key")
        try:
            der = base64.b64decode("".join(lines[1:-1]), validate=True)
        except ValueError:
            raise KeyFileError(f"{source} is not valid base64 PEM") from None
        if len(der) != 48 or not der.startswith(_PKCS8_ED25519_PREFIX):
            raise KeyFileError(f"{source} is not a PKCS#8 Ed25519 private key")
        return cls(der[len(_PKCS8_ED25519_PREFIX) :])

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public_key.to_base64()})"


def write_private_key(path: Path, key: SigningKey) -> None:
    """Create ``path`` with mode 0600 (never overwriting) and write the key to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.to_pem())
        handle.flush()
        os.fsync(handle.fileno())


def read_private_key(path: Path) -> SigningKey:
    """Read the node key, refusing one that other users could read (as ssh does)."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise KeyFileError(f"{path} is missing: this node has no private key") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} cannot be read: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path} is open to other users (mode {stat.S_IMODE(mode):04o}); run chmod 600 on it"
        )
    return SigningKey.from_pem(text, source=str(path))
