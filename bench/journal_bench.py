"""Openline journal benchmark (`make bench`): the journal as a transparency log, each figure
beside its floor or target (docs/performance.md, "The journal as a transparency log").

1. Journal append through the group-commit writer, durable: THREADS threads each writing
   operations of 4 entries (as a message's does), against this checkout and against the commit
   before checkpoints (`--before`, taken with git archive and run in a child process with its
   source first on the path). Target: at least 2x the entries/s of before. Beside the rate,
   the CPU an entry of the whole process (the writer and the threads waiting on it) and of
   the writer thread alone (the kernel's count for it), which a loaded machine moves least.
2. `verify_journal` on a journal written by that same load (so with as many checkpoints as its
   commits): entries/s, best of 3, and the process's CPU an entry (best of 3), which a loaded
   machine moves least. Floor: SHA-256 of every entry's bytes twice (the chain's hash and the
   tree's leaf) and one tree node per entry, in this process. Target 200,000/s.
3. A proof of one entry built (`prove_entry`) and checked (`check_proof`) in a journal of
   10^6 entries: the mean and the 99th percentile of 300 entries drawn at random. Target 1 ms.

SQLite, in a temporary directory on the disk under test, fsync on. Speed is measured here
only, never in unit tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "d7307bc"  # the last commit before checkpoints (issue 20)
THREADS = 64  # enough writers that commits are large and the writer's CPU is what counts
ENTRIES_PER_OPERATION = 4
TEXT = "Convoy of 12 vehicles moving north on route TAMPA, 37S DV 12345 67890, 0600Z-0900Z."
APPEND_TARGET = 2.0
VERIFY_TARGET = 200_000
PROOF_TARGET_MS = 1.0


def new_node(directory: Path) -> Any:
    from openline.node.assembly import Node
    from openline.services.setup import init_node

    init_node(directory, {"party": "BLUE", "name": "bench", "lang": "en"})
    return Node.open(directory, environ={})


def append(
    node: Any, entries: int, threads: int = THREADS, per_operation: int = ENTRIES_PER_OPERATION
) -> float:
    """Write ``entries`` through the node's writer from ``threads`` threads, operations of
    ``per_operation`` entries each; the seconds it took, every write durable."""
    operations = entries // per_operation // threads

    def work(thread: int) -> None:
        for number in range(operations):

            def operation(uow: Any, number: int = number) -> None:
                for n in range(per_operation):
                    uow.record("bench.entry", {"thread": thread, "op": number, "n": n, "t": TEXT})

            node.write(operation)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - began


def append_rate(directory: Path, entries: int) -> dict[str, float]:
    """The append figure for the Openline first on the path (this checkout or ``--before``'s):
    the process's CPU (the writer and the 64 threads waiting on it) and the writer thread's."""
    node = new_node(directory)
    node.writer.start()
    try:
        writer = _writer_cpu_seconds()
        cpu = time.process_time()
        seconds = append(node, entries)
        cpu = time.process_time() - cpu
        writer = _writer_cpu_seconds() - writer
        batches = node.writer.batches
    finally:
        node.close()
    written = entries // ENTRIES_PER_OPERATION // THREADS * ENTRIES_PER_OPERATION * THREADS
    return {
        "entries": written,
        "seconds": seconds,
        "commits": batches,
        "cpu_seconds": cpu,
        "writer_cpu_seconds": writer,
    }


def _writer_cpu_seconds() -> float:
    """The CPU the writer thread has used (the kernel's count for it: the same for either
    commit's code, which names its thread alike)."""
    (writer,) = (t for t in threading.enumerate() if t.name == "openline-writer")
    fields = Path(f"/proc/self/task/{writer.native_id}/stat").read_text().rpartition(")")[2]
    user, system = fields.split()[11:13]  # utime and stime, fields 14 and 15 of stat(5)
    return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


def append_before(commit: str, work: Path, entries: int) -> dict[str, float]:
    """The append figure of ``commit``'s Openline, in a child process."""
    source = work / "before"
    archive = subprocess.run(
        ["git", "archive", commit, "src"],  # noqa: S607 - git from PATH, as make's
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(source, filter="data")
    environ = {**os.environ, "PYTHONPATH": str(source / "src")}
    child = subprocess.run(
        [sys.executable, __file__, "--append-only", str(work / "node-before"), str(entries)],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(child.stdout))


def verification(directory: Path, entries: int) -> dict[str, float]:
    """verify_journal on a journal written by the append load, best of 3; and the floor."""
    from openline.services.journal import verify_journal
    from openline.store.journal import iter_all_entries

    node = new_node(directory)
    node.writer.start()
    try:
        append(node, entries)
    finally:
        node.close()
    node = open_node(directory)
    try:
        runs, cpu = [], []
        for _ in range(3):
            began, began_cpu = time.perf_counter(), time.process_time()
            report = verify_journal(node)
            runs.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
            assert report.intact, report
        bodies = node.read(lambda conn: [e.body() for e in iter_all_entries(conn)])
    finally:
        node.close()
    began, began_cpu = time.perf_counter(), time.process_time()
    sha256 = hashlib.sha256
    for body in bodies:
        sha256(body).hexdigest()
        leaf = sha256(b"\x00" + body).digest()
        sha256(b"\x01" + leaf + leaf).digest()
    floor, floor_cpu = time.perf_counter() - began, time.process_time() - began_cpu
    return {
        "entries": report.verified,
        "checkpoints": report.checkpoints,
        "seconds": min(runs),
        "cpu_seconds": min(cpu),  # the process's: the walk and the threads' signature checks
        "floor_seconds": floor,
        "floor_cpu_seconds": floor_cpu,
    }


def open_node(directory: Path) -> Any:
    from openline.node.assembly import Node

    return Node.open(directory, environ={})


def proofs(directory: Path, entries: int, samples: int) -> dict[str, float]:
    """Proofs built and checked in a journal of ``entries`` entries."""
    from openline.domain.proofs import check_proof
    from openline.keys.signing import PublicKey
    from openline.services.journal import prove_entry
    from openline.store.journal import read_head

    node = new_node(directory)
    node.writer.start()
    try:
        append(node, entries, threads=1, per_operation=1000)  # the journal, not the load
    finally:
        node.close()
    node = open_node(directory)
    rng = random.Random(20)
    built, checked = [], []
    try:
        size = node.read(read_head)[0]
        for _ in range(samples):
            seq = rng.randint(1, size)
            began = time.perf_counter()
            proof = prove_entry(node, seq)
            built.append(time.perf_counter() - began)
            text = json.dumps(proof)
            began = time.perf_counter()
            report = check_proof(text, lambda raw: PublicKey(raw).verify)
            checked.append(time.perf_counter() - began)
            assert report.holds, report.problems
    finally:
        node.close()
    return {
        "entries": size,
        "ed25519_verify_ms": _ed25519_verify_ms(),
        "built_mean_ms": 1000 * statistics.mean(built),
        "built_p99_ms": 1000 * sorted(built)[int(0.99 * len(built))],
        "checked_mean_ms": 1000 * statistics.mean(checked),
        "checked_p99_ms": 1000 * sorted(checked)[int(0.99 * len(checked))],
    }


def _ed25519_verify_ms() -> float:
    """The floor beside a proof's check: one Ed25519 verification (a check makes two)."""
    from openline.keys.signing import SigningKey

    key = SigningKey.generate()
    message = b"x" * 200
    signature = key.sign(message)
    began = time.perf_counter()
    for _ in range(1000):
        key.public_key.verify(message, signature)
    return time.perf_counter() - began  # seconds for 1000 = milliseconds for one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default=BEFORE, help="The commit before checkpoints.")
    parser.add_argument("--append-entries", type=int, default=64_000)
    parser.add_argument("--verify-entries", type=int, default=200_000)
    parser.add_argument("--proof-entries", type=int, default=1_000_000)
    parser.add_argument("--proof-samples", type=int, default=300)
    parser.add_argument(
        "--append-only", nargs=2, metavar=("DIR", "ENTRIES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.append_only:  # the child measuring another commit's Openline
        print(json.dumps(append_rate(Path(args.append_only[0]), int(args.append_only[1]))))
        return
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory(prefix="openline-journal-bench-", dir=ROOT) as temporary:
        work = Path(temporary)
        before = append_before(args.before, work, args.append_entries)
        after = append_rate(work / "node-after", args.append_entries)
        verified = verification(work / "node-verify", args.verify_entries)
        proven = proofs(work / "node-proofs", args.proof_entries, args.proof_samples)
    report(args, before, after, verified, proven)


def _append_line(figures: dict[str, float]) -> str:
    entries = figures["entries"]
    return (
        f"{entries / figures['seconds']:,.0f} entries/s ({entries / figures['commits']:.1f} a "
        f"commit), {1e6 * figures['cpu_seconds'] / entries:.1f} µs of CPU an entry (the "
        f"writer thread's {1e6 * figures['writer_cpu_seconds'] / entries:.1f})"
    )


def report(
    args: argparse.Namespace,
    before: dict[str, float],
    after: dict[str, float],
    verified: dict[str, float],
    proven: dict[str, float],
) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, as make's
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    rate_before = before["entries"] / before["seconds"]
    rate_after = after["entries"] / after["seconds"]
    rate_verify = verified["entries"] / verified["seconds"]
    rate_floor = verified["entries"] / verified["floor_seconds"]
    print(
        f"Openline journal benchmark, commit {commit}, {platform.python_version()}, "
        f"{len(os.sched_getaffinity(0))} cores, SQLite under {ROOT}"
    )
    print(f"1. append, durable, {THREADS} threads, {ENTRIES_PER_OPERATION} entries an operation:")
    print(f"   before ({args.before}): {_append_line(before)}")
    print(
        f"   after: {_append_line(after)}: {rate_after / rate_before:.2f}x the rate (target "
        f"{APPEND_TARGET:.0f}x), {before['cpu_seconds'] / after['cpu_seconds']:.2f}x less CPU"
    )
    print(
        f"2. verify_journal, {verified['entries']:,.0f} entries, "
        f"{verified['checkpoints']:,.0f} checkpoints: {rate_verify:,.0f} entries/s "
        f"(target {VERIFY_TARGET:,}); floor, SHA-256 x3 an entry: {rate_floor:,.0f}/s "
        f"({rate_verify / rate_floor:.2f}x floor); CPU an entry "
        f"{1e6 * verified['cpu_seconds'] / verified['entries']:.2f} µs, the floor's "
        f"{1e6 * verified['floor_cpu_seconds'] / verified['entries']:.2f} µs"
    )
    print(
        f"3. proofs at {proven['entries']:,.0f} entries: built {proven['built_mean_ms']:.3f} ms"
        f" (p99 {proven['built_p99_ms']:.3f}), checked {proven['checked_mean_ms']:.3f} ms "
        f"(p99 {proven['checked_p99_ms']:.3f}); target {PROOF_TARGET_MS} ms each; floor, "
        f"one Ed25519 verification: {proven['ed25519_verify_ms']:.3f} ms"
    )


if __name__ == "__main__":
    main()
