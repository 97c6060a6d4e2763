"""What an operator asks of a running node through its API: send a message, read a page, a
message's state, the line's status to a peer, the journal entries of one kind; and that a
FLASH still gets through."""

from __future__ import annotations

from typing import Any

from tests.support.processes import RunningNode
from tests.support.waiting import wait_for


def send(node: RunningNode, to: list[str], text: str, precedence: str = "flash") -> dict[str, Any]:
    with node.client() as client:
        sent = client.post(
            "/api/v1/messages",
            json={"to": to, "precedence": precedence, "text": text, "lang": "en"},
        )
    assert sent.status_code == 201, sent.text
    message: dict[str, Any] = sent.json()
    return message


def get(node: RunningNode, path: str, **params: Any) -> Any:
    with node.client() as client:
        response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def state(node: RunningNode, message_id: str) -> str:
    return str(get(node, f"/api/v1/messages/{message_id}")["state"])


def peer_status(node: RunningNode, party: str) -> str:
    peers = {p["party"]: p for p in get(node, "/api/v1/node")["peers"]}
    return str(peers[party]["status"])


def journal_of(node: RunningNode, kind: str) -> list[dict[str, Any]]:
    entries = get(node, "/api/v1/journal", limit=5000)["entries"]
    return [e for e in entries if e["kind"] == kind]


def assert_flash_gets_through(sender: RunningNode, receiver: RunningNode, party: str) -> None:
    """A FLASH message from ``sender`` to ``party`` (the node ``receiver``) is delivered and,
    acknowledged by ``receiver``'s operator, acknowledged on ``sender``: the link still works
    after whatever the test did to it."""
    message = send(sender, [party], "FLASH after the fault: confirm the line")
    wait_for(lambda: state(sender, message["id"]) == "delivered", what="the FLASH's delivery")
    with receiver.client() as client:
        acked = client.post(f"/api/v1/messages/{message['id']}/ack")
    assert acked.status_code == 200, acked.text
    wait_for(lambda: state(sender, message["id"]) == "acknowledged", what="the FLASH's ack")
