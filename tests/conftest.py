"""Fixtures shared by every test: real node directories, in-process apps, real node processes.
The helpers they are built of, which tests import too, are in tests/support.

``--backend postgresql`` gives every node directory the tests create (``make_node_dir``,
``init_args``) a fresh database on one throwaway PostgreSQL cluster for the session; node
processes read it from their openline.toml. The default backend is the SQLite file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.node.assembly import Node
from openline.services.setup import NewNode
from openline.store import line as line_store
from tests.support.backend import Backend
from tests.support.nodes import FakeClock, InProcess, link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.postgres import Cluster
from tests.support.processes import Pair, RunningNode, start_node, start_pair, stop_pair
from tests.support.scheduling import longest_first
from tests.support.shared_data import check_shared_data
from tests.support.waiting import wait_for


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database every node the tests create runs on (default: sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    Backend.name = config.getoption("backend")


def pytest_unconfigure(config: pytest.Config) -> None:
    Backend.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    longest_first(items)


# First, so that a test that needs missing data fails under CI=true even where pytest would
# skip it anyway (a parameter list read from that data comes out empty).
@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    check_shared_data(item)


@pytest.fixture(scope="session")
def postgres() -> Cluster:
    """The session's PostgreSQL cluster, whichever the backend (for tests of PostgreSQL itself)."""
    return Backend.postgres()


@pytest.fixture
def node_dir(tmp_path: Path) -> NewNode:
    """A freshly initialised node directory (not running)."""
    return make_node_dir(tmp_path / "blue")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(node_dir: NewNode, clock: FakeClock) -> Iterator[InProcess]:
    """BLUE's API in this process, on a fake clock, with its first operator's token.

    BLUE is linked to RED, whose node never answers: messages to RED stay queued. The fixture
    returns once the line has made its first moves (RED's status journaled, one line check
    queued, and RED's path judged down when that check found no answer), after which the line
    writes nothing more, so tests see a quiet journal.
    """
    link(node_dir.directory, silent_card())
    node = Node.open(node_dir.directory, environ={}, clock=clock)
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {node_dir.token}"
        wait_for(
            lambda: node.read(lambda conn: line_store.has_waiting(conn, "RED", "line_check")),
            what="the first line check to RED",
        )
        wait_for_the_silent_path_judged(client)
        yield InProcess(client, node, node_dir.token, clock)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    """BLUE and RED running and linked, with a one-second line-check interval."""
    running = start_pair(tmp_path, {"OPENLINE_LINE_CHECK_INTERVAL": "1"})
    try:
        yield running
    finally:
        stop_pair(running)


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
    whose node never answers; given once the line's first check has judged RED's path down,
    so that its ``line.path_status`` entry comes before anything the test does, never among
    it."""
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card())
    running = start_node(created.directory, created.token)
    try:
        with running.client() as client:
            wait_for_the_silent_path_judged(client)
        yield running
    finally:
        running.stop()


def wait_for_the_silent_path_judged(client: TestClient | httpx.Client) -> None:
    """Until the line's first check has judged the silent RED's path down: its
    ``line.path_status`` entry is then in the journal before anything the test does."""
    wait_for(
        lambda: client.get(
            "/api/v1/journal", params={"kind": "line.path_status", "limit": 1}
        ).json()["entries"],
        timeout=60,
        what="the line's first check of the silent RED's path",
    )
