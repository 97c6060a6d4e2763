"""Openline several-processes benchmark (`make bench`): one node, BLUE, served by one, two and
three `openline serve` processes on one PostgreSQL database (docs/deployment.md), RED by one.

1. Messages accepted per second by one, two and three processes: the messages posted to all of
   BLUE's processes at once, each over ``--concurrency`` keep-alive connections, while BLUE's
   leader sends them to RED. Floor, measured in the same run: the database's one-row commit
   (one INSERT per transaction), what one durable write per message would cost.
2. Failover: BLUE's leader SIGKILLed ``--kills`` times (started again each time, so three
   processes serve on); the time from the kill until another process says it leads
   (`GET /api/v1/node`), median and worst, against the issue's bound of two line-check
   intervals (at 1 s: 2 s; and 5 s whatever the interval).

The cluster is throwaway, on 127.0.0.1, durable as a production server is (bench/backends.py).
docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from backends import NodeSettings, commit_floor, nodes_on, server_version
from node_bench import (
    MESSAGE,
    Figure,
    Section,
    free_port,
    machine_facts,
    post_many,
    report_one,
    run,
)
from openline.services.peers import link_directories
from openline.services.setup import init_node

INTERVAL_S = 1.0
ENV = {"OPENLINE_LINE_CHECK_INTERVAL": str(INTERVAL_S)}
FAILOVER_BOUND_S = 2 * INTERVAL_S


class Process:
    """One `openline serve` of a node directory, on its own port."""

    def __init__(self, directory: Path, port: int, token: str) -> None:
        self.directory, self.port, self.token = directory, port, token
        self.url = f"http://127.0.0.1:{port}"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, **ENV, "OPENLINE_PORT": str(self.port)}
        log = (self.directory.parent / f"{self.directory.name}.log").open("ab")
        argv = [sys.executable, "-m", "openline", "serve", str(self.directory)]
        self.popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while self.node() is None:
            if time.monotonic() > deadline or self.popen.poll() is not None:
                raise RuntimeError(f"{self.directory} did not start: see its log")
            time.sleep(0.05)

    def node(self) -> dict[str, object] | None:
        """GET /api/v1/node, or None while it does not answer."""
        try:
            answer = httpx.get(
                f"{self.url}/api/v1/node",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=2,
            )
        except httpx.TransportError:
            return None
        return answer.json() if answer.status_code == 200 else None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)
            self.popen.wait(timeout=30)


@contextmanager
def blue_and_red(work: Path, store: NodeSettings) -> Iterator[tuple[list[Process], Process]]:
    """BLUE's three directories (copies, as on three machines) and RED, linked and each on a
    database of its own; RED started; every process stopped on the way out."""
    blue = init_node(
        work / "blue1", {"party": "BLUE", "name": "BLUE", "lang": "en", **store("blue")}
    )
    red = init_node(work / "red", {"party": "RED", "name": "RED", "lang": "ru", **store("red")})
    link_directories(blue.directory, red.directory)
    directories = [blue.directory]
    for n in (2, 3):
        directories.append(Path(shutil.copytree(blue.directory, work / f"blue{n}")))
    processes = [Process(d, free_port(), blue.token) for d in directories]
    red_process = Process(red.directory, free_port(), red.token)
    urls = [p.url for p in processes]
    subprocess.run(
        [sys.executable, "-m", "openline", "peer", "paths", str(red.directory), "BLUE", *urls],
        check=True,
        capture_output=True,
    )
    try:
        red_process.start()
        yield processes, red_process
    finally:
        for process in [*processes, red_process]:
            process.stop()


def accepted_per_second(processes: list[Process], count: int, concurrency: int) -> float:
    """Messages accepted per second, ``count`` posted to each of ``processes`` at once."""
    with ThreadPoolExecutor(max_workers=len(processes)) as pool:
        started = time.perf_counter()
        loads = list(
            pool.map(
                lambda p: post_many(
                    p.port, "/api/v1/messages", p.token, count, concurrency, message=MESSAGE
                ),
                processes,
            )
        )
        elapsed = time.perf_counter() - started
    return sum(load.count for load in loads) / elapsed


def failover_times(processes: list[Process], kills: int) -> list[float]:
    """Seconds from each leader's SIGKILL until another process says it leads."""
    times = []
    for _ in range(kills):
        leader = _leader(processes)
        killed_at = time.perf_counter()
        leader.stop(signal.SIGKILL)
        others = [p for p in processes if p is not leader]
        while not any(_leads(p) for p in others):
            time.sleep(0.005)
        times.append(time.perf_counter() - killed_at)
        leader.start()
    return times


def _leader(processes: list[Process]) -> Process:
    while True:
        for process in processes:
            if _leads(process):
                return process
        time.sleep(0.01)


def _leads(process: Process) -> bool:
    node = process.node()
    return node is not None and node["leader"] == node["process"]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages to each process")
    parser.add_argument("--concurrency", type=int, default=8, help="connections per process")
    parser.add_argument("--kills", type=int, default=20, help="leaders killed")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.kills = 200, 3
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="openline-bench-") as tmp:
        work = Path(tmp)
        facts = machine_facts(work)
        with nodes_on("postgresql") as store:
            floor_url = store("floor")["database_url"]
            facts["database"] = f"PostgreSQL {server_version(floor_url)}, 127.0.0.1, fsync on"
            section = Section("One node, several processes, one PostgreSQL")
            with blue_and_red(work, store) as (blue, _red):
                count, seconds, _ = commit_floor(floor_url, 3.0)
                floor = count / seconds
                section.figures.append(
                    Figure("one-row commit, one at a time (the floor)", floor, "commits/s")
                )
                for n in (1, 2, 3):
                    blue[n - 1].start()
                    rate = accepted_per_second(blue[:n], args.messages, args.concurrency)
                    section.figures.append(
                        Figure(
                            f"messages accepted, {n} process{'es' if n > 1 else ''}",
                            rate,
                            "messages/s",
                            {"the one-row commit": floor},
                            f"{args.concurrency} connections each",
                        )
                    )
                times = failover_times(blue, args.kills)
            median, worst = statistics.median(times), max(times)
            section.figures += [
                Figure(f"failover, median of {len(times)} kills", median, "s"),
                Figure(f"failover, worst of {len(times)} kills", worst, "s"),
            ]
            verdict = "met" if worst <= FAILOVER_BOUND_S else "NOT met"
            section.verdicts.append(
                f"failover within two line-check intervals ({FAILOVER_BOUND_S:g} s at "
                f"{INTERVAL_S:g} s): {verdict} (worst {worst:.2f} s)"
            )
    report_one("several-processes", facts, section)
    return 0


if __name__ == "__main__":
    run(main)
