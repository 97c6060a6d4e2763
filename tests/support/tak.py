"""A real TAK server for the tests (taky, started on 127.0.0.1), and a CoT client connected to
it that reads what the server relays with libraries that are not Openline's: pytak's
connection and framing, takproto's reading of each event (docs/tak.md)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from configparser import ConfigParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import takproto

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
enabled = false
"""


@dataclass
class Taky:
    """taky serving CoT over TCP on 127.0.0.1:``port``."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.directory / "taky.conf"
        config.write_text(TAKY_CONFIG.format(root=self.directory, port=self.port))
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
def taky_server(directory: Path) -> Iterator[Taky]:
    directory.mkdir(parents=True, exist_ok=True)
    server = Taky(directory, free_port())
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

    def __init__(self, url: str) -> None:
        parser = ConfigParser()
        parser["client"] = {"COT_URL": url}
        self.config = parser["client"]
        self.received: list[Received] = []
        self._loop = asyncio.new_event_loop()
        self._sender: Any = None
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cot-client", daemon=True)
        self._thread.start()
        if not self._connected.wait(20):
            raise RuntimeError(f"the CoT client could not connect to {url}")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        with contextlib.suppress(asyncio.CancelledError, RuntimeError):
            self._loop.run_until_complete(self._read())

    async def _read(self) -> None:
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
