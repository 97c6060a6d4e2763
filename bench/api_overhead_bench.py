"""The API's per-request cost on the hot routes, in process and in CPU time (issue 25).

BLUE's app (``create_app``) is driven straight through ASGI, no sockets: each request is one
``app(scope, receive, send)`` call on this event loop, one after the other. Printed for each
route: microseconds of the event loop thread's CPU (``time.thread_time``) a request, and of the
whole process's (``time.process_time``: the writer's thread too), beside the floor of the same
run, a bare ASGI app that answers a fixed JSON body.

- ``POST /api/v1/messages``, free text to BLUE itself, and to RED (linked; RED is not running,
  so its envelopes stay queued); and ``message-bare``, the first's own work without the
  framework around it (``bare_send``): what is left of a request without FastAPI;
- ``POST /federation/v1/envelopes``, one envelope a batch, sealed with RED's real key, as RED's
  sender posts them.

``--profile ROUTE`` runs cProfile over that route's requests and prints the top functions.
Speed is measured here only, never in tests. docs/performance.md, issue 25, has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openline.api.app import create_app
from openline.api.routes import messages
from openline.api.schemas import MessageCreate
from openline.domain.envelopes import Envelope, first_prev, seal
from openline.domain.messages import Message, Recipient
from openline.domain.precedence import Precedence
from openline.domain.strict_json import loads
from openline.domain.timeutil import parse_utc
from openline.keys.boxes import box_between
from openline.keys.signing import read_private_key
from openline.node.assembly import Node
from openline.services import messages as service
from openline.services.peers import link_directories
from openline.services.setup import NewNode, init_node

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
TEXT = "Convoy of 12 vehicles moving north on route TAMPA, 37S DV 12345 67890, 0600Z-0900Z."
ROUTES = ("echo", "message-own", "message-bare", "message-peer", "federation")


def make_nodes(root: Path) -> tuple[NewNode, NewNode]:
    blue = init_node(root / "blue", {"party": "BLUE", "name": "BLUE command", "lang": "en"})
    red = init_node(root / "red", {"party": "RED", "name": "RED command", "lang": "ru"})
    link_directories(blue.directory, red.directory)
    return blue, red


def red_envelopes(blue: NewNode, red: NewNode, count: int) -> list[bytes]:
    """``count`` batches of one envelope each, RED's link to BLUE from its first envelope."""
    red_key = read_private_key(red.directory / "node.key")
    blue_public = read_private_key(blue.directory / "node.key").public_key.to_base64()
    box = box_between(red_key, blue_public).seal
    created = parse_utc("2026-12-07T12:00:00Z")
    prev, batches = first_prev(), []
    for n in range(1, count + 1):
        message = Message(
            id=f"msg_red_{n}",
            sender="RED",
            precedence=Precedence.ROUTINE,
            template="free-text",
            fields={"text": f"{TEXT} {n}", "lang": "ru"},
            created_at=created,
            deadline=parse_utc("2026-12-07T13:00:00Z"),
            created_by="duty",
            recipients=(Recipient("BLUE"),),
        )
        envelope: Envelope = seal(
            envelope_id=f"env_red_{n}",
            sender="RED",
            to="BLUE",
            link_seq=n,
            prev=prev,
            sent_at="2026-12-07T12:00:00.000Z",
            kind="message",
            body=message.to_json(),
            sign=red_key.sign,
            box=box,
        )
        prev = envelope.hash
        batches.append(json.dumps({"envelopes": [envelope.to_json()]}).encode())
    return batches


def scope_of(path: str, body: bytes, token: str | None) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def request(app: ASGIApp, path: str, body: bytes, token: str | None) -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_of(path, body, token), receive, send)
    status = sent[0]["status"]
    return status, b"".join(m.get("body", b"") for m in sent[1:])


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The floor: a bare ASGI app that reads the body and answers a fixed JSON body."""
    await receive()
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b'{"id": "echo"}'})


def bare_send(node: Node, operator: str) -> ASGIApp:
    """The send route's own work with no framework around it (no middleware, routing,
    dependencies, token or role): the body read as strict JSON and validated, the message
    composed, committed and answered as the route does. The floor a plain ASGI handler for the
    route could approach; not a way to send (it checks no token)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = MessageCreate.model_validate(loads((await receive())["body"]))
        new = service.new_message(node, messages._draft(body), operator)
        message = await node.write_async(new.store)
        public = messages._public(node, message, new.rendering)
        location = f"/api/v1/messages/{message.id}".encode()
        headers = [(b"content-type", b"application/json"), (b"location", location)]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        answer = public.model_dump_json(by_alias=True).encode()
        await send({"type": "http.response.body", "body": answer})

    return app


class Lifespan:
    """The app's lifespan driven by hand: its startup, and its shutdown at the end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.inbox, self.said = app, asyncio.Queue[dict[str, Any]](), asyncio.Queue[str]()

    async def start(self) -> None:
        async def send(message: dict[str, Any]) -> None:
            await self.said.put(message["type"])

        self.task = asyncio.create_task(self.app({"type": "lifespan"}, self.inbox.get, send))
        await self.inbox.put({"type": "lifespan.startup"})
        said = await self.said.get()
        if said != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {said}")

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.task


@dataclass(frozen=True)
class Case:
    """One route's requests: whom they go to, where, with what, and the status expected."""

    app: ASGIApp
    path: str
    bodies: list[bytes]
    token: str | None
    expect: int


async def timed(name: str, case: Case, bodies: list[bytes]) -> tuple[float, float]:
    """Microseconds of the loop thread's and of the process's CPU a request."""
    thread, process = time.thread_time(), time.process_time()
    for body in bodies:
        status, answer = await request(case.app, case.path, body, case.token)
        if status != case.expect:
            raise RuntimeError(f"{name}: {status} {answer[:300]!r}")
    return (
        (time.thread_time() - thread) / len(bodies) * 1e6,
        (time.process_time() - process) / len(bodies) * 1e6,
    )


async def measure(root: Path, args: argparse.Namespace) -> None:
    count, rounds = args.requests, args.rounds
    blue, red = make_nodes(root)
    node = Node.open(blue.directory, environ={})
    app = create_app(node)
    lifespan = Lifespan(app)
    await lifespan.start()
    try:
        own = json.dumps({"to": ["BLUE"], "precedence": "routine", "text": TEXT, "lang": "en"})
        peer = json.dumps({"to": ["RED"], "precedence": "routine", "text": TEXT, "lang": "en"})
        warm = count // 10  # a first pass warms every path (imports, caches, the token)
        total = warm + (rounds + 1) * count  # the last count for --profile
        path = "/api/v1/messages"
        cases = {
            "echo": Case(echo, path, [own.encode()] * total, None, 201),
            "message-own": Case(app, path, [own.encode()] * total, blue.token, 201),
            "message-bare": Case(
                bare_send(node, blue.operator), path, [own.encode()] * total, None, 201
            ),
            "message-peer": Case(app, path, [peer.encode()] * total, blue.token, 201),
            "federation": Case(
                app, "/federation/v1/envelopes", red_envelopes(blue, red, total), None, 200
            ),
        }
        cases = {name: case for name, case in cases.items() if name in [ROUTES[0], *args.routes]}
        for name, case in cases.items():
            await timed(name, case, case.bodies[:warm])
        # Rounds taken in turn, each route's best kept: other work on the machine only adds.
        best: dict[str, tuple[float, float]] = {}
        for round_ in range(rounds):
            start = warm + round_ * count
            for name, case in cases.items():
                figures = await timed(name, case, case.bodies[start : start + count])
                best[name] = min(best.get(name, figures), figures)
        report(count, rounds, best)
        if args.profile:
            case = cases[args.profile]
            await profiled(args.profile, case, case.bodies[-count:], args.profile_out)
    finally:
        await lifespan.stop()


def report(count: int, rounds: int, best: dict[str, tuple[float, float]]) -> None:
    print(f"{count} requests a route a round, one at a time; the best of {rounds} rounds")
    print("CPU microseconds a request: of the event loop's thread, and of the whole process")
    print(f"{'route':<14} {'loop thread':>12} {'process':>10} {'x echo (loop)':>14}")
    floor = best[ROUTES[0]][0]
    for name, (loop_us, process_us) in best.items():
        print(f"{name:<14} {loop_us:>12.1f} {process_us:>10.1f} {loop_us / floor:>14.1f}")


async def profiled(name: str, case: Case, bodies: list[bytes], out: str | None) -> None:
    """cProfile over these requests, printed (and written to ``out``)."""
    profiler = cProfile.Profile()
    profiler.enable()
    await timed(name, case, bodies)
    profiler.disable()
    if out:
        profiler.dump_stats(out)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="a route a round (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--routes", nargs="+", choices=ROUTES[1:], default=ROUTES[1:], help="the routes timed"
    )
    parser.add_argument("--profile", choices=ROUTES[1:], help="cProfile this route's requests")
    parser.add_argument("--profile-out", metavar="FILE", help="also write the profile there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openline-api-bench-") as root:
        asyncio.run(measure(Path(root), args))


if __name__ == "__main__":
    main()
