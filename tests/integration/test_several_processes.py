"""BLUE served by three `openline serve` processes on one PostgreSQL database, RED by one: the
leader SIGKILLed again and again while messages are posted to every process, and the line
loses, doubles and reorders nothing; PostgreSQL restarted under load, and every process answers
503 meanwhile and recovers by itself (issue 26, items 1 and 2; docs/deployment.md).

One BLUE and RED for the module: the second test starts from where the first left them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from openline.domain.timeutil import parse_utc
from tests.integration.test_storage_faults import assert_unavailable, post_message
from tests.support.backend import Backend, on_postgresql
from tests.support.faults import assert_journals_verify_and_agree, journal
from tests.support.processes import Pair, RunningNode, answering, launch_node
from tests.support.several_processes import launch_blue_processes_and_red
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not on_postgresql(), reason="PostgreSQL only: a SQLite node has one process"
    ),
]

INTERVAL_S = 1.0
ENV = {"OPENLINE_LINE_CHECK_INTERVAL": str(INTERVAL_S)}
MESSAGES = 1000
KILLS = 10
SENDERS = 4  # client threads, each posting its share in order, round-robin over the processes


@dataclass
class Blue:
    """BLUE's processes, each in a copy of the node directory (as on machines of its own)."""

    token: str
    processes: list[RunningNode]
    ports: list[int]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alive(self) -> list[RunningNode]:
        with self.lock:
            return [p for p in self.processes if p.process.poll() is None]

    def by_pid(self, pid: int) -> RunningNode:
        return next(p for p in self.alive() if p.process.pid == pid)

    def restart(self, index: int) -> None:
        """Start process ``index`` again on its port (in the background: the caller goes on)."""
        old = self.processes[index]
        env = {**ENV, "OPENLINE_PORT": str(self.ports[index])}
        new = answering(launch_node(old.directory, self.token, env))
        with self.lock:
            self.processes[index] = new


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Blue, RunningNode]]:
    made_blue, ports, launched = launch_blue_processes_and_red(
        tmp_path_factory.mktemp("line"), ENV, 3
    )
    blue = Blue(made_blue.token, [], ports)
    try:
        *blue.processes, red = [answering(process) for process in launched]
        yield blue, red
    finally:
        for process in [*launched, *blue.processes]:
            process.stop_surely()


def leader_of(blue: Blue) -> tuple[int, str] | None:
    """The pid and name of the process of BLUE that says it leads, if one does."""
    for process in blue.alive():
        try:
            with process.client() as client:
                found = client.get("/api/v1/node").json()
        except (httpx.TransportError, ValueError):
            continue
        if found["leader"] == found["process"]:
            return process.process.pid, found["process"]
    return None


@dataclass
class Posted:
    acknowledged: list[list[str]] = field(default_factory=lambda: [[] for _ in range(SENDERS)])
    unanswered: list[str] = field(default_factory=list)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def post_share(blue: Blue, sender: int, posted: Posted) -> None:
    """Post this sender's share of the messages, each to the next process in turn. A process
    that refuses the connection or answers 503 kept nothing: the message goes to the next. One
    that fails after the request was sent may have kept it: it is not posted again."""
    turn = itertools.count(sender)
    for n in range(sender, MESSAGES, SENDERS):
        body = {"to": ["RED"], "precedence": "routine", "text": f"m{n}", "lang": "en"}
        while True:
            alive = blue.alive()
            process = alive[next(turn) % len(alive)]
            try:
                with process.client() as client:
                    answer = client.post("/api/v1/messages", json=body)
            except httpx.ConnectError:
                continue
            except httpx.TransportError:
                posted.unanswered.append(f"m{n}")
                break
            if answer.status_code == 503:
                continue
            assert answer.status_code == 201, answer.text
            posted.acknowledged[sender].append(answer.json()["id"])
            break
        with posted.lock:
            posted.count += 1


def test_the_leader_killed_ten_times_loses_doubles_and_reorders_nothing(
    line: tuple[Blue, RunningNode], tmp_path: Path
) -> None:
    blue, red = line
    posted = Posted()
    kills: list[tuple[float, str]] = []  # when each leader was killed, and its name
    with ThreadPoolExecutor(max_workers=SENDERS + 2) as pool:
        senders = [pool.submit(post_share, blue, n, posted) for n in range(SENDERS)]
        restarts = []
        for kill in range(KILLS):
            wait_for(lambda k=kill: posted.count >= (k + 1) * MESSAGES // (KILLS + 1), what="posts")
            wait_for(lambda: len(blue.alive()) >= 2, what="two processes of BLUE")
            found = leader_of(blue)
            assert found is not None
            pid, name = found
            process = blue.by_pid(pid)
            killed_at = time.time()
            process.stop(9)
            kills.append((killed_at, name))
            restarts.append(pool.submit(blue.restart, blue.processes.index(process)))
            wait_for(lambda n=name: (leader_of(blue) or (0, n))[1] != n, what="a new leader")
        for done in [*senders, *restarts]:
            done.result()

    acknowledged = [message for share in posted.acknowledged for message in share]
    assert len(acknowledged) + len(posted.unanswered) == MESSAGES
    received = received_messages(red, expected=set(acknowledged))
    # Exactly once: every message acknowledged is there, none twice; and in order: each
    # sender's messages in the order they were acknowledged.
    assert len(received) == len(set(received))
    assert set(acknowledged) <= set(received)
    assert len(received) <= MESSAGES
    place = {message: n for n, message in enumerate(received)}
    for share in posted.acknowledged:
        assert [place[m] for m in share] == sorted(place[m] for m in share)
    # The link itself: every place taken once, in order, none skipped.
    places = [e["data"]["envelope"]["link_seq"] for e in journal(red) if _from_blue(e)]
    assert places == list(range(1, len(places) + 1))
    # Each failover journaled, by the process that took the lead, within two intervals.
    leads = [e["data"] for e in journal(blue.alive()[0]) if e["kind"] == "line.leader"]
    taken_at = sorted(parse_utc(lead["since"]).timestamp() for lead in leads)
    taken = [next(at for at in taken_at if at > killed) - killed for killed, _name in kills]
    assert max(taken) <= 2 * INTERVAL_S, taken
    assert_journals_verify_and_agree(Pair(blue.alive()[0], red, ENV), tmp_path)


def received_messages(red: RunningNode, *, expected: set[str]) -> list[str]:
    """The ids of the messages RED received from BLUE, in the order it applied them, once it
    holds every one of ``expected``."""
    found: list[str] = []

    def holds_all() -> bool:
        found[:] = [
            e["data"]["id"]
            for e in journal(red)
            if e["kind"] == "message.received" and e["data"]["from"] == "BLUE"
        ]
        return expected <= set(found)

    wait_for(holds_all, timeout=60, what="RED to hold every message acknowledged")
    return found


def _from_blue(entry: dict[str, Any]) -> bool:
    return entry["kind"] == "envelope.received" and entry["data"]["envelope"]["from"] == "BLUE"


def test_postgresql_restarted_under_load_answers_503_then_recovers_keeping_every_2xx(
    line: tuple[Blue, RunningNode], tmp_path: Path
) -> None:
    blue, red = line
    cluster = Backend.postgres()
    acknowledged: list[str] = []
    stop = threading.Event()

    def post_until_stopped(process: RunningNode) -> None:
        with process.client() as client:
            for n in itertools.count():
                if stop.is_set():
                    return
                body = {"to": ["RED"], "precedence": "routine", "text": f"r{n}", "lang": "en"}
                try:
                    answer = client.post("/api/v1/messages", json=body)
                except httpx.TransportError:
                    continue  # not answered: neither kept nor known to be
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["id"])

    processes = blue.alive()
    with ThreadPoolExecutor(max_workers=len(processes)) as pool:
        load = [pool.submit(post_until_stopped, process) for process in processes]
        wait_for(lambda: len(acknowledged) >= 20, what="messages before the restart")
        cluster.stop_server()
        try:
            for process in processes:
                assert_unavailable(post_message(process, "while the database is down"))
            with red.client() as client:
                assert_unavailable(client.get("/api/v1/journal"))
        finally:
            cluster.start_server()
        for process in processes:  # back by itself: no process restarted
            wait_for(lambda p=process: post_message(p, "after").status_code == 201, what="201")
        with red.client() as client:
            wait_for(lambda: client.get("/api/v1/journal").status_code == 200, what="RED back")
        wait_for(lambda: leader_of(blue) is not None, what="a leader again")
        stop.set()
        for done in load:
            done.result()

    received_messages(red, expected=set(acknowledged))
    assert_journals_verify_and_agree(Pair(processes[0], red, ENV), tmp_path)
