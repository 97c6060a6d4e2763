"""A hostile client against real nodes (issue 23): BLUE and RED to attack, a client from an
address of its own, what it sends (a YAML alias bomb, JSON nested too deep) and what the node
journals of it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.operator import journal_of
from tests.support.processes import Pair, RunningNode, start_pair, stop_pair

# 370 bytes that PyYAML's safe_load turns into 9**9 strings once walked (a "billion laughs").
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def nested(depth: int) -> bytes:
    """A JSON object holding an object ``depth`` deep."""
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def counted_refusals(node: RunningNode, client: str) -> Counter[str]:
    """The refusals of ``client``'s requests ``node`` journaled counted, not in full
    (``security.unauthenticated_counted``: API requests without a token, and federation requests
    no peer's key verified), by reason."""
    counted: Counter[str] = Counter()
    for entry in journal_of(node, "security.unauthenticated_counted"):
        if entry["data"]["client"] == client:
            counted.update(entry["data"]["reasons"])
    return counted


@contextmanager
def running_pair(directory: Path, env: dict[str, str]) -> Iterator[Pair]:
    """BLUE and RED, linked, started with the settings ``env``; stopped afterwards, when neither
    log may hold a traceback."""
    started = start_pair(directory, env)
    try:
        yield started
    finally:
        stop_pair(started)
    for node in (started.blue, started.red):
        assert "Traceback" not in node.log.read_text(), f"{node.directory.name} failed inside"


def client_at(node: RunningNode, address: str, **options: Any) -> httpx.Client:
    """A client of ``node`` whose requests come from the loopback address ``address``
    (127.x.y.z), as another host's would; ``options`` for ``httpx.Client`` (headers)."""
    transport = httpx.HTTPTransport(local_address=address, verify=node.verify)
    return httpx.Client(base_url=node.url, transport=transport, timeout=60, **options)
