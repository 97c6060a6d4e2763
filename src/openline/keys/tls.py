"""TLS between nodes: a node's certificate, peers pinned to theirs (docs/security.md).

A peer's envelopes are signed, so TLS adds no authenticity to them; what it adds is
confidentiality, and a pin makes that hold against anyone who can obtain a certificate a CA
trusts. A pin is the SHA-256 of what the peer's node presents:

- ``sha256/BASE64``: of the certificate's SubjectPublicKeyInfo (as HPKP and curl pin a public
  key); it survives a renewed certificate that keeps its key;
- ``cert-sha256/BASE64``: of the whole certificate (DER).

A pinned connection takes the certificate the peer presents, self-signed or not, and checks it
against the pin as the handshake completes, before a byte of a request is sent: a mismatch ends
the connection with ``PinMismatch``. TLS still proves the peer holds the certificate's private
key, so matching the pin is matching the peer. Unpinned https peers get ordinary CA
verification (``tls_ca_file``, else certifi's CA bundle).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import certifi

from openline.domain.errors import InvalidInput

if TYPE_CHECKING:  # cryptography is imported when a certificate is read: startup stays quick
    from cryptography import x509

PUBLIC_KEY_PIN = "sha256/"
CERTIFICATE_PIN = "cert-sha256/"
PIN_MAX_CHARS = 80  # the length of the peers.tls_pin column
_DIGEST_BYTES = 32


class PinMismatch(ssl.SSLCertVerificationError):
    """The peer presented a certificate its pin does not match."""

    def __str__(self) -> str:
        return str(self.args[0])  # the words, not ssl's tuple of them


def check_pin(text: str) -> str:
    """``text`` as a pin, or InvalidInput naming what is wrong with it."""
    pin = text.strip()
    for prefix in (CERTIFICATE_PIN, PUBLIC_KEY_PIN):
        if pin.startswith(prefix):
            try:
                digest = base64.b64decode(pin[len(prefix) :], validate=True)
            except ValueError:
                digest = b""
            if len(digest) == _DIGEST_BYTES:
                return prefix + base64.b64encode(digest).decode("ascii")
            break
    raise InvalidInput(
        f"{text!r} is not a TLS pin: give sha256/BASE64 (the SHA-256 of the certificate's "
        "public key, 44 characters of base64) or cert-sha256/BASE64 (of the whole certificate); "
        "`openline tls pin CERT.pem` prints both",
        field="pin",
    )


@dataclass(frozen=True)
class Pins:
    """Both pins of one certificate."""

    public_key: str
    certificate: str

    def matches(self, pin: str) -> bool:
        return pin in (self.public_key, self.certificate)


def pins_of(der: bytes) -> Pins:
    """The pins of a DER certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    certificate = x509.load_der_x509_certificate(der)
    spki = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return Pins(PUBLIC_KEY_PIN + _b64_sha256(spki), CERTIFICATE_PIN + _b64_sha256(der))


def pins_of_file(path: Path) -> Pins:
    """The pins of the first certificate in a PEM file, or InvalidInput saying why not."""
    try:
        pem = path.read_text(encoding="ascii")
        return pins_of(ssl.PEM_cert_to_DER_cert(pem))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path} cannot be read as a PEM certificate: {exc}") from None


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def peer_verification(pins: Sequence[str] = (), ca_file: str = "") -> ssl.SSLContext:
    """The TLS context connections to a peer are verified by: against the pins when there
    are any (two while a rotation's overlap lasts), else against ``ca_file``, else against
    certifi's CA bundle."""
    if pins:
        return pinned_context(*pins)
    return ssl.create_default_context(cafile=ca_file or certifi.where())


def pinned_context(pin: str, *also: str) -> ssl.SSLContext:
    """A client TLS context that accepts exactly the certificates that match ``pin`` (or one
    of ``also``)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # The pin, checked below, takes the place of the CA chain and the host name.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    pins = (pin, *also)
    context.sslobject_class = _pinned(ssl.SSLObject, pins)  # asyncio and anyio streams
    context.sslsocket_class = _pinned(ssl.SSLSocket, pins)  # blocking sockets
    return context


def _pinned(base: type[Any], pins: tuple[str, ...]) -> type[Any]:
    """A subclass of ``base`` whose handshake fails unless the peer's certificate has one of
    ``pins``.

    Python's ssl module offers no verification callback; the handshake is the one place every
    TLS stream (asyncio's, anyio's, a blocking socket's) passes through before sending data.
    """

    def do_handshake(self: Any, *args: Any) -> None:
        base.do_handshake(self, *args)  # raises SSLWantRead until the handshake completes
        der = self.getpeercert(binary_form=True)
        if der is None or not any(pins_of(der).matches(pin) for pin in pins):
            presented = pins_of(der).public_key if der else "no certificate"
            raise PinMismatch(f"certificate {presented} does not match the pin {' or '.join(pins)}")

    return type(f"Pinned{base.__name__}", (base,), {"do_handshake": do_handshake})


def pin_mismatch(exc: BaseException) -> PinMismatch | None:
    """The PinMismatch behind a connection error (the http client wraps it), if that was the
    cause."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, PinMismatch):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def server_files(cert_file: str, key_file: str, directory: Path) -> tuple[Path, Path] | None:
    """The node's certificate and key files, relative paths taken from the node directory;
    None when the node serves plain http. Refuses one without the other, or a missing file."""
    if not cert_file and not key_file:
        return None
    if not cert_file or not key_file:
        missing = "tls_key_file" if cert_file else "tls_cert_file"
        raise InvalidInput(f"{missing} is not set: TLS needs both a certificate and its key")
    paths = (directory / cert_file, directory / key_file)
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path} does not exist: the node cannot serve TLS without it")
    mode = paths[1].stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):  # refused as the node key is, and as ssh does
        raise InvalidInput(
            f"{paths[1]} is open to other users (mode {stat.S_IMODE(mode):04o}); "
            "run chmod 600 on it"
        )
    return paths


def write_self_signed(
    directory: Path, hosts: list[str], days: int = 825
) -> tuple[Path, Path, Pins]:
    """A new key (``tls.key``, mode 0600) and a self-signed certificate (``tls.crt``) for
    ``hosts`` in ``directory``; refuses to overwrite either."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if not hosts:
        raise InvalidInput("name at least one host the certificate is for", field="host")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_alt_name(h) for h in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "tls.key", directory / "tls.crt"
    for path in (key_path, cert_path):
        if path.exists():
            raise InvalidInput(f"{path} already exists; Openline never overwrites a key")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(key_path, key_pem, mode=0o600)
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    _write_new(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert_path, key_path, pins_of(cert_der)


def _alt_name(host: str) -> x509.GeneralName:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Write a file that must not exist yet, created with ``mode`` (never wider first)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
