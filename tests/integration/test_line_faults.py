"""Nothing said on the line is lost, doubled or reordered when a node crashes or stops.

Real node processes on 127.0.0.1, killed with SIGKILL mid-stream, stopped for 30 s and
restarted; afterwards every message the API accepted is delivered exactly once, in order,
both journals verify and the two nodes' transcripts agree.

How long each wait may last follows from the pace the stream measured over its first messages
(``tests/support/streams.py``).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support.faults import journal
from tests.support.processes import Pair
from tests.support.streams import (
    Stream,
    assert_line_intact,
    finish,
    received_in_order,
    wait_until_sent,
)
from tests.support.waiting import wait_for

STREAM = 1000
FIRST = 150  # the messages sent before the first fault, over which the stream's pace is measured


@pytest.mark.timeout(900)
def test_a_thousand_messages_survive_red_killed_twice_and_stopped_for_30_s(
    pair: Pair, tmp_path: Path
):
    stream = Stream(pair, STREAM, pause=0.005)
    stream.start()
    wait_until_sent(stream, FIRST)
    pair.red.stop(signal.SIGKILL)
    pair.restart("red")
    wait_until_sent(stream, 350)
    pair.red.stop(signal.SIGKILL)
    pair.restart("red")
    wait_until_sent(stream, 550)
    pair.red.stop()
    time.sleep(30)
    pair.restart("red")
    finish(stream)

    assert len(stream.accepted) == STREAM  # BLUE never went down
    assert_line_intact(pair, stream, tmp_path)
    wait_for(lambda: received_in_order(pair.red) == stream.accepted, what="exactly once")


@pytest.mark.timeout(600)
def test_every_message_blue_accepted_is_delivered_after_blue_is_killed_mid_stream(
    pair: Pair, tmp_path: Path
):
    stream = Stream(pair, 400, pause=0.005)
    stream.start()
    wait_until_sent(stream, FIRST)
    pair.blue.stop(signal.SIGKILL)
    time.sleep(1)
    pair.restart("blue")
    finish(stream)

    assert len(stream.accepted) < 400  # some requests hit the dead BLUE
    assert_line_intact(pair, stream, tmp_path)
    sent_by_blue = {e["data"]["id"] for e in journal(pair.blue) if e["kind"] == "message.created"}
    assert set(received_in_order(pair.red)) == sent_by_blue
