"""Openline node benchmark (`make bench`): figures for docs/performance.md, each beside its floor.

1. Durable messages accepted per second by one real `openline serve` process, with 1, 8 and 32
   concurrent connections (p50/p99 latency). Floors measured in the same run: the fsync rate of
   the same disk (one fsync per message, the naive design) and a plain uvicorn HTTP echo driven
   by the same client at the same concurrency; on PostgreSQL also the server's own rate of
   one-row transactions (INSERT, COMMIT). The same server then takes notifications (air
   operations and protected sites), each stored, journaled and checked for conflicts with
   those before it, beside the message rate.
2. Journal verification entries per second on a 100,000-entry journal: `verify_journal` in
   process and `openline journal verify DIR`. Floors: PyNaCl Ed25519 verify and SHA-256 over
   the very bytes the journal signed.
3. Journal append rate through the group-commit writer (durable), from the messages sent
   through the service layer to build that journal.

`--database sqlite` (the default) or `--database postgresql` (bench/backends.py: every node on
a throwaway PostgreSQL 15 cluster, fsync on). Every server listens on 127.0.0.1 and is stopped
on the way out: at the end, on an error, on Ctrl-C and on SIGTERM. docs/performance.md
explains the figures and the options.
Speed is measured here only, never in unit tests.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import nacl.signing
from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from backends import DATABASES, NodeSettings, commit_floor, nodes_on, server_version
from openline.domain.journal import signing_bytes
from openline.domain.messages import free_text_draft
from openline.node.assembly import Node
from openline.services.journal import VERIFY_THREADS, verify_journal
from openline.services.messages import send_message
from openline.services.setup import NewNode, init_node
from openline.store.journal import count_entries, iter_all_entries

T = TypeVar("T")
PARTY = "BLUE"
TEXT = "Convoy of 12 vehicles moving north on route TAMPA, 37S DV 12345 67890, 0600Z-0900Z."
MESSAGE = {"to": [PARTY], "precedence": "routine", "text": TEXT, "lang": "en"}
NOTIFICATION_BODIES = 2_000  # distinct notifications, posted in turn
NOTIFICATIONS = 500  # per concurrency level: each is checked against all stored before it
JOURNAL_TARGET = 20_000  # entries/s, docs/performance.md and the shared design's targets
# Piped into a log, the tables keep their width rather than wrapping at 80 columns.
out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)


@dataclass
class Figure:
    """One measured figure and the floors it is compared to (name -> floor's value)."""

    what: str
    value: float
    unit: str
    floors: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def shown(self) -> str:
        """The figure as printed: durations with two decimals, counts and rates whole."""
        return f"{self.value:,.2f}" if self.unit in ("ms", "s") else f"{self.value:,.0f}"

    def ratios(self) -> str:
        return "; ".join(f"{self.value / v:.2f}x {name}" for name, v in self.floors.items())


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)


# -- the machine ---------------------------------------------------------------------------


def machine_facts(directory: Path) -> dict[str, str]:
    filesystem = _output(["findmnt", "-no", "FSTYPE", "-T", str(directory)]) or "?"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _output(["lscpu"], "Model name:") or platform.processor(),
        "cores (nproc)": str(len(os.sched_getaffinity(0))),
        "memory (free -h)": f"{(_output(['free', '-h'], 'Mem:').split() or ['?'])[0]} total",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        # fsync on a tmpfs costs nothing and proves nothing: say where the files were.
        "disk under test": f"{directory} ({filesystem})",
    }


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine since boot (every process, every core)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def own_busy_seconds() -> float:
    """CPU seconds of this process and of the children it waited for (servers, CLI runs)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _output(argv: list[str], label: str = "") -> str:
    """A command's output, or what follows ``label`` on the line that starts with it."""
    try:
        found = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""
    if not label:
        return found.strip()
    line = next((line for line in found.splitlines() if line.startswith(label)), label)
    return line[len(label) :].strip()


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(
    argv: list[str], ready_url: str, log: Path, token: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` until it answers ``ready_url``, as the process given; stop it on the way
    out, whatever happens."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with log.open("ab") as output:
        # Its own session: Ctrl-C reaches the bench alone, which then stops the server itself.
        process = subprocess.Popen(
            argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(process, ready_url, headers, log)
        yield process
    finally:
        _stop(process)


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, headers: dict[str, str], log: Path
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited early:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def echo_server(port: int) -> None:
    """The HTTP floor: uvicorn (same loop and parser as `openline serve`) echoing the body."""
    import uvicorn

    async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(echo, host="127.0.0.1", port=port, lifespan="off", access_log=False)


# -- the HTTP load client ------------------------------------------------------------------


@dataclass
class Load:
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


def post_many(
    port: int,
    path: str,
    token: str,
    count: int,
    concurrency: int,
    *,
    message: dict[str, Any] | None = None,
    bodies: list[dict[str, Any]] | None = None,
) -> Load:
    """POST ``message`` ``count`` times over ``concurrency`` keep-alive connections, or each
    of ``bodies`` in turn."""
    requests = []
    for given in bodies or [message or MESSAGE]:
        body = json.dumps(given).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return run_on_uvloop(_post_many(port, requests, count, concurrency))


def run_on_uvloop(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


async def _post_many(port: int, requests: list[bytes], count: int, concurrency: int) -> Load:
    """A lean HTTP/1.1 client (a few microseconds a request), so that on a small machine the
    CPU goes to the server under test rather than to the client."""
    latencies: list[float] = []
    left = count

    async def connection() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                start = time.perf_counter()
                writer.write(requests[left % len(requests)])
                status, body = await read_response(reader)
                latencies.append(time.perf_counter() - start)
                if status not in (200, 201):
                    raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return Load(count, time.perf_counter() - start, latencies)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
    if "content-length" not in headers:
        raise RuntimeError(f"response without Content-Length: {head!r}")
    body = await reader.readexactly(int(headers["content-length"]))
    return int(lines[0].split()[1]), body


# -- 1. messages per second ----------------------------------------------------------------


def fsync_floor(directory: Path, seconds: float) -> Load:
    """Write and fsync one small record at a time: the ceiling of one fsync per message."""
    record = json.dumps(MESSAGE).encode() + b"\n"
    path = directory / "fsync-floor.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    latencies: list[float] = []
    try:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            began = time.perf_counter()
            os.write(fd, record)
            os.fsync(fd)
            latencies.append(time.perf_counter() - began)
        elapsed = time.perf_counter() - start
    finally:
        os.close(fd)
        path.unlink()
    return Load(len(latencies), elapsed, latencies)


def messages_section(
    work: Path, count: int, levels: list[int], pin: bool, store: NodeSettings
) -> Section:
    title = "1. Messages accepted per second, one node, durable (HTTP, loopback)"
    section = Section(title + (": servers pinned to one core, client on the others" * pin))
    err.print("[1/3] fsync floor of the disk under test ...")
    before = fsync_floor(work, seconds=3.0)
    database, committed = store("floor").get("database_url"), None
    if database:
        err.print("[1/3] PostgreSQL floor: one-row INSERT, COMMIT each ...")
        committed = Load(*commit_floor(database, seconds=3.0))
        section.figures.append(
            _figure("(a) PostgreSQL: one-row INSERT + COMMIT each", committed, "/s")
        )
    with pinned(pin) as prefix:
        openline, notified, echo = _http_runs(work, count, levels, prefix, store)
    err.print("[1/3] fsync floor again ...")
    after = fsync_floor(work, seconds=3.0)
    # A virtual disk's fsync rate drifts: pool one measure taken before and one after.
    fsync = Load(
        before.count + after.count,
        before.seconds + after.seconds,
        before.latencies + after.latencies,
    )
    drift = f"; {before.rate:,.0f}/s before, {after.rate:,.0f}/s after"
    section.figures.append(_figure("(a) write+fsync per record, same disk", fsync, "/s", drift))
    for level in levels:
        floors = {"fsync/record": fsync.rate, "HTTP echo": echo[level].rate}
        if committed:
            floors["PostgreSQL commit/row"] = committed.rate
        section.figures.append(_figure(f"(b) HTTP echo, {level} conn", echo[level], "req/s"))
        section.figures.append(
            _figure(f"openline, {level} conn", openline[level], "msg/s", floors=floors)
        )
        against_messages = {**floors, "messages": openline[level].rate}
        section.figures.append(
            _figure(
                f"openline notifications, {level} conn",
                notified[level],
                "/s",
                floors=against_messages,
            )
        )
        beats = "beats" if openline[level].rate > fsync.rate else "does NOT beat"
        section.verdicts.append(
            f"{level} conn: openline {beats} one fsync per message "
            f"({openline[level].rate / fsync.rate:.2f}x)"
        )
    return section


def _figure(
    what: str, load: Load, unit: str, more: str = "", floors: dict[str, float] | None = None
) -> Figure:
    p50, p99 = load.percentile(50) * 1e3, load.percentile(99) * 1e3
    note = f"p50 {p50:.2f} ms, p99 {p99:.2f} ms{more}"
    return Figure(what, load.rate, unit, floors or {}, note)


@contextlib.contextmanager
def pinned(pin: bool) -> Iterator[list[str]]:
    """With ``pin``: the prefix that runs a server on one core, while this process (the
    client) keeps to the other cores. A diagnostic: the node's threads then share one core."""
    if not pin:
        yield []
        return
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        raise SystemExit("--pin-server needs at least two cores")
    os.sched_setaffinity(0, cores - {min(cores)})
    try:
        yield ["taskset", "-c", str(min(cores))]
    finally:
        os.sched_setaffinity(0, cores)


def new_node(directory: Path, store: NodeSettings, **values: str | int) -> NewNode:
    """``openline init`` of a bench node (party BLUE, English) on the benchmarked database."""
    name = directory.name.replace("-", "_")
    return init_node(
        directory, {"party": PARTY, "name": "bench", "lang": "en", **values, **store(name)}
    )


def _http_runs(
    work: Path, count: int, levels: list[int], prefix: list[str], store: NodeSettings
) -> tuple[dict[int, Load], dict[int, Load], dict[int, Load]]:
    port = free_port()
    created = new_node(work / "node", store, port=port)
    serve = [*prefix, sys.executable, "-m", "openline", "serve", str(created.directory)]
    ready = f"http://127.0.0.1:{port}/api/v1/node"
    openline: dict[int, Load] = {}
    notified: dict[int, Load] = {}
    bodies = notification_bodies(NOTIFICATION_BODIES)
    with server(serve, ready, work / "node.log", created.token):
        for level in levels:
            err.print(f"[1/3] openline serve, {level} connections, {count} messages ...")
            post_many(port, "/api/v1/messages", created.token, min(count, 200), level)  # warm up
            openline[level] = post_many(port, "/api/v1/messages", created.token, count, level)
        for level in levels:
            notices = min(count, NOTIFICATIONS)
            err.print(f"[1/3] openline serve, {level} connections, {notices} notifications ...")
            path = "/api/v1/notifications"
            notified[level] = post_many(port, path, created.token, notices, level, bodies=bodies)
    _check_durable(created.directory, sum(min(count, 200) + count for _ in levels))
    _check_notified(created.directory, min(count, NOTIFICATIONS) * len(levels))
    echo_port = free_port()
    echo_argv = [*prefix, sys.executable, __file__, "--echo-server", str(echo_port)]
    echo: dict[int, Load] = {}
    with server(echo_argv, f"http://127.0.0.1:{echo_port}/", work / "echo.log"):
        for level in levels:
            err.print(f"[1/3] HTTP echo floor, {level} connections ...")
            post_many(echo_port, "/echo", "", min(count, 200), level)
            echo[level] = post_many(echo_port, "/echo", "", count, level)
    return openline, notified, echo


def notification_bodies(count: int) -> list[dict[str, Any]]:
    """Notifications spread over 100 km by 100 km and two days: air operations (squares of 2
    to 10 km) and protected sites (circles of 500 m to 2 km), so that some conflict (an
    operation over a protected site, whoever owns it) and each new one is checked against the
    ones before it."""
    start = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    bodies = []
    for k in range(count):
        lon, lat = 38.0 + (k * 0.618034) % 1.1, 35.0 + (k * 0.414214) % 0.9
        t0 = start + dt.timedelta(minutes=(k * 37) % 2880)
        when = {
            "altitude_lower_m": 0,
            "altitude_upper_m": 3000,
            "time_start": t0.isoformat().replace("+00:00", "Z"),
            "time_end": (t0 + dt.timedelta(hours=3)).isoformat().replace("+00:00", "Z"),
        }
        if k % 2:
            circle = {"lat": lat, "lon": lon, "radius_m": 500 + (k * 97) % 1500}
            bodies.append({"kind": "protected-site", "title": f"site {k}",
                           "volumes": [{"circle": circle, **when}]})  # fmt: skip
            continue
        size = 0.02 + (k % 9) * 0.01
        ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size]]
        geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        bodies.append({"kind": "air-operation", "title": f"operation {k}",
                       "volumes": [{"geometry": geometry, **when}]})  # fmt: skip
    return bodies


def _check_notified(directory: Path, accepted: int) -> None:
    node = Node.open(directory, environ={})
    try:
        stored = node.read(lambda c: c.execute(text("SELECT count(*) FROM notifications")).scalar())
    finally:
        node.close()
    if stored != accepted:
        raise RuntimeError(f"accepted {accepted} notifications, found {stored}")


def _check_durable(directory: Path, accepted: int) -> None:
    """After the server stopped: every accepted message is stored and the journal holds."""
    node = Node.open(directory, environ={})
    try:
        stored = node.read(lambda c: c.execute(text("SELECT count(*) FROM messages")).scalar())
        report = verify_journal(node)
    finally:
        node.close()
    if stored != accepted or not report.intact:
        raise RuntimeError(f"accepted {accepted} messages, found {stored}; journal {report}")


# -- 2 and 3. the journal ------------------------------------------------------------------


def build_journal(
    work: Path, entries: int, store: NodeSettings, threads: int = 32
) -> tuple[Path, Section]:
    """Send messages through the service layer (no HTTP) until the journal holds ``entries``:
    each message appends two entries, created and delivered, through the group-commit writer."""
    created = new_node(work / "journal-node", store)
    node = Node.open(created.directory, environ={})
    try:
        node.start()
        before, batches = node.read(count_entries), node.writer.batches
        messages = max(1, (entries - before) // 2)
        draft = free_text_draft([PARTY], "routine", TEXT, "en")
        err.print(f"[3/3] appending {2 * messages} journal entries through the writer ...")
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(lambda _i: send_message(node, draft, "bench"), range(messages)):
                pass
        seconds = time.perf_counter() - start
        commits = node.writer.batches - batches
        appended = node.read(count_entries) - before
    finally:
        node.close()
    section = Section("3. Journal append through the group-commit writer, durable")
    note = f"{threads} threads, {messages / commits:.1f} messages per commit on average"
    section.figures += [
        Figure("journal entries appended", appended / seconds, "entries/s"),
        Figure("messages stored (service layer, no HTTP)", messages / seconds, "msg/s", note=note),
    ]
    return created.directory, section


def journal_section(directory: Path, runs: int, store: NodeSettings) -> Section:
    section = Section(f"2. Journal verification (best of {runs} run{'s' * (runs > 1)} each)")
    bodies, signatures, public_key = _signed_bytes(directory)
    total = len(bodies)
    err.print(f"[2/3] floors over the same {total} entries ...")
    sha, floors = _verification_floors(bodies, signatures, public_key, runs)
    err.print(f"[2/3] verify_journal x{runs} and the CLI ...")
    in_process = max(_verify_rate(directory, total) for _ in range(runs))
    wall, started, startup = _cli_rates(directory, total, runs, store)
    section.figures += [
        Figure("(floor) SHA-256 of the signed bytes", sha, "entries/s"),
        *(Figure(f"(floor) {name}, PyNaCl", rate, "entries/s") for name, rate in floors.items()),
        Figure(
            "verify_journal (in process)",
            in_process,
            "entries/s",
            {**floors, "SHA-256": sha},
            f"{total:,} entries",
        ),
        Figure("openline journal verify DIR, wall", wall, "entries/s", floors),
        Figure(
            "openline journal verify DIR, once started",
            started,
            "entries/s",
            floors,
            f"start-up {startup:.2f} s, timed on a fresh node",
        ),
    ]
    met = "met" if min(in_process, started) >= JOURNAL_TARGET else "NOT met"
    section.verdicts.append(
        f"journal verification >= {JOURNAL_TARGET:,} entries/s: {met} (in process "
        f"{in_process:,.0f}/s; CLI {started:,.0f}/s once started, {wall:,.0f}/s wall)"
    )
    return section


def _verification_floors(
    bodies: list[bytes], signatures: list[bytes], public_key: bytes, runs: int
) -> tuple[float, dict[str, float]]:
    """SHA-256 and raw Ed25519 verify rates over the journal's own signed bytes."""
    total, key = len(bodies), nacl.signing.VerifyKey(public_key)
    sha = _best(runs, total, lambda: [hashlib.sha256(b).hexdigest() for b in bodies])
    one_core = _best(runs, total, lambda: _verify_all(key, bodies, signatures, 0, total))
    threaded = _best(runs, total, lambda: _verify_threaded(key, bodies, signatures))
    return sha, {"Ed25519 1 core": one_core, f"Ed25519 {VERIFY_THREADS} threads": threaded}


def _cli_rates(
    directory: Path, total: int, runs: int, store: NodeSettings
) -> tuple[float, float, float]:
    """`openline journal verify DIR`: entries/s by the wall clock, and once started (its fixed
    cost of interpreter, imports and opening the node is timed on a fresh node)."""
    fresh = new_node(directory.parent / "fresh-node", store)
    startup = min(_cli_verify(fresh.directory)[1] for _ in range(runs))
    verified, wall = min((_cli_verify(directory) for _ in range(runs)), key=lambda run: run[1])
    if verified != total:
        raise RuntimeError(f"openline journal verify counted {verified} entries, not {total}")
    return total / wall, total / (wall - startup), startup


def _signed_bytes(directory: Path) -> tuple[list[bytes], list[bytes], bytes]:
    """Every entry's signed bytes and signature, and the node's public key."""
    node = Node.open(directory, environ={})
    try:
        entries = node.read(lambda conn: list(iter_all_entries(conn)))
        public_key = base64.b64decode(node.key.public_key.to_base64())
        bodies = [signing_bytes(e.seq, e.at, e.kind, e.data, e.prev_hash) for e in entries]
        # Since checkpoints (issue 20) an entry carries no signature of its own: the floor is
        # what checking one per entry would cost, so each is signed here with the node's key.
        signatures = [
            base64.b64decode(e.sig) if e.sig else node.key.sign(b)
            for e, b in zip(entries, bodies, strict=True)
        ]
    finally:
        node.close()
    return bodies, signatures, public_key


def _best(runs: int, count: int, work: Callable[[], object]) -> float:
    """The best rate of ``runs`` runs: the one least disturbed by anything else running."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return count / min(seconds)


def _verify_all(
    key: nacl.signing.VerifyKey, bodies: list[bytes], sigs: list[bytes], lo: int, hi: int
) -> None:
    for i in range(lo, hi):
        key.verify(bodies[i], sigs[i])


def _verify_threaded(key: nacl.signing.VerifyKey, bodies: list[bytes], sigs: list[bytes]) -> None:
    step = 1024
    with ThreadPoolExecutor(VERIFY_THREADS) as pool:
        done = [
            pool.submit(_verify_all, key, bodies, sigs, lo, min(lo + step, len(bodies)))
            for lo in range(0, len(bodies), step)
        ]
        for future in done:
            future.result()


def _verify_rate(directory: Path, total: int) -> float:
    node = Node.open(directory, environ={})
    try:
        start = time.perf_counter()
        report = verify_journal(node)
        seconds = time.perf_counter() - start
    finally:
        node.close()
    if not report.intact or report.verified != total:
        raise RuntimeError(f"verify_journal: {report} (expected {total} entries intact)")
    return total / seconds


def _cli_verify(directory: Path) -> tuple[int, float]:
    """Run ``openline journal verify DIR``: the entries it verified and the wall time."""
    argv = [sys.executable, "-m", "openline", "journal", "verify", str(directory)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or "journal intact" not in done.stdout:
        raise RuntimeError(f"openline journal verify: {done.returncode} {done.stdout}{done.stderr}")
    return int(done.stdout.split(":")[1].split()[0]), seconds


# -- output --------------------------------------------------------------------------------


def report_one(name: str, facts: dict[str, str], section: Section) -> None:
    """A benchmark's report: its name, the machine's facts, its figures and verdicts."""
    print(f"Openline {name} benchmark (make bench)")
    for key, value in facts.items():
        print(f"  {key}: {value}")
    print_section(section)


def run(main: Callable[[list[str]], int]) -> None:
    """Run a benchmark's ``main`` on the command line; Ctrl-C ends it, its servers stopped."""
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        err.print("interrupted: every server this run started has been stopped")
        sys.exit(130)


def print_section(section: Section) -> None:
    table = Table(title=section.title, title_justify="left")
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_column("unit")
    table.add_column("ratio to floor")
    table.add_column("note")
    for f in section.figures:
        table.add_row(f.what, f.shown(), f.unit, f.ratios(), f.note)
    out.print(table)
    for verdict in section.verdicts:
        out.print(f"  {verdict}")


def markdown(section: Section) -> str:
    lines = [f"### {section.title}", "", "| what | figure | ratio to floor | note |"]
    lines.append("|---|---:|---|---|")
    for f in section.figures:
        lines.append(f"| {f.what} | {f.shown()} {f.unit} | {f.ratios()} | {f.note} |")
    return "\n".join([*lines, "", *(f"- {v}" for v in section.verdicts)]) + "\n"


# -- main ----------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per concurrency level")
    parser.add_argument(
        "--concurrency", default="1,8,32", help="connection counts, comma separated"
    )
    parser.add_argument("--entries", type=int, default=100_000, help="journal entries to verify")
    parser.add_argument(
        "--database", choices=DATABASES, default="sqlite", help="where the nodes keep their data"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each verification figure (best)"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to work (the disk under test)"
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    parser.add_argument(
        "--pin-server",
        action="store_true",
        help="run the HTTP servers on one core and the client on the others (diagnostic)",
    )
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.entries, args.runs = 300, 5_000, 1
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.echo_server:
        echo_server(args.echo_server)
        return 0
    # SIGTERM unwinds like Ctrl-C, so the servers started below are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    levels = [int(n) for n in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="openline-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        facts = machine_facts(work)
        started, machine, own = time.perf_counter(), machine_busy_seconds(), own_busy_seconds()
        with nodes_on(args.database) as store:
            facts["database"] = _database_fact(args.database, store)
            sections = [messages_section(work, args.messages, levels, args.pin_server, store)]
            journal_dir, append = build_journal(work, args.entries, store)
            sections += [journal_section(journal_dir, args.runs, store), append]
        wall = time.perf_counter() - started
        # What other processes took of the machine while the bench ran: on a shared machine
        # they lower every figure, and the report must say so.
        others = (machine_busy_seconds() - machine) - (own_busy_seconds() - own)
        share = max(0.0, others / (wall * len(os.sched_getaffinity(0))))
        facts["bench wall time"] = f"{wall:.0f} s"
        facts["CPU used by other processes during the run"] = f"{share:.0%} of the machine"
    report(facts, sections, share, args.markdown)
    return 0


def _database_fact(kind: str, store: NodeSettings) -> str:
    url = store("version").get("database_url")
    if not url:
        return "SQLite (the embedded default: one file per node, WAL, synchronous=FULL)"
    return f"PostgreSQL {server_version(url)}, throwaway cluster on 127.0.0.1, fsync on"


def report(
    facts: dict[str, str], sections: list[Section], others: float, as_markdown: bool
) -> None:
    out.print("[bold]Openline node benchmark[/bold] (make bench)")
    for key, value in facts.items():
        out.print(f"  {key}: {value}")
    env = {k: v for k, v in os.environ.items() if k.startswith("OPENLINE_")}
    if env:
        out.print(f"  settings from the environment: {env}")
    if others > 0.10:
        out.print("  [yellow]other processes were busy during the run: figures are low[/yellow]")
    for section in sections:
        print_section(section)
    if as_markdown:
        print()
        for section in sections:
            print(markdown(section))


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        err.print("interrupted: every server this run started has been stopped")
        sys.exit(130)
