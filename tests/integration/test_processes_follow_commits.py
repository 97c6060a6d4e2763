"""Three `openline serve` processes of one node on one PostgreSQL database: each follows the
commits of the others (issue 26, item 3; docs/architecture.md, "Several processes, one node").
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from openline.domain.journal import JournalKind
from openline.domain.roles import Role
from openline.node.assembly import Node
from openline.services.operators import create_token
from openline.services.setup import NewNode
from openline.store.journal import count_entries
from tests.support.backend import node_engine, on_postgresql
from tests.support.events import event_stream
from tests.support.nodes import make_node_dir
from tests.support.ports import free_port
from tests.support.processes import RunningNode, answering, launch_node, run_openline
from tests.support.waiting import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not on_postgresql(), reason="PostgreSQL only: a SQLite node has one process"
    ),
]

FOLLOWED_WITHIN_S = 1.0  # the "at once": how far a process may lag behind another's commit
WINDOW = {"time_start": "2030-01-01T10:00:00Z", "time_end": "2030-01-01T12:00:00Z"}


def volume(lat: float, lon: float) -> dict[str, Any]:
    circle = {"lat": lat, "lon": lon, "radius_m": 2000}
    return {"circle": circle, "altitude_lower_m": 0, "altitude_upper_m": 3000, **WINDOW}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[RunningNode]]:
    """BLUE served by three processes: the node directory's contents copied, as on three
    machines, each process on a port of its own, all on the node's one database."""
    made = make_node_dir(tmp_path / "blue1", port=free_port())
    directories = [made.directory]
    for n in (2, 3):
        copy = tmp_path / f"blue{n}"
        shutil.copytree(made.directory, copy)
        directories.append(copy)
    launched = [
        launch_node(directory, made.token, {"OPENLINE_PORT": str(free_port())})
        for directory in directories
    ]
    try:
        yield [answering(process) for process in launched]
    finally:
        for process in launched:
            process.stop_surely()


def notify(client: httpx.Client, kind: str, lat: float, lon: float) -> dict[str, Any]:
    body = {"kind": kind, "title": kind, "volumes": [volume(lat, lon)]}
    posted = client.post("/api/v1/notifications", json=body)
    assert posted.status_code == 201, posted.text
    answer: dict[str, Any] = posted.json()
    return answer


def conflict_keys(client: httpx.Client) -> set[str]:
    listed = client.get("/api/v1/conflicts", params={"state": "open"})
    assert listed.status_code == 200, listed.text
    return {conflict["key"] for conflict in listed.json()["conflicts"]}


def test_each_process_follows_the_others_commits_notifications_tokens_and_events(
    processes: list[RunningNode],
) -> None:
    first, second, third = processes
    with first.client() as one, second.client() as two, third.client() as three:
        # A protected site notified on process 1 is in process 3's conflict finder: the air
        # operation notified next to it on process 3 finds the conflict itself...
        site = notify(one, "protected-site", 35.0, 38.0)
        operation = notify(three, "air-operation", 35.0, 38.01)
        found = {c["key"] for c in operation["conflicts"]}
        assert len(found) == 1, operation
        # ...and a conflict found on process 3 is listed by process 1 and 2 at once.
        assert conflict_keys(one) == conflict_keys(two) == found
        # Cancelled on process 2, the site leaves process 1's finder too: a second operation
        # beside it, notified on process 1, conflicts with nothing.
        cancelled = two.post(
            f"/api/v1/notifications/{site['id']}/status",
            json={"status": "cancelled"},
        )
        assert cancelled.status_code == 200, cancelled.text
        assert notify(one, "ground-operation", 35.0, 38.02)["conflicts"] == []

        # The event stream of process 3 carries the messages written on process 1, live...
        with event_stream(third, params={"kinds": "message."}) as stream:
            assert stream.backlog() == []
            sent = one.post("/api/v1/messages", json=message("live"))
            assert sent.status_code == 201, sent.text
            created = stream.next_events(1)[0]
            assert created.kind == "message.created"
            assert created.entry["data"]["id"] == sent.json()["id"]
        # ...and resumes on process 2 from its Last-Event-ID: the same ids on every process.
        missed = one.post("/api/v1/messages", json=message("missed"))
        assert missed.status_code == 201, missed.text
        with event_stream(second, params={"kinds": "message."}, last_event_id=created.id) as again:
            replayed = again.backlog()
            created_again = [e.entry["data"]["id"] for e in replayed if e.kind == created.kind]
            assert created_again == [missed.json()["id"]]
            assert all(e.id > created.id for e in replayed)

        # A token in use on process 1 (so remembered there), revoked through process 2, is
        # refused by process 1 at once.
        made = run_openline("token", "create", first.directory, "--operator", "watch")
        assert made.returncode == 0, made.stderr
        token = made.stdout.split()[-1]
        watch = {"Authorization": f"Bearer {token}"}
        assert one.get("/api/v1/node", headers=watch).status_code == 200
        revoked = two.post("/api/v1/tokens/revoke", json={"operator": "watch"})
        assert revoked.status_code == 200, revoked.text
        assert refused_after(one, watch) < FOLLOWED_WITHIN_S


def refused_after(client: httpx.Client, headers: dict[str, str]) -> float:
    """How long after now the first request refused 401 was sent (the time it took to answer,
    seconds on a loaded machine, is not counted)."""
    started = time.monotonic()
    while True:
        sent = time.monotonic() - started
        if client.get("/api/v1/node", headers=headers).status_code == 401:
            return sent
        assert sent < 10 * FOLLOWED_WITHIN_S, "still accepted: the revocation was not followed"
        time.sleep(0.02)


def message(text: str) -> dict[str, Any]:
    return {"to": ["BLUE"], "precedence": "routine", "text": text, "lang": "en"}


@contextmanager
def two_processes(node_dir: NewNode) -> Iterator[tuple[Node, Node, list[str]]]:
    """Two nodes of one directory in this process, standing for two processes, started: the
    one that follows, the one that writes, and the kinds the first has handed over since."""
    following, writing = (Node.open(node_dir.directory, environ={}) for _ in range(2))
    seen: list[str] = []
    following.bus.listen(lambda entries: seen.extend(entry.kind for entry in entries))
    try:
        following.start()
        writing.start()
        yield following, writing, seen
    finally:
        writing.stop()
        following.stop()


def test_a_listener_that_lost_its_connection_catches_up_what_was_committed_meanwhile(
    node_dir: NewNode,
) -> None:
    # The one that follows loses its LISTEN connection, and the other commits before it
    # listens again.
    with two_processes(node_dir) as (_following, writing, seen):
        create_token(writing, "before", Role.DUTY_OFFICER)
        wait_for(lambda: JournalKind.OPERATOR_TOKEN_CREATED in seen, timeout=10)
        with node_engine(node_dir.directory).connect() as admin:
            cut = admin.execute(text(CUT_LISTENERS)).scalars().all()
        assert cut, "no listener was found to cut"
        seen.clear()
        create_token(writing, "meanwhile", Role.DUTY_OFFICER)  # its NOTIFY reaches no one
        wait_for(lambda: JournalKind.OPERATOR_TOKEN_CREATED in seen, timeout=10)


def test_a_commit_announced_as_its_own_that_failed_is_read_at_the_next_quiet_wait(
    node_dir: NewNode,
) -> None:
    """A process leaves the announcements of its own commits to its writer, which hands them
    over. Should such a commit fail after all, another process may commit the same seqs: the
    follower reads them as soon as a wait finds the line quiet."""
    with two_processes(node_dir) as (following, writing, seen):
        head = following.read(count_entries)
        following.commits.expect(head + 50)  # as if its writer had announced up to there
        create_token(writing, "meanwhile", Role.DUTY_OFFICER)
        wait_for(lambda: JournalKind.OPERATOR_TOKEN_CREATED in seen, timeout=FOLLOWED_WITHIN_S + 1)


CUT_LISTENERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE query LIKE 'LISTEN openline_commits%' AND pid <> pg_backend_pid()"
)
