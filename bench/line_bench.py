"""Openline line benchmark (`make bench`): two real nodes, BLUE and RED, linked on 127.0.0.1.

1. Latency: one API call on BLUE (a message to RED) until the event `message.received` arrives
   on RED's event stream, durable on both nodes; p50 and p99 over sequential messages.
2. Sustained messages per second over the link: BLUE's API loaded by concurrent connections;
   the rate is what RED has received, durably, in the measured window. Meanwhile the CPU time
   each node's process spent, per message: the figure a loaded machine changes least.
3. Backlog: RED stopped, 10,000 messages queued on BLUE, RED started; time until BLUE holds
   RED's receipt for every one.

Floor, measured in the same run: a plain HTTP echo between two processes (uvicorn, the same
server stack), one request at a time, and at the same concurrency. The issue's targets as
ratios to it (which travel between machines better than times do): p50 within 30x the echo's
p50, sustained at least 0.1x the echo's rate. Every server listens on
127.0.0.1 and is stopped on the way out. `--database postgresql` puts both nodes on a
throwaway PostgreSQL 15 cluster (bench/backends.py). docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backends import DATABASES, NodeSettings, nodes_on, server_version
from node_bench import (
    Figure,
    Load,
    Section,
    err,
    free_port,
    machine_facts,
    post_many,
    print_section,
    read_response,
    run_on_uvloop,
    server,
)
from openline.node.assembly import Node
from openline.services.peers import link_directories
from openline.services.setup import init_node
from openline.store.line import count_waiting

TARGET_P50_MS, TARGET_P99_MS, TARGET_RATE, TARGET_BACKLOG_S = 5.0, 20.0, 2000.0, 10.0
# The same targets as ratios to the HTTP echo of the same run: p50 at most 30x the echo's p50,
# the sustained rate at least 0.1x the echo's rate at the same concurrency.
TARGET_P50_RATIO, TARGET_RATE_RATIO = 30.0, 0.1
MESSAGE = {"to": ["RED"], "precedence": "routine", "text": "line bench", "lang": "en"}


def make_nodes(work: Path, store: NodeSettings) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for party, lang in (("BLUE", "en"), ("RED", "ru")):
        port = free_port()
        values: dict[str, str | int] = {"party": party, "name": party, "lang": lang, "port": port}
        database = f"{work.name}_{party}".lower().replace("-", "_")
        created = init_node(work / party.lower(), {**values, **store(database)})
        made[party] = {"dir": created.directory, "port": port, "token": created.token}
    link_directories(made["BLUE"]["dir"], made["RED"]["dir"])
    return made


@contextlib.contextmanager
def running(node: dict[str, Any], work: Path) -> Iterator[int]:
    """The node served by ``openline serve`` until the block ends, as its process id."""
    argv = [sys.executable, "-m", "openline", "serve", str(node["dir"])]
    url = f"http://127.0.0.1:{node['port']}/api/v1/node"
    with server(argv, url, work / f"{node['dir'].name}.log", node["token"]) as process:
        yield process.pid


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process ``pid`` has spent, or None where /proc cannot
    say (not Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Linked:
    """What the two running nodes measured: the latencies, BLUE's accepted load, RED's
    received rate, and each node's CPU microseconds per message meanwhile (None: unknown)."""

    times: list[float]
    accepted: Load
    rate: float
    cpu_us: dict[str, float | None]


class Arrivals(threading.Thread):
    """RED's event stream of `message.received`: when each message id arrived. Read by the
    same lean client as the floors (``_received``), on an event loop of its own."""

    def __init__(self, red: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.red = red
        self.at: dict[str, float] = {}
        self.ready = threading.Event()

    def run(self) -> None:
        run_on_uvloop(_received(self.red, self._arrived, self.ready.set))

    def _arrived(self, message_id: str) -> None:
        self.at[message_id] = time.perf_counter()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.at) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"RED received {len(self.at)} of {count} within {timeout} s")
            time.sleep(0.01)


async def _received(
    red: dict[str, Any], arrived: Callable[[str], None], ready: Callable[[], None]
) -> None:
    """Read RED's event stream of `message.received` with a lean HTTP/1.1 client (the floor's:
    httpx took about a millisecond of the client's CPU an event), calling ``arrived`` with each
    message id as its event is read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", red["port"])
    writer.write(
        f"GET /api/v1/events?kinds=message.received&after={10**9} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{red['port']}\r\nAuthorization: Bearer {red['token']}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200") or b"chunked" not in head.lower():
        raise RuntimeError(f"RED's event stream answered {head[:200]!r}")
    ready()
    events = b""
    while True:  # chunked transfer encoding: a size line in hex, the chunk, CRLF
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            return
        events += (await reader.readexactly(size + 2))[:-2]
        *complete, events = events.split(b"\n\n")
        for event in complete:
            for line in event.split(b"\n"):
                if line.startswith(b"data: "):
                    arrived(json.loads(line[6:])["data"]["id"])


def latency(blue: dict[str, Any], arrivals: Arrivals, count: int) -> list[float]:
    """Seconds from each API call on BLUE (one at a time) until its event arrives on RED."""
    return run_on_uvloop(_latency(blue, arrivals.red, count))


async def _latency(blue: dict[str, Any], red: dict[str, Any], count: int) -> list[float]:
    """The latency phase on one event loop, with the floor's lean client for both the calls
    and RED's event stream: no thread between the arrival and its clock."""
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[float]] = {}
    early: dict[str, float] = {}  # arrived before BLUE's answer was read

    def arrived(message_id: str) -> None:
        now = time.perf_counter()
        future = waiting.pop(message_id, None)
        if future is None:
            early[message_id] = now
        else:
            future.set_result(now)

    ready = asyncio.Event()
    stream = asyncio.create_task(_received(red, arrived, ready.set))
    async with asyncio.timeout(10):
        await ready.wait()
    reader, writer = await asyncio.open_connection("127.0.0.1", blue["port"])
    body = json.dumps(MESSAGE).encode()
    request = (
        f"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:{blue['port']}\r\n"
        f"Authorization: Bearer {blue['token']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            writer.write(request)
            status, answer = await read_response(reader)
            if status != 201:
                raise RuntimeError(f"BLUE answered {status}: {answer[:300]!r}")
            message_id = json.loads(answer)["id"]
            if message_id in early:
                times.append(early.pop(message_id) - start)
                continue
            arrival = waiting[message_id] = loop.create_future()
            await asyncio.wait({arrival, stream}, timeout=30, return_when="FIRST_COMPLETED")
            if not arrival.done():
                ended = f"ended: {stream.exception()!r}" if stream.done() else "still open"
                raise RuntimeError(f"message {message_id} not on RED's stream after 30 s ({ended})")
            times.append(arrival.result() - start)
    finally:
        stream.cancel()
        writer.close()
    return times


def sustained(
    blue: dict[str, Any], arrivals: Arrivals, count: int, concurrency: int
) -> tuple[Load, float]:
    """BLUE loaded with ``count`` messages; the rate at which RED received them."""
    before = len(arrivals.at)
    start = time.perf_counter()
    accepted = post_many(
        blue["port"], "/api/v1/messages", blue["token"], count, concurrency, message=MESSAGE
    )
    arrivals.wait_for(before + count, timeout=600)
    last = max(arrivals.at.values())
    return accepted, count / (last - start)


def backlog(made: dict[str, Any], work: Path, count: int, concurrency: int) -> tuple[float, int]:
    """Queue ``count`` messages with RED down, start RED, time until all are receipted."""
    blue = made["BLUE"]
    with running(blue, work):
        post_many(
            blue["port"], "/api/v1/messages", blue["token"], count, concurrency, message=MESSAGE
        )
        reader = Node.open(blue["dir"], environ={})

        def waiting() -> int:  # read from BLUE's database: the API's figure lags by a tick
            return reader.read(lambda conn: count_waiting(conn, "RED"))

        queued = waiting()
        with running(made["RED"], work):
            start = time.perf_counter()
            deadline = time.monotonic() + 300
            while waiting() > 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            drained = time.perf_counter() - start
        reader.close()
        return drained, queued


def echo_floor(work: Path, count: int, concurrency: int) -> tuple[Load, Load]:
    port = free_port()
    argv = [
        sys.executable,
        str(Path(__file__).parent / "node_bench.py"),
        "--echo-server",
        str(port),
    ]
    with server(argv, f"http://127.0.0.1:{port}/", work / "echo.log"):
        post_many(port, "/echo", "", 200, 1)
        one = post_many(port, "/echo", "", count, 1)
        many = post_many(port, "/echo", "", count * 4, concurrency)
    return one, many


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def _linked(work: Path, store: NodeSettings, args: argparse.Namespace) -> Linked:
    """Latency and sustained rate between two running nodes."""
    made = make_nodes(work, store)
    with running(made["BLUE"], work) as blue, running(made["RED"], work) as red:
        arrivals = Arrivals(made["RED"])
        arrivals.start()
        arrivals.ready.wait(10)
        err.print("[line 2/4] latency, API call on BLUE -> event on RED ...")
        latency(made["BLUE"], arrivals, 50)  # warm up
        times = latency(made["BLUE"], arrivals, args.latency_messages)
        err.print("[line 3/4] sustained messages per second over the link ...")
        pids = {"BLUE": blue, "RED": red}
        before = {party: cpu_seconds(pid) for party, pid in pids.items()}
        accepted, rate = sustained(
            made["BLUE"], arrivals, args.sustained_messages, args.concurrency
        )
        spent = {party: _spent(before[party], cpu_seconds(pid)) for party, pid in pids.items()}
    per_message = {
        party: None if cpu is None else cpu * 1e6 / args.sustained_messages
        for party, cpu in spent.items()
    }
    return Linked(times, accepted, rate, per_message)


def _spent(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _database_fact(store: NodeSettings) -> str:
    url = store("version").get("database_url")
    if not url:
        return "SQLite (the embedded default: one file per node, WAL, synchronous=FULL)"
    return f"PostgreSQL {server_version(url)}, throwaway cluster on 127.0.0.1, fsync on"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-messages", type=int, default=1000)
    parser.add_argument("--sustained-messages", type=int, default=10_000)
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--dir", default=None, help="Where the nodes' files go (default: /tmp).")
    parser.add_argument(
        "--database", choices=DATABASES, default="sqlite", help="where the nodes keep their data"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # The event reader is a thread of this process: let it take the GIL as soon as an event
    # arrives, so the client's own thread switching (5 ms by default) does not blur the figure.
    sys.setswitchinterval(0.0005)
    with tempfile.TemporaryDirectory(prefix="openline-line-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        facts = machine_facts(work)
        err.print("[line 1/4] HTTP echo floor between two processes ...")
        echo_one, echo_many = echo_floor(work, 2000, args.concurrency)
        with nodes_on(args.database) as store:
            facts["database"] = _database_fact(store)
            linked = _linked(work, store, args)
            err.print(f"[line 4/4] backlog of {args.backlog} envelopes after an outage ...")
            backlog_made = make_nodes(work / "backlog", store)
            drain, queued = backlog(backlog_made, work, args.backlog, args.concurrency)
    echo_ms = echo_one.percentile(50) * 1000
    title = f"Line: two nodes on loopback, durable on both ({args.database}, group commit)"
    section = Section(title)
    times, accepted, rate = linked.times, linked.accepted, linked.rate
    p50, p99 = pct(times, 50) * 1000, pct(times, 99) * 1000
    section.figures += [
        Figure("API call on BLUE -> event on RED, p50", p50, "ms", {"HTTP echo p50": echo_ms}),
        Figure("API call on BLUE -> event on RED, p99", p99, "ms", {"HTTP echo p50": echo_ms}),
        Figure(
            f"sustained, {args.concurrency} connections on BLUE, received by RED",
            rate,
            "msg/s",
            {"HTTP echo": echo_many.rate},
        ),
        Figure(
            "BLUE's API accepted meanwhile", accepted.rate, "msg/s", {"HTTP echo": echo_many.rate}
        ),
        *(
            Figure(f"{party}'s CPU per message, sustained", cpu, "us", note="its whole process")
            for party, cpu in linked.cpu_us.items()
            if cpu is not None
        ),
        Figure(f"backlog of {queued} envelopes drained", drain, "s", {}),
        Figure("(floor) HTTP echo, 1 connection, p50", echo_ms, "ms"),
        Figure(f"(floor) HTTP echo, {args.concurrency} connections", echo_many.rate, "req/s"),
    ]
    p50_ratio, rate_ratio = p50 / echo_ms, rate / echo_many.rate
    section.verdicts += [
        f"latency p50 {p50:.2f} ms (target <= {TARGET_P50_MS}): "
        + ("met" if p50 <= TARGET_P50_MS else "NOT met"),
        f"latency p99 {p99:.2f} ms (target <= {TARGET_P99_MS}): "
        + ("met" if p99 <= TARGET_P99_MS else "NOT met"),
        f"sustained {rate:,.0f} msg/s (target >= {TARGET_RATE:,.0f}): "
        + ("met" if rate >= TARGET_RATE else "NOT met"),
        f"backlog drained in {drain:.1f} s (target <= {TARGET_BACKLOG_S}): "
        + ("met" if drain <= TARGET_BACKLOG_S else "NOT met"),
        f"p50 / HTTP echo p50 = {p50_ratio:.1f}x (target <= {TARGET_P50_RATIO:g}x): "
        + ("met" if p50_ratio <= TARGET_P50_RATIO else "NOT met"),
        f"sustained / HTTP echo rate = {rate_ratio:.3f}x (target >= {TARGET_RATE_RATIO:g}x): "
        + ("met" if rate_ratio >= TARGET_RATE_RATIO else "NOT met"),
    ]
    print("Openline line benchmark (make bench)")
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
