"""The console shows which process of its node it talks to and which one leads, and follows a
failover without a reload (issue 26, item 6; docs/deployment.md)."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.backend import on_postgresql
from tests.support.console import OpenConsole
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, answering, launch_node

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL only: a SQLite node has one"),
]


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[list[RunningNode]]:
    """BLUE served by two processes, the first started first (so it leads)."""
    made = make_node_dir(tmp_path / "blue1", port=free_port())
    copy = Path(shutil.copytree(made.directory, tmp_path / "blue2"))
    env = {"OPENLINE_LINE_CHECK_INTERVAL": "1"}
    first = answering(launch_node(made.directory, made.token, env))
    second = launch_node(copy, made.token, {**env, "OPENLINE_PORT": str(free_port())})
    try:
        yield [first, answering(second)]
    finally:
        for process in (first, second):
            process.stop_surely()


def test_the_console_of_a_follower_shows_it_leading_once_the_leader_is_killed(
    two_processes: list[RunningNode], open_console: OpenConsole
) -> None:
    leader, follower = two_processes
    console = open_console(follower)
    shown = console.page.locator("#process[data-leading=false]")
    shown.wait_for()
    assert f":{follower.process.pid}; the line is led by " in shown.inner_text()
    assert shown.inner_text().endswith(f":{leader.process.pid}")

    leader.stop(signal.SIGKILL)

    # No reload: the line.leader event (or the next poll) redraws the header.
    now = console.page.locator("#process[data-leading=true]")
    now.wait_for()
    assert f":{follower.process.pid}, leading the line" in now.inner_text()
    console.screenshot("console-process-leading")
