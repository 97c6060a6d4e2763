"""The line between two real node processes on 127.0.0.1: delivery, acknowledgement, status."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from openline.geo.coords import format_dd, format_mgrs
from openline.i18n import catalogue
from tests.support.operator import get, journal_of, peer_status, send, state
from tests.support.processes import Pair, RunningNode, start_pair, stop_pair
from tests.support.waiting import wait_for


def test_a_message_crosses_is_delivered_and_its_acknowledgement_crosses_back(pair: Pair):
    message = send(pair.blue, ["RED"], "Check fire grid 37S")

    wait_for(lambda: state(pair.blue, message["id"]) == "delivered", what="delivery")
    inbox = get(pair.red, "/api/v1/messages", box="in")["messages"]
    assert [m["id"] for m in inbox] == [message["id"]]
    assert inbox[0]["fields"] == {"text": "Check fire grid 37S", "lang": "en"}
    assert inbox[0]["deadline"] == message["deadline"]

    with pair.red.client() as client:
        assert client.post(f"/api/v1/messages/{message['id']}/ack").status_code == 200
    wait_for(lambda: state(pair.blue, message["id"]) == "acknowledged", what="the ack")


def test_both_lines_come_up_and_a_stopped_peer_goes_down_then_up_again(pair: Pair):
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="BLUE's line to RED up")
    wait_for(lambda: peer_status(pair.red, "BLUE") == "up", what="RED's line to BLUE up")

    pair.red.stop()
    wait_for(lambda: peer_status(pair.blue, "RED") == "down", timeout=5, what="down")

    pair.restart("red")
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="up again")


def test_a_message_from_the_english_node_reads_in_russian_on_red_with_the_same_places_and_times(
    pair: Pair,
):
    fields = {
        "area": {"circle": {"lat": 36.2, "lon": 37.15, "radius_m": 5000}},
        "time_window": {"start": "2024-12-03T12:00:00Z", "end": "2024-12-03T14:30:00Z"},
        "activity": "air strike",
    }
    with pair.blue.client() as client:
        sent = client.post(
            "/api/v1/messages",
            json={
                "to": ["RED"],
                "precedence": "immediate",
                "template": "planned-operation",
                "fields": fields,
            },
        )
    assert sent.status_code == 201, sent.text
    assert sent.json()["rendering"]["lang"] == "en"

    wait_for(lambda: get(pair.red, "/api/v1/messages", box="in")["messages"], what="arrival")
    (arrived,) = get(pair.red, "/api/v1/messages", box="in")["messages"]
    rendering = arrived["rendering"]

    assert rendering["lang"] == "ru"
    assert rendering["title"] == catalogue("ru").text("templates.planned-operation.title")
    for shown in (format_dd(36.2, 37.15), format_mgrs(36.2, 37.15), "031200ZDEC24", "031430ZDEC24"):
        assert shown in rendering["text"]
        assert shown in sent.json()["rendering"]["text"]
    assert arrived["fields"] == sent.json()["fields"]


class EventReader(threading.Thread):
    """Reads a node's event stream (SSE) in the background, keeping each event's data."""

    def __init__(self, node: RunningNode, kinds: str, after: int) -> None:
        super().__init__(daemon=True)
        self.node, self.kinds, self.after = node, kinds, after
        self.events: list[dict[str, Any]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        with (
            self.node.client() as client,
            client.stream(
                "GET",
                "/api/v1/events",
                params={"kinds": self.kinds, "after": self.after},
                timeout=httpx.Timeout(5.0, read=None),
            ) as stream,
        ):
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: ") :]))
                if self.stopped.is_set():
                    return


def test_with_a_one_second_interval_a_dead_peer_is_down_within_two_intervals_and_said_so(
    pair: Pair,
):
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="up")
    head = get(pair.blue, "/api/v1/node")["journal"]["seq"]
    reader = EventReader(pair.blue, "line.status", head)
    reader.start()

    pair.red.stop(signal.SIGKILL)
    stopped = time.monotonic()
    wait_for(lambda: peer_status(pair.blue, "RED") == "down", timeout=10, what="down")
    noticed = time.monotonic() - stopped

    assert noticed <= 2 * 1.0 + 1.0, f"down noticed after {noticed:.2f} s"
    wait_for(
        lambda: any(e["data"]["status"] == "down" for e in reader.events), what="the down event"
    )
    pair.restart("red")
    wait_for(lambda: peer_status(pair.blue, "RED") == "up", what="up again")
    wait_for(lambda: reader.events[-1]["data"]["status"] == "up", what="the up event")
    down = next(e for e in reader.events if e["data"]["status"] == "down")
    assert down["kind"] == "line.status"
    assert down["data"]["peer"] == "RED"
    # Said so: its one path failing its check ("no path answers: ... does not answer"), or, if
    # the check came late, its silence.
    assert down["data"]["reason"].startswith(("no path answers: RED at ", "not heard for"))
    reader.stopped.set()


def test_an_unacknowledged_flash_message_turns_overdue_alarms_reminds_and_stops_when_acked(
    tmp_path: Path,
):
    env = {
        "OPENLINE_LINE_CHECK_INTERVAL": "1",
        "OPENLINE_ACK_DEADLINE_FLASH": "2",
        "OPENLINE_ESCALATION_REPEAT_INTERVAL": "1",
    }
    pair = start_pair(tmp_path, env)
    try:
        reader = EventReader(pair.blue, "message.overdue", 0)
        reader.start()
        message = send(pair.blue, ["RED"], "Cease fire in grid 37SBA")
        wait_for(lambda: state(pair.blue, message["id"]) == "overdue", what="overdue")
        wait_for(lambda: len(reader.events) >= 2, what="the alarm, repeated")
        assert reader.events[0]["data"]["waiting_for"] == ["RED"]
        assert [e["data"]["alarm"] for e in reader.events[:2]] == [1, 2]
        wait_for(lambda: journal_of(pair.red, "message.reminder"), what="the reminder on RED")
        wait_for(lambda: journal_of(pair.red, "message.overdue"), what="RED's own alarm")
        assert state(pair.red, message["id"]) == "overdue"

        with pair.red.client() as client:
            assert client.post(f"/api/v1/messages/{message['id']}/ack").status_code == 200
        wait_for(lambda: state(pair.blue, message["id"]) == "acknowledged", what="the ack")
        alarms = [len(journal_of(node, "message.overdue")) for node in (pair.blue, pair.red)]
        time.sleep(2.5)  # more than two repeat intervals
        assert [len(journal_of(n, "message.overdue")) for n in (pair.blue, pair.red)] == alarms
        reader.stopped.set()
    finally:
        stop_pair(pair)
