"""A real TAK server for the tests (taky, started on 127.0.0.1), and a CoT client connected to
it that reads what the server relays with libraries that are not Openline's: pytak's
connection and framing, takproto's reading of each event (docs/tak.md)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from configparser import ConfigParser
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import takproto
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.ports import free_port
from tests.support.waiting import wait_for

with warnings.catch_warnings():  # pytak warns that aiohttp is missing (see line/tak.py)
    warnings.filterwarnings("ignore", "The 'aiohttp' package is required", UserWarning)
    import pytak

TAKY_CONFIG = """\
[taky]
hostname = localhost
node_id = OPENLINE-TESTS
bind_ip = 127.0.0.1
root_dir = {root}

[cot_server]
port = {port}

[ssl]
enabled = {ssl}
client_cert_required = true
ca = {directory}/ca.pem
cert = {directory}/server.pem
key = {directory}/server.key
"""


@dataclass
class Taky:
    """taky serving CoT on 127.0.0.1:``port``: over TCP, or over TLS with the certificates of
    ``write_certificates(directory)``, taking only clients whose certificate its CA signed."""

    directory: Path
    port: int
    tls: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'tls' if self.tls else 'tcp'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.directory / "taky.conf"
        ssl = "true" if self.tls else "false"
        config.write_text(
            TAKY_CONFIG.format(
                root=self.directory, port=self.port, ssl=ssl, directory=self.directory
            )
        )
        taky = Path(sys.executable).parent / "taky"
        with (self.directory / "taky.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(taky), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        wait_for(self._listening, timeout=30, what="taky listening")

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"taky exited: {(self.directory / 'taky.log').read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1):
            return True
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def taky_server(directory: Path, *, tls: bool = False) -> Iterator[Taky]:
    directory.mkdir(parents=True, exist_ok=True)
    if tls:
        write_certificates(directory)
    server = Taky(directory, free_port(), tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Received:
    """One event the client read: its XML as relayed, and takproto's reading of it."""

    xml: bytes
    event: Any  # takproto's CotEvent

    @property
    def uid(self) -> str:
        return str(self.event.uid)

    @property
    def type(self) -> str:
        return str(self.event.type)


class CotClient:
    """A CoT client of a TAK server, as a TAK device is: it reads every event the server
    relays (in a thread of its own) and sends events of its own."""

    def __init__(self, url: str, **tls: str) -> None:
        parser = ConfigParser()
        parser["client"] = {"COT_URL": url, **tls}
        self.config = parser["client"]
        self.received: list[Received] = []
        self._loop = asyncio.new_event_loop()
        self._sender: Any = None
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cot-client", daemon=True)
        self._thread.start()
        if not self._connected.wait(20):
            self.close()
            raise RuntimeError(f"the CoT client could not connect to {url}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            self._loop.run_until_complete(self._read())

    async def _read(self) -> None:
        with warnings.catch_warnings():  # pytak's TLS context still sets OP_NO_TLSv1
            warnings.filterwarnings("ignore", "ssl.OP_NO_SSL", DeprecationWarning)
            reader, writer = await pytak.protocol_factory(self.config)
        self._sender = pytak.TXWorker(asyncio.Queue(), self.config, writer)
        receiver = pytak.RXWorker(asyncio.Queue(), self.config, reader)
        self._connected.set()
        try:
            while (data := await receiver.readcot()) is not None:
                message = takproto.parse_proto(takproto.xml2proto(data))
                self.received.append(Received(data, message.cotEvent))
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def send(self, xml: bytes) -> None:
        done = asyncio.run_coroutine_threadsafe(self._sender.send_data(xml), self._loop)
        done.result(timeout=10)

    def close(self) -> None:
        for task in asyncio.all_tasks(self._loop):
            self._loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout=10)
        self._loop.close()

    def of(self, uid: str) -> list[Received]:
        """Every event read about ``uid``: those with it, and deletions that name it."""
        return [r for r in self.received if r.uid == uid or f'uid="{uid}"' in r.xml.decode()]

    def latest(self, uid: str, timeout: float = 20) -> Received:
        wait_for(lambda: self.of(uid), timeout=timeout, what=f"an event about {uid}")
        return self.of(uid)[-1]


def pli(
    uid: str, lat: float, lon: float, *, cot_type: str = "a-f-G-U-C", hae: float = 250.0
) -> bytes:
    """A TAK device's position report, as ATAK writes one, timed now."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03}Z"
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 120))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<event version="2.0" uid="{uid}" '
        f'type="{cot_type}" how="m-g" time="{stamp}" start="{stamp}" stale="{stale}">'
        f'<point lat="{lat}" lon="{lon}" hae="{hae}" ce="9.9" le="9999999.0"/>'
        f'<detail><contact callsign="Alpha-1" endpoint="*:-1:stcp"/>'
        f'<__group name="Cyan" role="Team Member"/><takv platform="ATAK-CIV" version="5.1"/>'
        f'<track speed="12.5" course="271.0"/></detail></event>'
    ).encode()


def write_certificates(directory: Path) -> None:
    """A TAK server's certificates, as its administrator makes them: a CA (``ca.pem``), the
    server's certificate for 127.0.0.1 (``server.pem``, ``server.key``), and two clients'
    (``node.pem``/``node.key`` for Openline, ``device.pem``/``device.key`` for a device)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Openline tests TAK CA")])
    ca = _certificate(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True)
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name in ("server", "node", "device"):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = _certificate(subject, key.public_key(), ca_name, ca_key, ca=False)
        (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / f"{name}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def _certificate(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())
