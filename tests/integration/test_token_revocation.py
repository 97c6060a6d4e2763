"""Operator tokens revoked and expiring (issue 27, item 4): refused on their next request, saying
why, each revocation and each refusal journaled; revoked by an administrator through the API or
with `openline token revoke` on the node's files.

BLUE's API runs in this process on a fake clock, which the expiry follows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openline.api.app import create_app
from openline.domain.roles import Role
from openline.node.assembly import Node
from openline.services.operators import create_token
from openline.services.setup import NewNode
from openline.store.journal import iter_all_entries
from tests.support.backend import sqlite_only
from tests.support.nodes import FakeClock, make_node_dir
from tests.support.ports import free_port
from tests.support.processes import run_openline, start_node


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def node(node_dir: NewNode, clock: FakeClock) -> Iterator[Node]:
    opened = Node.open(node_dir.directory, environ={}, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@contextmanager
def serving(node: Node, token: str) -> Iterator[TestClient]:
    """BLUE's API, sending its administrator's ``token`` unless told otherwise."""
    with TestClient(create_app(node)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


@pytest.fixture
def blue(node: Node, node_dir: NewNode) -> Iterator[tuple[TestClient, Node]]:
    with serving(node, node_dir.token) as client:
        yield client, node


def journaled(node: Node, kind: str) -> list[dict[str, Any]]:
    entries = node.read(lambda conn: list(iter_all_entries(conn)))
    return [json.loads(entry.data) for entry in entries if entry.kind == kind]


def test_a_revoked_token_is_refused_at_its_next_request_and_an_expired_one_saying_so(
    node_dir: NewNode, clock: FakeClock, node: Node
):
    with serving(node, node_dir.token) as client:
        watch = revoke_and_expire(client, node, node_dir, clock)

    # The node stopped: the refusals it counted are journaled too.
    assert journaled(node, "operator.token_revoked") == [
        {"operator": "watch-1", "token_id": fingerprint(watch), "by": node_dir.operator}
    ]
    # From one address in one period, the first refusal in full, the next counted by reason.
    (in_full,) = journaled(node, "security.unauthenticated")
    assert in_full["reason"] == "revoked operator token"
    (counted,) = journaled(node, "security.unauthenticated_counted")
    assert counted["reasons"] == {"expired operator token": 1}


def revoke_and_expire(client: TestClient, node: Node, node_dir: NewNode, clock: FakeClock) -> str:
    """watch-1's token revoked by the administrator, watch-2's expired: the one revoked."""
    watch = create_token(node, "watch-1", Role.DUTY_OFFICER)
    shift = create_token(node, "watch-2", Role.DUTY_OFFICER, expires="1h")
    planner = create_token(node, "plans-1", Role.PLANNER)
    for token in (watch, shift):  # each recognised, and so remembered by the middleware
        assert client.get("/api/v1/node", headers=bearer(token)).status_code == 200

    forbidden = client.post(
        "/api/v1/tokens/revoke", json={"token_id": fingerprint(watch)}, headers=bearer(planner)
    )
    listed = client.get("/api/v1/tokens").json()["tokens"]
    revoked = client.post("/api/v1/tokens/revoke", json={"token_id": fingerprint(watch)})
    refused = client.get("/api/v1/node", headers=bearer(watch))  # at once: no cache delay
    still = client.get("/api/v1/node", headers=bearer(shift))
    clock.advance(hours=1)
    expired = client.get("/api/v1/node", headers=bearer(shift))

    assert forbidden.status_code == 403, forbidden.text
    by_operator = {token["operator"]: token for token in listed}
    assert by_operator["watch-2"]["state"] == "active"
    assert by_operator["watch-2"]["expires_at"] == "2024-12-03T13:00:00.000Z"
    assert by_operator["watch-1"]["expires_at"] is None
    assert revoked.status_code == 200, revoked.text
    (record,) = revoked.json()["tokens"]
    assert (record["operator"], record["state"]) == ("watch-1", "revoked")
    assert (record["revoked_by"], record["revoked_at"]) == (
        node_dir.operator,
        "2024-12-03T12:00:00.000Z",
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["message"].startswith(
        f"revoked operator token: revoked at 2024-12-03T12:00:00.000Z by {node_dir.operator};"
    )
    assert still.status_code == 200
    assert expired.status_code == 401
    assert "expired operator token: it expired at 2024-12-03T13:00:00.000Z" in expired.text
    listed_after = {
        t["operator"]: t["state"] for t in client.get("/api/v1/tokens").json()["tokens"]
    }
    assert listed_after == {
        node_dir.operator: "active",
        "local-cli": "active",
        "watch-1": "revoked",
        "watch-2": "expired",
        "plans-1": "active",
    }
    return watch


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"token_id": "not-a-print"}, 422, "is not a token's fingerprint"),
        ({"token_id": "0123456789ab"}, 404, "no token has the fingerprint 0123456789ab"),
        ({"operator": "nobody"}, 404, "the operator 'nobody' has no token"),
        ({}, 422, "one of the two"),
        ({"token_id": "0123456789ab", "operator": "admin"}, 422, "one of the two"),
        ({"operator": "admin", "role": "planner"}, 422, "role"),
    ],
)
def test_a_revocation_naming_no_token_or_both_ways_is_refused(
    blue: tuple[TestClient, Node], body: dict[str, str], status: int, words: str
):
    client, node = blue

    answer = client.post("/api/v1/tokens/revoke", json=body)

    assert answer.status_code == status, answer.text
    assert words in answer.text
    assert journaled(node, "operator.token_revoked") == []


def test_revoking_every_token_of_an_operator_revokes_each_once(blue: tuple[TestClient, Node]):
    client, node = blue
    tokens = [create_token(node, "watch-1", Role.DUTY_OFFICER) for _ in range(2)]

    first = client.post("/api/v1/tokens/revoke", json={"operator": "watch-1"})
    again = client.post("/api/v1/tokens/revoke", json={"operator": "watch-1"})

    assert [t["state"] for t in first.json()["tokens"]] == ["revoked", "revoked"]
    assert again.json() == first.json()  # revoked before: as they were
    assert sorted(e["token_id"] for e in journaled(node, "operator.token_revoked")) == sorted(
        fingerprint(token) for token in tokens
    )
    for token in tokens:
        assert client.get("/api/v1/node", headers=bearer(token)).status_code == 401


@sqlite_only("the command line's arguments and output, the same on either database")
def test_token_create_expires_and_token_revoke_on_the_nodes_files(node_dir: NewNode):
    directory: Path = node_dir.directory

    made = run_openline("token", "create", directory, "--operator", "watch-1", "--expires", "12h")
    badly = run_openline("token", "create", directory, "--operator", "x", "--expires", "12 days")
    revoked = run_openline("token", "revoke", directory, fingerprint(made.stdout.strip()))
    neither = run_openline("token", "revoke", directory)
    listed = run_openline("token", "list", "--node", directory)

    assert made.returncode == 0, made.stderr
    assert badly.returncode == 1
    assert "'12 days' is not a duration such as 12h" in badly.stderr
    assert revoked.returncode == 0, revoked.stderr
    fields = revoked.stdout.split()  # operator, role, made at, fingerprint, state, at, by WHO
    assert fields[3:5] == [fingerprint(made.stdout.strip()), "revoked"]
    assert fields[6:] == ["by", "local-cli"]
    assert neither.returncode == 2
    assert "FINGERPRINT or --operator NAME" in neither.stderr
    rows = {row.split()[0]: row.split() for row in listed.stdout.splitlines()}
    assert rows["watch-1"][3:5] == [fingerprint(made.stdout.strip()), "revoked"]
    assert rows["admin"][4:] == ["active"]


@sqlite_only("the command line beside the one process that serves a SQLite node")
def test_token_revoke_beside_a_running_node_is_refused_at_its_very_next_request(tmp_path: Path):
    blue = make_node_dir(tmp_path / "blue", port=free_port())
    running = start_node(blue.directory, blue.token)
    try:
        made = run_openline("token", "create", blue.directory, "--operator", "watch-1")
        token = made.stdout.strip()
        with running.client() as client:
            recognised = client.get("/api/v1/node", headers=bearer(token))  # and remembered
            revoked = run_openline("token", "revoke", blue.directory, fingerprint(token))
            refused = client.get("/api/v1/node", headers=bearer(token))
            entries = client.get("/api/v1/journal", params={"limit": 5000}).json()["entries"]
    finally:
        running.stop_surely()

    assert recognised.status_code == 200, recognised.text
    assert revoked.returncode == 0, revoked.stderr
    assert refused.status_code == 401
    assert "revoked operator token" in refused.text
    revocations = [e["data"] for e in entries if e["kind"] == "operator.token_revoked"]
    assert revocations == [
        {"operator": "watch-1", "token_id": fingerprint(token), "by": "local-cli"}
    ]
