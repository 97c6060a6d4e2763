"""A stream of messages from BLUE to RED through BLUE's API, and the checks that the line
carried every one exactly once, in order, whatever was done to it meanwhile (nodes killed,
paths cut).

How long each wait may last follows from the pace the stream measured over its first messages
(a slow machine gets longer), so that only a line that stalls fails; pytest's timeout for the
whole test only catches a hang.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.support.faults import assert_journals_verify_and_agree, journal
from tests.support.processes import Pair, RunningNode
from tests.support.waiting import wait_for

SLACK = 10  # a wait may last this many times the measured pace, and a minute more


class Stream(threading.Thread):
    """Sends ``count`` messages to RED through BLUE's API, one after another, keeping the ids
    of those BLUE answered 201 to. A request that fails (BLUE down) is not retried."""

    def __init__(self, pair: Pair, count: int, pause: float) -> None:
        super().__init__(daemon=True)
        self.pair, self.count, self.pause = pair, count, pause
        self.accepted: list[str] = []
        self.attempted = 0
        self.began = time.monotonic()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.pair.blue.token}"}
        # One client for the whole stream: a connection that BLUE's death breaks fails its
        # request, and the next request opens a new one.
        with httpx.Client(base_url=self.pair.blue.url, headers=headers, timeout=10) as client:
            for n in range(self.count):
                self.attempted = n + 1
                body = {"to": ["RED"], "precedence": "routine", "text": f"m{n}", "lang": "en"}
                try:
                    response = client.post("/api/v1/messages", json=body)
                except httpx.TransportError:
                    continue
                if response.status_code == 201:
                    self.accepted.append(response.json()["id"])
                time.sleep(self.pause)

    def allowance(self, messages: int) -> float:
        """How long ``messages`` more may take: SLACK times the pace measured so far, and a
        minute more."""
        pace = (time.monotonic() - self.began) / max(self.attempted, 1)
        return 60 + SLACK * pace * messages


def received_in_order(red: RunningNode) -> list[str]:
    return [e["data"]["id"] for e in journal(red) if e["kind"] == "message.received"]


def undelivered(blue: RunningNode, ids: list[str]) -> int:
    with blue.client() as client:
        out = client.get("/api/v1/messages", params={"box": "out", "limit": 1000}).json()
    states = {m["id"]: m["state"] for m in out["messages"]}
    return sum(1 for i in ids if states.get(i) != "delivered")


def wait_until_sent(stream: Stream, attempted: int) -> None:
    timeout = stream.allowance(attempted - stream.attempted)
    wait_for(lambda: stream.attempted >= attempted, timeout=timeout, what=f"{attempted} sent")


def finish(stream: Stream) -> None:
    stream.join(timeout=stream.allowance(stream.count - stream.attempted))
    assert not stream.is_alive(), f"the stream stalled at {stream.attempted} messages"


def assert_line_intact(pair: Pair, stream: Stream, tmp_path: Path) -> None:
    accepted = stream.accepted
    wait_for(
        lambda: undelivered(pair.blue, accepted) == 0,
        timeout=stream.allowance(len(accepted)),
        what="all delivered",
    )
    received = received_in_order(pair.red)
    assert len(received) == len(set(received)), "a message was applied twice"
    assert [i for i in received if i in set(accepted)] == accepted, "order or loss"
    assert_journals_verify_and_agree(pair, tmp_path)
