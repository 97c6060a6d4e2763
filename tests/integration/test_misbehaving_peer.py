"""A peer that floods, sends what is too big, or sends slowly is refused and journaled, and the
node keeps serving its operators.

BLUE runs as a real process; the test plays RED, a linked peer holding RED's real signing key
(``Red`` of tests/support/red.py; forgeries, single replays, gaps and malformed envelopes are
covered in ``test_line_refusals.py``), and misbehaves over real HTTP and raw sockets.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.api import unverified
from openline.api.routes.federation import RATE_LIMITED, TOO_LARGE
from openline.keys.signing import SigningKey
from tests.support.hostile import counted_refusals
from tests.support.nodes import link, make_node_dir, silent_card
from tests.support.ports import free_port
from tests.support.processes import RunningNode, start_node
from tests.support.red import FEDERATION, Red
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

RATE = 20  # requests a second from one peer
BURST = 40
READ_TIMEOUT_S = 1.0
MAX_ENVELOPE_BYTES = 8192
MAX_FEDERATION_REQUEST = 4 * MAX_ENVELOPE_BYTES
FLOOD_S = 3.0
FLOODERS = 4
LONGEST_FLOOD_S = 60.0  # a slow machine floods slowly: a flood goes on until it is limited


@pytest.fixture
def red(tmp_path: Path) -> Iterator[Red]:
    key = SigningKey.generate()
    created = make_node_dir(tmp_path / "blue", port=free_port())
    link(created.directory, silent_card(key=key))
    env = {
        "OPENLINE_FEDERATION_RATE_LIMIT": str(RATE),
        "OPENLINE_FEDERATION_RATE_BURST": str(BURST),
        "OPENLINE_REQUEST_READ_TIMEOUT": str(READ_TIMEOUT_S),
        "OPENLINE_MAX_ENVELOPE_BYTES": str(MAX_ENVELOPE_BYTES),
    }
    blue = start_node(created.directory, created.token, env)
    try:
        yield Red(key, blue, [])
    finally:
        blue.stop()
    assert "Traceback" not in blue.log.read_text(), "the node failed inside"


def entries(node: RunningNode, kind: str | None = None) -> list[dict[str, Any]]:
    with node.client() as client:
        found = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    return [e for e in found if kind is None or e["kind"] == kind]


def rss_kib(node: RunningNode) -> int:
    """The node process's resident memory, from the kernel."""
    for line in Path(f"/proc/{node.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Flood:
    """``FLOODERS`` threads posting ``body`` to the federation endpoint as fast as BLUE
    answers, for ``seconds`` and on until BLUE has refused one as over the rate limit (at most
    LONGEST_FLOOD_S: how many requests a second a flood makes depends on the machine); every
    answer kept."""

    def __init__(self, node: RunningNode, body: dict[str, Any], seconds: float) -> None:
        self.node, self.body, self.seconds = node, body, seconds
        self.answers: list[httpx.Response] = []
        self._lock = threading.Lock()
        self._limited = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(FLOODERS)]

    def _run(self) -> None:
        began = time.monotonic()
        with httpx.Client(base_url=self.node.url, timeout=10) as client:
            while (elapsed := time.monotonic() - began) < LONGEST_FLOOD_S and (
                elapsed < self.seconds or not self._limited.is_set()
            ):
                answer = client.post(FEDERATION, json=self.body)
                if answer.status_code == 429:
                    self._limited.set()
                with self._lock:
                    self.answers.append(answer)

    def __enter__(self) -> Flood:
        self.began = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        for thread in self._threads:
            thread.join()
        self.elapsed = time.monotonic() - self.began

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def statuses(self) -> Counter[int]:
        return Counter(a.status_code for a in self.answers)


def test_a_flood_of_replays_gets_429s_is_journaled_once_and_operators_are_still_served(red: Red):
    first = red.deliver(1)
    replay = {"envelopes": [red.sealed[0].to_json()]}
    before = {kind: len(entries(red.blue, kind)) for kind in ("envelope.received",)}
    rss_before = rss_kib(red.blue)
    served: list[int] = []

    with Flood(red.blue, replay, FLOOD_S) as flood, red.blue.client() as operator:
        while flood.running():
            served.append(operator.get("/api/v1/messages").status_code)
            sent = {"to": ["RED"], "precedence": "routine", "text": "during", "lang": "en"}
            served.append(operator.post("/api/v1/messages", json=sent).status_code)
            time.sleep(0.1)

    rss_after = rss_kib(red.blue)
    statuses = flood.statuses()
    rate = len(flood.answers) / flood.elapsed
    print(
        f"flood: {len(flood.answers)} requests in {flood.elapsed:.1f} s ({rate:.0f}/s) "
        f"from {FLOODERS} connections, {dict(statuses)}; operator requests {Counter(served)}; "
        f"RSS {rss_before} KiB before, {rss_after} KiB after"
    )
    assert set(statuses) == {200, 429}
    # Taken: at most the burst and the rate over the flood's time (a second of slack).
    assert statuses[200] <= BURST + RATE * (flood.elapsed + 1)
    for answer in flood.answers:
        if answer.status_code == 200:
            assert answer.json()["results"] == [first], "a replay got another receipt"
        else:
            error = answer.json()["error"]
            assert error["code"] == "rate_limited"
            assert f"over the limit of {RATE} a second" in error["message"]
            assert int(answer.headers["Retry-After"]) >= 1
    assert served
    assert all(status in (200, 201) for status in served)
    assert len(entries(red.blue, "envelope.received")) == before["envelope.received"]
    limited = [e["data"] for e in entries(red.blue, "security.federation_rate_limited")]
    assert limited == [
        {"peer": "RED", "client": "127.0.0.1", "limit_per_s": RATE, "burst": BURST}
    ], "a flood is journaled once"
    assert rss_after - rss_before < 100 * 1024, "the flood grew the node's memory"

    # Once the flood is over, the peer is served again, and a second flood is a second burst.
    time.sleep(BURST / RATE + 0.5)
    red.deliver(2)
    with Flood(red.blue, replay, 1.0) as again:
        pass
    assert again.statuses()[429] > 0
    assert len(entries(red.blue, "security.federation_rate_limited")) == 2


def test_a_flood_of_forgeries_is_rate_limited_before_it_reaches_the_journal(red: Red):
    forged = red.envelope(1, key=SigningKey.generate()).to_json()
    with Flood(red.blue, {"envelopes": [forged] * 10}, 2.0) as flood:
        pass
    statuses = flood.statuses()
    assert statuses[429] > 0
    # Unverified, so journaled per address and period whatever the rate: the first refusal in
    # full (two if the flood spanned two periods), the others counted as each period ends.
    refused = entries(red.blue, "security.envelope_refused")
    assert 1 <= len(refused) <= 2, refused
    reason = "federation: envelope refused, bad_signature"
    counted = 10 * statuses[200] - len(refused)
    wait_for(
        lambda: counted_refusals(red.blue, "127.0.0.1")[reason] == counted,
        timeout=2 * unverified.PERIOD_S,
        what="the period's count",
    )
    # Its bursts of 429s are unverified refusals of the address too: counted with them.
    assert set(counted_refusals(red.blue, "127.0.0.1")) <= {reason, RATE_LIMITED}
    assert entries(red.blue, "security.envelopes_refused") == []
    print(f"forgery flood: {dict(statuses)}, {len(entries(red.blue))} entries in the journal")
    assert len(entries(red.blue, "security.federation_rate_limited")) <= 1


def test_a_request_over_the_size_limit_is_refused_and_journaled_whether_declared_or_not(
    red: Red,
):
    huge = b'{"envelopes": ["' + b"x" * MAX_FEDERATION_REQUEST + b'"]}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(huge), 4096):
            yield huge[start : start + 4096]

    with httpx.Client(base_url=red.blue.url, timeout=10) as client:
        declared = client.post(FEDERATION, content=huge)  # Content-Length: refused unread
        streamed = client.post(FEDERATION, content=chunks())  # chunked: refused as it comes
    for answer in (declared, streamed):
        assert answer.status_code == 413
        error = answer.json()["error"]
        assert error["code"] == "too_large"
        assert f"over the limit of {MAX_FEDERATION_REQUEST} bytes" in error["message"]
    journaled = [e["data"] for e in entries(red.blue, "security.federation_too_large")]
    reason = f"the request body is over the limit of {MAX_FEDERATION_REQUEST} bytes"
    # The first of the address's period in full, the second counted as the period ends.
    assert journaled[0] == {"reason": reason, "client": "127.0.0.1"}
    wait_for(
        lambda: len(journaled) + counted_refusals(red.blue, "127.0.0.1")[TOO_LARGE] == 2,
        timeout=2 * unverified.PERIOD_S,
        what="the period's count",
    )


def test_a_batch_of_more_envelopes_than_allowed_is_refused_whole_and_journaled(red: Red):
    with httpx.Client(base_url=red.blue.url, timeout=10) as client:
        answer = client.post(FEDERATION, json={"envelopes": [{"v": 1}] * 2001})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "envelopes"
    (event,) = [e["data"] for e in entries(red.blue, "security.federation_malformed")]
    assert event["reason"] == "2001 envelopes in one batch, over the limit of 2000"
    assert entries(red.blue, "security.envelope_refused") == [], "nothing of it was opened"


def slow_client(node: RunningNode, request: bytes, closed: list[float], began: float) -> None:
    """Send ``request`` a byte every 0.1 s until BLUE closes the connection; note when."""
    port = int(node.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.settimeout(0.1)
        for byte in request:
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1024) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        else:
            return  # sent it all, never closed
    closed.append(time.monotonic() - began)


def test_slow_clients_are_disconnected_and_the_node_keeps_serving_its_operators(red: Red):
    head = b"POST /federation/v1/envelopes HTTP/1.1\r\nHost: blue\r\n"
    slow_headers = head + b"X-Padding: " + b"x" * 200 + b"\r\n\r\n"
    slow_body = head + b"Content-Length: 200\r\n\r\n" + b"{" * 200
    silent = b""  # connects and sends nothing
    closed: list[float] = []
    began = time.monotonic()
    clients = [
        threading.Thread(target=slow_client, args=(red.blue, request, closed, began))
        for request in [slow_headers, slow_body] * 10
    ]
    port = int(red.blue.url.rsplit(":", 1)[1])
    silent_sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
    for client in clients:
        client.start()

    with red.blue.client() as operator:  # while twenty slow clients and ten silent ones wait
        assert operator.get("/api/v1/node").status_code == 200
    for client in clients:
        client.join(timeout=30)

    assert len(closed) == len(clients), "a slow client was never disconnected"
    for sock in silent_sockets:
        sock.settimeout(10)
        assert sock.recv(1) == silent, "a silent connection was never closed"
        sock.close()
    print(f"slow clients disconnected after {min(closed):.1f} to {max(closed):.1f} s")
    red.deliver(1)  # the line still works
