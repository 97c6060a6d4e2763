"""What each node of a link spends on a message: the line bench's sustained phase alone.

Two nodes linked on loopback (BLUE sends, RED receives), as `line_bench.py` makes them; after a
warm-up, BLUE is loaded with ``--messages`` messages on ``--concurrency`` connections, and the
script prints the rate RED received them at and each node's CPU time (its whole process, from
/proc) per message. CPU time is the figure another load on the machine changes least, so this
is the script to compare two trees on a shared machine: run it for each, alternated, with
``PYTHONPATH=OTHER_TREE/src`` for the other. ``--spy DIR`` also records each node with py-spy
(``--gil --threads``, raw format) during the phase, for `py-spy`'s own tools or a flame graph.

    .venv/bin/python bench/line_cpu.py --database postgresql --runs 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from backends import DATABASES, nodes_on
from line_bench import Arrivals, cpu_seconds, latency, make_nodes, running, sustained

SPY_SECONDS = 5  # recorded from the phase's start: shorter than the phase at the defaults


def _spies(directory: Path, pids: dict[str, int], run: int) -> list[subprocess.Popen[bytes]]:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--spy needs py-spy (pip install py-spy)")
    directory.mkdir(parents=True, exist_ok=True)
    options = ["--duration", str(SPY_SECONDS), "--rate", "400", "--format", "raw", "--gil"]
    return [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                *options,
                "--threads",
                "--output",
                str(directory / f"{party.lower()}-{run}.raw"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for party, pid in pids.items()
    ]


def _per_message(before: float | None, after: float | None, count: int) -> str:
    """Microseconds of CPU a message, or ``?`` where /proc could not say (not Linux)."""
    if before is None or after is None:
        return "?"
    return f"{(after - before) * 1e6 / count:,.0f}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1, help="phases, each on new nodes")
    parser.add_argument("--spy", type=Path, default=None, help="py-spy's profiles go there")
    args = parser.parse_args(argv)
    with nodes_on(args.database) as store:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="openline-line-cpu-") as tmp:
                work = Path(tmp)
                made = make_nodes(work, store)
                with running(made["RED"], work) as red, running(made["BLUE"], work) as blue:
                    arrivals = Arrivals(made["RED"])
                    arrivals.start()
                    arrivals.ready.wait(10)
                    latency(made["BLUE"], arrivals, 50)  # warm up
                    pids = {"BLUE": blue, "RED": red}
                    spies = _spies(args.spy, pids, run) if args.spy else []
                    before = {party: cpu_seconds(pid) for party, pid in pids.items()}
                    _accepted, rate = sustained(
                        made["BLUE"], arrivals, args.messages, args.concurrency
                    )
                    after = {party: cpu_seconds(pid) for party, pid in pids.items()}
                    for spy in spies:
                        spy.wait()
            spent = {p: _per_message(before[p], after[p], args.messages) for p in pids}
            print(
                f"run {run}: {args.database}, {rate:,.0f} msg/s received by RED; CPU a message:"
                f" BLUE {spent['BLUE']} us, RED {spent['RED']} us"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
