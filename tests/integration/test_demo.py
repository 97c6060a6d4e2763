"""``openline demo`` (what ``make run`` runs): two real linked nodes and a scenario."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

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

    again = run_openline("demo", tmp_path / "demo", "--no-wait", timeout=120)
    assert again.returncode == 0, again.stderr

    for party in ("blue", "red"):
        verified = run_openline("journal", "verify", tmp_path / "demo" / party)
        assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "kill"])
def test_ctrl_c_or_a_kill_stops_both_nodes(tmp_path: Path, sig: int):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINE_")}
    with subprocess.Popen(
        [sys.executable, "-m", "openline", "demo", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean,
    ) as demo:
        try:
            assert demo.stdout is not None
            for line in demo.stdout:
                if "Ctrl-C stops both" in line:
                    break
            demo.send_signal(sig)
            assert demo.wait(timeout=30) == 0
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
    for party in ("blue", "red"):
        log = (tmp_path / "demo" / f"{party}.log").read_text()
        assert "Application shutdown complete" in log
