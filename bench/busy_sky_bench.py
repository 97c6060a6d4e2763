"""Openline busy-sky benchmark: a node holding a peer's tracks takes as many of its own, all in
one area, so that every pair of the two parties warns (issue 23).

In process, on a fresh SQLite node and a fixed clock: BLUE applies RED's track envelope of N
reports, then takes its own N (``services.tracks.report``, what ``POST /api/v1/tracks`` runs
on the writer), then runs the track interval that finds the warnings and journals them
(``services.tracks.tick``) twice, the second time after every BLUE track moved. For each N:
the batch's time, each interval's, a page of 1000 warnings', the proximity journal entries and
their bytes, and the process's peak memory. docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.support.boxes import ANY_BOX
from tests.support.nodes import FakeClock, link, make_node_dir, silent_card
from tests.support.tracks import in_one_area

from node_bench import machine_facts
from openline.domain.envelopes import first_prev, seal
from openline.domain.timeutil import format_utc
from openline.node.assembly import Node
from openline.services import tracks


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(count: int, base: Path) -> dict[str, str]:
    clock = FakeClock()
    made = make_node_dir(base / f"blue-{count}")
    link(made.directory, silent_card("RED"))
    node = Node.open(made.directory, environ={}, clock=clock)
    node.start()
    try:
        envelope = seal(
            envelope_id="env_RED1",
            sender="RED",
            to="BLUE",
            link_seq=1,
            prev=first_prev(),
            sent_at=format_utc(clock.now),
            kind="track",
            body={"tracks": in_one_area("R", count, 1, time=format_utc(clock.now))},
            sign=lambda _data: b"\0" * 64,
            box=ANY_BOX,  # handed to the handler itself, after the receiver opened its box
        )
        peer = timed(lambda: node.write(lambda uow: tracks.apply_incoming(uow, node, envelope)))
        own = tracks.parse(node, in_one_area("B", count, 2, time=format_utc(clock.now)))
        batch = timed(lambda: node.write(tracks.report(node, own)))
        first = timed(lambda: tracks.tick(node))
        clock.now += timedelta(seconds=1)
        node.write(
            tracks.report(
                node, tracks.parse(node, in_one_area("B", count, 3, time=format_utc(clock.now)))
            )
        )
        node.tracker.find_not_before = 0.0  # time the finding, not its putting off
        moved = timed(lambda: tracks.tick(node))
        page = timed(lambda: node.write(tracks.current_warnings(node, limit=tracks.MAX_PAGE)))
        total = node.write(tracks.current_warnings(node, limit=1)).total
        entries, size = node.read(
            lambda conn: conn.exec_driver_sql(
                "SELECT count(*), sum(length(data) + length(hash) + length(prev_hash)"
                " + length(sig) + length(at) + length(kind)) FROM journal"
                " WHERE kind LIKE 'proximity.%'"
            ).one()
        )
    finally:
        node.close()
    return {
        "tracks of each party": f"{count:,}",
        "warnings open": f"{total:,}",
        "peer's envelope taken": f"{peer * 1000:.1f} ms",
        "own batch taken (the POST's operation)": f"{batch * 1000:.1f} ms",
        "interval finding them, first / after all moved": f"{first:.2f} / {moved:.2f} s",
        "a page of 1000 warnings": f"{page * 1000:.1f} ms",
        "proximity journal entries, bytes": f"{entries}, {size:,}",
        "peak memory so far": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000", help="tracks of each party, by commas")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory() as work:
        for name, value in machine_facts(Path(work)).items():
            print(f"{name}: {value}")
        for count in sizes:
            print()
            for name, value in measure(count, Path(work)).items():
                print(f"{name}: {value}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
