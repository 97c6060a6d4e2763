"""``openline demo`` (what ``make run`` runs): two real linked nodes and a scenario."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.backend import sqlite_only
from tests.support.processes import run_openline

pytestmark = sqlite_only("the demo always puts its nodes on the embedded SQLite default")


def test_the_demo_links_two_nodes_runs_the_scenario_and_can_run_again(tmp_path: Path):
    first = run_openline("demo", tmp_path / "demo", "--no-wait", timeout=120)
    assert first.returncode == 0, first.stderr
    assert "BLUE -> RED  flash  planned-operation" in first.stdout
    assert "RED acknowledged it" in first.stdout
    assert "BLUE -> RED  immediate  confirm" in first.stdout
    assert "separation" in first.stdout
    assert "the same on both nodes" in first.stdout
    assert "Coalition air operations centre (en): http://127.0.0.1:" in first.stdout
    assert "Russian forces command (ru): http://127.0.0.1:" in first.stdout

    # Started side by side, neither node fills its log with a line to a peer not yet listening
    # (at most the one "does not answer" of the start), and neither refused the other.
    for party in ("blue", "red"):
        warnings = line_warnings(tmp_path / "demo" / f"{party}.log")
        assert len(warnings) <= 1, warnings
        assert all("does not answer" in warning for warning in warnings), warnings
    records_before = records(tmp_path / "demo")
    assert records_before["blue conflict.opened"] == records_before["red conflict.opened"] == 1

    again = run_openline("demo", tmp_path / "demo", "--no-wait", timeout=120)
    assert again.returncode == 0, again.stderr
    assert "its scenario is not replayed" in again.stdout
    assert "BLUE -> RED" not in again.stdout
    assert records(tmp_path / "demo") == records_before  # no message or conflict twice

    for party in ("blue", "red"):
        verified = run_openline("journal", "verify", tmp_path / "demo" / party)
        assert verified.returncode == 0, verified.stderr


def line_warnings(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith("line to ")]


SCENARIO_KINDS = ("message.created", "notification.created", "conflict.opened")


def records(base: Path) -> dict[str, int]:
    """How many messages, notifications and conflicts each demo node has journaled."""
    counts = {}
    for party in ("blue", "red"):
        exported = run_openline("journal", "export", base / party)
        assert exported.returncode == 0, exported.stderr
        kinds = [json.loads(line).get("kind") for line in exported.stdout.splitlines()[1:]]
        counts.update({f"{party} {kind}": kinds.count(kind) for kind in SCENARIO_KINDS})
    return counts


@contextmanager
def running_demo(base: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, re.Match[str]]]]:
    """``openline demo base`` as a real process, once it has printed its nodes (each line's
    party, url, token and pid); killed at the end if the test has not stopped it.

    It starts with Ctrl-C ignored (the shell's ``trap`` before it becomes the demo), as a program
    started in the background of a script inherits it (CI's suite run under ``nohup ... &``
    did): the demo still stops on Ctrl-C."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINE_")}
    ignoring_ctrl_c = ["sh", "-c", 'trap "" INT; exec "$@"', "sh"]
    with subprocess.Popen(
        [*ignoring_ctrl_c, sys.executable, "-m", "openline", "demo", str(base)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean,
    ) as demo:
        try:
            assert demo.stdout is not None
            nodes = {}
            for line in demo.stdout:
                if found := NODE_LINE.match(line):
                    nodes[found["party"]] = found
                if line.startswith("To see a line go down"):
                    break
            yield demo, nodes
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "kill"])
def test_ctrl_c_or_a_kill_stops_both_nodes(tmp_path: Path, sig: int):
    with running_demo(tmp_path / "demo") as (demo, _):
        demo.send_signal(sig)
        assert demo.wait(timeout=30) == 0
    for party in ("blue", "red"):
        log = (tmp_path / "demo" / f"{party}.log").read_text()
        assert "Application shutdown complete" in log


def test_one_node_stopping_is_named_and_the_other_runs_on_until_ctrl_c(tmp_path: Path):
    with running_demo(tmp_path / "demo") as (demo, nodes):
        assert demo.stdout is not None
        os.kill(int(nodes["RED"]["pid"]), signal.SIGKILL)

        said = demo.stdout.readline()
        blue = nodes["BLUE"]
        answer = httpx.get(
            f"{blue['url']}/api/v1/node", headers={"Authorization": f"Bearer {blue['token']}"}
        )
        assert demo.poll() is None  # the demo runs on with BLUE
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0
    red_log = tmp_path / "demo" / "red.log"
    assert said == f"RED stopped (exit status -9; see {red_log}); BLUE runs on\n"
    assert answer.status_code == 200
    assert "Application shutdown complete" in (tmp_path / "demo" / "blue.log").read_text()


NODE_LINE = re.compile(
    r"(?P<party>BLUE|RED) +.*: (?P<url>http://\S+)  token (?P<token>\S+)  \(pid (?P<pid>\d+)\)"
)
