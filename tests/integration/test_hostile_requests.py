"""Hostile requests against a linked BLUE and RED, each a real ``openline serve`` process: each is
answered with a clean 4xx (or taken) at a bounded cost, and a FLASH sent afterwards is still
delivered and acknowledged on the line (issue 23, items 4 to 6).

The hostile client connects from loopback addresses of its own (127.0.0.2 and up), so that its
floods are told apart from the nodes' own traffic, which comes from 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import socket
import stat
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.api import unverified
from openline.api.routes.federation import RATE_LIMITED
from openline.domain.strict_json import MAX_DEPTH
from openline.keys.signing import SigningKey
from openline.node.settings import Settings
from openline.store.database import SQLITE_FILE
from tests.support.backend import sqlite_only
from tests.support.hostile import ALIAS_BOMB, client_at, counted_refusals, nested, running_pair
from tests.support.nodes import make_node_dir
from tests.support.operator import assert_flash_gets_through, journal_of
from tests.support.ports import free_port
from tests.support.processes import (
    Pair,
    RunningNode,
    run_openline,
    start_node,
)
from tests.support.red import FEDERATION, Red
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    sqlite_only(
        "the HTTP edge (limits, parsing, headers, logs, the SQLite file's modes) does not "
        "depend on the database; a pair runs once"
    ),
]

RATE = 20  # federation requests a second, per address and per peer
BURST = 40
ENV = {
    "OPENLINE_FEDERATION_RATE_LIMIT": str(RATE),
    "OPENLINE_FEDERATION_RATE_BURST": str(BURST),
    "OPENLINE_LOG_LEVEL": "debug",  # with the access log: no token may reach it
}
HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
TOKEN = re.compile(r"olt_[A-Za-z0-9_-]{8,}")
MAX_REQUEST_BYTES = Settings.model_fields["max_request_bytes"].default


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with running_pair(tmp_path_factory.mktemp("hostile"), ENV) as started:
        yield started


def planner_token(node: RunningNode, name: str) -> str:
    made = run_openline("token", "create", node.directory, "--operator", name, "--role", "planner")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


def assert_refused(answer: httpx.Response, status: int, words: str) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert words in error["message"], error


def rss_kib(node: RunningNode) -> int:
    for line in Path(f"/proc/{node.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_yaml_alias_bomb_is_refused_at_once_while_the_node_keeps_answering(pair: Pair):
    token = planner_token(pair.blue, "plans-bomb")
    before = rss_kib(pair.blue)
    reads: list[int] = []

    def read_meanwhile() -> None:
        with pair.blue.client() as client:
            reads.append(client.get("/api/v1/node").status_code)

    with client_at(pair.blue, "127.0.0.2", headers={"Authorization": f"Bearer {token}"}) as client:
        started = time.monotonic()
        reader = threading.Thread(target=read_meanwhile)
        reader.start()
        answer = client.post("/api/v1/imports/f3548", content=ALIAS_BOMB.encode())
        took = time.monotonic() - started
        reader.join()
    grown = rss_kib(pair.blue) - before
    print(f"alias bomb: {answer.status_code} in {took:.2f} s, the node grew {grown} KiB")

    assert_refused(answer, 422, "found the alias *a: Openline reads YAML without aliases")
    assert took < 5  # was 80 to 98 s
    assert grown < 50 * 1024  # was 5 GB
    assert reads == [200]
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_an_import_the_size_of_the_slowest_request_is_refused_one_byte_over_it(pair: Pair):
    """An import costs in proportion to its file (docs/security.md#the-cost-of-one-request):
    what bounds the slowest request a planner can make is the request's size."""
    token = planner_token(pair.blue, "plans-size")
    over = b"x" * (MAX_REQUEST_BYTES + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(over), 65536):
            yield over[start : start + 65536]

    with client_at(pair.blue, "127.0.0.10", headers={"Authorization": f"Bearer {token}"}) as client:
        declared = client.post("/api/v1/imports/notam", content=over)
        streamed = client.post("/api/v1/imports/notam", content=chunks())
        at_limit = client.post("/api/v1/imports/notam", content=b" " * MAX_REQUEST_BYTES)

    for answer in (declared, streamed):
        assert_refused(answer, 413, f"over the limit of {MAX_REQUEST_BYTES} bytes")
    assert at_limit.status_code == 200, at_limit.text  # read whole: no NOTAM in it
    assert at_limit.json()["records"] == 0
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_a_request_line_too_long_for_the_http_parser_is_refused_in_the_one_error_shape(
    pair: Pair,
):
    port = int(pair.blue.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.11", 0)) as raw:
        raw.sendall(b"GET /api/v1/node?q=" + b"x" * 70_000 + b" HTTP/1.1\r\nHost: blue\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {
        "error": {
            "code": "malformed_request",
            "message": "the request cannot be read as HTTP: Invalid HTTP request received.",
        }
    }
    assert_flash_gets_through(pair.blue, pair.red, "RED")


TEXT, JSON = "text/plain", "application/json"


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status"),
    [
        (FEDERATION, nested(10_000), JSON, 422),
        (FEDERATION, b'{"envelopes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON, 422),
        ("/api/v1/imports/geojson", nested(10_000), TEXT, 422),
        ("/api/v1/imports/geojson", nested(10_000), JSON, 400),
        ("/api/v1/imports/ed269", nested(10_000), TEXT, 422),
        ("/api/v1/imports/f3548", nested(10_000), TEXT, 422),  # read as YAML: the same limit
        ("/api/v1/notifications", nested(10_000), JSON, 400),
        ("/api/v1/messages", nested(MAX_DEPTH + 1), JSON, 400),
    ],
    ids=[
        "federation-10000",
        "federation-100000",
        "geojson-file",
        "geojson-json",
        "ed269",
        "f3548",
        "notify",
        "send",
    ],
)
def test_json_nested_too_deep_is_refused_naming_the_limit(
    pair: Pair, path: str, body: bytes, content_type: str, status: int
):
    headers = {"Authorization": f"Bearer {pair.blue.token}", "Content-Type": content_type}
    with client_at(pair.blue, "127.0.0.3", headers=headers) as client:
        answer = client.post(path, content=body)

    assert_refused(answer, status, f"nested deeper than {MAX_DEPTH}")
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_a_batch_led_by_a_link_seq_of_4001_digits_is_refused_and_journaled(pair: Pair):
    red = Red(SigningKey.generate(), pair.blue, [])  # a forger: no key BLUE knows for RED
    huge = red.envelope(1).to_json() | {"link_seq": 10**4000}
    forgeries = [red.envelope(1, link_seq=n).to_json() for n in range(2, 1001)]
    refused_before = len(journal_of(pair.blue, "security.envelope_refused"))
    with client_at(pair.blue, "127.0.0.4") as client:
        answer = client.post(FEDERATION, json={"envelopes": [huge, *forgeries]})

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert len(results) == 1000
    assert all("refused" in result for result in results)
    assert results[0]["refused"]["code"] == "malformed"
    assert results[0]["link_seq"] == str(10**4000)[:64]
    assert len(journal_of(pair.blue, "security.envelope_refused")) == refused_before + 1
    reason = "federation: envelope refused, bad_signature"  # the others: counted
    wait_for(
        lambda: counted_refusals(pair.blue, "127.0.0.4") == {reason: 999},
        timeout=2 * unverified.PERIOD_S,
        what="the period's count",
    )
    assert_flash_gets_through(pair.blue, pair.red, "RED")


class Flood:
    """Threads posting ``body`` to BLUE's federation endpoint from ``source`` until told to stop;
    every status kept."""

    def __init__(self, node: RunningNode, source: str, body: dict[str, Any]) -> None:
        self.node, self.source, self.body = node, source, body
        self.statuses: Counter[int] = Counter()
        self.running = True
        self.threads = [threading.Thread(target=self._post) for _ in range(2)]

    def __enter__(self) -> Flood:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()

    def _post(self) -> None:
        with client_at(self.node, self.source) as client:
            while self.running:
                self.statuses[client.post(FEDERATION, json=self.body).status_code] += 1


def test_forgeries_claiming_to_be_red_never_spend_reds_rate_limit(pair: Pair):
    forger = Red(SigningKey.generate(), pair.blue, [])
    forged = {"envelopes": [forger.envelope(1).to_json()]}
    with Flood(pair.blue, "127.0.0.5", forged) as flood:
        deadline = time.monotonic() + 60
        while flood.statuses[429] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        # RED's real node sends while the flood of envelopes claiming to be RED goes on.
        assert_flash_gets_through(pair.red, pair.blue, "BLUE")
        assert_flash_gets_through(pair.blue, pair.red, "RED")
    print(f"forgeries claiming RED from 127.0.0.5: {dict(flood.statuses)}")

    assert flood.statuses[429] > 0
    assert not journal_of(pair.red, "line.delivery_refused"), "RED's envelopes were refused"
    limited = [e["data"] for e in journal_of(pair.blue, "security.federation_rate_limited")]
    assert all(entry["peer"] is None for entry in limited), "a forgery spent RED's budget"
    # The address's bursts of 429s are unverified refusals: journaled in full when one is the
    # first refusal of its period from 127.0.0.5, counted otherwise.
    in_full = {"peer": None, "client": "127.0.0.5", "limit_per_s": RATE, "burst": BURST}
    wait_for(
        lambda: in_full in limited or counted_refusals(pair.blue, "127.0.0.5")[RATE_LIMITED] > 0,
        timeout=2 * unverified.PERIOD_S,
        what="the address's burst of 429s journaled or counted",
    )


def test_the_answers_carry_the_security_headers(pair: Pair):
    auth = {"Authorization": f"Bearer {pair.blue.token}"}
    with client_at(pair.blue, "127.0.0.6") as client:
        answers = {
            "console": client.get("/"),
            "api": client.get("/api/v1/node", headers=auth),
            "federation": client.post(FEDERATION, json={"envelopes": []}),
            "docs": client.get("/docs"),
        }

    assert [a.status_code for a in answers.values()] == [200, 200, 422, 200]
    for name, answer in answers.items():
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy, name
        assert "connect-src 'self';" in policy, name
        assert "frame-ancestors 'none'" in policy, name
        assert "unsafe" not in policy, name
        assert {k: answer.headers[k] for k in HEADERS} == HEADERS, name
    assert "<script>" not in answers["docs"].text  # Swagger UI starts from a file
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_the_database_and_its_wal_are_the_nodes_users_alone(pair: Pair):
    assert_flash_gets_through(pair.blue, pair.red, "RED")  # written to, both of them

    for node in (pair.blue, pair.red):
        files = sorted(node.directory.glob(f"{SQLITE_FILE}*"))
        assert {f.name for f in files} >= {SQLITE_FILE, f"{SQLITE_FILE}-wal", f"{SQLITE_FILE}-shm"}
        for file in node.directory.iterdir():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_a_token_sent_in_the_query_is_refused_and_logged_by_no_line(pair: Pair):
    token = pair.blue.token
    with client_at(pair.blue, "127.0.0.7") as client:
        answer = client.get("/api/v1/node", params={"token": token})
        also = client.get(f"/api/v1/messages/{token}", params={"access_token": token})

    assert answer.status_code == 401
    assert also.status_code == 401
    assert_flash_gets_through(pair.blue, pair.red, "RED")
    assert "GET /api/v1/node?\u2026 HTTP/1.1" in pair.blue.log.read_text()  # on, and cut
    for node in (pair.blue, pair.red):
        log = node.log.read_text()
        assert token not in log
        assert not TOKEN.findall(log)


@pytest.fixture
def behind_a_proxy(tmp_path: Path) -> Iterator[RunningNode]:
    created = make_node_dir(tmp_path / "blue", port=free_port())
    node = start_node(created.directory, created.token, {"OPENLINE_TRUSTED_PROXIES": "127.0.0.8"})
    try:
        yield node
    finally:
        node.stop_surely()


def test_forwarded_for_is_believed_from_a_trusted_proxy_alone(
    pair: Pair, behind_a_proxy: RunningNode
):
    spoofed = {"X-Forwarded-For": "203.0.113.7", "Forwarded": "for=203.0.113.8"}
    for node, source in ((pair.blue, "127.0.0.1"), (behind_a_proxy, "127.0.0.9")):
        with client_at(node, source) as client:
            client.post(FEDERATION, content=b"not json", headers=spoofed)
    with client_at(behind_a_proxy, "127.0.0.8") as proxy:
        proxy.post(FEDERATION, content=b"not json", headers=spoofed)

    def clients(node: RunningNode) -> list[str]:
        return [e["data"]["client"] for e in journal_of(node, "security.federation_malformed")]

    assert "203.0.113.7" not in clients(pair.blue)
    assert clients(behind_a_proxy) == ["127.0.0.9", "203.0.113.7"]
    assert_flash_gets_through(pair.blue, pair.red, "RED")
