"""Two paths between BLUE and RED: the line stays open while either works (docs/line.md#paths).

BLUE and RED run as real node processes and are linked over two paths each way, every path
through a fault proxy of its own (``tests/support/faultproxy.py``). A path is cut by making its
proxy drop every request, before it reaches the peer or after the peer answered (so the
sender cannot know whether a batch was applied). While 1,000 messages go BLUE to RED, path 1
is cut, restored, and then path 2 is cut: every message arrives exactly once and in order,
BLUE shows the line degraded while only the backup works and up again after, the traffic moves
to the backup within one line-check interval plus the retry cap, and each delivery's journal
entry names the path that carried it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from openline.domain.timeutil import format_utc
from openline.line.sender import MAX_BACKOFF_S, MIN_CHECK_TIMEOUT_S
from openline.node.assembly import Node
from openline.services.paths import replace_direct_paths
from tests.support.backend import sqlite_only
from tests.support.faultproxy import Fault, FaultProxy
from tests.support.faults import journal, link_through
from tests.support.nodes import make_node_dir
from tests.support.operator import assert_flash_gets_through, get, send, state
from tests.support.ports import free_port
from tests.support.processes import Pair, start_node
from tests.support.streams import Stream, assert_line_intact, finish, wait_until_sent
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    sqlite_only(
        "which path carries a batch, and when a path is seen down, is the sender's choice, "
        "made alike on both stores; each batch applied once and in order is checked on "
        "PostgreSQL by test_line_faults and test_network_faults"
    ),
]

INTERVAL_S = 1.0
STREAM = 1000
CUT = {Fault.DROP: 1.0}
WHOLE = {Fault.NONE: 1.0}


@dataclass
class TwoPaths:
    """BLUE and RED, each reaching the other by two paths, each path a fault proxy of its own."""

    pair: Pair
    to_red: list[FaultProxy]  # BLUE's paths to RED, the preferred first
    to_blue: list[FaultProxy]

    def cut(self, path: int, how: dict[Fault, float] = CUT) -> str:
        """Cut path ``path`` (0 or 1) both ways; when, as the journals write instants."""
        for proxy in (self.to_red[path], self.to_blue[path]):
            proxy.set_weights(how)
        return format_utc(datetime.now(UTC))

    def restore(self, path: int) -> None:
        for proxy in (self.to_red[path], self.to_blue[path]):
            proxy.set_weights(WHOLE)


def linked_by_two_paths(directory: Path, peer: str, proxies: list[FaultProxy]) -> None:
    node = Node.open(directory, environ={})
    try:
        replace_direct_paths(node, peer, [proxy.url for proxy in proxies])
    finally:
        node.close()


@pytest.fixture
def two_paths(tmp_path: Path) -> Iterator[TwoPaths]:
    blue = make_node_dir(tmp_path / "blue", port=free_port())
    red = make_node_dir(tmp_path / "red", party="RED", lang="ru", port=free_port())
    ports = {"blue": _port(blue.directory), "red": _port(red.directory)}
    to_red = [FaultProxy(ports["red"], WHOLE, seed=n).start() for n in (1, 2)]
    to_blue = [FaultProxy(ports["blue"], WHOLE, seed=n).start() for n in (3, 4)]
    env = {"OPENLINE_LINE_CHECK_INTERVAL": str(INTERVAL_S)}
    running = []
    try:
        link_through(blue.directory, red.directory, to_red[0].url)
        link_through(red.directory, blue.directory, to_blue[0].url)
        linked_by_two_paths(blue.directory, "RED", to_red)
        linked_by_two_paths(red.directory, "BLUE", to_blue)
        running.append(start_node(blue.directory, blue.token, env))
        running.append(start_node(red.directory, red.token, env))
        yield TwoPaths(Pair(running[0], running[1], env), to_red, to_blue)
    finally:
        for node in running:
            node.stop_surely()
        for proxy in to_red + to_blue:
            proxy.stop()


def _port(directory: Path) -> int:
    node = Node.open(directory, environ={})
    try:
        return node.settings.port
    finally:
        node.close()


def line_to(node: Any, party: str) -> dict[str, Any]:
    peers = {p["party"]: p for p in get(node, "/api/v1/node")["peers"]}
    return dict(peers[party])


def path_statuses(line: dict[str, Any]) -> list[str]:
    return [path["status"] for path in line["paths"]]


def wait_for_line(node: Any, party: str, status: str, paths: list[str], what: str) -> None:
    """Until the line to ``party`` has ``status`` and its paths ``paths``, in order."""

    def seen() -> bool:
        line = line_to(node, party)
        return (line["status"], path_statuses(line)) == (status, paths)

    wait_for(seen, timeout=30, what=what)


@pytest.mark.timeout(900)
def test_a_thousand_messages_go_through_with_path_1_cut_restored_then_path_2_cut(
    two_paths: TwoPaths, tmp_path: Path
):
    blue, red = two_paths.pair.blue, two_paths.pair.red
    via = [proxy.url for proxy in two_paths.to_red]
    wait_for_line(blue, "RED", "up", ["up", "up"], "both paths to RED checked up")
    wait_for_line(red, "BLUE", "up", ["up", "up"], "both paths to BLUE checked up")
    stream = Stream(two_paths.pair, STREAM, pause=0.005)
    stream.start()

    wait_until_sent(stream, 150)
    path_1_cut_at = two_paths.cut(0)
    wait_for_line(blue, "RED", "degraded", ["down", "up"], "RED by the backup alone")
    # The status may first be degraded for another reason (the failed attempt on path 1,
    # "retrying", still carried by path 1; envelopes waiting), and a check may find path 1
    # down before the next batch goes (``carrying`` names the path the last batch took): the
    # line as it reads once the backup carries the traffic.
    degraded: dict[str, Any] = {}

    def carried_by_the_backup() -> bool:
        line = line_to(blue, "RED")
        if (
            line["status"] == "degraded"
            and line["reason"].startswith("the preferred path")
            and line["carrying"] == via[1]
        ):
            degraded.update(line)
        return bool(degraded)

    wait_for(carried_by_the_backup, timeout=30, what="RED's traffic carried by the backup")
    wait_until_sent(stream, 500)
    two_paths.restore(0)
    wait_for_line(blue, "RED", "up", ["up", "up"], "the preferred path to RED back")
    wait_until_sent(stream, 650)
    two_paths.cut(1)
    wait_for(
        lambda: path_statuses(line_to(blue, "RED")) == ["up", "down"],
        timeout=30,
        what="path 2 to RED seen down",
    )
    finish(stream)

    assert len(stream.accepted) == STREAM
    assert_line_intact(two_paths.pair, stream, tmp_path)  # exactly once, in order; cross-verify
    assert degraded["carrying"] == via[1]
    assert degraded["reason"] == f"the preferred path is down; by a backup: {via[1]}"
    delivered = [e for e in journal(blue) if e["kind"] == "envelope.delivered"]
    assert {e["data"]["via"] for e in delivered} == set(via)
    first_by_backup = min(
        e["at"] for e in delivered if e["data"]["via"] == via[1] and e["at"] > path_1_cut_at
    )
    failover_s = _seconds(first_by_backup) - _seconds(path_1_cut_at)
    assert failover_s <= INTERVAL_S + MAX_BACKOFF_S, f"failover took {failover_s:.2f} s"
    changes = [  # since the cut (as the nodes start, a path may be down until its peer is up)
        (e["data"]["via"], e["data"]["was"], e["data"]["status"])
        for e in journal(blue)
        if e["kind"] == "line.path_status" and e["at"] > path_1_cut_at
    ]
    assert changes == [
        (via[0], "up", "down"),
        (via[0], "down", "up"),
        (via[1], "up", "down"),
    ]
    two_paths.restore(1)
    assert_flash_gets_through(blue, red, "RED")
    assert_flash_gets_through(red, blue, "BLUE")


def _seconds(instant: str) -> float:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


def test_a_cut_path_is_seen_down_by_its_checks_while_nothing_is_sent(two_paths: TwoPaths):
    blue = two_paths.pair.blue
    wait_for_line(blue, "RED", "up", ["up", "up"], "both paths to RED checked up")

    began = time.monotonic()
    cut_at = two_paths.cut(1)  # the backup, which carries nothing: only its checks can notice
    wait_for_line(blue, "RED", "up", ["up", "down"], "the backup to RED seen down")
    noticed_s = time.monotonic() - began

    assert noticed_s <= 3 * INTERVAL_S + MAX_BACKOFF_S + 5  # its next check, on a busy machine
    [entry] = [
        e["data"] for e in journal(blue) if e["kind"] == "line.path_status" and e["at"] > cut_at
    ]
    assert (entry["via"], entry["was"], entry["status"]) == (two_paths.to_red[1].url, "up", "down")
    assert "does not answer" in entry["problem"]
    assert event_of(blue, "line.path_status", entry) is not None  # operators hear of it at once


def event_of(node: Any, kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The event of ``kind`` carrying ``data`` on ``node``'s event stream, replayed from its
    start (each journal entry is an event)."""
    with (
        node.client() as client,
        client.stream("GET", "/api/v1/events", params={"after": 0}, timeout=10) as stream,
    ):
        event = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == kind:
                frame: dict[str, Any] = json.loads(line[6:])
                if frame["data"] == data:
                    return frame
    return None


def test_a_path_that_hangs_is_left_for_the_backup_within_an_interval_and_a_check(
    two_paths: TwoPaths,
):
    blue, red = two_paths.pair.blue, two_paths.pair.red
    via = [proxy.url for proxy in two_paths.to_red]
    wait_for_line(blue, "RED", "up", ["up", "up"], "both paths to RED checked up")

    cut_at = two_paths.cut(0, {Fault.HANG: 1.0})  # requests held, connections left open
    message = send(blue, ["RED"], "through a link gone silent")
    wait_for(lambda: state(blue, message["id"]) == "delivered", what="the message's delivery")

    delivered = [e for e in journal(blue) if e["kind"] == "envelope.delivered"]
    # (a batch already answered on path 1 as it was cut may still be receipted by it)
    first_by_backup = min(
        e["at"] for e in delivered if e["at"] > cut_at and e["data"]["via"] == via[1]
    )
    took_s = _seconds(first_by_backup) - _seconds(cut_at)
    # The next check finds path 1 down (its resend unanswered within the check's timeout), and
    # the batch waiting on it goes by path 2; a second's slack for a busy machine.
    assert took_s <= INTERVAL_S + MIN_CHECK_TIMEOUT_S + 1.0, f"left after {took_s:.2f} s"

    # The line shows what the check found at its next judgement (a tick, 0.1 s, later): the
    # batch may be delivered by path 2 before it.
    def path_1_shown_down() -> bool:
        return path_statuses(line_to(blue, "RED")) == ["down", "up"]

    wait_for(path_1_shown_down, timeout=5, what="path 1 to RED shown down, path 2 up")
    line = line_to(blue, "RED")
    assert "does not answer" in line["paths"][0]["problem"]
    assert_flash_gets_through(blue, red, "RED")
