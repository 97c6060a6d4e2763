"""What the fault tests share: a seeded mixed workload over a pair of nodes, and the checks that
nothing the API accepted was lost, doubled or reordered once the line has settled.

The workload drives both nodes through their operator API, one request at a time: messages
each way, acknowledgements of received messages, and notifications shared with the peer
(created, revised, cancelled). It keeps what each answer said, in three kinds:

- *accepted*: the node answered 2xx, so the change is durable and must reach the peer;
- *unknown*: the connection broke after the request was sent (the node was killed, say), so
  the change may or may not have been made; if it was, it must reach the peer like any other;
- nothing at all for a request that never got a connection, or that got a 4xx or 5xx.

Each message text and notification title carries a tag unique to the run, so a change found on
a node can be traced back to the request that made it.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from openline.domain.conflicts import RECORD_MEMBERS
from openline.node.assembly import Node
from openline.node.settings import load_settings
from openline.services.journal import verify_journal
from openline.services.transcripts import cross_verify_files, export_transcript
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.nodes import link, make_node_dir
from tests.support.ports import free_port
from tests.support.processes import (
    SHARED_TLS,
    Pair,
    RunningNode,
    start_node,
)
from tests.support.waiting import wait_for

PARTIES = ("BLUE", "RED")
REQUEST_TIMEOUT_S = 10
# The longest the final checks wait for links still draining (a stalled one fails sooner).
DRAIN_LIMIT_S = 600


def seed_from_env(variable: str) -> int:
    """The seed named by ``variable``, or a fresh one; printed, so a failure can be replayed."""
    given = os.environ.get(variable)
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    print(f"{variable}={seed}")
    return seed


def journal(node: RunningNode) -> list[dict[str, Any]]:
    """Every entry of ``node``'s journal, through its API."""
    entries: list[dict[str, Any]] = []
    with node.client() as client:
        while True:
            after = entries[-1]["seq"] if entries else 0
            page = client.get("/api/v1/journal", params={"after": after, "limit": 5000}).json()
            if not page["entries"]:
                return entries
            entries += page["entries"]


def assert_journals_verify_and_agree(pair: Pair, into: Path) -> None:
    """Both journals verify and their transcripts, exported into ``into``, agree: what
    ``openline journal verify``, ``journal export`` and ``journal cross-verify`` run, called
    in this process. Each command's start (the interpreter, Openline's imports) cost more
    processor than its work; the commands themselves are tested in test_cli_node,
    test_transcripts and test_acknowledgements."""
    files = []
    for running in (pair.blue, pair.red):
        node = Node.open(running.directory, environ={})  # as the commands open it
        try:
            report = verify_journal(node)
            assert report.intact, report
            files.append(into / f"{running.directory.name}.jsonl")
            with files[-1].open("w", encoding="utf-8") as out:
                export_transcript(node, out)
        finally:
            node.close()
    crossed = cross_verify_files(*files)
    assert crossed.agree, crossed.differences


def kill(node: RunningNode) -> None:
    node.stop(signal.SIGKILL)


def link_through(directory: Path, peer_directory: Path, url: str) -> None:
    """``openline peer add`` on ``directory`` with the card of the node in ``peer_directory``,
    its address replaced by ``url`` (a fault proxy in front of that node)."""
    peer = Node.open(peer_directory, environ={})
    try:
        card = peer.card().model_copy(update={"urls": (url,)})
    finally:
        peer.close()
    link(directory, card)


@dataclass
class ProxiedPair:
    """BLUE and RED, each reaching the other only through a fault proxy of its own."""

    pair: Pair
    to_red: FaultProxy  # BLUE's line to RED goes through it
    to_blue: FaultProxy

    def set_weights(self, weights: dict[Fault, float]) -> None:
        for proxy in (self.to_red, self.to_blue):
            proxy.set_weights(weights)

    def __enter__(self) -> ProxiedPair:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        try:
            for node in (self.pair.blue, self.pair.red):
                node.stop_surely()
        finally:
            self.to_red.stop()
            self.to_blue.stop()


def start_proxied_pair(base: Path, env: dict[str, str], seed: int) -> ProxiedPair:
    """BLUE and RED made in ``base``, linked through two fault proxies (passing everything
    until told otherwise), and started with ``env``."""
    blue = make_node_dir(base / "blue", port=free_port())
    red = make_node_dir(base / "red", party="RED", lang="ru", port=free_port())
    to_red = FaultProxy(_port(red.directory), {Fault.NONE: 1}, seed=seed).start()
    to_blue = FaultProxy(_port(blue.directory), {Fault.NONE: 1}, seed=seed + 1).start()
    try:
        link_through(blue.directory, red.directory, to_red.url)
        link_through(red.directory, blue.directory, to_blue.url)
        running_blue = start_node(blue.directory, blue.token, env)
    except BaseException:
        to_red.stop()
        to_blue.stop()
        raise
    try:
        running_red = start_node(red.directory, red.token, env)
    except BaseException:
        running_blue.stop_surely()
        to_red.stop()
        to_blue.stop()
        raise
    return ProxiedPair(Pair(running_blue, running_red, env), to_red, to_blue)


def _port(directory: Path) -> int:
    return load_settings(directory, {}).port


@dataclass
class Outcomes:
    """What one node's operators asked for, by what the node answered."""

    messages: list[str] = field(default_factory=list)  # tags, in the order they were sent
    accepted_messages: set[str] = field(default_factory=set)
    acks: set[str] = field(default_factory=set)  # ids of received messages acknowledged (2xx)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> last 2xx
    unknown_notification_titles: set[str] = field(default_factory=set)


def _circle(rng: random.Random) -> dict[str, Any]:
    """A small circle in a square of a quarter degree: some notifications clash, most do not."""
    return {
        "circle": {
            "lat": round(35 + rng.random() / 4, 4),
            "lon": round(38 + rng.random() / 4, 4),
            "radius_m": rng.choice((2000, 5000, 10000)),
        },
        "altitude_lower_m": 0,
        "altitude_upper_m": rng.choice((500, 3000)),
        "time_start": "2026-12-03T12:00:00Z",
        "time_end": "2026-12-03T18:00:00Z",
    }


class Workload:
    """A seeded random stream of operator requests to both nodes of ``pair``."""

    def __init__(self, pair: Pair, rng: random.Random, run: str = "w") -> None:
        self.pair, self.rng, self.run = pair, rng, run
        self.sent = {party: Outcomes() for party in PARTIES}
        self.counts: dict[str, int] = {}
        self._tags = 0

    def node(self, party: str) -> RunningNode:
        return self.pair.blue if party == "BLUE" else self.pair.red

    def step(self, party: str | None = None) -> None:
        """One request, of a kind drawn at random, to ``party``'s node (or either)."""
        party = party or self.rng.choice(PARTIES)
        kind = self.rng.choices(
            ("message", "ack", "notify", "revise", "cancel"), weights=(10, 3, 2, 2, 1)
        )[0]
        getattr(self, f"_{kind}")(party)

    def _tag(self) -> str:
        self._tags += 1
        return f"{self.run}{self._tags}"

    def _request(
        self, party: str, method: str, path: str, **kwargs: Any
    ) -> httpx.Response | str | None:
        """The answer; "unknown" when the request may have reached the node; None if not."""
        node = self.node(party)
        try:
            with httpx.Client(
                base_url=node.url, timeout=REQUEST_TIMEOUT_S, verify=SHARED_TLS
            ) as client:
                return client.request(
                    method, path, headers={"Authorization": f"Bearer {node.token}"}, **kwargs
                )
        except httpx.ConnectError:
            return None  # never reached the node
        except httpx.TransportError:
            return "unknown"

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def _message(self, party: str) -> None:
        tag = self._tag()
        peer = peer_of(party)
        body = {"to": [peer], "precedence": "routine", "text": tag, "lang": "en"}
        answer = self._request(party, "POST", "/api/v1/messages", json=body)
        if answer is None:
            return
        self.sent[party].messages.append(tag)
        if isinstance(answer, httpx.Response) and answer.status_code == 201:
            self.sent[party].accepted_messages.add(tag)
            self._count("messages accepted")
        else:
            self._count("messages with no answer")

    def _ack(self, party: str) -> None:
        answer = self._request(party, "GET", "/api/v1/messages", params={"box": "in", "limit": 50})
        if not isinstance(answer, httpx.Response) or answer.status_code != 200:
            return
        waiting = [
            m["id"] for m in answer.json()["messages"] if m["id"] not in self.sent[party].acks
        ]
        if not waiting:
            return
        message_id = self.rng.choice(waiting)
        acked = self._request(party, "POST", f"/api/v1/messages/{message_id}/ack")
        if isinstance(acked, httpx.Response) and acked.status_code == 200:
            self.sent[party].acks.add(message_id)
            self._count("acknowledgements accepted")

    def _notification_body(self, party: str, title: str) -> dict[str, Any]:
        return {
            "kind": self.rng.choice(("air-operation", "ground-operation")),
            "title": title,
            "volumes": [_circle(self.rng)],
            "share_with": [peer_of(party)],
        }

    def _notify(self, party: str) -> None:
        title = f"{party}:{self._tag()}"
        answer = self._request(
            party, "POST", "/api/v1/notifications", json=self._notification_body(party, title)
        )
        self._note_notification(party, answer, title, "notifications created")

    def _live(self, party: str) -> list[str]:
        owned = self.sent[party].notifications
        return [i for i, n in owned.items() if n["status"] in ("planned", "active")]

    def _revise(self, party: str) -> None:
        live = self._live(party)
        if not live:
            self._notify(party)
            return
        notification_id = self.rng.choice(live)
        title = f"{party}:{self._tag()}"
        answer = self._request(
            party,
            "PUT",
            f"/api/v1/notifications/{notification_id}",
            json=self._notification_body(party, title),
        )
        self._note_notification(party, answer, title, "notifications revised")

    def _cancel(self, party: str) -> None:
        live = self._live(party)
        if not live:
            return
        notification_id = self.rng.choice(live)
        answer = self._request(
            party,
            "POST",
            f"/api/v1/notifications/{notification_id}/status",
            json={"status": "cancelled"},
        )
        self._note_notification(party, answer, None, "notifications cancelled")

    def _note_notification(
        self, party: str, answer: httpx.Response | str | None, title: str | None, what: str
    ) -> None:
        if isinstance(answer, httpx.Response) and answer.status_code in (200, 201):
            made = answer.json()
            self.sent[party].notifications[made["id"]] = made
            self._count(what)
        elif answer is not None and title is not None:
            self.sent[party].unknown_notification_titles.add(title)

    # --- the checks, once the line has settled -------------------------------------------

    def assert_nothing_lost_doubled_or_reordered(self, into: Path, stall_s: float = 60) -> None:
        """Wait for the line to settle, then check every guarantee, on both links."""
        with contextlib.suppress(AssertionError):  # the checks below say what did not settle
            self._wait_until_settled(stall_s)
        for party in PARTIES:
            self._assert_messages(party)
            self._assert_acks(party)
            self._assert_notifications(party)
        self._assert_conflicts()
        assert_journals_verify_and_agree(self.pair, into)

    def _wait_until_settled(self, stall_s: float) -> None:
        """Wait as long as the links drain, and ``stall_s`` s more once they stop draining.

        A run leaves thousands of conflict reports queued on the links (one for each pair of
        the two parties' overlapping notifications, again at each revision), which a loaded
        machine delivers for minutes, the accepted messages among them: a fixed limit on the
        whole wait failed such runs with messages still queued and moving. What must fail is
        a link that stops delivering: the limit is on the time without the envelopes waiting
        on both links falling to a new low."""
        least, moved_at = float("inf"), time.monotonic()

        def settled_or_stalled() -> bool:
            nonlocal least, moved_at
            if self._settled():
                return True
            waiting = self._waiting()
            if waiting < least:
                least, moved_at = waiting, time.monotonic()
            return time.monotonic() - moved_at > stall_s

        wait_for(settled_or_stalled, timeout=DRAIN_LIMIT_S, what="the line to settle or stall")

    def _waiting(self) -> float:
        """Envelopes waiting for a receipt on both links; infinity if a node does not answer."""
        try:
            total = 0
            for party in PARTIES:
                with self.node(party).client() as client:
                    total += sum(p["waiting"] for p in client.get("/api/v1/node").json()["peers"])
            return total
        except httpx.TransportError:
            return float("inf")

    def _settled(self) -> bool:
        try:
            return (
                all(self._messages_arrived(p) for p in PARTIES)
                and all(self._notifications_mirrored(p) for p in PARTIES)
                and all(self._acks_arrived(p) for p in PARTIES)
                and self._conflicts("BLUE") == self._conflicts("RED")
            )
        except httpx.TransportError:
            return False

    def _outbox(self, party: str) -> list[dict[str, Any]]:
        """Every message ``party``'s node holds as sent by it, newest first."""
        found: list[dict[str, Any]] = []
        with self.node(party).client() as client:
            while True:
                params: dict[str, Any] = {"box": "out", "limit": 1000}
                if found:
                    params["before"] = found[-1]["id"]
                page = client.get("/api/v1/messages", params=params).json()["messages"]
                if not page:
                    return found
                found += page

    def _received_tags(self, party: str) -> list[str]:
        """Tags of the messages ``party`` sent, in the order its peer journaled them."""
        texts = {m["id"]: m["fields"]["text"] for m in self._outbox(party)}
        return [
            texts.get(e["data"]["id"], f"(unknown id {e['data']['id']})")
            for e in journal(self.node(peer_of(party)))
            if e["kind"] == "message.received" and e["data"]["from"] == party
        ]

    def _messages_arrived(self, party: str) -> bool:
        return self.sent[party].accepted_messages <= set(self._received_tags(party))

    def _assert_messages(self, party: str) -> None:
        received = self._received_tags(party)
        sent = self.sent[party]
        assert len(received) == len(set(received)), f"a message from {party} was applied twice"
        lost = sorted(sent.accepted_messages - set(received))
        assert not lost, f"messages {party} accepted were lost: {lost}"
        assert set(received) <= set(sent.messages), f"{peer_of(party)} holds a message never sent"
        in_order = [tag for tag in sent.messages if tag in set(received)]
        assert received == in_order, f"messages from {party} arrived out of order"

    def _acks_arrived(self, party: str) -> bool:
        return not self._acks_missing(party)

    def _acks_missing(self, party: str) -> set[str]:
        """Acknowledgements ``party`` accepted that the message's sender does not show."""
        acked = self.sent[party].acks
        if not acked:
            return set()
        shown = {
            m["id"]
            for m in self._outbox(peer_of(party))
            for r in m["recipients"]
            if r["party"] == party and r["state"] == "acknowledged"
        }
        return acked - shown

    def _assert_acks(self, party: str) -> None:
        missing = self._acks_missing(party)
        assert not missing, f"acknowledgements by {party} never reached the sender: {missing}"

    def _notifications(self, on: str, owner: str) -> dict[str, tuple[Any, ...]]:
        with self.node(on).client() as client:
            listed = client.get(
                "/api/v1/notifications", params={"status": "all", "owner": owner, "limit": 1000}
            ).json()["notifications"]
        return {
            n["id"]: (n["version"], n["status"], n["title"], n["kind"], n["volumes"])
            for n in listed
        }

    def _notifications_mirrored(self, owner: str) -> bool:
        own = self._notifications(owner, owner)
        accepted = self.sent[owner].notifications
        return set(accepted) <= set(own) and own == self._notifications(peer_of(owner), owner)

    def _assert_notifications(self, owner: str) -> None:
        own = self._notifications(owner, owner)
        mirrored = self._notifications(peer_of(owner), owner)
        assert own == mirrored, f"{peer_of(owner)}'s view of {owner}'s notifications differs"
        for notification_id, last in self.sent[owner].notifications.items():
            version, status, *_ = own[notification_id]
            assert version >= last["version"], f"{notification_id}: an accepted revision lost"
            if last["status"] == "cancelled":
                assert status == "cancelled", f"{notification_id}: an accepted cancel lost"
        titles = {n[2] for n in own.values()}
        known = {n["title"] for n in self.sent[owner].notifications.values()}
        assert titles <= known | self.sent[owner].unknown_notification_titles

    def _conflicts(self, on: str) -> dict[str, tuple[Any, ...]]:
        """The conflicts open on ``on``. Open ones only: a conflict cleared along the way may
        have been seen by one node alone, or with other details, when both owners revised
        notifications at the same time (each node pairs its own newest version with the
        peer's version it holds at that moment); what both see once the line settles is the
        same set of open conflicts, each with the same record."""
        with self.node(on).client() as client:
            listed = client.get("/api/v1/conflicts", params={"state": "open", "limit": 1000}).json()
        return {
            c["key"]: (c["state"], *(repr(c[k]) for k in RECORD_MEMBERS))
            for c in listed["conflicts"]
        }

    def _assert_conflicts(self) -> None:
        on_blue, on_red = self._conflicts("BLUE"), self._conflicts("RED")
        differing = {
            key: (on_blue.get(key), on_red.get(key))
            for key in on_blue.keys() | on_red.keys()
            if on_blue.get(key) != on_red.get(key)
        }
        assert not differing, f"the two nodes list different conflicts (BLUE, RED): {differing}"
        self.counts["open conflicts listed by both"] = len(on_blue)

    def figures(self) -> dict[str, int]:
        """What the run sent and checked, for the report."""
        checked = {
            "messages checked": sum(len(self._received_tags(p)) for p in PARTIES),
            "notifications checked": sum(len(self._notifications(p, p)) for p in PARTIES),
        }
        return {**self.counts, **checked}


def peer_of(party: str) -> str:
    return "RED" if party == "BLUE" else "BLUE"
