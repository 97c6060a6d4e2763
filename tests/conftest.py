"""Fixtures shared by every test: real node directories, in-process apps, real node processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.node import Node
from openline.services.setup import NewNode, init_node

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def run_openline(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real `openline` command, with no OPENLINE_* settings leaking in from outside
    (and an 80-column terminal, so tables print as an operator would see them)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINE_")}
    return subprocess.run(
        [sys.executable, "-m", "openline", *map(str, args)],
        capture_output=True,
        text=True,
        env={**clean, "COLUMNS": "80", **(env or {})},
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeClock:
    """A clock that only moves when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_node_dir(
    path: Path, party: str = "BLUE", lang: str = "en", port: int | None = None
) -> NewNode:
    values: dict[str, str | int] = {"party": party, "name": f"{party} command", "lang": lang}
    if port is not None:
        values["port"] = port
    return init_node(path, values)


@pytest.fixture
def node_dir(tmp_path: Path) -> NewNode:
    """A freshly initialised node directory (not running)."""
    return make_node_dir(tmp_path / "blue")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class InProcess:
    client: TestClient
    node: Node
    token: str
    clock: FakeClock

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


@pytest.fixture
def api(node_dir: NewNode, clock: FakeClock) -> Iterator[InProcess]:
    """The node's API in this process, on a fake clock, with its first operator's token."""
    node = Node.open(node_dir.directory, environ={}, clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {node_dir.token}"
        yield InProcess(client, node, node_dir.token, clock)


@dataclass
class RunningNode:
    directory: Path
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=15)


def start_node(directory: Path, token: str, env: dict[str, str] | None = None) -> RunningNode:
    """Run ``openline serve DIR`` as a real process and wait until its API answers."""
    from openline.config import load_settings

    settings = load_settings(directory, env or {})
    log = directory.parent / f"{directory.name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "openline", "serve", str(directory)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    running = RunningNode(directory, settings.public_url, token, process, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"openline serve exited: {log.read_text()}")
        try:
            with running.client() as client:
                if client.get("/api/v1/node").status_code == 200:
                    return running
        except httpx.TransportError:
            time.sleep(0.05)
    running.stop(signal.SIGKILL)
    raise RuntimeError(f"openline serve did not answer within 20 s: {log.read_text()}")


@pytest.fixture
def serve() -> Iterator[Callable[[Path, str], RunningNode]]:
    """Start ``openline serve`` processes; every one is stopped when the test ends."""
    started: list[RunningNode] = []

    def start(directory: Path, token: str) -> RunningNode:
        running = start_node(directory, token)
        started.append(running)
        return running

    yield start
    for running in started:
        try:
            running.stop()
        finally:
            if running.process.poll() is None:
                running.process.kill()
                running.process.wait()


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[RunningNode]:
    """A real ``openline serve`` process on a free port of 127.0.0.1."""
    created = make_node_dir(tmp_path / "blue", port=free_port())
    running = start_node(created.directory, created.token)
    try:
        yield running
    finally:
        running.stop()
