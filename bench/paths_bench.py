"""Openline paths benchmark (`make bench`): failover from a cut path to a backup path.

Two real nodes, BLUE and RED, on SQLite, BLUE linked to RED over two paths, each through a
fault proxy of its own (tests/support/faultproxy.py) on 127.0.0.1; the line-check interval is
1 s. Each round, with both paths up and path 1 carrying: path 1 is cut (its proxy drops every
request, before it reaches RED or after RED answered), a message is sent on BLUE at once, and
the time until it arrives on RED's event stream is the failover delivery time; BLUE's API is
then read until the line shows `degraded` (path 1 down, path 2 carrying). Path 1 is restored
and the next round waits until BLUE has seen it up again. The same message latency with both
paths whole, in the same run, is the floor. docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from backends import nodes_on
from line_bench import MESSAGE, Arrivals, make_nodes, running
from node_bench import Figure, Section, err, machine_facts, print_section

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its test proxy
from tests.support.faultproxy import Fault, FaultProxy

from openline.line.sender import MAX_BACKOFF_S as RETRY_CAP_S
from openline.node.assembly import Node
from openline.services.paths import replace_direct_paths

INTERVAL_S = 1.0

CUT = {Fault.DROP: 1.0}
WHOLE = {Fault.NONE: 1.0}


class Blue:
    """BLUE's API, as the bench uses it: send a message, read the line to RED."""

    def __init__(self, node: dict[str, Any]) -> None:
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{node['port']}",
            headers={"Authorization": f"Bearer {node['token']}"},
        )

    def send(self) -> str:
        return str(self.client.post("/api/v1/messages", json=MESSAGE).json()["id"])

    def line(self) -> dict[str, Any]:
        peers = self.client.get("/api/v1/node").json()["peers"]
        return dict(next(p for p in peers if p["party"] == "RED"))

    def wait(self, status: str, paths: list[str], timeout: float = 30) -> float:
        """Seconds until the line to RED shows ``status`` with its paths ``paths``."""
        start = time.perf_counter()
        while True:
            line = self.line()
            if (line["status"], [p["status"] for p in line["paths"]]) == (status, paths):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"the line to RED never showed {status} {paths}: {line}")
            time.sleep(0.01)


def arrival(arrivals: Arrivals, message_id: str, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while message_id not in arrivals.at:
        if time.monotonic() > deadline:
            raise RuntimeError(f"message {message_id} never reached RED")
        time.sleep(0.0002)
    return arrivals.at[message_id]


def rounds(
    blue: Blue, arrivals: Arrivals, path_1: FaultProxy, count: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"whole": [], "failover": [], "degraded": []}
    for _ in range(count):
        blue.wait("up", ["up", "up"])
        start = time.perf_counter()
        times["whole"].append(arrival(arrivals, blue.send()) - start)
        path_1.set_weights(CUT)
        start = time.perf_counter()
        times["failover"].append(arrival(arrivals, blue.send()) - start)
        blue.wait("degraded", ["down", "up"])
        times["degraded"].append(time.perf_counter() - start)
        path_1.set_weights(WHOLE)
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dir", default=None, help="Where the nodes' files go (default: /tmp).")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.setswitchinterval(0.0005)  # the event reader takes the GIL as soon as an event arrives
    with tempfile.TemporaryDirectory(prefix="openline-paths-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        facts = machine_facts(work)
        with nodes_on("sqlite") as store:
            made = make_nodes(work, store)
        proxies = [FaultProxy(made["RED"]["port"], WHOLE, seed=n).start() for n in (1, 2)]
        try:
            node = Node.open(made["BLUE"]["dir"], environ={})
            replace_direct_paths(node, "RED", [proxy.url for proxy in proxies])
            node.close()
            os.environ["OPENLINE_LINE_CHECK_INTERVAL"] = str(INTERVAL_S)  # for both nodes
            with running(made["BLUE"], work), running(made["RED"], work):
                arrivals = Arrivals(made["RED"])
                arrivals.start()
                arrivals.ready.wait(10)
                blue = Blue(made["BLUE"])
                err.print(f"[paths 1/1] {args.rounds} rounds: path 1 cut, then restored ...")
                times = rounds(blue, arrivals, proxies[0], args.rounds)
        finally:
            for proxy in proxies:
                proxy.stop()
    section = Section("Paths: failover to a backup path (SQLite, line-check interval 1 s)")
    whole_ms = statistics.median(times["whole"]) * 1000
    failover = [t * 1000 for t in times["failover"]]
    degraded = times["degraded"]
    section.figures += [
        Figure(
            "message BLUE -> RED, path 1 cut just before, p50",
            statistics.median(failover),
            "ms",
            {"both paths whole p50": whole_ms},
        ),
        Figure(
            "message BLUE -> RED, path 1 cut just before, max",
            max(failover),
            "ms",
            {"both paths whole p50": whole_ms},
        ),
        Figure(
            "cut until BLUE's API shows degraded (path 1 down), p50",
            statistics.median(degraded),
            "s",
        ),
        Figure("cut until BLUE's API shows degraded, max", max(degraded), "s"),
        Figure("(floor) message BLUE -> RED, both paths whole, p50", whole_ms, "ms"),
    ]
    bound_ms = (INTERVAL_S + RETRY_CAP_S) * 1000
    section.verdicts.append(
        f"failover max {max(failover):.0f} ms (bound: one line-check interval plus the retry "
        f"cap, {bound_ms:.0f} ms): " + ("met" if max(failover) <= bound_ms else "NOT met")
    )
    print("Openline paths benchmark (make bench)")
    for key, value in facts.items():
        print(f"  {key}: {value}")
    print_section(section)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        err.print("interrupted: every server this run started has been stopped")
        sys.exit(130)
