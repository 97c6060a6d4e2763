"""Requests without a valid operator token: journaled per address and period (the first in full,
the rest counted), and unknown tokens throttled per address, on an injected clock.

The throttle is OperatorAuth itself, in front of a stand-in route, on a real node (its journal
in SQLite); requests come as ASGI calls, so each can come from any address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from openline.api import auth, unverified
from openline.api.auth import OperatorAuth
from openline.api.limits import OTHER_CLIENTS, Counted, RefusalTally
from openline.node.assembly import Node
from openline.services.setup import NewNode
from openline.store.journal import iter_all_entries


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_first_refusal_of_each_client_in_a_period_is_journaled_and_the_rest_counted():
    clock = Clock()
    tally = RefusalTally(10, max_clients=4, clock=clock)
    assert [tally.note("10.0.0.1", "no token") for _ in range(3)] == [True, False, False]
    assert tally.note("10.0.0.2", "no token")
    tally.note("10.0.0.1", "unknown token")
    assert tally.due() == []  # the period is not over
    assert tally.seconds_to_due() == 10.0

    clock.now += 10
    assert tally.due() == [Counted("10.0.0.1", {"no token": 2, "unknown token": 1})]
    assert tally.seconds_to_due() is None
    assert tally.note("10.0.0.1", "no token")  # a new period: in full again


def test_clients_beyond_the_first_of_a_period_are_counted_together():
    clock = Clock()
    tally = RefusalTally(10, max_clients=2, clock=clock)
    in_full = [tally.note(f"10.0.0.{n}", "no token") for n in range(5)]
    assert in_full == [True, True, False, False, False]
    clock.now += 10
    assert tally.due() == [Counted(OTHER_CLIENTS, {"no token": 3})]


def test_closing_the_tally_gives_the_current_periods_counts_too():
    clock = Clock()
    tally = RefusalTally(10, max_clients=4, clock=clock)
    for _ in range(3):
        tally.note("10.0.0.1", "no token")
    assert tally.close() == [Counted("10.0.0.1", {"no token": 2})]
    assert tally.seconds_to_due() is None


@pytest.mark.parametrize(("clients", "refusals"), [(1, 10_000), (100, 100), (10_000, 1)])
def test_a_period_adds_at_most_two_entries_a_client_and_one_for_the_others(
    clients: int, refusals: int
):
    clock = Clock()
    tally = RefusalTally(10, max_clients=8, clock=clock)
    in_full = sum(
        tally.note(f"10.0.{n // 256}.{n % 256}", "no token")
        for n in range(clients)
        for _ in range(refusals)
    )
    clock.now += 10
    counted = tally.due()
    assert in_full + len(counted) <= 2 * 8 + 1
    assert in_full + sum(sum(c.reasons.values()) for c in counted) == clients * refusals


# -- the throttle, in OperatorAuth ----------------------------------------------------------


class Answered:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""


async def stand_in_route(_scope: Scope, _receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def call(guard: OperatorAuth, client: str, token: str | None) -> Answered:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/node",
        "headers": headers,
        "client": (client, 50000),
        "query_string": b"",
    }
    answered = Answered()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answered.status = message["status"]
            answered.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answered.body += message.get("body", b"")

    await guard(scope, receive, send)
    return answered


@pytest.fixture
def node(node_dir: NewNode) -> Iterator[Node]:
    opened = Node.open(node_dir.directory, environ={})
    opened.start()
    try:
        yield opened
    finally:
        opened.stop()


def journaled(node: Node, kind: str) -> list[dict[str, Any]]:
    entries = node.read(lambda conn: list(iter_all_entries(conn)))
    return [json.loads(e.data) for e in entries if e.kind == kind]


def test_unknown_tokens_from_one_address_get_429_after_the_burst(node: Node):
    clock = Clock()
    guard = OperatorAuth(stand_in_route, node, clock=clock)

    async def scenario() -> list[Answered]:
        guesses = [f"olt_guess{n}" for n in range(auth.BAD_TOKEN_BURST + 3)]
        return [await call(guard, "10.0.0.1", guess) for guess in guesses]

    answers = asyncio.run(scenario())

    assert [a.status for a in answers] == [401] * auth.BAD_TOKEN_BURST + [429] * 3
    throttled = json.loads(answers[-1].body)
    assert throttled["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["retry-after"]) >= 1


def test_a_throttled_address_takes_a_try_again_at_the_rate(node: Node):
    clock = Clock()
    guard = OperatorAuth(stand_in_route, node, clock=clock)

    async def scenario() -> list[int]:
        for n in range(auth.BAD_TOKEN_BURST + 1):
            await call(guard, "10.0.0.1", f"olt_guess{n}")
        clock.now += 1 / auth.BAD_TOKEN_RATE
        return [(await call(guard, "10.0.0.1", "olt_again")).status for _ in range(2)]

    assert asyncio.run(scenario()) == [401, 429]


def test_an_operator_is_not_throttled_by_unknown_tokens_from_elsewhere_or_alongside(
    node: Node, node_dir: NewNode
):
    clock = Clock()
    guard = OperatorAuth(stand_in_route, node, clock=clock)

    async def scenario() -> list[int]:
        at_work = await call(guard, "10.0.0.1", node_dir.token)  # recognised from now on
        for n in range(auth.BAD_TOKEN_BURST + 5):
            await call(guard, "10.0.0.1", f"olt_guess{n}")
        return [
            at_work.status,
            (await call(guard, "10.0.0.1", node_dir.token)).status,  # the same address
            (await call(guard, "10.0.0.2", node_dir.token)).status,  # another address
            (await call(guard, "10.0.0.2", "olt_guess")).status,
            (await call(guard, "10.0.0.1", "olt_guess")).status,
        ]

    assert asyncio.run(scenario()) == [200, 200, 200, 401, 429]


def test_a_flood_without_tokens_is_journaled_once_and_counted(node: Node):
    clock = Clock()
    guard = OperatorAuth(stand_in_route, node, clock=clock)

    async def scenario() -> None:
        for _ in range(50):
            await call(guard, "10.0.0.1", None)
        for n in range(auth.BAD_TOKEN_BURST + 5):
            await call(guard, "10.0.0.1", f"olt_guess{n}")
        clock.now += unverified.PERIOD_S
        await guard.unverified.summarise_due()  # what its summariser does as the period ends

    asyncio.run(scenario())

    (in_full,) = journaled(node, "security.unauthenticated")
    assert in_full == {
        "reason": "no operator token",
        "method": "GET",
        "path": "/api/v1/node",
        "client": "10.0.0.1",
    }
    (counted,) = journaled(node, "security.unauthenticated_counted")
    assert counted == {
        "client": "10.0.0.1",
        "count": 49 + auth.BAD_TOKEN_BURST + 5,
        "reasons": {
            "no operator token": 49,
            "too many unknown operator tokens from this address": 5,
            "unknown operator token": auth.BAD_TOKEN_BURST,
        },
        "period_s": unverified.PERIOD_S,
    }


def test_the_counts_are_journaled_as_the_node_shuts_down_before_their_period_ends(node: Node):
    clock = Clock()
    heard: list[str] = []

    async def lifespan(_scope: Scope, receive: Receive, _send: Send) -> None:
        heard.append((await receive())["type"])  # the app then stops the node's writer

    guard = OperatorAuth(lifespan, node, clock=clock)

    async def scenario() -> None:
        for _ in range(5):
            await call(guard, "10.0.0.1", None)

        async def shutdown() -> dict[str, Any]:
            return {"type": "lifespan.shutdown"}

        async def no_send(_message: dict[str, Any]) -> None:
            pass

        await guard({"type": "lifespan"}, shutdown, no_send)

    asyncio.run(scenario())

    assert heard == ["lifespan.shutdown"]
    (counted,) = journaled(node, "security.unauthenticated_counted")
    assert counted["count"] == 4
