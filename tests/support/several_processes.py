"""BLUE served by several `openline serve` processes on one PostgreSQL database, RED by one
(issue 26; docs/deployment.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

from openline.services.setup import NewNode
from tests.support.ports import free_port
from tests.support.processes import RunningNode, launch_node, make_pair, run_openline


def launch_blue_processes_and_red(
    base: Path, env: dict[str, str], count: int
) -> tuple[NewNode, list[int], list[RunningNode]]:
    """BLUE and RED made in ``base`` and linked; BLUE launched as ``count`` processes, each in a
    copy of its node directory (as on machines of its own) on a port of its own, all of them
    BLUE's paths on RED, in that order; RED launched last, all with ``env``. BLUE as made, its
    processes' ports, and the processes launched (not waited for; RED last)."""
    made_blue, made_red = make_pair(base, env)
    directories = [made_blue.directory]
    for n in range(2, count + 1):
        directories.append(Path(shutil.copytree(made_blue.directory, base / f"blue{n}")))
    ports = [free_port() for _ in directories]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    changed = run_openline("peer", "paths", made_red.directory, "BLUE", *urls)
    assert changed.returncode == 0, changed.stderr
    launched = [
        launch_node(directory, made_blue.token, {**env, "OPENLINE_PORT": str(port)})
        for directory, port in zip(directories, ports, strict=True)
    ]
    launched.append(launch_node(made_red.directory, made_red.token, env))
    return made_blue, ports, launched
