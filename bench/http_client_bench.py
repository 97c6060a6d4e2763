"""The line's outbound http client: the CPU each POST costs the sender, httpx against aiohttp
(issue 25; docs/performance.md).

A batch of one envelope (a JSON body of about 700 bytes) posted over one keep-alive connection
to a local HTTP echo (``node_bench.py --echo-server``: uvicorn, the loop and parser of `openline
serve`), one post at a time, the answer read and parsed, on uvloop as in the node. Printed for
each client: microseconds of this thread's CPU (``time.thread_time``) a post, after a warm-up,
each client measured ``--rounds`` times in turn against the same echo. ``DirectCarrier`` is the
line's own post (``line/paths.py``) on its aiohttp session, as a sender posts a batch.

Speed is measured here only, never in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx
import uvloop

from node_bench import free_port, server
from openline.domain.paths import DirectPath
from openline.line.paths import DirectCarrier

# The echo sends the body back: its "results" make it an answer DirectCarrier takes.
BODY = json.dumps({"envelopes": [{"body": "a" * 680}], "results": []}).encode()
HEADERS = {"Content-Type": "application/json"}
Post = Callable[[], Awaitable[object]]


async def _per_post(post: Post, count: int, warmup: int) -> float:
    """Microseconds of this thread's CPU a call of ``post``, after ``warmup`` calls."""
    for _ in range(warmup):
        await post()
    started = time.thread_time()
    for _ in range(count):
        await post()
    return (time.thread_time() - started) / count * 1e6


async def with_httpx(url: str, count: int, warmup: int) -> float:
    async with httpx.AsyncClient() as client:

        async def post() -> object:
            return (await client.post(url, content=BODY, headers=HEADERS)).json()

        return await _per_post(post, count, warmup)


async def with_aiohttp(url: str, count: int, warmup: int) -> float:
    async with aiohttp.ClientSession() as session:

        async def post() -> object:
            async with session.post(url, data=BODY, headers=HEADERS) as answer:
                return json.loads(await answer.read())

        return await _per_post(post, count, warmup)


async def with_carrier(url: str, count: int, warmup: int) -> float:
    async with aiohttp.ClientSession() as session:
        carrier = DirectCarrier(DirectPath(url=url), "ECHO", lambda _: session, endpoint="")
        return await _per_post(lambda: carrier.post(BODY), count, warmup)


CLIENTS = {
    "httpx.AsyncClient": with_httpx,
    "aiohttp.ClientSession": with_aiohttp,
    "DirectCarrier (aiohttp)": with_carrier,
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=3000, help="posts measured a round")
    parser.add_argument("--warmup", type=int, default=200, help="posts before each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each client")
    args = parser.parse_args(argv)
    if min(args.posts, args.rounds) < 1 or args.warmup < 0:
        parser.error("--posts and --rounds must be at least 1, --warmup at least 0")
    port = free_port()
    echo = [sys.executable, str(Path(__file__).parent / "node_bench.py"), "--echo-server"]
    with tempfile.TemporaryDirectory(prefix="openline-bench-") as tmp:
        base = f"http://127.0.0.1:{port}/"
        with server([*echo, str(port)], base, Path(tmp) / "echo.log"):
            figures: dict[str, list[float]] = {name: [] for name in CLIENTS}
            counts = (args.posts, args.warmup)
            for _ in range(args.rounds):
                for name, measure in CLIENTS.items():
                    figures[name].append(uvloop.run(measure(base + "echo", *counts)))
    print(f"client CPU a POST of {len(BODY)} bytes, {args.posts} posts a round, one connection:")
    floor = min(figures["aiohttp.ClientSession"])
    for name, rounds in figures.items():
        each = ", ".join(f"{us:.0f}" for us in rounds)
        print(f"  {name:<24} {each:>14} µs   ({min(rounds) / floor:.1f}x aiohttp's)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
