"""The node key: Ed25519, stored as a PKCS#8 PEM file only its owner can read."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from openline.domain.errors import InvalidInput
from openline.keys.signing import (
    KeyFileError,
    PublicKey,
    SigningKey,
    read_private_key,
    write_private_key,
)

SEED = bytes(range(32))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "node.key"
    write_private_key(path, SigningKey(SEED))
    return path


def test_a_key_survives_a_round_trip_through_pem() -> None:
    key = SigningKey.generate()
    again = SigningKey.from_pem(key.to_pem())
    assert again.public_key.to_base64() == key.public_key.to_base64()
    assert again.sign(b"data") == key.sign(b"data")


def test_the_pem_is_a_pkcs8_private_key_of_base64_lines() -> None:
    pem = SigningKey(SEED).to_pem()
    lines = pem.splitlines()
    assert lines[0] == "-----BEGIN PRIVATE KEY-----"
    assert lines[-1] == "-----END PRIVATE KEY-----"
    assert pem.endswith("\n")
    der = base64.b64decode("".join(lines[1:-1]))
    assert der == bytes.fromhex("302e020100300506032b657004220420") + SEED


def test_a_written_key_file_has_mode_0600_and_reads_back_as_the_same_key(key_file: Path) -> None:
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = read_private_key(key_file)
    assert key.public_key.to_base64() == SigningKey(SEED).public_key.to_base64()


def test_writing_a_key_never_overwrites_an_existing_file(key_file: Path) -> None:
    before = key_file.read_bytes()
    with pytest.raises(FileExistsError):
        write_private_key(key_file, SigningKey.generate())
    assert key_file.read_bytes() == before


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
def test_a_key_file_others_can_read_or_write_is_refused_naming_its_mode(
    key_file: Path, mode: int
) -> None:
    key_file.chmod(mode)
    with pytest.raises(KeyFileError) as caught:
        read_private_key(key_file)
    assert f"mode {mode:04o}" in caught.value.message
    assert "chmod 600" in caught.value.message
    assert str(key_file) in caught.value.message


def test_a_key_file_only_its_owner_can_read_is_accepted(key_file: Path) -> None:
    key_file.chmod(0o400)
    assert read_private_key(key_file).public_key.to_base64()


def test_a_missing_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    with pytest.raises(KeyFileError, match="is missing: this node has no private key") as caught:
        read_private_key(path)
    assert str(path) in caught.value.message


def test_a_key_path_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    # A directory where the key should be: unreadable as a file even for root, who reads any
    # file whatever its mode (CI runs as root, so a mode-0000 file would prove nothing there).
    path = tmp_path / "node.key"
    path.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="cannot be read"):
        read_private_key(path)


WRONG_PEMS = {
    "a public key": (
        "-----BEGIN PUBLIC KEY-----\n"
        "MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n"
        "-----END PUBLIC KEY-----\n",
        "is not a PEM private key",
    ),
    "a certificate header": (
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "is not a PEM private key",
    ),
    "an RSA-style private key": (
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        "is not a PEM private key",
    ),
    "a PKCS#8 key of another algorithm (X25519)": (
        "-----BEGIN PRIVATE KEY-----\n"
        + base64.b64encode(bytes.fromhex("302e020100300506032b656e04220420") + SEED).decode()
        + "\n-----END PRIVATE KEY-----\n",
        "is not a PKCS#8 Ed25519 private key",
    ),
    "a truncated Ed25519 key": (
        "-----BEGIN PRIVATE KEY-----\n"
        + base64.b64encode(bytes.fromhex("302e020100300506032b657004220420") + SEED[:31]).decode()
        + "\n-----END PRIVATE KEY-----\n",
        "is not a PKCS#8 Ed25519 private key",
    ),
    "a body that is not base64": (
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n",
        "is not valid base64 PEM",
    ),
    "an empty file": ("", "is not a PEM private key"),
    "text that is no PEM": ("hello\n", "is not a PEM private key"),
}


@pytest.mark.parametrize(("text", "says"), list(WRONG_PEMS.values()), ids=list(WRONG_PEMS))
def test_a_key_file_of_another_kind_is_refused(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "node.key"
    path.write_text(text, encoding="ascii")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=re.escape(says)) as caught:
        read_private_key(path)
    assert str(path) in caught.value.message


def test_a_key_file_error_is_an_invalid_input_error() -> None:
    assert issubclass(KeyFileError, InvalidInput)


def test_a_signature_verifies_only_the_data_that_was_signed() -> None:
    key = SigningKey(SEED)
    data = b"message.created 2024-12-03T12:00:00.000Z"
    signature = key.sign(data)
    assert key.public_key.verify(data, signature)
    assert not key.public_key.verify(data + b" ", signature)
    assert not key.public_key.verify(b"M" + data[1:], signature)
    for index in range(len(data)):
        altered = bytearray(data)
        altered[index] ^= 0x01
        assert not key.public_key.verify(bytes(altered), signature)


def test_an_altered_or_malformed_signature_does_not_verify() -> None:
    key = SigningKey(SEED)
    signature = key.sign(b"data")
    for index in range(len(signature)):
        altered = bytearray(signature)
        altered[index] ^= 0x80
        assert not key.public_key.verify(b"data", bytes(altered))
    assert not key.public_key.verify(b"data", signature[:63])
    assert not key.public_key.verify(b"data", b"")


def test_another_keys_signature_does_not_verify() -> None:
    signature = SigningKey.generate().sign(b"data")
    assert not SigningKey(SEED).public_key.verify(b"data", signature)


def test_a_public_key_round_trips_through_base64() -> None:
    public = SigningKey(SEED).public_key
    text = public.to_base64()
    assert len(text) == 44
    again = PublicKey.from_base64(text)
    assert again.verify(b"data", SigningKey(SEED).sign(b"data"))


@pytest.mark.parametrize(
    "text", ["", "not base64!", base64.b64encode(b"\x01" * 31).decode(), "A" * 45]
)
def test_a_public_key_that_is_not_base64_ed25519_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a base64 Ed25519 key"):
        PublicKey.from_base64(text)


def test_the_repr_of_a_key_shows_only_its_public_half() -> None:
    key = SigningKey(SEED)
    shown = repr(key)
    assert key.public_key.to_base64() in shown
    assert SEED.hex() not in shown
    assert base64.b64encode(SEED).decode() not in shown
