"""Openline as its operators run it: the ``openline`` command, and ``openline serve`` nodes as
real processes, alone or as a linked BLUE and RED pair."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from openline.keys.tls import pinned_context, pins_of_file
from openline.node.settings import load_settings
from openline.services.peers import link_directories
from openline.services.setup import NewNode
from tests.support.launcher import Process, popen_openline, run_openline_captured
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port

START_TIMEOUT_S = 120
# httpx builds a new TLS context (some 20 ms of processor) for every client not handed one; the
# tests open thousands of clients, nearly all to plain-HTTP nodes, so those share this one.
SHARED_TLS = ssl.create_default_context()


def run_openline(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real `openline` command, with no OPENLINE_* settings leaking in from outside
    (and an 80-column terminal, so tables print as an operator would see them)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINE_")}
    return run_openline_captured(
        [*map(str, args)], env={**clean, "COLUMNS": "80", **(env or {})}, timeout=timeout
    )


@dataclass
class RunningNode:
    directory: Path
    url: str
    token: str
    process: Process
    log: Path
    verify: ssl.SSLContext = SHARED_TLS  # a node serving https: its own certificate, pinned

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,  # only catches a node that stopped answering
            verify=self.verify,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=60)

    def stop_surely(self) -> None:
        """Stop cleanly; if that fails, kill, so that no test leaves a process behind."""
        try:
            self.stop()
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


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


def start_pair(base: Path, env: dict[str, str], blue_env: dict[str, str] | None = None) -> Pair:
    """BLUE and RED made in ``base``, linked, and started with ``env``, side by side; BLUE
    with ``blue_env`` over it."""
    made_blue, made_red = make_pair(base, env)
    launched = [
        launch_node(made_blue.directory, made_blue.token, {**env, **(blue_env or {})}),
        launch_node(made_red.directory, made_red.token, env),
    ]
    try:
        blue, red = (answering(node) for node in launched)
    except BaseException:
        for node in launched:
            node.stop_surely()
        raise
    return Pair(blue, red, env)


def stop_pair(pair: Pair) -> None:
    """Stop both nodes, RED even when stopping BLUE failed (it is killed then, and the
    failure raised once RED is stopped too): no test leaves a node running behind it."""
    try:
        pair.blue.stop_surely()
    finally:
        pair.red.stop_surely()


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
    return answering(launch_node(directory, token, env))


def launch_node(directory: Path, token: str, env: dict[str, str] | None = None) -> RunningNode:
    """Run ``openline serve DIR`` as a real process, without waiting for it."""
    settings = load_settings(directory, env or {})
    log = directory.parent / f"{directory.name}.log"
    with log.open("ab") as output:
        process = popen_openline(
            ["serve", str(directory)],
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=output,
        )
    verify = SHARED_TLS
    if settings.tls_cert_file:
        verify = pinned_context(pins_of_file(directory / settings.tls_cert_file).public_key)
    return RunningNode(directory, settings.public_url, token, process, log, verify)


def answering(running: RunningNode) -> RunningNode:
    """``running`` once its API answers; killed, and an error raised, if it exits first or
    never answers (the limit only catches that: a node starts in seconds, on a busy machine
    in tens of seconds)."""
    process, log = running.process, running.log
    deadline = time.monotonic() + START_TIMEOUT_S
    with running.client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"openline serve exited: {log.read_text()}")
            try:
                answer = client.get("/api/v1/node")
                if answer.status_code == 200 and answer.json()["ready"]:
                    return running
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    running.stop(signal.SIGKILL)
    raise RuntimeError(
        f"openline serve did not answer within {START_TIMEOUT_S} s: {log.read_text()}"
    )
