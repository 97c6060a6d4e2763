"""The node's event stream as a client reads it: server-sent events from an open response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.processes import RunningNode

READ_TIMEOUT = 10.0  # an expected event that has not come by then is not coming


@dataclass
class Event:
    id: int
    kind: str
    entry: dict[str, Any]


@dataclass
class EventStream:
    """Server-sent events read from an open response, one frame at a time.

    Every read waits at most READ_TIMEOUT (httpx raises ReadTimeout), so a test that waits for
    an event that never comes fails instead of hanging.
    """

    response: httpx.Response
    comments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = self.response.iter_lines()

    def next_frame(self) -> Event | str:
        """The next event, or the text of the next comment (": live", ": keep-alive")."""
        fields: dict[str, str] = {}
        for line in self._lines:
            if line.startswith(":"):
                return line[1:].strip()
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elif fields:
                entry = json.loads(fields["data"])
                assert int(fields["id"]) == entry["seq"]
                assert fields["event"] == entry["kind"]
                return Event(int(fields["id"]), fields["event"], entry)
        raise EOFError("the event stream ended")

    def backlog(self) -> list[Event]:
        """Every event the node replays before it says the stream is live."""
        replayed: list[Event] = []
        while (frame := self.next_frame()) != "live":
            if isinstance(frame, Event):
                replayed.append(frame)
        return replayed

    def next_events(self, count: int) -> list[Event]:
        found: list[Event] = []
        while len(found) < count:
            frame = self.next_frame()
            if isinstance(frame, Event):
                found.append(frame)
        return found


@contextmanager
def event_stream(
    node: RunningNode, *, params: dict[str, str] | None = None, last_event_id: int | None = None
) -> Iterator[EventStream]:
    headers = {"Authorization": f"Bearer {node.token}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    timeout = httpx.Timeout(READ_TIMEOUT)
    with (
        httpx.Client(base_url=node.url, headers=headers, timeout=timeout) as client,
        client.stream("GET", "/api/v1/events", params=params) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response)
