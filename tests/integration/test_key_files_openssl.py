"""The node key file and OpenSSL: each reads the other's Ed25519 PKCS#8 PEM (the openssl command
as a real process)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from openline.keys.signing import SigningKey, read_private_key, write_private_key

OPENSSL = shutil.which("openssl")
SEED = bytes(range(32))


@pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed here")
def test_openssl_reads_the_key_file_and_finds_the_same_public_key(tmp_path: Path) -> None:
    assert OPENSSL is not None
    key_file = tmp_path / "node.key"
    write_private_key(key_file, SigningKey(SEED))
    text = subprocess.run(
        [OPENSSL, "pkey", "-in", str(key_file), "-noout", "-text"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "ED25519 Private-Key" in text
    # openssl prints the public key as "pub:" followed by lines of colon-separated hex.
    pub_hex = re.search(r"pub:\s*\n((?:\s+[0-9a-f:]+\n?)+)", text)
    assert pub_hex is not None, text
    raw = bytes.fromhex(re.sub(r"[\s:]", "", pub_hex.group(1)))
    assert base64.b64encode(raw).decode("ascii") == SigningKey(SEED).public_key.to_base64()


@pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed here")
def test_a_key_made_by_openssl_is_read(tmp_path: Path) -> None:
    assert OPENSSL is not None
    path = tmp_path / "openssl.key"
    subprocess.run(
        [OPENSSL, "genpkey", "-algorithm", "ed25519", "-out", str(path)],
        check=True,
        capture_output=True,
    )
    path.chmod(0o600)
    der = subprocess.run(
        [OPENSSL, "pkey", "-in", str(path), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    # The last 32 bytes of the SubjectPublicKeyInfo are the raw Ed25519 public key.
    expected = base64.b64encode(der[-32:]).decode("ascii")
    assert read_private_key(path).public_key.to_base64() == expected
