"""A real `openline serve` process: the issue's walk-through, the event stream and its resuming,
and what survives a crash or a stop.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.support.backend import init_args, node_engine, on_postgresql, sqlite_only
from tests.support.events import EventStream, event_stream
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, run_openline

pytestmark = pytest.mark.slow

openline = run_openline


def post_message(client: httpx.Client, text: str, to: str = "BLUE") -> dict[str, Any]:
    body = {"to": [to], "precedence": "flash", "text": text, "lang": "en"}
    sent = client.post("/api/v1/messages", json=body)
    assert sent.status_code == 201, sent.text
    result: dict[str, Any] = sent.json()
    return result


def journal(client: httpx.Client) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while True:
        page = client.get("/api/v1/journal", params={"after": len(entries), "limit": 5000})
        assert page.status_code == 200, page.text
        more = page.json()["entries"]
        if not more:
            return entries
        entries.extend(more)


# --- the walk-through ----------------------------------------------------------------


def test_init_serve_send_see_acknowledge_through_the_public_interface(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
):
    directory = tmp_path / "blue"
    created = openline(
        "init", directory, "--party", "BLUE", "--name", "Coalition air operations centre",
        "--lang", "en", "--port", str(free_port()), *init_args(),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    node = serve(directory, created.stdout.strip())

    with event_stream(node) as stream, node.client() as client:
        assert stream.backlog() == []  # no Last-Event-ID: only what happens from now on
        sent = openline(
            "send", "--node", directory, "--to", "BLUE", "--precedence", "flash",
            "--text", "Strike package inbound grid 37S DV 123 456, 1200Z",
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        message_id, state = sent.stdout.split()[:2]
        assert state == "delivered"

        inbox = client.get("/api/v1/messages", params={"box": "in"}).json()["messages"]
        assert [(m["id"], m["state"], m["precedence"]) for m in inbox] == [
            (message_id, "delivered", "flash")
        ]
        created_event, delivered_event = stream.next_events(2)
        assert (created_event.kind, delivered_event.kind) == (
            "message.created",
            "message.delivered",
        )
        assert created_event.entry["data"]["id"] == message_id
        assert created_event.entry["data"]["fields"]["text"].startswith("Strike package")
        assert delivered_event.entry["data"]["message_id"] == message_id

        acked = openline("ack", "--node", directory, message_id)
        assert acked.returncode == 0, acked.stderr

        assert client.get(f"/api/v1/messages/{message_id}").json()["state"] == "acknowledged"
        (acked_event,) = stream.next_events(1)
        assert acked_event.kind == "message.acknowledged"
        assert acked_event.entry["data"]["message_id"] == message_id
        assert acked_event.id == delivered_event.id + 1 == created_event.id + 2


# --- resuming the event stream ---------------------------------------------------------------


RESUMES = {
    "Last-Event-ID header": lambda seq: {"last_event_id": seq},
    "after query": lambda seq: {"params": {"after": str(seq)}},
}


@pytest.mark.parametrize("resume", RESUMES.values(), ids=RESUMES.keys())
@pytest.mark.parametrize("from_entry", ["start", "middle", "head"])
def test_a_resumed_stream_replays_exactly_the_missed_entries_then_goes_live(
    running_node: RunningNode,
    resume: Callable[[int], dict[str, Any]],
    from_entry: str,
):
    with running_node.client() as client:
        for n in range(3):
            post_message(client, f"before {n}")
        before = journal(client)
        head = before[-1]["seq"]
        seen = {"start": 0, "middle": head // 2, "head": head}[from_entry]

        with event_stream(running_node, **resume(seen)) as stream:
            replayed = stream.backlog()
            later = post_message(client, "after")
            live = stream.next_events(2)

    assert [e.entry for e in replayed] == before[seen:]
    assert [e.id for e in replayed] == list(range(seen + 1, head + 1))
    assert [(e.id, e.kind) for e in live] == [
        (head + 1, "message.created"),
        (head + 2, "message.delivered"),
    ]
    assert live[0].entry["data"]["id"] == later["id"]


def test_last_event_id_wins_over_the_after_of_the_original_url(running_node: RunningNode):
    # A browser's EventSource reconnects to the same URL (?after=0) with Last-Event-ID set:
    # it must not be sent the whole journal again.
    with running_node.client() as client:
        for n in range(2):
            post_message(client, f"message {n}")
        head = journal(client)[-1]["seq"]

    with event_stream(running_node, params={"after": "0"}, last_event_id=head - 1) as stream:
        assert [e.id for e in stream.backlog()] == [head]


def test_a_resumed_stream_crosses_backlog_pages_without_a_gap_or_a_repeat(
    running_node: RunningNode,
):
    with running_node.client() as client:
        for n in range(520):  # two entries each: past the 1000-entry backlog page
            post_message(client, f"bulk {n}")
        head = journal(client)[-1]["seq"]
    assert head > 1000

    with event_stream(running_node, params={"after": "0"}) as stream:
        replayed = stream.backlog()

    assert [e.id for e in replayed] == list(range(1, head + 1))


def test_kinds_keeps_only_the_entries_whose_kind_starts_with_a_given_prefix(
    running_node: RunningNode,
):
    stranger = httpx.Client(base_url=running_node.url, headers={"Authorization": "Bearer olt_x"})
    with running_node.client() as client, stranger:
        post_message(client, "one")
        params = {"after": "0", "kinds": "message."}
        with (
            event_stream(running_node, params=params) as messages_only,
            event_stream(running_node, params={"after": "0", "kinds": "security.,node."}) as other,
        ):
            replayed = messages_only.backlog()
            other_replayed = other.backlog()
            assert stranger.get("/api/v1/node").status_code == 401  # a security event
            post_message(client, "two")
            live = messages_only.next_events(2)
            other_live = other.next_events(1)

    assert [e.kind for e in replayed] == ["message.created", "message.delivered"]
    assert [e.kind for e in other_replayed] == ["node.initialized", "node.started"]
    assert [e.kind for e in live] == ["message.created", "message.delivered"]
    assert [e.kind for e in other_live] == ["security.unauthenticated"]


def test_a_client_resumes_across_a_node_restart_without_losing_an_event(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
):
    created = make_node_dir(tmp_path / "blue", port=free_port())
    first = serve(created.directory, created.token)
    with event_stream(first, params={"after": "0"}) as stream, first.client() as client:
        stream.backlog()
        post_message(client, "before the restart")
        last_seen = stream.next_events(2)[-1].id

    first.stop()
    second = serve(created.directory, created.token)
    with second.client() as client:
        after = post_message(client, "after the restart")
        everything = journal(client)
    with event_stream(second, last_event_id=last_seen) as stream:
        replayed = stream.backlog()

    assert [e.entry for e in replayed] == everything[last_seen:]
    assert [e.kind for e in replayed] == [
        "node.stopped",
        "node.started",
        "message.created",
        "message.delivered",
    ]
    assert replayed[2].entry["data"]["id"] == after["id"]


# --- crashes and stops -----------------------------------------------------------------------


def test_every_message_answered_201_survives_a_sigkill(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
):
    created = make_node_dir(tmp_path / "blue", port=free_port())
    node = serve(created.directory, created.token)
    answered: list[str] = []
    refused: list[str] = []
    killed = threading.Event()

    def keep_sending(worker: int) -> None:
        with node.client() as client:
            for n in range(100_000):
                body = {
                    "to": ["BLUE"],
                    "precedence": "flash",
                    "text": f"{worker}/{n}",
                    "lang": "en",
                }
                try:
                    sent = client.post("/api/v1/messages", json=body)
                except httpx.TransportError as exc:
                    if not killed.is_set():
                        refused.append(repr(exc))
                    return
                if sent.status_code == 201:
                    answered.append(sent.json()["id"])
                else:
                    refused.append(sent.text)

    senders = [threading.Thread(target=keep_sending, args=(w,)) for w in range(4)]
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 60
    while len(answered) < 200 and time.monotonic() < deadline and not refused:
        time.sleep(0.01)
    killed.set()
    node.stop(signal.SIGKILL)  # while the senders are still sending
    for sender in senders:
        sender.join(timeout=30)

    assert not refused
    assert len(answered) >= 200
    assert node.process.returncode == -signal.SIGKILL
    if not on_postgresql():
        assert (created.directory / "openline.db-wal").exists()  # the crash left recovery to do
    as_found = openline("journal", "verify", created.directory)
    assert as_found.returncode == 0, as_found.stderr

    restarted = serve(created.directory, created.token)
    with restarted.client() as client:
        states = {client.get(f"/api/v1/messages/{m}").json()["state"] for m in answered}
        kinds = [e["kind"] for e in journal(client)]
    restarted.stop()

    assert states == {"delivered"}
    starts = [i for i, kind in enumerate(kinds) if kind == "node.started"]
    assert len(starts) == 2
    assert "node.stopped" not in kinds[starts[0] : starts[1]]  # the first run never stopped
    assert kinds.count("message.created") >= len(answered)
    verified = openline("journal", "verify", created.directory)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout == f"journal intact: {len(kinds) + 1} entries verified\n"


@sqlite_only("on PostgreSQL several processes serve one node (test_several_processes.py)")
def test_a_second_serve_of_a_served_node_is_refused_before_it_writes_anything(
    running_node: RunningNode,
):
    with running_node.client() as client:
        before = journal(client)
        second = openline("serve", running_node.directory)
        after = journal(client)

    assert second.returncode == 1
    assert second.stderr == (
        f"Error: {running_node.directory} is already being served by process "
        f"{running_node.process.pid}, which holds its serve lock (flock on "
        f"{running_node.directory}): a node on SQLite is served by one process; stop that "
        "`openline serve` first (on PostgreSQL several processes serve one node: "
        "docs/deployment.md)\n"
    )
    # No node.started, no node.stopped: the running node's record holds. (The running node
    # itself may have written meanwhile: its line to RED, which is not running, going down.)
    assert after[: len(before)] == before
    assert [e["kind"] for e in after[len(before) :] if e["kind"].startswith("node.")] == []
    # Commands that do not serve the node keep working beside it.
    for command in ("card", "token create --operator eve", "journal verify"):
        result = openline(*command.split(), running_node.directory)
        assert result.returncode == 0, (command, result.stderr)


def test_a_killed_node_restarts_at_once_its_lock_gone_with_it(
    tmp_path: Path, serve: Callable[[Path, str], RunningNode]
):
    created = make_node_dir(tmp_path / "blue", port=free_port())
    serve(created.directory, created.token).stop(signal.SIGKILL)

    restarted = serve(created.directory, created.token)

    assert restarted.process.poll() is None


def test_sigterm_stops_the_node_cleanly_while_an_event_stream_is_open(running_node: RunningNode):
    with event_stream(running_node, params={"after": "0"}) as stream:
        stream.backlog()
        running_node.process.send_signal(signal.SIGTERM)
        exit_status = running_node.process.wait(timeout=15)
        # The stream ends cleanly (a client resumes with Last-Event-ID), after what the node
        # journaled while it stopped (node.stopped) when that was committed before it closed.
        with pytest.raises(EOFError):
            read_to_the_end(stream)

    # uvicorn finishes its graceful shutdown, then re-raises the signal it caught.
    assert exit_status in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in running_node.log.read_text()
    assert on_postgresql() or not (running_node.directory / "openline.db-wal").exists()
    verified = openline("journal", "verify", running_node.directory)
    assert verified.returncode == 0, verified.stderr
    engine = node_engine(running_node.directory)
    with engine.connect() as conn:
        last_kind = conn.execute(
            text("SELECT kind FROM journal ORDER BY seq DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    assert last_kind == "node.stopped"


def test_sigterm_ends_open_event_streams_without_waiting_for_the_graceful_timeout(
    running_node: RunningNode,
):
    with event_stream(running_node) as stream:
        stream.backlog()
        running_node.process.send_signal(signal.SIGTERM)
        running_node.process.wait(timeout=15)

    assert "timeout graceful shutdown exceeded" not in running_node.log.read_text()


def test_a_last_event_id_beyond_the_journal_head_still_receives_every_live_event(
    running_node: RunningNode,
):
    with running_node.client() as client:
        head = client.get("/api/v1/node").json()["journal"]["seq"]
        with event_stream(running_node, last_event_id=head + 1000) as stream:
            assert stream.backlog() == []
            sent = post_message(client, "Line check")
            created, delivered = stream.next_events(2)

    assert (created.kind, delivered.kind) == ("message.created", "message.delivered")
    assert created.entry["data"]["id"] == sent["id"]
    assert created.id == head + 1


def read_to_the_end(stream: EventStream, most: int = 20) -> None:
    """Read ``stream``'s events until it ends (``EOFError``), at most ``most`` of them."""
    for _ in range(most):
        stream.next_events(1)
