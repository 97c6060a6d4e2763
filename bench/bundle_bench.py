"""Openline courier bundle benchmark (`make bench`): 10,000 envelopes carried by hand.

BLUE and RED, linked on 127.0.0.1, never running at the same time (no network between them):
BLUE takes the messages through its API and queues them for RED; its bundle for RED is
written through the API (`GET /api/v1/bundles/RED`, as the console and `openline bundle
export` ask for it); BLUE stops, RED starts and imports it (`POST /api/v1/bundles`: every
envelope checked, applied and receipted, durable, and the reply written). The two times
together are the figure (target: 10 s), as the officer waits for them. Then BLUE imports the
reply, and every message must show delivered. `--database postgresql` puts both nodes on a
throwaway PostgreSQL 15 cluster (bench/backends.py). docs/performance.md keeps the figures.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from backends import DATABASES, nodes_on
from line_bench import _database_fact, make_nodes, running
from node_bench import (
    Figure,
    Section,
    err,
    machine_busy_seconds,
    machine_facts,
    own_busy_seconds,
    post_many,
    report_one,
    run,
)

TARGET_S = 10.0
MESSAGE = {"to": ["RED"], "precedence": "routine", "text": "carried by hand", "lang": "en"}
MEDIA_TYPE = "application/vnd.openline.bundle"


def client(node: dict[str, Any]) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{node['port']}",
        headers={"Authorization": f"Bearer {node['token']}"},
        timeout=600,
    )


def export(blue: dict[str, Any]) -> tuple[bytes, int, float]:
    """BLUE's bundle for RED, how many envelopes it holds, and the seconds it took."""
    with client(blue) as http:
        start = time.perf_counter()
        response = http.get("/api/v1/bundles/RED")
        took = time.perf_counter() - start
    response.raise_for_status()
    return response.content, int(response.headers["X-Openline-Envelopes"]), took


def import_(node: dict[str, Any], data: bytes) -> tuple[dict[str, Any], float]:
    with client(node) as http:
        start = time.perf_counter()
        response = http.post("/api/v1/bundles", content=data, headers={"Content-Type": MEDIA_TYPE})
        took = time.perf_counter() - start
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer, took


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envelopes", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--dir", default=None, help="Where the nodes' files go (default: /tmp).")
    parser.add_argument(
        "--database", choices=DATABASES, default="sqlite", help="where the nodes keep their data"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="openline-bundle-bench-", dir=args.dir) as tmp:
        work = Path(tmp)
        facts = machine_facts(work)
        with nodes_on(args.database) as store:
            facts["database"] = _database_fact(store)
            made = make_nodes(work, store)
            blue, red = made["BLUE"], made["RED"]
            with running(blue, work):
                err.print(f"[bundle 1/3] {args.envelopes} messages queued on BLUE for RED ...")
                post_many(
                    blue["port"], "/api/v1/messages", blue["token"], args.envelopes,
                    args.concurrency, message=MESSAGE,
                )  # fmt: skip
                err.print("[bundle 2/3] BLUE's bundle for RED ...")
                data, carried, export_s = export(blue)
            cpu, machine = own_busy_seconds(), machine_busy_seconds()
            with running(red, work):
                err.print(f"[bundle 3/3] RED imports {carried} envelopes ...")
                answer, import_s = import_(red, data)
            # RED's process is this one's child: its CPU is counted once it has ended.
            cpu, machine = own_busy_seconds() - cpu, machine_busy_seconds() - machine
            reply = answer["reply"]["text"].encode("utf-8")
            with running(blue, work):
                back, reply_s = import_(blue, reply)
    applied = answer["envelopes"]["applied"]
    if applied != carried or back["receipts"]["stored"] < args.envelopes:
        err.print(f"FAILED: {applied} of {carried} applied, {back['receipts']} receipts back")
        return 1
    total = export_s + import_s
    section = Section(f"Courier bundle of {carried} envelopes ({args.database})")
    section.figures += [
        Figure("export: GET /api/v1/bundles/RED on BLUE", export_s, "s"),
        Figure("import: POST /api/v1/bundles on RED, reply written", import_s, "s"),
        Figure("export and import together", total, "s"),
        Figure(
            "CPU of RED's process (start, import, stop) and of the client",
            cpu,
            "s",
            {},
            f"other processes meanwhile: {max(machine - cpu, 0):.1f} CPU s",
        ),
        Figure("bundle size", len(data) / 1_048_576, "MiB"),
        Figure(f"the reply ({back['receipts']['stored']} receipts) imported on BLUE", reply_s, "s"),
    ]
    section.verdicts.append(
        f"exported and imported in {total:.1f} s (target <= {TARGET_S:.0f} s): "
        + ("met" if total <= TARGET_S else "NOT met")
    )
    report_one("courier bundle", facts, section)
    return 0


if __name__ == "__main__":
    run(main)
