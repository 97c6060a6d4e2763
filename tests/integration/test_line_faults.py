"""Nothing said on the line is lost, doubled or reordered when a node crashes or stops.

Real node processes on 127.0.0.1, killed with SIGKILL mid-stream, stopped for 30 s and
restarted; afterwards every message the API accepted is delivered exactly once, in order,
both journals verify and the two nodes' transcripts agree.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx

from tests.integration.faults import assert_journals_verify_and_agree, journal
from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

STREAM = 1000


class Stream(threading.Thread):
    """Sends ``count`` messages to RED through BLUE's API, one after another, keeping the ids
    of those BLUE answered 201 to. A request that fails (BLUE down) is not retried."""

    def __init__(self, pair: Pair, count: int, pause: float) -> None:
        super().__init__(daemon=True)
        self.pair, self.count, self.pause = pair, count, pause
        self.accepted: list[str] = []
        self.attempted = 0

    def run(self) -> None:
        for n in range(self.count):
            self.attempted = n + 1
            body = {"to": ["RED"], "precedence": "routine", "text": f"m{n}", "lang": "en"}
            try:
                with httpx.Client(base_url=self.pair.blue.url, timeout=10) as client:
                    response = client.post(
                        "/api/v1/messages",
                        json=body,
                        headers={"Authorization": f"Bearer {self.pair.blue.token}"},
                    )
            except httpx.TransportError:
                continue
            if response.status_code == 201:
                self.accepted.append(response.json()["id"])
            time.sleep(self.pause)


def received_in_order(red: RunningNode) -> list[str]:
    return [e["data"]["id"] for e in journal(red) if e["kind"] == "message.received"]


def undelivered(blue: RunningNode, ids: list[str]) -> int:
    with blue.client() as client:
        out = client.get("/api/v1/messages", params={"box": "out", "limit": 1000}).json()
    states = {m["id"]: m["state"] for m in out["messages"]}
    return sum(1 for i in ids if states.get(i) != "delivered")


def wait_until_sent(stream: Stream, attempted: int) -> None:
    wait_for(lambda: stream.attempted >= attempted, timeout=120, what=f"{attempted} sent")


def assert_line_intact(pair: Pair, accepted: list[str], tmp_path: Path) -> None:
    wait_for(lambda: undelivered(pair.blue, accepted) == 0, timeout=120, what="all delivered")
    received = received_in_order(pair.red)
    assert len(received) == len(set(received)), "a message was applied twice"
    assert [i for i in received if i in set(accepted)] == accepted, "order or loss"
    assert_journals_verify_and_agree(pair, tmp_path)


def test_a_thousand_messages_survive_red_killed_twice_and_stopped_for_30_s(
    pair: Pair, tmp_path: Path
):
    stream = Stream(pair, STREAM, pause=0.005)
    stream.start()
    wait_until_sent(stream, 150)
    pair.red.stop(signal.SIGKILL)
    pair.restart("red")
    wait_until_sent(stream, 350)
    pair.red.stop(signal.SIGKILL)
    pair.restart("red")
    wait_until_sent(stream, 550)
    pair.red.stop()
    time.sleep(30)
    pair.restart("red")
    stream.join(timeout=120)

    assert len(stream.accepted) == STREAM  # BLUE never went down
    assert_line_intact(pair, stream.accepted, tmp_path)
    wait_for(lambda: received_in_order(pair.red) == stream.accepted, what="exactly once")


def test_every_message_blue_accepted_is_delivered_after_blue_is_killed_mid_stream(
    pair: Pair, tmp_path: Path
):
    stream = Stream(pair, 400, pause=0.005)
    stream.start()
    wait_until_sent(stream, 150)
    pair.blue.stop(signal.SIGKILL)
    time.sleep(1)
    pair.restart("blue")
    stream.join(timeout=120)

    assert len(stream.accepted) < 400  # some requests hit the dead BLUE
    assert_line_intact(pair, stream.accepted, tmp_path)
    sent_by_blue = {e["data"]["id"] for e in journal(pair.blue) if e["kind"] == "message.created"}
    assert set(received_in_order(pair.red)) == sent_by_blue
