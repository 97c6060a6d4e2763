"""Nothing unauthenticated floods the journal: what each source can add is bounded, and within
the bounds docs/security.md states ("Journal growth from each source").

BLUE and RED run as real, linked processes; the test attacks BLUE over real HTTP and raw
sockets, each source from an address of its own on the loopback network (127.0.x.y), as
different hosts would, so that each is limited and journaled apart from the others and from
RED's own line. Each test ends with a FLASH through the link.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from openline.api import auth, unverified
from openline.api.routes import federation
from openline.keys.signing import SigningKey
from tests.support.backend import sqlite_only
from tests.support.hostile import client_at, counted_refusals, running_pair
from tests.support.operator import assert_flash_gets_through
from tests.support.processes import Pair, RunningNode
from tests.support.red import FEDERATION, Red
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    sqlite_only(
        "what bounds the journal's growth is the HTTP edge's, not the database's; a pair runs once"
    ),
]

RATE = 10  # federation requests a second from one address (federation_rate_limit)
BURST = 10  # federation_rate_burst
HUGE = "a" * 7_000_000
# The largest entry of each kind, in bytes of its JSON as the journal API gives it: the
# table "Journal growth from each source" in docs/security.md.
MOST_BYTES = {
    "security.unauthenticated": 1_600,
    "security.unauthenticated_counted": 1_000,
    "security.federation_malformed": 1_500,
    "security.federation_too_large": 500,
    "security.federation_rate_limited": 500,
    "security.envelope_refused": 3_500,
    "security.envelopes_refused": 800,
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    env = {
        "OPENLINE_LINE_CHECK_INTERVAL": "1",
        "OPENLINE_FEDERATION_RATE_LIMIT": str(RATE),
        "OPENLINE_FEDERATION_RATE_BURST": str(BURST),
    }
    with running_pair(tmp_path_factory.mktemp("growth"), env) as running:
        yield running


def head(node: RunningNode) -> int:
    with node.client() as client:
        seq: int = client.get("/api/v1/node").json()["journal"]["seq"]
    return seq


def security_entries(node: RunningNode, after: int, client: str) -> list[dict[str, Any]]:
    """The security entries journaled after ``after`` about requests from ``client``."""
    with node.client() as client_:
        params = {"after": after, "kind": "security.", "limit": 5000}
        entries: list[dict[str, Any]] = client_.get("/api/v1/journal", params=params).json()[
            "entries"
        ]
    return [e for e in entries if e["data"].get("client") == client]


def size(entry: dict[str, Any]) -> int:
    return len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode())


def assert_each_within_its_size(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        assert size(entry) <= MOST_BYTES[entry["kind"]], (entry["kind"], size(entry))


def envelope_with(blue: RunningNode, member: str, value: str = HUGE) -> dict[str, Any]:
    """An envelope to BLUE, as RED (or a forger) would send it, whose ``member`` is ``value``
    (or, for "a member name", which has an extra member named ``value``)."""
    envelope = Red(SigningKey.generate(), blue, []).envelope(1).to_json()
    if member == "a member name":
        envelope[value] = 1
    else:
        envelope[member] = value
    return envelope


@pytest.mark.parametrize(
    ("member", "address"),  # an address each: a second refusal in its period would be counted
    [
        ("id", "127.0.1.11"),
        ("kind", "127.0.1.12"),
        ("link_seq", "127.0.1.13"),
        ("a member name", "127.0.1.14"),
    ],
)
def test_an_envelope_holding_a_huge_value_makes_a_short_journal_entry(
    pair: Pair, member: str, address: str
):
    before = head(pair.blue)
    with client_at(pair.blue, address) as client:
        answer = client.post(FEDERATION, json={"envelopes": [envelope_with(pair.blue, member)]})

    assert answer.status_code == 200, answer.text[:500]
    (result,) = answer.json()["results"]
    assert result["refused"]["code"] == "malformed"
    assert len(answer.content) < 2_000
    (entry,) = security_entries(pair.blue, before, address)
    assert entry["kind"] == "security.envelope_refused"
    assert "(7000000 characters, sha256 " in entry["data"]["reason"]
    assert_each_within_its_size([entry])
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")


def test_a_60000_character_path_without_a_token_makes_one_short_entry(pair: Pair):
    address = "127.0.1.2"
    path = "/api/v1/" + "a" * 60_000
    before = head(pair.blue)
    with client_at(pair.blue, address) as client:
        answers = [client.request(method, path) for method in ["GET", "OPTIONS"] * 10]

    assert {a.status_code for a in answers} == {401}
    entries = security_entries(pair.blue, before, address)
    in_full = [e for e in entries if e["kind"] == "security.unauthenticated"]
    # One; two if a period of the tally ended meanwhile, its count then journaled too.
    assert 1 <= len(in_full) <= 2, entries
    assert len(entries) <= 3, entries
    digest = hashlib.sha256(path.encode()).hexdigest()[:16]
    assert in_full[0]["data"]["path"].endswith(f"' (60008 characters, sha256 {digest})")
    assert_each_within_its_size(entries)
    assert_flash_gets_through(pair.blue, pair.red, "RED")


@pytest.mark.parametrize("member", ["precedence", "a member name"])
def test_a_422_names_a_huge_value_short(pair: Pair, member: str):
    huge = "a" * 1_000_000  # within the request size limit of 1 MiB
    body: dict[str, Any] = {"to": ["RED"], "precedence": "flash", "text": "x", "lang": "en"}
    if member == "a member name":
        body[huge] = 1
    else:
        body[member] = huge
    with pair.blue.client() as client:
        answer = client.post("/api/v1/messages", json=body)

    assert answer.status_code == 422, answer.text[:500]
    assert len(answer.content) < 1_000
    assert "(1000000 characters, sha256 " in answer.json()["error"]["message"]
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def test_500_unknown_tokens_get_429_after_the_limit(pair: Pair):
    address = "127.0.1.3"
    before = head(pair.blue)
    started = time.monotonic()
    with client_at(pair.blue, address) as client:
        answers = [
            client.get("/api/v1/node", headers={"Authorization": f"Bearer olt_guess{n}"})
            for n in range(500)
        ]
    elapsed = time.monotonic() - started

    statuses = [a.status_code for a in answers]
    assert statuses[: auth.BAD_TOKEN_BURST] == [401] * auth.BAD_TOKEN_BURST
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= auth.BAD_TOKEN_BURST + math.ceil(elapsed * auth.BAD_TOKEN_RATE)
    for answer in answers:
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1
            assert answer.json()["error"]["code"] == "rate_limited"
    entries = security_entries(pair.blue, before, address)
    assert len(entries) <= within_window(elapsed), entries
    assert_each_within_its_size(entries)
    assert_flash_gets_through(pair.blue, pair.red, "RED")


def within_window(seconds: float) -> int:
    """The most entries one address's requests that nothing verified (API requests without a
    token, federation requests no peer's key verified) make in ``seconds``: two (one in full,
    one count) for each period of the tally the time touches."""
    return 2 * (math.ceil(seconds / unverified.PERIOD_S) + 1)


# -- every source at once, at its limit, for 10 s ----------------------------------------------

RUN_S = 10.0


Send = Callable[[httpx.Client], int]


@dataclass
class Source:
    """One unauthenticated source: ``send`` once with a client at ``address``, ``per_s`` times
    a second (as fast as it goes if None), for RUN_S; its answers' statuses kept."""

    name: str
    address: str
    send: Send
    per_s: float | None
    statuses: list[int] = field(default_factory=list)

    def run(self, node: RunningNode) -> None:
        with client_at(node, self.address) as client:
            started = time.monotonic()
            while (now := time.monotonic()) - started < RUN_S:
                due = started + len(self.statuses) / self.per_s if self.per_s else now
                if now < due:
                    time.sleep(due - now)
                else:
                    self.statuses.append(self.send(client))


def posting(body: bytes) -> Send:
    headers = {"Content-Type": "application/json"}
    return lambda client: client.post(FEDERATION, content=body, headers=headers).status_code


def getting(path: str, token: str | None) -> Send:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return lambda client: client.get(path, headers=headers).status_code


def declaring_too_much(node: RunningNode, address: str) -> Send:
    """A request declaring a body over the federation limit, refused (413) on its headers: over
    a socket of its own (a client of HTTP sends no less than it declares)."""
    url = httpx.URL(node.url)
    request = (
        f"POST {FEDERATION} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
        "Content-Length: 900000000\r\n\r\n"
    ).encode()

    def send(_client: httpx.Client) -> int:
        with socket.create_connection((url.host, url.port), 10, (address, 0)) as connection:
            connection.sendall(request)
            return int(connection.recv(4096).split(b" ", 2)[1])

    return send


def forged_batch(blue: RunningNode) -> bytes:
    """Twenty envelopes, each with a member of a long name full of control characters."""
    envelope = envelope_with(blue, "a member name", "\x1b[2J\n" * 2000)
    return json.dumps({"envelopes": [envelope] * 20}).encode()


def test_each_unauthenticated_source_at_its_limit_grows_the_journal_within_its_bound(pair: Pair):
    blue = pair.blue
    nul_in_a_long_key = json.dumps({"\u00e9" * 10_000: "\u0000"}).encode()
    over = 1.2 * RATE  # just over the federation limit
    sources = [
        Source("no token, long path", "127.0.2.1", getting("/api/v1/" + "b" * 60_000, None), 50),
        Source("unknown tokens", "127.0.2.2", getting("/api/v1/node", "olt_guess"), 10),
        Source("federation: malformed", "127.0.2.3", posting(nul_in_a_long_key), over),
        Source("federation: too large", "127.0.2.4", declaring_too_much(blue, "127.0.2.4"), over),
        Source("federation: refused envelopes", "127.0.2.5", posting(forged_batch(blue)), over),
        Source("federation: rate-limited", "127.0.2.6", posting(b"[]"), None),
    ]
    before, started = head(blue), time.monotonic()
    threads = [threading.Thread(target=source.run, args=(blue,)) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(1.0)  # a tally period that ended as the sources stopped: its count journaled

    window = time.monotonic() - started
    most = {
        "no token, long path": within_window(window),
        "unknown tokens": within_window(window),
        "federation: malformed": within_window(window),
        "federation: too large": within_window(window),
        "federation: refused envelopes": within_window(window),
        "federation: rate-limited": within_window(window),
    }
    grown = {}
    for source in sources:
        entries = security_entries(blue, before, source.address)
        statuses = {status: source.statuses.count(status) for status in set(source.statuses)}
        grown[source.name] = (statuses, len(entries), sum(map(size, entries)))
        assert entries, source.name
        assert len(entries) <= most[source.name], grown  # answers, entries, bytes
        assert_each_within_its_size(entries)
    print(f"{window:.1f} s, by source (answers, entries, bytes): {grown}")
    assert 429 in sources[1].statuses
    assert 429 in sources[5].statuses
    malformed, too_large, refused = sources[2], sources[3], sources[4]
    assert_each_refusal_kept(blue, malformed.address, MALFORMED, malformed.statuses.count(422))
    assert_each_refusal_kept(blue, too_large.address, TOO_LARGE, too_large.statuses.count(413))
    assert_each_refusal_kept(blue, refused.address, REFUSED, 20 * refused.statuses.count(200))
    assert_flash_gets_through(pair.red, pair.blue, "BLUE")


MALFORMED = ("security.federation_malformed", federation.MALFORMED)
TOO_LARGE = ("security.federation_too_large", federation.TOO_LARGE)
REFUSED = ("security.envelope_refused", federation.ENVELOPE_REFUSED.format(code="malformed"))


def assert_each_refusal_kept(
    node: RunningNode, address: str, journaled: tuple[str, str], refusals: int
) -> None:
    """Each of the ``refusals`` of ``address``'s requests is journaled: in full, as the kind
    ``journaled[0]``, or counted under the reason ``journaled[1]`` as its period ends."""
    kind, reason = journaled

    def kept() -> int:
        in_full = [e for e in security_entries(node, 0, address) if e["kind"] == kind]
        return len(in_full) + counted_refusals(node, address)[reason]

    wait_for(lambda: kept() == refusals, timeout=2 * unverified.PERIOD_S, what=f"{refusals}")


def test_the_counts_of_a_period_cut_short_by_a_stop_are_journaled(pair: Pair):
    address = "127.0.1.4"
    before = head(pair.blue)
    with client_at(pair.blue, address) as client:
        assert {client.get("/api/v1/node").status_code for _ in range(5)} == {401}

    pair.blue.stop()
    blue = pair.restart("blue")

    entries = security_entries(blue, before, address)
    in_full = [e for e in entries if e["kind"] == "security.unauthenticated"]
    counted = [e["data"]["count"] for e in entries if e["kind"].endswith("_counted")]
    assert len(in_full) + sum(counted) == 5  # however the periods fell, each request is in
    assert_flash_gets_through(blue, pair.red, "RED")
