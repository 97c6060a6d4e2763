"""Fixtures shared by every test: real node directories, in-process apps, real node processes.

``--backend postgresql`` gives every node directory the tests create (``make_node_dir``,
``init_args``) a fresh database on one throwaway PostgreSQL cluster for the session; node
processes read it from their openline.toml. The default backend is the SQLite file.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from openline.api.app import create_app
from openline.domain.parties import Card
from openline.domain.timeutil import format_utc
from openline.keys.signing import SigningKey
from openline.keys.tls import pinned_context, pins_of_file
from openline.node.assembly import Node
from openline.node.settings import CONFIG_FILE, load_settings
from openline.services.peers import add_peer, link_directories
from openline.services.setup import NewNode, init_node
from openline.store import line as line_store
from openline.store.database import database_url
from tests.support.postgres import Cluster

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# Tests of the third-party data beside the checkout skip where a checkout has none beside it.
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} is not here"
)


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database every node the tests create runs on (default: sqlite)",
    )


class _Backend:
    """The session's backend; for PostgreSQL, its cluster, started when first needed."""

    name = "sqlite"
    cluster: Cluster | None = None
    databases = itertools.count(1)

    @classmethod
    def postgres(cls) -> Cluster:
        if cls.cluster is None:
            # The tests kill nodes, never the cluster's server, nor the machine: a commit
            # need not reach the disk to survive them, so the cluster skips the flushes.
            durability_off = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
            options = ["-c", "max_connections=400"]
            options += [arg for setting in durability_off for arg in ("-c", setting)]
            cluster = Cluster(options=options)
            cluster.start()
            cls.cluster = cluster
        return cls.cluster

    @classmethod
    def new_database_url(cls) -> str:
        """A fresh, empty database for one node; "" (the SQLite file) on SQLite."""
        if cls.name == "sqlite":
            return ""
        return cls.postgres().create_database(f"node_{next(cls.databases)}")


def pytest_configure(config: pytest.Config) -> None:
    _Backend.name = config.getoption("backend")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _Backend.cluster is not None:
        _Backend.cluster.stop()
        _Backend.cluster = None


@pytest.fixture(scope="session")
def postgres() -> Cluster:
    """The session's PostgreSQL cluster, whichever the backend (for tests of PostgreSQL itself)."""
    return _Backend.postgres()


def on_postgresql() -> bool:
    return _Backend.name == "postgresql"


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """Skip a test on PostgreSQL: ``reason`` says why it is about the SQLite file."""
    return pytest.mark.skipif(on_postgresql(), reason=f"SQLite only: {reason}")


def new_database_url() -> str:
    return _Backend.new_database_url()


def node_database_url(directory: Path) -> str:
    """The URL of the database of the node in ``directory``."""
    return database_url(load_settings(directory, {}).database_url, directory)


def node_engine(directory: Path) -> Engine:
    """An engine on a node's database, holding no connection between uses (so that a stopped
    node's PostgreSQL database can be copied while the test holds it)."""
    return create_engine(node_database_url(directory), poolclass=NullPool)


def copy_node(source: Path, target: Path) -> Path:
    """A copy of a stopped node's directory, and on PostgreSQL of its database too."""
    copy = Path(shutil.copytree(source, target, symlinks=True))
    if on_postgresql() and _Backend.cluster is not None:
        url = make_url(node_database_url(source))
        assert url.database is not None
        name = f"node_{next(_Backend.databases)}"
        copied = _Backend.cluster.create_database(name, copy_of=url.database)
        config = copy / CONFIG_FILE
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace(url.render_as_string(False), copied), encoding="utf-8")
    return copy


def init_args() -> list[str]:
    """Options for ``openline init`` that put the node on the session's backend."""
    url = new_database_url()
    return ["--database-url", url] if url else []


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
    url = new_database_url()
    if url:
        values["database_url"] = url
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


def silent_card(party: str = "RED", lang: str = "ru", key: SigningKey | None = None) -> Card:
    """The card of a peer whose node never answers: a fresh key, a port nobody listens on."""
    return Card(
        party=party,
        name=f"{party} command",
        lang=lang,
        url=f"http://127.0.0.1:{free_port()}",
        public_key=(key or SigningKey.generate()).public_key.to_base64(),
    )


def link(directory: Path, card: Card) -> None:
    """``openline peer add`` for a node directory, in this process."""
    node = Node.open(directory, environ={})
    try:
        add_peer(node, card)
    finally:
        node.close()


def wait_for(condition: Callable[[], object], *, timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s for {what or condition}")
        time.sleep(0.02)


@pytest.fixture
def api(node_dir: NewNode, clock: FakeClock) -> Iterator[InProcess]:
    """BLUE's API in this process, on a fake clock, with its first operator's token.

    BLUE is linked to RED, whose node never answers: messages to RED stay queued. The fixture
    returns once the line has made its first moves (RED's status journaled, one line check
    queued), after which the line writes nothing more, so tests see a quiet journal.
    """
    link(node_dir.directory, silent_card())
    node = Node.open(node_dir.directory, environ={}, clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {node_dir.token}"
        wait_for(
            lambda: node.read(lambda conn: line_store.has_waiting(conn, "RED", "line_check")),
            what="the first line check to RED",
        )
        yield InProcess(client, node, node_dir.token, clock)


@dataclass
class RunningNode:
    directory: Path
    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    verify: ssl.SSLContext | bool = True  # a node serving https: its own certificate, pinned

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
            verify=self.verify,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=15)

    def stop_surely(self) -> None:
        """Stop cleanly; if that fails, kill, so that no test leaves a process behind."""
        try:
            self.stop()
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


def track_report(track_id: str = "B1", **changes: Any) -> dict[str, Any]:
    """A track report as ``POST /api/v1/tracks`` takes it: an aircraft at 35°N 38°E, 3,000 m,
    200 m/s due east, reported now; ``changes`` replace or add fields."""
    report = {
        "track_id": track_id,
        "time": format_utc(datetime.now(UTC)),
        "lat": 35.0,
        "lon": 38.0,
        "alt_m": 3000,
        "speed_mps": 200,
        "heading_deg": 90,
        "kind": "air",
    }
    return {**report, **changes}


def post_tracks(node: RunningNode, *reports: dict[str, Any]) -> None:
    """Report tracks to a running node's API; they must be accepted."""
    with node.client() as client:
        answer = client.post("/api/v1/tracks", json=list(reports))
    assert answer.status_code == 200, answer.text


@dataclass
class Pair:
    """BLUE and RED, linked to each other, each a real ``openline serve`` process."""

    blue: RunningNode
    red: RunningNode
    env: dict[str, str]

    def restart(self, which: str) -> RunningNode:
        old: RunningNode = getattr(self, which)
        new = start_node(old.directory, old.token, self.env)
        setattr(self, which, new)
        return new


def make_pair(base: Path, env: dict[str, str]) -> tuple[NewNode, NewNode]:
    blue = make_node_dir(base / "blue", port=free_port())
    red = make_node_dir(base / "red", party="RED", lang="ru", port=free_port())
    link_directories(blue.directory, red.directory)
    return blue, red


def start_pair(base: Path, env: dict[str, str]) -> Pair:
    """BLUE and RED made in ``base``, linked, and started with ``env``."""
    blue, red = make_pair(base, env)
    return Pair(
        start_node(blue.directory, blue.token, env), start_node(red.directory, red.token, env), env
    )


def stop_pair(pair: Pair) -> None:
    for node in (pair.blue, pair.red):
        node.stop_surely()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """BLUE and RED running and linked, with a one-second line-check interval."""
    running = start_pair(tmp_path, {"OPENLINE_LINE_CHECK_INTERVAL": "1"})
    try:
        yield running
    finally:
        stop_pair(running)


def export_transcripts(directories: list[Path], into: Path) -> list[Path]:
    """``openline journal export`` of each node directory, into files in ``into``."""
    paths = []
    for directory in directories:
        exported = run_openline("journal", "export", directory)
        assert exported.returncode == 0, exported.stderr
        path = into / f"{directory.name}.jsonl"
        path.write_text(exported.stdout, encoding="utf-8")
        paths.append(path)
    return paths


def start_node(directory: Path, token: str, env: dict[str, str] | None = None) -> RunningNode:
    """Run ``openline serve DIR`` as a real process and wait until its API answers."""
    settings = load_settings(directory, env or {})
    log = directory.parent / f"{directory.name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "openline", "serve", str(directory)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    verify: ssl.SSLContext | bool = True
    if settings.tls_cert_file:
        verify = pinned_context(pins_of_file(directory / settings.tls_cert_file).public_key)
    running = RunningNode(directory, settings.public_url, token, process, log, verify)
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
        running.stop_surely()


@pytest.fixture
def running_node(tmp_path: Path) -> Iterator[RunningNode]:
    """BLUE as a real ``openline serve`` process on a free port of 127.0.0.1, linked to a RED
    whose node never answers."""
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card())
    running = start_node(created.directory, created.token)
    try:
        yield running
    finally:
        running.stop()
